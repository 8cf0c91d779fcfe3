//! Use cases. Each takes `Deps` (the ports) and plain inputs; the HTTP layer and the
//! Lambda/CLI entry points only translate to and from them.

mod auth;
mod bootstrap;
mod cert_import_process;
mod cert_import_status;
mod cert_import_upload;
mod edge_instances;
mod error;
mod keystore_batch;
mod keystore_import_process;
mod keystore_import_status;
mod keystore_import_upload;
mod object_keys;
mod profiles;
mod stale_jobs;
mod trusted_cas;
mod upload_processor;
mod upload_urls;

use std::sync::Arc;

pub use auth::{authenticate, Caller};
pub use bootstrap::{create_tenant_with_key, NewTenant};
pub use cert_import_process::process_certificate_import;
pub use cert_import_status::{get_certificate_import, CertImportStatus};
pub use cert_import_upload::{upload_certificate_import, CertImportUpload};
pub use edge_instances::{create_edge_instance, dek_context, get_encryption_key, list_edge_instances};
pub use error::AppError;
pub use keystore_batch::{
    keystore_import_key, parse_keystore_import_key, ImportItem, KeystoreImportRequest, KEYSTORE_IMPORT_PREFIX,
};
pub use keystore_import_process::{
    private_key_aad, private_key_context, process_keystore_import, PRIVATE_KEY_PREFIX,
};
pub use keystore_import_status::{get_keystore_import, KeystoreImportStatus};
pub use keystore_import_upload::upload_keystore_import;
pub use object_keys::{certificate_import_key, parse_certificate_import_key, CERTIFICATE_IMPORT_PREFIX};
pub use profiles::{create_profile, get_profile, set_source_fields_mapping, MappingPreview, NewProfile};
pub use stale_jobs::{abandon_upload, sweep_stale_jobs};
pub use trusted_cas::{add_trusted_ca, list_trusted_cas};
pub use upload_processor::{ProcessOutcome, UploadProcessor};
pub use upload_urls::{request_certificate_upload_url, request_keystore_upload_url, UploadUrl};

use crate::parsing::keystore::Pkcs12Limits;
use crate::parsing::ZipLimits;
use crate::ports::{KeyService, KeystoreStore, ObjectStore, RecordStore};

/// Limits on what one request or upload may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    pub zip: ZipLimits,
    /// Devices handed to the record store per `insert_devices` call.
    pub device_batch_size: usize,
    pub pkcs12: Pkcs12Limits,
    /// Keystore items opened at once (KDFs are CPU-bound; one per core is enough).
    pub keystore_workers: usize,
    /// Largest file accepted through an upload URL.
    pub max_upload_bytes: u64,
    /// How long an upload URL stays valid.
    pub upload_url_ttl: std::time::Duration,
    /// How long a job may stay unfinished before the sweeper fails it.
    pub job_deadline: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // API Gateway and Lambda cap synchronous payloads at 6 MB.
            max_body_bytes: 6 * 1024 * 1024,
            zip: ZipLimits::default(),
            device_batch_size: 500,
            pkcs12: Pkcs12Limits::default(),
            keystore_workers: std::thread::available_parallelism().map_or(2, usize::from),
            max_upload_bytes: 1024 * 1024 * 1024,
            upload_url_ttl: std::time::Duration::from_secs(15 * 60),
            // Past the processors' retries (their events expire after an hour) and upload URLs.
            job_deadline: std::time::Duration::from_secs(2 * 60 * 60),
        }
    }
}

/// The ports a use case runs on.
#[derive(Clone)]
pub struct Deps {
    pub objects: Arc<dyn ObjectStore>,
    pub records: Arc<dyn RecordStore>,
    pub keystores: Arc<dyn KeystoreStore>,
    pub keys: KeyServices,
    pub limits: Limits,
}

/// The two keys of SPEC §3: one wraps DEK private keys, one makes the data keys that
/// encrypt stored private keys. Separate so each can have its own key policy.
#[derive(Clone)]
pub struct KeyServices {
    pub dek: Arc<dyn KeyService>,
    pub data: Arc<dyn KeyService>,
}
