//! The contract every store adapter passes, one suite per port: tenants (and their
//! settings), jobs, the inventory. The racing cases are in `concurrent_contracts`.

use std::collections::BTreeMap;

use crate::domain::*;
use crate::ports::{DeviceInsert, InventoryStore, JobStore, KeyInsert, OpenJob, TenantStore};

pub(crate) fn profile(tenant: &Tenant, name: &str) -> EnrollmentProfile {
    EnrollmentProfile {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        name: name.into(),
        enrollment_method: EnrollmentMethod::CertificateImport,
        format: None,
        mapping: None,
        created_at: "2026-01-01T00:00:00.000000Z".into(),
    }
}

pub(crate) fn job(tenant: &Tenant, profile: &EnrollmentProfile) -> Job {
    let id = uuid::Uuid::new_v4().to_string();
    let import = Import::Certificates(CertificateImport {
        random_id: "123456789012".into(),
        profile_id: profile.id.clone(),
        profile_name: profile.name.clone(),
        original_file_name: "a b+c.zip".into(),
        format: UploadFormat::Pem,
        original_size: 42,
        enrollment_context: EnrollmentContext {
            ip_address: Some("127.0.0.1".into()),
            authorization: "key-id".into(),
            auth_type: "API_KEY".into(),
        },
        mapping: None,
        shard_plan: None,
    });
    let object_key = format!("certificate-import/{}/{id}/a b+c.zip", tenant.id);
    Job {
        total: 3,
        ..Job::open(
            &tenant.id,
            id,
            object_key,
            "2026-01-01T00:00:00.000000Z".into(),
            import,
        )
    }
}

pub(crate) fn device(tenant: &Tenant, job_id: &str, identifier: &str, fingerprint: &str) -> NewDevice {
    let device = DeviceRecord {
        tenant_id: tenant.id.clone(),
        device_identifier: identifier.into(),
        fingerprint_sha256: fingerprint.into(),
        certificate: "AAEC".into(),
        fields: BTreeMap::from([("site".to_string(), "Oslo".to_string())]),
        profile_id: "p".into(),
        job_id: job_id.into(),
        created_at: "2026-01-01T00:00:00.000000Z".into(),
    };
    let certificate = certificate(&tenant.id, fingerprint, "2030-01-01T00:00:00Z");
    NewDevice { device, certificate }
}

/// A certificate record with made-up facts: SHA-1 and serial derived from `fingerprint`.
pub(crate) fn certificate(tenant: &str, fingerprint: &str, validity_end: &str) -> CertificateRecord {
    CertificateRecord {
        tenant_id: tenant.into(),
        id: certificate_id(tenant, fingerprint),
        fingerprint_sha256: fingerprint.into(),
        fingerprint_sha1: format!("SHA1-{}", fingerprint.to_uppercase()),
        serial_number: format!("SERIAL-{}", fingerprint.to_uppercase()),
        validity_end: validity_end.into(),
        certificate: "AAEC".into(),
        created_at: "2026-01-01T00:00:00.000000Z".into(),
    }
}

const END: &str = "2030-01-01T00:00:00Z";

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
        encryption_key_id: "dek".into(),
        job_id: job.into(),
        ordinal,
        imported_at: "2026-01-01T00:00:00.000000Z".into(),
    }
}

pub(crate) fn keystore_job(tenant: &str, created: &str) -> Job {
    let import = Import::Keystores(KeystoreImport {
        edge_instance_id: id(),
        encryption_key_id: id(),
    });
    let object_key = "keystore-import/x.json".to_string();
    Job {
        total: 3,
        reserved_items: 3,
        ..Job::open(tenant, id(), object_key, created.into(), import)
    }
}

fn open(kind: JobKind, tenant: &str, job_id: &str) -> OpenJob {
    OpenJob {
        kind,
        tenant_id: tenant.into(),
        job_id: job_id.into(),
    }
}

