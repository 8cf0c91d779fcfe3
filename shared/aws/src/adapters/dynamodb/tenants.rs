//! `TenantStore` on the single table (layout in `super`, keys in `keys`).

use async_trait::async_trait;
use certport_core::domain::{
    ApiKeyHash, ApiKeyRecord, AuditEvent, EdgeInstance, EncryptionKey, EnrollmentProfile, Tenant, TrustedCa,
};
use certport_core::ports::{InfraError, InfraResult, TenantStore};

use crate::adapters::dynamodb::keys::{
    api_key_key, api_key_listing_key, api_key_listing_pk, audit_pk, dek_key, edge_key, edge_listing_key, key,
    profile_key, tenant_key, tenant_pk, trusted_ca_guard_key, trusted_ca_listing_key, trusted_ca_listing_pk,
    API_KEY_LISTING_PREFIX, EDGE_LISTING_PREFIX, TRUSTED_CA_LISTING_PREFIX,
};
use crate::adapters::dynamodb::transactions::{Cancelled, TransactPut, TransactUpdate, TransactWrite};
use crate::adapters::dynamodb::{backoff, s, with_doc};
use crate::DynamoStore;

#[async_trait]
impl TenantStore for DynamoStore {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()> {
        let item = with_doc(tenant_key(&tenant.id), tenant)?;
        self.put("put tenant", item).await
    }

    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>> {
        self.get("get tenant", tenant_key(tenant_id)).await
    }

    async fn put_api_key(&self, record: &ApiKeyRecord, event: &AuditEvent) -> InfraResult<()> {
        let mut conflicts = 0;
        loop {
            let mut writes = new_api_key(record)?;
            writes.push(audit_write(event)?);
            match self.transact("put api key", writes).await? {
                None => return Ok(()),
                Some(reasons) if reasons.iter().any(|r| matches!(r, Cancelled::ConditionFailed(_))) => {
                    return Err(InfraError::permanent(
                        "put api key",
                        "a key with this id or hash exists",
                    ))
                }
                Some(_) => {
                    conflicts += 1;
                    backoff("put api key", conflicts).await?;
                }
            }
        }
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        self.get("find api key", api_key_key(&hash.0)).await
    }

    async fn get_api_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<ApiKeyRecord>> {
        self.get("get api key", api_key_listing_key(tenant_id, id)).await
    }

    async fn list_api_keys(&self, tenant_id: &str) -> InfraResult<Vec<ApiKeyRecord>> {
        let mut keys: Vec<ApiKeyRecord> = self
            .query_prefix(
                "list api keys",
                api_key_listing_pk(tenant_id),
                API_KEY_LISTING_PREFIX,
            )
            .await?;
        keys.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(keys)
    }

    async fn revoke_api_key(&self, tenant_id: &str, id: &str, event: &AuditEvent) -> InfraResult<bool> {
        self.revoke_and_add("revoke api key", tenant_id, id, &event.at, None, event)
            .await
    }

    async fn replace_api_key(
        &self,
        tenant_id: &str,
        id: &str,
        replacement: &ApiKeyRecord,
        event: &AuditEvent,
    ) -> InfraResult<bool> {
        let at = replacement.created_at.clone();
        self.revoke_and_add("rotate api key", tenant_id, id, &at, Some(replacement), event)
            .await
    }

    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()> {
        let item = profile_key(&profile.tenant_id, &profile.id);
        self.put("put profile", with_doc(item, profile)?).await
    }

    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>> {
        self.get("get profile", profile_key(tenant_id, id)).await
    }

    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()> {
        // Sort keys of edges carry the creation time so a query lists them in order.
        let item = edge_listing_key(&edge.tenant_id, &edge.created_at, &edge.id);
        let by_id = edge_key(&edge.tenant_id, &edge.id);
        let puts = vec![
            TransactPut::new(with_doc(item, edge)?).into(),
            TransactPut::new(with_doc(by_id, edge)?).into(),
        ];
        match self.transact("put edge instance", puts).await? {
            None => Ok(()),
            Some(_) => Err(InfraError::transient(
                "put edge instance",
                "another write to this edge instance was in progress; try again",
            )),
        }
    }

