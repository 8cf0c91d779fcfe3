//! `TenantStore` on the single table (layout in `super`, keys in `keys`).

use async_trait::async_trait;
use certport_core::domain::{
    ApiKeyHash, ApiKeyRecord, EdgeInstance, EncryptionKey, EnrollmentProfile, Tenant, TrustedCa,
};
use certport_core::ports::{InfraError, InfraResult, TenantStore};

use crate::adapters::dynamodb::keys::{
    api_key_key, dek_key, edge_key, edge_listing_key, profile_key, tenant_key, tenant_pk,
    trusted_ca_guard_key, trusted_ca_listing_key, trusted_ca_listing_pk, EDGE_LISTING_PREFIX,
    TRUSTED_CA_LISTING_PREFIX,
};
use crate::adapters::dynamodb::transactions::{Cancelled, TransactPut};
use crate::adapters::dynamodb::{backoff, with_doc};
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

    async fn put_api_key(&self, record: &ApiKeyRecord) -> InfraResult<()> {
        let item = with_doc(api_key_key(&record.hash.0), record)?;
        self.put("put api key", item).await
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        self.get("find api key", api_key_key(&hash.0)).await
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