pub async fn tenant_store_contract(store: &dyn TenantStore) {
    // Tenants (their API keys: `api_key_contracts`).
    let tenant = Tenant::new("contract A");
    let other = Tenant::new("contract B");
    store.put_tenant(&tenant).await.unwrap();
    store.put_tenant(&other).await.unwrap();
    assert_eq!(store.get_tenant(&tenant.id).await.unwrap(), Some(tenant.clone()));
    assert_eq!(store.get_tenant("no-such-tenant").await.unwrap(), None);

    // Profiles are per tenant, and replaced by a second put.
    let mut p = profile(&tenant, "meters");
    store.put_profile(&p).await.unwrap();
    assert_eq!(
        store.get_profile(&tenant.id, &p.id).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(store.get_profile(&other.id, &p.id).await.unwrap(), None);
    p.format = Some(UploadFormat::Xml);
    p.mapping =
        Some(FieldMapping::parse(&serde_json::json!({"device_identifier": "subject.common_name"})).unwrap());
    store.put_profile(&p).await.unwrap();
    assert_eq!(
        store.get_profile(&tenant.id, &p.id).await.unwrap(),
        Some(p.clone())
    );

    let (a, b) = (tenant.id.clone(), other.id.clone());
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
}

pub async fn job_store_contract(store: &dyn JobStore) {
    let tenant = Tenant::new("contract A");
    let other = Tenant::new("contract B");
    let (a, b) = (tenant.id.clone(), other.id.clone());
    let p = profile(&tenant, "meters");

    // Jobs of both kinds are created once, and read only by their tenant.
    let mut j = job(&tenant, &p);
    let unlimited = WorkQuota::UNLIMITED;
    store.create_job(&j, unlimited).await.unwrap();
    assert_eq!(store.get_job(&a, &j.id).await.unwrap(), Some(j.clone()));
    assert_eq!(store.get_job(&b, &j.id).await.unwrap(), None);
    assert!(
        store.create_job(&j, unlimited).await.is_err(),
        "a job is created once"
    );
    let ks = keystore_job(&a, "2026-01-01T00:15:00.000000Z");
    store.create_job(&ks, unlimited).await.unwrap();
    assert!(
        store.create_job(&ks, unlimited).await.is_err(),
        "a job is created once"
    );
    assert_eq!(store.get_job(&a, &ks.id).await.unwrap(), Some(ks.clone()));
    assert_eq!(store.get_job(&b, &ks.id).await.unwrap(), None);
    let mut newer = job(&tenant, &p);
    newer.created_at = "2026-01-01T00:30:00.000000Z".into();
    newer.active_at = newer.created_at.clone();
    store.create_job(&newer, unlimited).await.unwrap();

    // Unfinished jobs of both kinds are listed for the sweeper, oldest first.
    assert_eq!(
        store.open_jobs("2026-01-01T01:00:00.000000Z").await.unwrap(),
        vec![
            open(JobKind::CertificateImport, &a, &j.id),
            open(JobKind::KeystoreImport, &a, &ks.id),
            open(JobKind::CertificateImport, &a, &newer.id),
        ]
    );
    assert_eq!(
        store.open_jobs("2026-01-01T00:10:00.000000Z").await.unwrap(),
        vec![open(JobKind::CertificateImport, &a, &j.id)]
    );

    // The sweeper lists by last activity: a job that moved forward leaves the old end.
    newer.active_at = "2026-01-01T03:00:00.000000Z".into();
    assert!(store.update_open_job(&newer).await.unwrap());
    assert_eq!(
        store.open_jobs("2026-01-01T02:00:00.000000Z").await.unwrap(),
        vec![
            open(JobKind::CertificateImport, &a, &j.id),
            open(JobKind::KeystoreImport, &a, &ks.id),
        ]
    );
    assert_eq!(
        store
            .open_jobs("2026-01-01T04:00:00.000000Z")
            .await
            .unwrap()
            .len(),
        3
    );

    // An open job can be rewritten (and stays listed); an ended one cannot.
    let counted = Job {
        total: 30,
        ..ks.clone()
    };
    assert!(store.update_open_job(&counted).await.unwrap());
    let finished = Job {
        state: JobState::Completed,
        ..counted.clone()
    };
    assert!(store.finish_job(&finished).await.unwrap());
    assert!(
        !store.update_open_job(&counted).await.unwrap(),
        "an ended job stays ended"
    );
    assert!(!store.finish_job(&finished).await.unwrap(), "a job ends once");
    assert_eq!(store.get_job(&a, &ks.id).await.unwrap(), Some(finished.clone()));
    newer.state = JobState::Failed;
    newer.failure = Some(JobFailure {
        reason: FailureReason::NotProcessed,
        message: "swept".into(),
    });
    assert!(store.finish_job(&newer).await.unwrap());
    j.state = JobState::Completed;
    j.failed = 2;
    j.processing_time_ms = 17;
    assert!(store.finish_job(&j).await.unwrap());
    assert_eq!(store.get_job(&a, &j.id).await.unwrap(), Some(j.clone()));
    assert_eq!(store.get_job(&a, &newer.id).await.unwrap(), Some(newer.clone()));
    // Writes that would end an open job through `update_open_job`, or leave one open
    // through `finish_job`, are refused outright.
    assert!(store.update_open_job(&finished).await.is_err());
    assert!(store.finish_job(&counted).await.is_err());
    // An update never creates a job.
    assert!(!store.update_open_job(&job(&tenant, &p)).await.unwrap());
    let never_created = keystore_job(&a, "2026-01-01T00:00:00.000000Z");
    assert!(!store.update_open_job(&never_created).await.unwrap());
    assert_eq!(store.get_job(&a, &j.id).await.unwrap(), Some(j.clone()));
    assert_eq!(
        store.open_jobs("2026-01-02T00:00:00.000000Z").await.unwrap(),
        vec![]
    );

    // Per-item outcomes, idempotent by ordinal, listed in order, a page at a time.
    let failures: Vec<CertFailure> = [12u32, 3, 7]
        .iter()
        .map(|&ordinal| CertFailure {
            ordinal,
            file_name: Some("a.pem".into()),
            index: Some(ordinal - 1),
            reason: FailureReason::Duplicate,
            message: format!("failure {ordinal}"),
        })
        .collect();
    store
        .put_certificate_failures(&tenant.id, &j.id, &failures)
        .await
        .unwrap();
    store
        .put_certificate_failures(&tenant.id, &j.id, &failures)
        .await
        .unwrap();
    let ordinals = |page: &[CertFailure]| page.iter().map(|f| f.ordinal).collect::<Vec<_>>();
    let listed = store
        .certificate_failures(&tenant.id, &j.id, None, 10)
        .await
        .unwrap();
    assert_eq!(ordinals(&listed), vec![3, 7, 12]);
    assert_eq!(listed[2], failures[0]);
    let first = store
        .certificate_failures(&tenant.id, &j.id, None, 2)
        .await
        .unwrap();
    assert_eq!(ordinals(&first), vec![3, 7]);
    let rest = store
        .certificate_failures(&tenant.id, &j.id, Some(7), 2)
        .await
        .unwrap();
    assert_eq!(ordinals(&rest), vec![12]);
    assert!(store
        .certificate_failures(&other.id, &j.id, None, 10)
        .await
        .unwrap()
        .is_empty());

    let job = ks;
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
}

pub async fn inventory_store_contract(store: &dyn InventoryStore) {
    let tenant = Tenant::new("contract A");
    let other = Tenant::new("contract B");
    let (a, b) = (tenant.id.clone(), other.id.clone());
    // Devices: unique by identifier and by fingerprint, per tenant; a job recognises its own writes.
    let batch: Vec<NewDevice> = (0..120)
        .map(|i| device(&tenant, "job-1", &format!("dev-{i}"), &format!("fp-{i}")))
        .collect();
    let outcomes = store.insert_devices(&batch).await.unwrap();
    assert_eq!(outcomes, vec![DeviceInsert::Inserted; 120]);
    let again = store.insert_devices(&batch).await.unwrap();
    assert_eq!(again, vec![DeviceInsert::AlreadyWrittenByThisJob; 120]);
    let clashes = vec![
        device(&tenant, "job-2", "dev-new", "fp-1"),
        device(&tenant, "job-2", "dev-2", "fp-new"),
        device(&tenant, "job-2", "dev-3", "fp-3"),
        device(&tenant, "job-2", "dev-fresh", "fp-fresh"),
    ];
    assert_eq!(
        store.insert_devices(&clashes).await.unwrap(),
        vec![
            DeviceInsert::DuplicateCertificate,
            DeviceInsert::DeviceIdentifierTaken,
            DeviceInsert::DuplicateCertificate,
            DeviceInsert::Inserted,
        ]
    );
    assert_eq!(
        store.get_device(&tenant.id, "dev-7").await.unwrap(),
        Some(batch[7].device.clone())
    );
    assert_eq!(store.get_device(&tenant.id, "dev-new").await.unwrap(), None);
    let theirs = vec![device(&other, "job-3", "dev-1", "fp-1")];
    assert_eq!(
        store.insert_devices(&theirs).await.unwrap(),
        vec![DeviceInsert::Inserted]
    );
    assert_eq!(
        store.get_device(&other.id, "dev-1").await.unwrap(),
        Some(theirs[0].device.clone())
    );
    assert!(store.insert_devices(&[]).await.unwrap().is_empty());
    let job = keystore_job(&a, "2026-01-01T00:00:00.000000Z");
    // The private-key inventory.
    let fp = id();
    let record = stored_key(&a, &fp, &job.id, 4);
    assert_eq!(
        store
            .insert_stored_key(&record, &certificate(&a, &fp, END))
            .await
            .unwrap(),
        KeyInsert::Inserted
    );
    assert_eq!(
        store
            .insert_stored_key(&record, &certificate(&a, &fp, END))
            .await
            .unwrap(),
        KeyInsert::AlreadyWrittenByThisItem
    );
    assert_eq!(
        store
            .insert_stored_key(&stored_key(&a, &fp, &job.id, 5), &certificate(&a, &fp, END))
            .await
            .unwrap(),
        KeyInsert::AlreadyPresent
    );
    assert_eq!(
        store
            .insert_stored_key(&stored_key(&a, &fp, "other-job", 4), &certificate(&a, &fp, END))
            .await
            .unwrap(),
        KeyInsert::AlreadyPresent
    );
    assert_eq!(
        store
            .insert_stored_key(&stored_key(&b, &fp, "other-job", 4), &certificate(&b, &fp, END))
            .await
            .unwrap(),
        KeyInsert::Inserted
    );
    assert_eq!(store.get_stored_key(&a, &fp).await.unwrap(), Some(record));
    assert_eq!(store.get_stored_key(&a, "absent").await.unwrap(), None);
}
