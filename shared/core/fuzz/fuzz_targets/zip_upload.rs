#![no_main]
//! An uploaded zip, as the certificate processor reads it: limits, entries, PEM or XML
//! certificates, X.509 fields. Nothing may panic, hang or exceed the limits.

use certport_core::domain::UploadFormat;
use certport_core::parsing::{parse_certificate, pem, xml, UploadArchive, ZipLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ZipLimits {
        max_entries: 64,
        max_entry_size: 1 << 20,
        max_total_size: 4 << 20,
    };
    let Ok(mut archive) = UploadArchive::open(data, limits) else {
        return;
    };
    let _ = archive.count_certificates();
    for n in 0..archive.file_count() {
        let Ok(file) = archive.read_file(n) else {
            continue;
        };
        let ders: Vec<Vec<u8>> = match archive.format() {
            UploadFormat::Pem => pem::certificate_blocks(&file.contents).into_iter().flatten().collect(),
            UploadFormat::Xml => xml::certificates(&file.contents)
                .map(|items| items.into_iter().flatten().collect())
                .unwrap_or_default(),
        };
        for der in ders {
            let _ = parse_certificate(der);
        }
    }
});
