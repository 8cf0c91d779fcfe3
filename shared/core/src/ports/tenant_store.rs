use async_trait::async_trait;

use super::InfraResult;
use crate::domain::{
    ApiKeyHash, ApiKeyRecord, AuditEvent, EdgeInstance, EncryptionKey, EnrollmentProfile, Tenant, TrustedCa,
};

/// Tenants and their API keys, and what each tenant has set up: enrollment profiles,
/// edge instances with their DEKs, trusted CAs. Every read is scoped by tenant: another
/// tenant's id reads as absent.
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()>;
    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>>;
    /// Stores a new key with `event` (its creation) in the tenant's audit trail: one
    /// atomic step, so a key is found by its hash, listed by its tenant and audited, or
    /// none of these.
    async fn put_api_key(&self, key: &ApiKeyRecord, event: &AuditEvent) -> InfraResult<()>;
    /// The key with this hash, revoked or not (callers refuse revoked keys).
    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>>;
    async fn get_api_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<ApiKeyRecord>>;
    /// Every key of the tenant, revoked ones too, oldest first.
    async fn list_api_keys(&self, tenant_id: &str) -> InfraResult<Vec<ApiKeyRecord>>;
    /// Revokes the tenant's key `id` as of `event.at`, with `event` in the audit trail,
    /// atomically; `false` (nothing written) when the tenant has no such key not yet
    /// revoked.
    async fn revoke_api_key(&self, tenant_id: &str, id: &str, event: &AuditEvent) -> InfraResult<bool>;
    /// One atomic step: revokes the tenant's key `id` as of `replacement.created_at`,
    /// stores `replacement`, and records `event`. `false` (nothing written) when there is
    /// no such key not yet revoked: of two rotations of one key, one wins.
    async fn replace_api_key(
        &self,
        tenant_id: &str,
        id: &str,
        replacement: &ApiKeyRecord,
        event: &AuditEvent,
    ) -> InfraResult<bool>;

    /// Creates or replaces.
    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()>;
    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>>;

    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()>;
    async fn get_edge_instance(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EdgeInstance>>;
    /// Ordered by creation time.
    async fn list_edge_instances(&self, tenant_id: &str) -> InfraResult<Vec<EdgeInstance>>;

    async fn put_encryption_key(&self, key: &EncryptionKey) -> InfraResult<()>;
    async fn get_encryption_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EncryptionKey>>;

    /// `false` (and nothing written) when the tenant already trusts a CA with that
    /// fingerprint. One atomic step: a CA is either wholly added (trusted and listed) or not.
    async fn insert_trusted_ca(&self, ca: &TrustedCa) -> InfraResult<bool>;
    /// Ordered by creation time.
    async fn list_trusted_cas(&self, tenant_id: &str) -> InfraResult<Vec<TrustedCa>>;
}
