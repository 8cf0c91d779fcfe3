//! Use cases. Each takes `Deps` (the ports) and plain inputs; the HTTP layer and the
//! Lambda/CLI entry points only translate to and from them.

pub(crate) mod access;
pub(crate) mod certificate_import;
mod error;
pub(crate) mod inventory;
pub(crate) mod jobs;
pub(crate) mod keystore_import;
mod limits;
pub(crate) mod object_keys;
pub(crate) mod setup;
pub(crate) mod uploads;

use std::sync::Arc;

pub use access::api_keys::{create_api_key, list_api_keys, revoke_api_key, rotate_api_key, IssuedApiKey};
pub use access::auth::{authenticate, authorize, Caller};
pub use access::bootstrap::{create_tenant_with_key, NewTenant};
pub use certificate_import::process::process_certificate_import;
pub use certificate_import::shards::process_certificate_shard;
pub use certificate_import::status::{
    get_certificate_import, list_certificate_import_failures, CertImportStatus, FailurePage, MAX_FAILURE_PAGE,
};
pub use certificate_import::upload::{upload_certificate_import, CertImportUpload};
pub use error::AppError;
pub use inventory::certificate_reads::{
    certificate_contents, get_certificate, get_certificate_request, request_certificate, CertificateView,
    ChainOrder, ContentFormat,
};
pub use inventory::certificate_search::{
    certificate_name, search_certificates, Direction, SearchPage, SearchQuery, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
};
pub use inventory::device_reads::{
    certificate_status, get_device, list_device_certificates, list_devices, parse_instant, Bound,
    CertificateFilter, DeviceFilter, DeviceView, Paged, DEFAULT_DEVICE_LIMIT,
};
pub use inventory::export::{
    audit_refused_export, export_private_key, list_audit_events, ExportFormat, ExportRefusal, ExportRequest,
};
pub use inventory::private_keys::{private_key_aad, private_key_context};
pub use jobs::lifecycle::fail_job;
pub use jobs::outcome::{ProcessOutcome, STORAGE_REFUSED};
pub use jobs::sweeper::{stored_uploads_of_open_jobs, sweep_stale_jobs};
pub use keystore_import::batch::{ImportItem, KeystoreImportRequest};
pub use keystore_import::process::process_keystore_import;
pub use keystore_import::status::{get_keystore_import, KeystoreImportStatus};
pub use keystore_import::upload::upload_keystore_import;
pub use limits::{LimitError, Limits, LIMIT_VARIABLES, MAX_STORABLE_CERTIFICATE_BYTES};
pub use object_keys::{
    certificate_import_key, keystore_import_key, parse_certificate_import_key, parse_keystore_import_key,
    private_key_key, shard_skip_key, CERTIFICATE_IMPORT_PREFIX, KEYSTORE_IMPORT_PREFIX, PRIVATE_KEY_PREFIX,
    SHARD_PLAN_PREFIX,
};
pub use setup::edge_instances::{create_edge_instance, dek_context, get_encryption_key, list_edge_instances};
pub use setup::profiles::{
    create_profile, get_profile, set_source_fields_mapping, MappingPreview, NewProfile,
};
pub use setup::trusted_cas::{add_trusted_ca, list_trusted_cas};
pub use uploads::processor::{abandon_upload, UploadProcessor, RETRIES_EXHAUSTED};
pub use uploads::urls::{request_certificate_upload_url, request_keystore_upload_url, UploadUrl};

use crate::ports::{InventoryStore, JobStore, KeyService, ObjectStore, ShardQueue, TenantStore};

/// The ports a use case runs on.
#[derive(Clone)]
pub struct Deps {
    pub objects: Arc<dyn ObjectStore>,
    pub tenants: Arc<dyn TenantStore>,
    pub jobs: Arc<dyn JobStore>,
    pub inventory: Arc<dyn InventoryStore>,
    pub keys: KeyServices,
    pub limits: Limits,
    /// Where a large upload's shards go; without one (as in `serve`) every upload is
    /// processed in one run.
    pub shards: Option<Arc<dyn ShardQueue>>,
}

/// The two keys: one wraps DEK private keys, one makes the data keys that encrypt
/// stored private keys. Separate so each can have its own key policy.
#[derive(Clone)]
pub struct KeyServices {
    pub dek: Arc<dyn KeyService>,
    pub data: Arc<dyn KeyService>,
}
