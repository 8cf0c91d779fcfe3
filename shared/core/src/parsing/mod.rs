//! Parsers for what users upload. Pure functions over bytes: no I/O, no panics on input.

pub mod certificate;
mod certificate_details;
pub mod pem;
mod search_facts;
pub mod upload_zip;
pub mod xml;

pub use certificate::{
    certificate_record, parse_certificate, parse_certificate_fields, CertificateError, ParsedCertificate,
};
pub use certificate_details::{certificate_details, chain_role, CertificateDetails, ChainRole};
pub use search_facts::SearchFacts;
pub use upload_zip::{RawFile, UploadArchive, UploadFile, ZipError, ZipLimits};
pub mod keystore;
