//! One inventory for both APIs: a device certificate (API A) and a keystore (API B) for
//! the same certificate are one record, whichever comes first.

use bytes::Bytes;

use crate::app::{get_certificate, upload_certificate_import, CertImportUpload, Deps, UploadProcessor};
use crate::domain::{certificate_id, AuditAction, ItemStatus};
use crate::testing::certs::{ca_signed_keystores, der_of, leaf_pem};
use crate::testing::memory::memory_deps;
use crate::testing::scenarios::{import_keystores, keystore_batch, new_caller, pem_profile};
use crate::testing::zip_of;

/// Imports `pem` through API A into the caller's PEM profile; the job's failure count.
async fn import_device(deps: &Deps, caller: &crate::app::Caller, profile_id: &str, pem: &str) -> u64 {
    let upload = CertImportUpload {
        profile_id: profile_id.to_string(),
        file_name: "device.zip".into(),
        zip: Bytes::from(zip_of(&[("device.pem", pem.as_bytes())])),
        ip_address: None,
    };
    let job = upload_certificate_import(deps, caller, upload).await.unwrap();
    UploadProcessor::CertificateImport
        .process(deps, &job.object_key)
        .await
        .unwrap();
    let job = deps
        .jobs
        .get_job(&caller.tenant.id, &job.id)
        .await
        .unwrap()
        .unwrap();
    job.failed
}

#[tokio::test]
async fn a_device_certificate_and_its_keystore_are_one_record_in_either_order() {
    let (ca, keystores) = ca_signed_keystores(2, "pw");
    for (keystore, device_first) in keystores.iter().zip([true, false]) {
        let deps = memory_deps(Default::default());
        let caller = new_caller(&deps, "one inventory").await;
        let profile_id = pem_profile(&deps, &caller).await;
        let pem = leaf_pem(keystore, "pw");
        let batch = keystore_batch(&deps, &caller, &ca, std::slice::from_ref(keystore), "pw").await;
        if device_first {
            assert_eq!(import_device(&deps, &caller, &profile_id, &pem).await, 0);
        }
        let (statuses, _) = import_keystores(&deps, &caller, &batch).await;
        assert_eq!(
            statuses,
            [ItemStatus::Imported],
            "the key is new: IMPORTED, not SKIPPED"
        );
        if !device_first {
            assert_eq!(
                import_device(&deps, &caller, &profile_id, &pem).await,
                0,
                "not a duplicate"
            );
        }
        let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(der_of(&pem)));
        let id = certificate_id(&caller.tenant.id, &fingerprint);
        let view = get_certificate(&deps, &caller, &id).await.unwrap();
        assert!(
            view.entry.device_identifier.is_some() && view.dek_hash.is_some(),
            "{view:?}"
        );
        // The same certificate again through API A is now a duplicate.
        assert_eq!(import_device(&deps, &caller, &profile_id, &pem).await, 1);
    }
}

#[tokio::test]
async fn a_certificate_without_its_key_cannot_be_exported() {
    let (_, keystores) = ca_signed_keystores(1, "pw");
    let deps = memory_deps(Default::default());
    let caller = new_caller(&deps, "device only").await;
    let profile_id = pem_profile(&deps, &caller).await;
    let pem = leaf_pem(&keystores[0], "pw");
    assert_eq!(import_device(&deps, &caller, &profile_id, &pem).await, 0);
    let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(der_of(&pem)));
    let id = certificate_id(&caller.tenant.id, &fingerprint);
    let request = crate::app::ExportRequest {
        format: crate::app::ExportFormat::Pem,
        encrypted_private_key_passphrase: "c2VhbGVk".into(),
        encrypted_keystore_passphrase: String::new(),
        certificate_label: String::new(),
        source_ip: None,
    };
    let refused = crate::app::export_private_key(&deps, &caller, &id, request)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, crate::app::AppError::InvalidInput(m) if m.contains("no private key")),
        "{refused:?}"
    );
    let trail = deps
        .inventory
        .list_audit_events(&caller.tenant.id, 10)
        .await
        .unwrap();
    let actions: Vec<AuditAction> = trail.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [AuditAction::PrivateKeyExportRefused, AuditAction::ApiKeyCreated]
    );
    assert_eq!(trail[0].certificate_id.as_deref(), Some(id.as_str()));
    assert!(trail[0]
        .reason
        .as_deref()
        .unwrap_or_default()
        .contains("no private key"));
}
