#![no_main]
//! The keystore import request body (API B): JSON, counts, forms, base64.

use certport_core::app::KeystoreImportRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = KeystoreImportRequest::parse(data) {
        for item in &request.import_information {
            let _ = item.form();
        }
    }
});
