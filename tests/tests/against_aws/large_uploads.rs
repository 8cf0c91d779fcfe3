//! The certificate processor reads uploads from a spooled file and writes devices and
//! failures in batches: nothing is lost at batch boundaries.

use certport_core::app::{
    upload_certificate_import, CertImportUpload, Limits, ProcessOutcome, UploadProcessor,
};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::scenarios::{new_caller, pem_profile};
use certport_core::testing::zip_of;
use certport_tests::embedded::embedded_deps;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_across_many_batches_are_all_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        device_batch_size: 2,
        ..Limits::default()
    };
    let deps = embedded_deps(dir.path(), limits);
    let caller = new_caller(&deps, "batches").await;
    let profile_id = pem_profile(&deps, &caller).await;

    let good: Vec<String> = (0..3)
        .map(|i| self_signed(KeyType::EcP256, &format!("/CN=batch-{i}"), None).pem)
        .collect();
    let junk = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
    let a = format!("{}{junk}{}{junk}{}", good[0], good[1], good[2]);
    let b = format!("{junk}{junk}{junk}");
    let c = good[1].clone();
    let zip = zip_of(&[
        ("a.pem", a.as_bytes()),
        ("b.pem", b.as_bytes()),
        ("c.pem", c.as_bytes()),
    ]);
    let upload = CertImportUpload {
        profile_id,
        file_name: "batches.zip".into(),
        zip: zip.into(),
        ip_address: None,
    };
    let job = upload_certificate_import(&deps, &caller, upload).await.unwrap();
    let tenant = &caller.tenant.id;

    let outcome = UploadProcessor::CertificateImport
        .process(&deps, &job.object_key)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ProcessOutcome::Completed {
            job_id: job.id.clone(),
            total: 9,
            failed: 6
        }
    );
    let failures = deps
        .jobs
        .certificate_failures(tenant, &job.id, None, usize::MAX)
        .await
        .unwrap();
    let listed: Vec<(u32, Option<String>, Option<u32>)> = failures
        .iter()
        .map(|f| (f.ordinal, f.file_name.clone(), f.index))
        .collect();
    let expected = [
        (2, "a.pem", 1),
        (4, "a.pem", 3),
        (6, "b.pem", 0),
        (7, "b.pem", 1),
        (8, "b.pem", 2),
        (9, "c.pem", 0),
    ]
    .map(|(o, f, i)| (o, Some(f.to_string()), Some(i)));
    assert_eq!(listed, expected);
    assert!(failures[5].message.contains("a.pem #2"), "{:?}", failures[5]);
    for i in 0..3 {
        let device = deps
            .inventory
            .get_device(tenant, &format!("batch-{i}"))
            .await
            .unwrap();
        assert_eq!(device.map(|d| d.job_id), Some(job.id.clone()));
    }
}
