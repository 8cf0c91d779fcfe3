#![no_main]
//! A `.pem` file: blocks among any text, then each certificate's fields.

use certport_core::parsing::{parse_certificate, pem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pem::all_blocks(data);
    for der in pem::certificate_blocks(data).into_iter().flatten() {
        let _ = parse_certificate(der);
    }
});
