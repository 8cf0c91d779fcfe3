//! `TenantStore` on SQLite.

use async_trait::async_trait;
use certport_core::domain::{
    ApiKeyHash, ApiKeyRecord, AuditEvent, EdgeInstance, EncryptionKey, EnrollmentProfile, Tenant, TrustedCa,
};
use certport_core::ports::{InfraResult, TenantStore};
use rusqlite::{params, Connection, OptionalExtension};

use crate::sqlite_store::{db_error, from_doc, to_doc, SqliteStore};

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

    async fn put_api_key(&self, key: &ApiKeyRecord, event: &AuditEvent) -> InfraResult<()> {
        let (key, event) = (key.clone(), event.clone());
        self.with("put api key", move |conn| {
            let tx = conn.transaction().map_err(db_error("put api key"))?;
            insert_api_key(&tx, &key)?;
            insert_audit_event(&tx, &event)?;
            tx.commit().map_err(db_error("put api key"))
        })
        .await
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        let sql = "SELECT doc FROM api_keys WHERE hash = ?1";
        self.get_doc("find api key", sql, vec![hash.0.clone()]).await
    }

    async fn get_api_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<ApiKeyRecord>> {
        let sql = "SELECT doc FROM api_keys WHERE tenant_id = ?1 AND id = ?2";
        self.get_doc("get api key", sql, vec![tenant_id.into(), id.into()])
            .await
    }

    async fn list_api_keys(&self, tenant_id: &str) -> InfraResult<Vec<ApiKeyRecord>> {
        let sql = "SELECT doc FROM api_keys WHERE tenant_id = ?1 ORDER BY created_at, id";
        self.list_docs("list api keys", sql, vec![tenant_id.into()]).await
    }

    async fn revoke_api_key(&self, tenant_id: &str, id: &str, event: &AuditEvent) -> InfraResult<bool> {
        let (tenant_id, id, event) = (tenant_id.to_string(), id.to_string(), event.clone());
        self.with("revoke api key", move |conn| {
            let tx = conn.transaction().map_err(db_error("revoke api key"))?;
            if !revoke(&tx, &tenant_id, &id, &event.at)? {
                return Ok(false);
            }
            insert_audit_event(&tx, &event)?;
            tx.commit().map_err(db_error("revoke api key"))?;
            Ok(true)
        })
        .await
    }

    async fn replace_api_key(
        &self,
        tenant_id: &str,
        id: &str,
        replacement: &ApiKeyRecord,
        event: &AuditEvent,
    ) -> InfraResult<bool> {
        let (tenant_id, id) = (tenant_id.to_string(), id.to_string());
        let (replacement, event) = (replacement.clone(), event.clone());
        self.with("rotate api key", move |conn| {
            let tx = conn.transaction().map_err(db_error("rotate api key"))?;
            if !revoke(&tx, &tenant_id, &id, &replacement.created_at)? {
                return Ok(false);
            }
            insert_api_key(&tx, &replacement)?;
            insert_audit_event(&tx, &event)?;
            tx.commit().map_err(db_error("rotate api key"))?;
            Ok(true)
        })
        .await
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

fn insert_api_key(conn: &Connection, key: &ApiKeyRecord) -> InfraResult<()> {
    let doc = to_doc(key)?;
    conn.prepare_cached(
        "INSERT INTO api_keys (hash, tenant_id, id, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut insert| insert.execute(params![key.hash.0, key.tenant_id, key.id, key.created_at, doc]))
    .map_err(db_error("put api key"))?;
    Ok(())
}

fn insert_audit_event(conn: &Connection, event: &AuditEvent) -> InfraResult<()> {
    let doc = to_doc(event)?;
    conn.prepare_cached("INSERT INTO audit_events (tenant_id, sort_key, doc) VALUES (?1, ?2, ?3)")
        .and_then(|mut insert| insert.execute(params![event.tenant_id, event.sort_key(), doc]))
        .map_err(db_error("record audit event"))?;
    Ok(())
}

/// Marks the key revoked unless it is already (or absent): whether it did.
fn revoke(conn: &Connection, tenant_id: &str, id: &str, at: &str) -> InfraResult<bool> {
    let doc: Option<String> = conn
        .prepare_cached("SELECT doc FROM api_keys WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut query| {
            query
                .query_row(params![tenant_id, id], |row| row.get(0))
                .optional()
        })
        .map_err(db_error("revoke api key"))?;
    let Some(mut key) = doc.as_deref().map(from_doc::<ApiKeyRecord>).transpose()? else {
        return Ok(false);
    };
    if key.is_revoked() {
        return Ok(false);
    }
    key.revoked_at = Some(at.to_string());
    let doc = to_doc(&key)?;
    conn.prepare_cached("UPDATE api_keys SET doc = ?3 WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut update| update.execute(params![tenant_id, id, doc]))
        .map_err(db_error("revoke api key"))?;
    Ok(true)
}
