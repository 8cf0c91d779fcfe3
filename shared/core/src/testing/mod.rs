//! Helpers for tests of this crate and of the adapter crates: test certificates
//! (generated in-process), zips, and the contract suites every adapter of a port passes.
// Test helpers: a failed setup or assertion should stop the test that called it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod api_key_contracts;
pub mod certs;
pub mod concurrent_contracts;
pub mod contracts;
pub mod faults;
pub mod inventory_contracts;
pub mod memory;
pub mod scenarios;
pub mod sharding;
pub mod store_contracts;
pub mod work_quota_contracts;

use std::io::{Cursor, Write};

/// A zip holding `files` (names ending in `/` become directories), deflated.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, data) in files {
        if name.ends_with('/') {
            writer.add_directory(*name, options).expect("add directory");
        } else {
            writer.start_file(*name, options).expect("start file");
            writer.write_all(data).expect("write file");
        }
    }
    writer.finish().expect("finish zip").into_inner()
}
