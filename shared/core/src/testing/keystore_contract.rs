//! The contract every `KeystoreStore` adapter passes.

use crate::domain::*;
use crate::ports::{KeyInsert, KeystoreStore};

pub(crate) fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn edge(tenant: &str, n: u32) -> EdgeInstance {
    EdgeInstance {
        id: id(),
        tenant_id: tenant.into(),
        name: format!("edge {n}"),
        encryption_key_id: id(),
        edge_status: "ACTIVE".into(),
        created_at: format!("2026-01-01T00:00:0{n}.000000Z"),
    }
}

fn result(ordinal: u32, status: ItemStatus) -> ItemResult {
    ItemResult {
        ordinal,
        certificate: "AAEC".into(),
        fingerprint: "AB".into(),
        status,
        reason_code: (status == ItemStatus::Failed).then_some(ItemFailureReason::WrongPassword),
        reason: String::new(),
    }
}

pub(crate) fn stored_key(tenant: &str, fp: &str, job: &str, ordinal: u32) -> StoredKeyRecord {
    StoredKeyRecord {
        tenant_id: tenant.into(),
        fingerprint_sha256: fp.into(),
        fingerprint_sha1: "AB".into(),
        subject: "CN=x".into(),
        key_algorithm: "RSA".into(),
        chain: vec!["AAEC".into()],
        private_key_object: format!("private-keys/{tenant}/{fp}.json"),
        job_id: job.into(),
        ordinal,
        imported_at: "2026-01-01T00:00:00.000000Z".into(),
    }
}

pub async fn keystore_store_contract(store: &dyn KeystoreStore) {
    let (a, b) = (id(), id());

    // Edge instances and DEKs, tenant-scoped.
    let (e1, e2) = (edge(&a, 1), edge(&a, 2));
    store.put_edge_instance(&e2).await.unwrap();
    store.put_edge_instance(&e1).await.unwrap();
    store.put_edge_instance(&edge(&b, 3)).await.unwrap();
    assert_eq!(
        store.list_edge_instances(&a).await.unwrap(),
        vec![e1.clone(), e2.clone()]
    );
    assert_eq!(
        store.get_edge_instance(&a, &e1.id).await.unwrap(),
        Some(e1.clone())
    );
    assert_eq!(store.get_edge_instance(&b, &e1.id).await.unwrap(), None);
    let key = EncryptionKey {
        id: e1.encryption_key_id.clone(),
        tenant_id: a.clone(),
        edge_instance_id: e1.id.clone(),
        public_key: "cHVi".into(),
        wrapped_private_key: "d3JhcHBlZA==".into(),
        created_at: "2026-01-01T00:00:00.000000Z".into(),
    };
    store.put_encryption_key(&key).await.unwrap();
    assert_eq!(
        store.get_encryption_key(&a, &key.id).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(store.get_encryption_key(&b, &key.id).await.unwrap(), None);

    // Trusted CAs: unique per tenant by fingerprint.
    let ca = TrustedCa {
        id: id(),
        tenant_id: a.clone(),
        fingerprint: "00FF".into(),
        subject: "CN=root".into(),
        certificate: "AAEC".into(),
        created_at: "2026-01-01T00:00:00.000000Z".into(),
    };
    assert!(store.insert_trusted_ca(&ca).await.unwrap());
    assert!(!store
        .insert_trusted_ca(&TrustedCa {
            id: id(),
            ..ca.clone()
        })
        .await
        .unwrap());
    assert!(store
        .insert_trusted_ca(&TrustedCa {
            id: id(),
            tenant_id: b.clone(),
            ..ca.clone()
        })
        .await
        .unwrap());
    assert_eq!(store.list_trusted_cas(&a).await.unwrap(), vec![ca.clone()]);

    // Jobs and their results.
    let job = KeystoreImportJob {
        id: id(),
        tenant_id: a.clone(),
        edge_instance_id: e1.id.clone(),
        encryption_key_id: key.id.clone(),
        object_key: "keystore-import/x.json".into(),
        item_count: 3,
        status: KeystoreJobStatus::Processing,
        creation_date: "2026-01-01T00:00:00.000000Z".into(),
        failure_message: None,
    };
    store.create_keystore_job(&job).await.unwrap();
    assert!(
        store.create_keystore_job(&job).await.is_err(),
        "a job is created once"
    );
    assert_eq!(
        store.get_keystore_job(&a, &job.id).await.unwrap(),
        Some(job.clone())
    );
    assert_eq!(store.get_keystore_job(&b, &job.id).await.unwrap(), None);
    assert_eq!(
        store
            .open_keystore_jobs("2026-01-01T00:00:01.000000Z")
            .await
            .unwrap(),
        vec![(a.clone(), job.id.clone())]
    );
    assert_eq!(
        store
            .open_keystore_jobs("2026-01-01T00:00:00.000000Z")
            .await
            .unwrap(),
        vec![]
    );
    let finished = KeystoreImportJob {
        status: KeystoreJobStatus::Completed,
        ..job.clone()
    };
    let counted = KeystoreImportJob {
        item_count: 30,
        ..job.clone()
    };
    assert!(store.update_open_keystore_job(&counted).await.unwrap());
    assert_eq!(
        store
            .open_keystore_jobs("2026-01-02T00:00:00.000000Z")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store.update_open_keystore_job(&finished).await.unwrap());
    assert_eq!(
        store
            .open_keystore_jobs("2026-01-02T00:00:00.000000Z")
            .await
            .unwrap(),
        vec![]
    );
    assert!(
        !store.update_open_keystore_job(&job).await.unwrap(),
        "an ended job stays ended"
    );
    assert_eq!(store.get_keystore_job(&a, &job.id).await.unwrap(), Some(finished));
    let results: Vec<ItemResult> = (0..30)
        .rev()
        .map(|i| {
            result(
                i,
                if i % 2 == 0 {
                    ItemStatus::Imported
                } else {
                    ItemStatus::Failed
                },
            )
        })
        .collect();
    store.put_item_results(&a, &job.id, &results).await.unwrap();
    store.put_item_results(&a, &job.id, &results[..3]).await.unwrap();
    let listed = store.item_results(&a, &job.id).await.unwrap();
    assert_eq!(listed.len(), 30);
    assert!(listed.iter().enumerate().all(|(i, r)| r.ordinal == i as u32));
    assert!(store.item_results(&b, &job.id).await.unwrap().is_empty());

    // The private-key inventory.
    let fp = id();
    let record = stored_key(&a, &fp, &job.id, 4);
    assert_eq!(
        store.insert_stored_key(&record).await.unwrap(),
        KeyInsert::Inserted
    );
    assert_eq!(
        store.insert_stored_key(&record).await.unwrap(),
        KeyInsert::AlreadyWrittenByThisItem
    );
    assert_eq!(
        store
            .insert_stored_key(&stored_key(&a, &fp, &job.id, 5))
            .await
            .unwrap(),
        KeyInsert::AlreadyPresent
    );
    assert_eq!(
        store
            .insert_stored_key(&stored_key(&a, &fp, "other-job", 4))
            .await
            .unwrap(),
        KeyInsert::AlreadyPresent
    );
    assert_eq!(
        store
            .insert_stored_key(&stored_key(&b, &fp, "other-job", 4))
            .await
            .unwrap(),
        KeyInsert::Inserted
    );
    assert_eq!(store.get_stored_key(&a, &fp).await.unwrap(), Some(record));
    assert_eq!(store.get_stored_key(&a, "absent").await.unwrap(), None);
}
