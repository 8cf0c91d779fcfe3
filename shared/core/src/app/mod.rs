//! Use cases. Each takes `Deps` (the ports) and plain inputs; the HTTP layer and the
//! Lambda/CLI entry points only translate to and from them.

mod auth;
mod bootstrap;
mod cert_import_process;
mod cert_import_status;
mod cert_import_upload;
mod error;
mod object_keys;
mod profiles;

use std::sync::Arc;

pub use auth::{authenticate, Caller};
pub use bootstrap::{create_tenant_with_key, NewTenant};
pub use cert_import_process::{process_certificate_import, ProcessOutcome};
pub use cert_import_status::{get_certificate_import, CertImportStatus};
pub use cert_import_upload::{upload_certificate_import, CertImportUpload};
pub use error::AppError;
pub use object_keys::{certificate_import_key, parse_certificate_import_key, CERTIFICATE_IMPORT_PREFIX};
pub use profiles::{create_profile, get_profile, set_source_fields_mapping, MappingPreview, NewProfile};

use crate::parsing::ZipLimits;
use crate::ports::{ObjectStore, RecordStore};

/// Limits on what one request or upload may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    pub zip: ZipLimits,
    /// Devices handed to the record store per `insert_devices` call.
    pub device_batch_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // API Gateway and Lambda cap synchronous payloads at 6 MB.
            max_body_bytes: 6 * 1024 * 1024,
            zip: ZipLimits::default(),
            device_batch_size: 500,
        }
    }
}

/// The ports a use case runs on.
#[derive(Clone)]
pub struct Deps {
    pub objects: Arc<dyn ObjectStore>,
    pub records: Arc<dyn RecordStore>,
    pub limits: Limits,
}
