#![no_main]
//! Opening a PKCS#12 file: the first byte says how long the password is, the rest is the
//! file. The iteration cap is low so the fuzzer spends its time on parsing, not KDFs.

use certport_core::parsing::keystore::{open_pkcs12, prepare_key, Pkcs12Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&len, rest)) = data.split_first() else {
        return;
    };
    let len = usize::from(len % 16).min(rest.len());
    let (password, file) = rest.split_at(len);
    let password = String::from_utf8_lossy(password);
    let limits = Pkcs12Limits {
        max_iterations: 2048,
        ..Pkcs12Limits::default()
    };
    if let Ok(contents) = open_pkcs12(file, &password, &limits) {
        // Key parsing, leaf matching and chain ordering, trusting the file's own certificates.
        let trusted = contents.certificates.clone();
        let _ = prepare_key(contents.private_keys, &contents.certificates, &trusted, 1_800_000_000);
    }
});
