//! Contract suites: every adapter of a port must pass the same one.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::domain::*;
use crate::ports::{DeviceInsert, EncryptionContext, KeyService, ObjectStore, RecordStore};

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

pub(crate) fn job(tenant: &Tenant, profile: &EnrollmentProfile) -> CertImportJob {
    let id = uuid::Uuid::new_v4().to_string();
    CertImportJob {
        object_key: format!("certificate-import/{}/{id}/a b+c.zip", tenant.id),
        id,
        tenant_id: tenant.id.clone(),
        random_id: "123456789012".into(),
        profile_id: profile.id.clone(),
        profile_name: profile.name.clone(),
        original_file_name: "a b+c.zip".into(),
        format: UploadFormat::Pem,
        original_size: 42,
        created_at: "2026-01-01T00:00:00.000000Z".into(),
        status: JobStatus::Pending,
        enrollment_context: EnrollmentContext {
            ip_address: Some("127.0.0.1".into()),
            authorization: "key-id".into(),
            auth_type: "API_KEY".into(),
        },
        total_certificates: 3,
        failed_certificates: 0,
        processing_time_ms: 0,
        result: None,
        failure_message: None,
        failure_reason: None,
    }
}

pub(crate) fn device(tenant: &Tenant, job_id: &str, identifier: &str, fingerprint: &str) -> DeviceRecord {
    DeviceRecord {
        tenant_id: tenant.id.clone(),
        device_identifier: identifier.into(),
        fingerprint_sha256: fingerprint.into(),
        certificate: "AAEC".into(),
        fields: BTreeMap::from([("site".to_string(), "Oslo".to_string())]),
        profile_id: "p".into(),
        job_id: job_id.into(),
        created_at: "2026-01-01T00:00:00.000000Z".into(),
    }
}

pub async fn record_store_contract(store: &dyn RecordStore) {
    // Tenants and API keys.
    let tenant = Tenant::new("contract A");
    let other = Tenant::new("contract B");
    store.put_tenant(&tenant).await.unwrap();
    store.put_tenant(&other).await.unwrap();
    assert_eq!(store.get_tenant(&tenant.id).await.unwrap(), Some(tenant.clone()));
    assert_eq!(store.get_tenant("no-such-tenant").await.unwrap(), None);
    let key = ApiKey::generate();
    let record = ApiKeyRecord::for_key(&key, &tenant.id, "contract");
    store.put_api_key(&record).await.unwrap();
    assert_eq!(store.find_api_key(&key.hash()).await.unwrap(), Some(record));
    assert_eq!(
        store.find_api_key(&ApiKey::generate().hash()).await.unwrap(),
        None
    );

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

    // Jobs and their failures.
    let mut j = job(&tenant, &p);
    store.create_job(&j).await.unwrap();
    assert_eq!(store.get_job(&tenant.id, &j.id).await.unwrap(), Some(j.clone()));
    assert_eq!(store.get_job(&other.id, &j.id).await.unwrap(), None);
    assert!(store.create_job(&j).await.is_err(), "a job is created once");
    // Unfinished jobs are listed for the sweeper by creation time; finished ones are not.
    let mut newer = job(&tenant, &p);
    newer.created_at = "2026-01-01T00:30:00.000000Z".into();
    store.create_job(&newer).await.unwrap();
    assert_eq!(
        store.open_jobs("2026-01-01T01:00:00.000000Z").await.unwrap(),
        vec![
            (tenant.id.clone(), j.id.clone()),
            (tenant.id.clone(), newer.id.clone())
        ]
    );
    assert_eq!(
        store.open_jobs("2026-01-01T00:10:00.000000Z").await.unwrap(),
        vec![(tenant.id.clone(), j.id.clone())]
    );
    newer.status = JobStatus::Failed;
    newer.failure_reason = Some(FailureReason::NotProcessed);
    assert!(store.update_open_job(&newer).await.unwrap());
    j.status = JobStatus::Completed;
    j.failed_certificates = 2;
    j.result = Some(JobResult::PartialSuccess);
    j.processing_time_ms = 17;
    assert!(store.update_open_job(&j).await.unwrap());
    assert_eq!(store.get_job(&tenant.id, &j.id).await.unwrap(), Some(j.clone()));
    assert_eq!(
        store.get_job(&tenant.id, &newer.id).await.unwrap(),
        Some(newer.clone())
    );
    // An ended job stays ended; a job that does not exist is not created by an update.
    let reopened = CertImportJob {
        status: JobStatus::Pending,
        ..j.clone()
    };
    assert!(!store.update_open_job(&reopened).await.unwrap());
    assert!(!store.update_open_job(&job(&tenant, &p)).await.unwrap());
    assert_eq!(store.get_job(&tenant.id, &j.id).await.unwrap(), Some(j.clone()));
    assert_eq!(
        store.open_jobs("2026-01-02T00:00:00.000000Z").await.unwrap(),
        vec![]
    );
    let failures: Vec<CertFailure> = [12u32, 3]
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
        .put_job_failures(&tenant.id, &j.id, &failures)
        .await
        .unwrap();
    store
        .put_job_failures(&tenant.id, &j.id, &failures)
        .await
        .unwrap();
    let listed = store.job_failures(&tenant.id, &j.id).await.unwrap();
    assert_eq!(listed.iter().map(|f| f.ordinal).collect::<Vec<_>>(), vec![3, 12]);
    assert_eq!(listed[1], failures[0]);
    assert!(store.job_failures(&other.id, &j.id).await.unwrap().is_empty());

    // Devices: unique by identifier and by fingerprint, per tenant; a job recognises its own writes.
    let batch: Vec<DeviceRecord> = (0..120)
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
        Some(batch[7].clone())
    );
    assert_eq!(store.get_device(&tenant.id, "dev-new").await.unwrap(), None);
    let theirs = vec![device(&other, "job-3", "dev-1", "fp-1")];
    assert_eq!(
        store.insert_devices(&theirs).await.unwrap(),
        vec![DeviceInsert::Inserted]
    );
    assert_eq!(
        store.get_device(&other.id, "dev-1").await.unwrap(),
        Some(theirs[0].clone())
    );
    assert!(store.insert_devices(&[]).await.unwrap().is_empty());
}

