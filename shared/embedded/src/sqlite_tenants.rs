//! `TenantStore` on SQLite.

use async_trait::async_trait;
use certport_core::domain::{
    ApiKeyHash, ApiKeyRecord, EdgeInstance, EncryptionKey, EnrollmentProfile, Tenant, TrustedCa,
};
use certport_core::ports::{InfraResult, TenantStore};
use rusqlite::params;

use crate::sqlite_store::{db_error, to_doc, SqliteStore};

#[async_trait]
impl TenantStore for SqliteStore {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO tenants (id, doc) VALUES (?1, ?2)";
        self.put_doc("put tenant", sql, vec![tenant.id.clone()], to_doc(tenant)?)
            .await
    }

    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>> {
        let sql = "SELECT doc FROM tenants WHERE id = ?1";
        self.get_doc("get tenant", sql, vec![tenant_id.to_string()]).await
    }

    async fn put_api_key(&self, key: &ApiKeyRecord) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO api_keys (hash, doc) VALUES (?1, ?2)";
        self.put_doc("put api key", sql, vec![key.hash.0.clone()], to_doc(key)?)
            .await
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        let sql = "SELECT doc FROM api_keys WHERE hash = ?1";
        self.get_doc("find api key", sql, vec![hash.0.clone()]).await
    }

    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO profiles (tenant_id, id, doc) VALUES (?1, ?2, ?3)";
        let keys = vec![profile.tenant_id.clone(), profile.id.clone()];
        self.put_doc("put profile", sql, keys, to_doc(profile)?).await
    }

    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>> {
        let sql = "SELECT doc FROM profiles WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get profile", sql, vec![tenant_id.to_string(), id.to_string()])
            .await
    }

    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()> {
        let sql =
            "INSERT OR REPLACE INTO edge_instances (tenant_id, id, created_at, doc) VALUES (?1, ?2, ?3, ?4)";
        let keys = vec![edge.tenant_id.clone(), edge.id.clone(), edge.created_at.clone()];
        self.put_doc("put edge instance", sql, keys, to_doc(edge)?).await
    }

    async fn get_edge_instance(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EdgeInstance>> {
        let sql = "SELECT doc FROM edge_instances WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get edge instance", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn list_edge_instances(&self, tenant_id: &str) -> InfraResult<Vec<EdgeInstance>> {
        let sql = "SELECT doc FROM edge_instances WHERE tenant_id = ?1 ORDER BY created_at, id";
        self.list_docs("list edge instances", sql, vec![tenant_id.into()])
            .await
    }

    async fn put_encryption_key(&self, key: &EncryptionKey) -> InfraResult<()> {
        let sql = "INSERT OR REPLACE INTO encryption_keys (tenant_id, id, doc) VALUES (?1, ?2, ?3)";
        let keys = vec![key.tenant_id.clone(), key.id.clone()];
        self.put_doc("put encryption key", sql, keys, to_doc(key)?).await
    }

    async fn get_encryption_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EncryptionKey>> {
        let sql = "SELECT doc FROM encryption_keys WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get encryption key", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn insert_trusted_ca(&self, ca: &TrustedCa) -> InfraResult<bool> {
        let doc = to_doc(ca)?;
        let ca = ca.clone();
        self.with("insert trusted ca", move |conn| {
            let inserted = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO trusted_cas (tenant_id, fingerprint, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut insert| insert.execute(params![ca.tenant_id, ca.fingerprint, ca.created_at, doc]))
                .map_err(db_error("insert trusted ca"))?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn list_trusted_cas(&self, tenant_id: &str) -> InfraResult<Vec<TrustedCa>> {
        let sql = "SELECT doc FROM trusted_cas WHERE tenant_id = ?1 ORDER BY created_at, fingerprint";
        self.list_docs("list trusted cas", sql, vec![tenant_id.into()])
            .await
    }
}