    async fn get_edge_instance(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EdgeInstance>> {
        self.get("get edge instance", edge_key(tenant_id, id)).await
    }

    async fn list_edge_instances(&self, tenant_id: &str) -> InfraResult<Vec<EdgeInstance>> {
        self.query_prefix("list edge instances", tenant_pk(tenant_id), EDGE_LISTING_PREFIX)
            .await
    }

    async fn put_encryption_key(&self, dek: &EncryptionKey) -> InfraResult<()> {
        let item = dek_key(&dek.tenant_id, &dek.id);
        self.put("put encryption key", with_doc(item, dek)?).await
    }

    async fn get_encryption_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EncryptionKey>> {
        self.get("get encryption key", dek_key(tenant_id, id)).await
    }

    async fn insert_trusted_ca(&self, ca: &TrustedCa) -> InfraResult<bool> {
        // The guard item makes the fingerprint unique; the listing item keeps creation
        // order. One transaction writes both, or neither.
        let guard = trusted_ca_guard_key(&ca.tenant_id, &ca.fingerprint);
        let listing = trusted_ca_listing_key(&ca.tenant_id, &ca.created_at, &ca.fingerprint);
        let mut conflicts = 0;
        loop {
            let puts = vec![
                TransactPut::new_key(with_doc(guard.clone(), ca)?).into(),
                TransactPut::new(with_doc(listing.clone(), ca)?).into(),
            ];
            match self.transact("insert trusted ca", puts).await? {
                None => return Ok(true),
                Some(reasons) if matches!(reasons[0], Cancelled::ConditionFailed(_)) => return Ok(false),
                Some(_) => {
                    conflicts += 1;
                    backoff("insert trusted ca", conflicts).await?;
                }
            }
        }
    }

    async fn list_trusted_cas(&self, tenant_id: &str) -> InfraResult<Vec<TrustedCa>> {
        self.query_prefix(
            "list trusted cas",
            trusted_ca_listing_pk(tenant_id),
            TRUSTED_CA_LISTING_PREFIX,
        )
        .await
    }
}

/// An audit event, written with the key change it records.
fn audit_write(event: &AuditEvent) -> InfraResult<TransactWrite> {
    let item = with_doc(key(audit_pk(&event.tenant_id), event.sort_key()), event)?;
    Ok(TransactPut::new_key(item).into())
}

/// The two items of a new key, each only if its key is unused.
fn new_api_key(record: &ApiKeyRecord) -> InfraResult<Vec<TransactWrite>> {
    let by_hash = with_doc(api_key_key(&record.hash.0), record)?;
    let by_id = with_doc(api_key_listing_key(&record.tenant_id, &record.id), record)?;
    Ok(vec![
        TransactPut::new_key(by_hash).into(),
        TransactPut::new_key(by_id).into(),
    ])
}

impl DynamoStore {
    /// Revokes a key (both its items, only if its listing item is not revoked yet) and,
    /// in the same transaction, adds `replacement` and records `event`.
    async fn revoke_and_add(
        &self,
        operation: &'static str,
        tenant_id: &str,
        id: &str,
        at: &str,
        replacement: Option<&ApiKeyRecord>,
        event: &AuditEvent,
    ) -> InfraResult<bool> {
        let mut conflicts = 0;
        loop {
            let Some(mut key) = self.get_api_key(tenant_id, id).await? else {
                return Ok(false);
            };
            if key.is_revoked() {
                return Ok(false);
            }
            key.revoked_at = Some(at.to_string());
            let doc = with_doc(Default::default(), &key)?
                .remove("doc")
                .unwrap_or_else(|| s(""));
            let values = [(":doc".to_string(), doc), (":at".to_string(), s(at))];
            let revoke = |key_item, condition| {
                TransactWrite::from(TransactUpdate {
                    key: key_item,
                    expression: "SET doc = :doc, revoked_at = :at".into(),
                    values: values.clone().into(),
                    condition: Some(condition),
                })
            };
            let mut writes = vec![
                revoke(
                    api_key_listing_key(tenant_id, id),
                    "attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                ),
                revoke(api_key_key(&key.hash.0), "attribute_exists(pk)"),
            ];
            if let Some(replacement) = replacement {
                writes.extend(new_api_key(replacement)?);
            }
            writes.push(audit_write(event)?);
            match self.transact(operation, writes).await? {
                None => return Ok(true),
                Some(reasons) if matches!(reasons[0], Cancelled::ConditionFailed(_)) => return Ok(false),
                Some(reasons) if reasons.iter().any(|r| matches!(r, Cancelled::ConditionFailed(_))) => {
                    return Err(InfraError::permanent(
                        operation,
                        "the key's two items disagree, or the replacement exists already",
                    ))
                }
                Some(_) => {
                    conflicts += 1;
                    backoff(operation, conflicts).await?;
                }
            }
        }
    }
}
