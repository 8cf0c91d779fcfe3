//! `KeystoreStore` on the single DynamoDB table (layout in `dynamodb_record_store`).

use async_trait::async_trait;
use certport_core::domain::{
    EdgeInstance, EncryptionKey, ItemResult, KeystoreImportJob, KeystoreJobStatus, StoredKeyRecord, TrustedCa,
};
use certport_core::ports::{InfraError, InfraResult, KeyInsert, KeystoreStore};

use crate::dynamodb_record_store::{backoff, key, with_doc, Item, OPEN_JOB_CONDITION};
use crate::dynamodb_transactions::{Cancelled, TransactPut};
use crate::DynamoRecordStore;

fn tenant_pk(tenant_id: &str) -> String {
    format!("TENANT#{tenant_id}")
}

fn keystore_job_item(job: &KeystoreImportJob) -> Item {
    let item = key(tenant_pk(&job.tenant_id), format!("KSJOB#{}", job.id));
    if job.status == KeystoreJobStatus::Processing {
        DynamoRecordStore::open_job(item, "KSJOB", &job.creation_date, &job.tenant_id, &job.id)
    } else {
        item
    }
}

fn stored_key_key(tenant_id: &str, fingerprint: &str) -> Item {
    key(format!("KEY#{tenant_id}#{fingerprint}"), "KEY")
}

#[async_trait]
impl KeystoreStore for DynamoRecordStore {
    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()> {
        // Sort keys of edges carry the creation time so a query lists them in order.
        let item = key(
            tenant_pk(&edge.tenant_id),
            format!("EDGE#{}#{}", edge.created_at, edge.id),
        );
        let by_id = key(tenant_pk(&edge.tenant_id), format!("EDGEID#{}", edge.id));
        let puts = vec![
            TransactPut::new(with_doc(item, edge)?),
            TransactPut::new(with_doc(by_id, edge)?),
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
                TransactPut::new_key(with_doc(guard.clone(), ca)?),
                TransactPut::new(with_doc(listing.clone(), ca)?),
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

    async fn create_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<()> {
        let item = with_doc(keystore_job_item(job), job)?;
        self.create("create keystore job", item).await
    }

    async fn update_open_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<bool> {
        let item = with_doc(keystore_job_item(job), job)?;
        self.put_if("update open keystore job", item, OPEN_JOB_CONDITION)
            .await
    }

    async fn open_keystore_jobs(&self, created_before: &str) -> InfraResult<Vec<(String, String)>> {
        self.query_open_jobs("open keystore jobs", "KSJOB", created_before)
            .await
    }

    async fn get_keystore_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<KeystoreImportJob>> {
        self.get(
            "get keystore job",
            key(tenant_pk(tenant_id), format!("KSJOB#{id}")),
        )
        .await
    }

    async fn put_item_results(
        &self,
        tenant_id: &str,
        job_id: &str,
        results: &[ItemResult],
    ) -> InfraResult<()> {
        let items = results
            .iter()
            .map(|r| {
                let item = key(
                    format!("KSJOB#{tenant_id}#{job_id}"),
                    format!("ITEM#{:06}", r.ordinal),
                );
                with_doc(item, r)
            })
            .collect::<InfraResult<Vec<_>>>()?;
        self.batch_put(items).await
    }

    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>> {
        self.query_prefix(
            "list item results",
            format!("KSJOB#{tenant_id}#{job_id}"),
            "ITEM#",
        )
        .await
    }

    async fn insert_stored_key(&self, record: &StoredKeyRecord) -> InfraResult<KeyInsert> {
        let item = with_doc(
            stored_key_key(&record.tenant_id, &record.fingerprint_sha256),
            record,
        )?;
        if self.put_new("insert stored key", item).await? {
            return Ok(KeyInsert::Inserted);
        }
        let existing: Option<StoredKeyRecord> = self
            .get(
                "insert stored key",
                stored_key_key(&record.tenant_id, &record.fingerprint_sha256),
            )
            .await?;
        Ok(match existing {
            Some(e) if e.job_id == record.job_id && e.ordinal == record.ordinal => {
                KeyInsert::AlreadyWrittenByThisItem
            }
            _ => KeyInsert::AlreadyPresent,
        })
    }

    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint_sha256: &str,
    ) -> InfraResult<Option<StoredKeyRecord>> {
        self.get("get stored key", stored_key_key(tenant_id, fingerprint_sha256))
            .await
    }
}
