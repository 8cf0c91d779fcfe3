//! `TenantStore` on the single table (layout in `dynamodb_store`).

use async_trait::async_trait;
use certport_core::domain::{
    ApiKeyHash, ApiKeyRecord, EdgeInstance, EncryptionKey, EnrollmentProfile, Tenant, TrustedCa,
};
use certport_core::ports::{InfraError, InfraResult, TenantStore};

use crate::dynamodb_store::{backoff, key, tenant_pk, with_doc};
use crate::dynamodb_transactions::{Cancelled, TransactPut};
use crate::DynamoStore;

#[async_trait]
impl TenantStore for DynamoStore {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()> {
        let item = with_doc(key(format!("TENANT#{}", tenant.id), "TENANT"), tenant)?;
        self.put("put tenant", item).await
    }

    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>> {
        self.get("get tenant", key(format!("TENANT#{tenant_id}"), "TENANT"))
            .await
    }

    async fn put_api_key(&self, record: &ApiKeyRecord) -> InfraResult<()> {
        let item = with_doc(key(format!("APIKEY#{}", record.hash.0), "APIKEY"), record)?;
        self.put("put api key", item).await
    }

    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        self.get("find api key", key(format!("APIKEY#{}", hash.0), "APIKEY"))
            .await
    }

    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()> {
        let item = key(
            format!("TENANT#{}", profile.tenant_id),
            format!("PROFILE#{}", profile.id),
        );
        self.put("put profile", with_doc(item, profile)?).await
    }

    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>> {
        self.get(
            "get profile",
            key(format!("TENANT#{tenant_id}"), format!("PROFILE#{id}")),
        )
        .await
    }

    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()> {
        // Sort keys of edges carry the creation time so a query lists them in order.
        let item = key(
            tenant_pk(&edge.tenant_id),
            format!("EDGE#{}#{}", edge.created_at, edge.id),
        );
        let by_id = key(tenant_pk(&edge.tenant_id), format!("EDGEID#{}", edge.id));
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
        self.get(
            "get edge instance",
            key(tenant_pk(tenant_id), format!("EDGEID#{id}")),
        )
        .await
    }

    async fn list_edge_instances(&self, tenant_id: &str) -> InfraResult<Vec<EdgeInstance>> {
        self.query_prefix("list edge instances", tenant_pk(tenant_id), "EDGE#")
            .await
    }

    async fn put_encryption_key(&self, dek: &EncryptionKey) -> InfraResult<()> {
        let item = key(tenant_pk(&dek.tenant_id), format!("DEK#{}", dek.id));
        self.put("put encryption key", with_doc(item, dek)?).await
    }

    async fn get_encryption_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EncryptionKey>> {
        self.get(
            "get encryption key",
            key(tenant_pk(tenant_id), format!("DEK#{id}")),
        )
        .await
    }

    async fn insert_trusted_ca(&self, ca: &TrustedCa) -> InfraResult<bool> {
        // The guard item makes the fingerprint unique; the listing item keeps creation
        // order. One transaction writes both, or neither.
        let guard = key(tenant_pk(&ca.tenant_id), format!("TRUSTEDCA#{}", ca.fingerprint));
        let listing = key(
            format!("TRUSTEDCA#{}", ca.tenant_id),
            format!("CA#{}#{}", ca.created_at, ca.fingerprint),
        );
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
        self.query_prefix("list trusted cas", format!("TRUSTEDCA#{tenant_id}"), "CA#")
            .await
    }
}
