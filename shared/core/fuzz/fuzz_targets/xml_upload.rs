#![no_main]
//! The XML upload format: `<certificates><certificate><pem>`, DTDs refused.

use certport_core::parsing::{parse_certificate, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(items) = xml::certificates(data) {
        for der in items.into_iter().flatten() {
            let _ = parse_certificate(der);
        }
    }
});