pub async fn key_service_contract(keys: &dyn KeyService) {
    let context: EncryptionContext = BTreeMap::from([
        ("tenant".to_string(), "t1".to_string()),
        ("key_id".to_string(), "k1".to_string()),
    ]);
    let secret = b"an X25519 private key, 32 bytes!";
    let ciphertext = keys.encrypt(secret, &context).await.unwrap();
    assert!(!ciphertext.windows(secret.len()).any(|w| w == secret));
    assert_eq!(
        keys.decrypt(&ciphertext, &context).await.unwrap().as_slice(),
        secret
    );

    let mut wrong = context.clone();
    wrong.insert("tenant".into(), "t2".into());
    assert!(keys.decrypt(&ciphertext, &wrong).await.is_err());
    let mut tampered = ciphertext.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(keys.decrypt(&tampered, &context).await.is_err());

    let data_key = keys.generate_data_key(&context).await.unwrap();
    let unwrapped = keys.decrypt(&data_key.ciphertext, &context).await.unwrap();
    assert_eq!(unwrapped.as_slice(), data_key.plaintext.as_slice());
    let second = keys.generate_data_key(&context).await.unwrap();
    assert_ne!(second.plaintext.as_slice(), data_key.plaintext.as_slice());
}

pub async fn object_store_contract(objects: &dyn ObjectStore) {
    let key = "certificate-import/t1/j1/my certs+v2 (ünïcode).zip";
    assert_eq!(objects.get(key).await.unwrap(), None);
    objects.put(key, Bytes::from_static(b"zip bytes")).await.unwrap();
    assert_eq!(
        objects.get(key).await.unwrap(),
        Some(Bytes::from_static(b"zip bytes"))
    );
    objects.put(key, Bytes::from_static(b"replaced")).await.unwrap();
    assert_eq!(
        objects.get(key).await.unwrap(),
        Some(Bytes::from_static(b"replaced"))
    );
    assert_eq!(
        objects.get("certificate-import/t1/j1/other.zip").await.unwrap(),
        None
    );

    // Concurrent puts of one key (the same event processed twice at once) all succeed,
    // and one of them wins whole.
    let bodies = [b"first".as_slice(), b"second", b"third", b"fourth"];
    let (a, b, c, d) = tokio::join!(
        objects.put(key, Bytes::from_static(bodies[0])),
        objects.put(key, Bytes::from_static(bodies[1])),
        objects.put(key, Bytes::from_static(bodies[2])),
        objects.put(key, Bytes::from_static(bodies[3])),
    );
    for put in [a, b, c, d] {
        put.unwrap();
    }
    let winner = objects.get(key).await.unwrap().unwrap();
    assert!(bodies.contains(&winner.as_ref()), "{winner:?}");

    // Downloads stream the whole object, however many chunks it arrives in.
    let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    objects.put(key, Bytes::from(large.clone())).await.unwrap();
    let spool = tempfile::tempfile().unwrap();
    let mut writer = tokio::fs::File::from_std(spool.try_clone().unwrap());
    assert!(objects.download(key, &mut writer).await.unwrap());
    tokio::io::AsyncWriteExt::flush(&mut writer).await.unwrap();
    let mut downloaded = Vec::new();
    std::io::Seek::rewind(&mut &spool).unwrap();
    std::io::Read::read_to_end(&mut &spool, &mut downloaded).unwrap();
    assert!(downloaded == large, "the download differs from the object");
    let mut writer = tokio::fs::File::from_std(tempfile::tempfile().unwrap());
    assert!(!objects
        .download("certificate-import/t1/j1/other.zip", &mut writer)
        .await
        .unwrap());
}
