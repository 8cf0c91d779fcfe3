//! The inventory's read side and its one record per certificate, as every adapter must
//! keep them (run by `store_contract_tests!`).

use futures_util::future::join_all;

use super::store_contracts::{certificate, device, id, stored_key};
use crate::domain::*;
use crate::ports::{CertificateLookup, DeviceInsert, InventoryStore, KeyInsert};

const END: &str = "2030-01-01T00:00:00Z";

async fn entry(store: &dyn InventoryStore, tenant: &str, fingerprint: &str) -> InventoryEntry {
    let id = certificate_id(tenant, fingerprint);
    store.get_certificate(tenant, &id).await.unwrap().unwrap()
}

/// A device (API A) and a key (API B) for one certificate make one record holding both,
/// in either order; a second device for it is still a duplicate.
pub async fn device_and_key_for_one_certificate_share_its_record(store: &dyn InventoryStore) {
    let tenant = Tenant::new("one inventory");
    let t = tenant.id.as_str();
    for (fp, device_first) in [("fp-device-first", true), ("fp-key-first", false)] {
        let new_device = device(&tenant, "job-a", &format!("dev-{fp}"), fp);
        let key = stored_key(t, fp, "job-b", 0);
        let record = certificate(t, fp, END);
        if device_first {
            assert_eq!(
                store
                    .insert_devices(std::slice::from_ref(&new_device))
                    .await
                    .unwrap(),
                [DeviceInsert::Inserted]
            );
            assert_eq!(
                store.insert_stored_key(&key, &record).await.unwrap(),
                KeyInsert::Inserted
            );
        } else {
            assert_eq!(
                store.insert_stored_key(&key, &record).await.unwrap(),
                KeyInsert::Inserted
            );
            assert_eq!(
                store
                    .insert_devices(std::slice::from_ref(&new_device))
                    .await
                    .unwrap(),
                [DeviceInsert::Inserted]
            );
        }
        let held = entry(store, t, fp).await;
        assert_eq!(held.certificate, record, "{fp}");
        assert_eq!(
            held.device_identifier.as_deref(),
            Some(new_device.device.device_identifier.as_str())
        );
        assert_eq!(held.key.as_ref(), Some(&key));
        assert_eq!(store.get_stored_key(t, fp).await.unwrap(), Some(key));
        let again = device(&tenant, "job-c", &format!("other-{fp}"), fp);
        assert_eq!(
            store.insert_devices(&[again]).await.unwrap(),
            [DeviceInsert::DuplicateCertificate]
        );
    }
}

/// A device and a key for one certificate written at once both land on its record.
pub async fn concurrent_device_and_key_for_one_certificate_both_land(store: &dyn InventoryStore) {
    let tenant = Tenant::new("racing");
    let t = tenant.id.as_str();
    let fingerprints: Vec<String> = (0..6).map(|i| format!("fp-race-{i}")).collect();
    let devices: Vec<NewDevice> = fingerprints
        .iter()
        .map(|fp| device(&tenant, "job-a", &format!("dev-{fp}"), fp))
        .collect();
    let keys: Vec<(StoredKeyRecord, CertificateRecord)> = fingerprints
        .iter()
        .map(|fp| (stored_key(t, fp, "job-b", 0), certificate(t, fp, END)))
        .collect();
    let (inserted, keyed) = tokio::join!(
        store.insert_devices(&devices),
        join_all(
            keys.iter()
                .map(|(key, record)| store.insert_stored_key(key, record))
        )
    );
    assert_eq!(inserted.unwrap(), vec![DeviceInsert::Inserted; 6]);
    assert!(keyed.into_iter().all(|k| k.unwrap() == KeyInsert::Inserted));
    for fp in &fingerprints {
        let held = entry(store, t, fp).await;
        assert!(held.device_identifier.is_some() && held.key.is_some(), "{fp}");
    }
}

/// Certificates are found by id, SHA-1 and serial number, within their tenant only.
pub async fn certificates_are_found_by_id_sha1_and_serial(store: &dyn InventoryStore) {
    let (a, b) = (Tenant::new("lookups A"), Tenant::new("lookups B"));
    let fp = id();
    store
        .insert_devices(&[device(&a, "job", "dev-1", &fp)])
        .await
        .unwrap();
    let record = certificate(&a.id, &fp, END);
    let by_id = store.get_certificate(&a.id, &record.id).await.unwrap();
    assert_eq!(by_id.map(|e| e.certificate), Some(record.clone()));
    assert_eq!(store.get_certificate(&b.id, &record.id).await.unwrap(), None);
    for lookup in [
        CertificateLookup::Sha1(record.fingerprint_sha1.clone()),
        CertificateLookup::Serial(record.serial_number.clone()),
    ] {
        let found = store.find_certificates(&a.id, &lookup).await.unwrap();
        assert_eq!(found.len(), 1, "{lookup:?}");
        assert_eq!(found[0].certificate, record);
        assert!(store.find_certificates(&b.id, &lookup).await.unwrap().is_empty());
    }
    let absent = CertificateLookup::Sha1("NOPE".into());
    assert!(store.find_certificates(&a.id, &absent).await.unwrap().is_empty());
}

/// Every page of a listing, following the cursor.
async fn all_pages<T, F, Fut>(mut page: F, range: KeyRange) -> Vec<T>
where
    F: FnMut(KeyRange) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut items = Vec::new();
    let mut range = range;
    loop {
        let next = page(range.clone()).await;
        items.extend(next.items);
        match next.next {
            Some(after) => range.after = Some(after),
            None => return items,
        }
    }
}

/// A tenant's certificates list by expiry in pages, within a range of expiry times.
pub async fn certificates_list_by_expiry_in_pages(store: &dyn InventoryStore) {
    let (a, b) = (Tenant::new("listing A"), Tenant::new("listing B"));
    let records: Vec<CertificateRecord> = (0..23)
        .map(|i| {
            certificate(
                &a.id,
                &format!("fp-{i:02}"),
                &format!("2030-01-{:02}T00:00:00Z", 1 + i % 12),
            )
        })
        .collect();
    for (i, record) in records.iter().enumerate() {
        let key = stored_key(&a.id, &record.fingerprint_sha256, "job", i as u32);
        store.insert_stored_key(&key, record).await.unwrap();
    }
    let mut expected: Vec<String> = records.iter().map(CertificateRecord::sort_key).collect();
    expected.sort();
    let t = a.id.as_str();
    let listed = all_pages(
        |range| async move { store.list_certificates(t, &range, 5).await.unwrap() },
        KeyRange::default(),
    )
    .await;
    let keys: Vec<String> = listed.iter().map(|e| e.certificate.sort_key()).collect();
    assert_eq!(keys, expected);
    let range = KeyRange {
        from: Some("2030-01-03T00:00:00Z".into()),
        to: Some("2030-01-05T00:00:00Z#~".into()),
        after: None,
    };
    let window = all_pages(
        |range| async move { store.list_certificates(t, &range, 2).await.unwrap() },
        range,
    )
    .await;
    let ends: Vec<&str> = window
        .iter()
        .map(|e| e.certificate.validity_end.as_str())
        .collect();
    assert_eq!(ends.len(), 6, "{ends:?}");
    assert!(
        ends.iter().all(|e| ("2030-01-03".."2030-01-06").contains(e)),
        "{ends:?}"
    );
    let theirs = store
        .list_certificates(&b.id, &KeyRange::default(), 10)
        .await
        .unwrap();
    assert_eq!(
        theirs,
        Page {
            items: vec![],
            next: None
        }
    );
}

/// A tenant's devices list by creation in pages, and are found by id.
pub async fn devices_list_in_pages_and_are_found_by_id(store: &dyn InventoryStore) {
    let (a, b) = (Tenant::new("devices A"), Tenant::new("devices B"));
    let devices: Vec<NewDevice> = (0..17)
        .map(|i| {
            let mut new = device(&a, "job", &format!("dev-{i:02}"), &format!("fp-{i}"));
            new.device.created_at = format!("2026-01-{:02}T00:00:00.000000Z", 1 + i % 5);
            new
        })
        .collect();
    store.insert_devices(&devices).await.unwrap();
    let mut expected: Vec<String> = devices.iter().map(|d| d.device.sort_key()).collect();
    expected.sort();
    let t = a.id.as_str();
    let listed = all_pages(
        |range| async move { store.list_devices(t, &range, 4).await.unwrap() },
        KeyRange::default(),
    )
    .await;
    assert_eq!(
        listed.iter().map(DeviceRecord::sort_key).collect::<Vec<_>>(),
        expected
    );
    let one = &devices[3].device;
    assert_eq!(
        store.get_device_by_id(&a.id, &one.id()).await.unwrap().as_ref(),
        Some(one)
    );
    assert_eq!(store.get_device_by_id(&b.id, &one.id()).await.unwrap(), None);
    let theirs = store.list_devices(&b.id, &KeyRange::default(), 10).await.unwrap();
    assert!(theirs.items.is_empty());
}

/// Audit events list newest first, within their tenant only.
pub async fn audit_events_list_newest_first(store: &dyn InventoryStore) {
    let (a, b) = (id(), id());
    for n in 0..5 {
        let at = format!("2026-01-01T00:00:0{n}.000000Z");
        let mut event = AuditEvent::new(&a, AuditAction::PrivateKeyExport, Some("key"), at);
        event.certificate_id = Some(id());
        event.format = Some("PEM".into());
        event.source_ip = Some("192.0.2.1".into());
        store.record_audit_event(&event).await.unwrap();
    }
    let latest = store.list_audit_events(&a, 3).await.unwrap();
    let times: Vec<&str> = latest.iter().map(|e| e.at.as_str()).collect();
    assert_eq!(
        times,
        [
            "2026-01-01T00:00:04.000000Z",
            "2026-01-01T00:00:03.000000Z",
            "2026-01-01T00:00:02.000000Z"
        ]
    );
    assert!(store.list_audit_events(&b, 10).await.unwrap().is_empty());
}

/// What core lets through fits every adapter: a batch of devices each at every limit a
/// device has (identifier, fields, serial, the largest certificate), and a key whose
/// certificate and chain are at theirs, are stored and read back whole. On DynamoDB,
/// through the test proxy, this is what AWS would accept.
pub async fn devices_and_keys_at_every_limit_are_stored(store: &dyn InventoryStore) {
    use base64::Engine;
    use std::collections::BTreeMap;
    let tenant = Tenant::new("limits");
    let t = tenant.id.as_str();
    let largest = crate::app::Limits::default().max_certificate_bytes;
    let der = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![n as u8; largest]);
    let fields: BTreeMap<String, String> = (0..MAX_MAPPED_FIELDS)
        .map(|n| {
            (
                format!("field-{n:02}-{}", "f".repeat(50)),
                "v".repeat(MAX_FIELD_VALUE_BYTES),
            )
        })
        .collect();
    let devices: Vec<NewDevice> = (0..25)
        .map(|n| {
            let fp = format!("limit-{n:02}");
            // Two bytes a character: the identifier's limit is in bytes.
            let identifier = format!("{n:02}{}", "é".repeat((MAX_DEVICE_IDENTIFIER_BYTES - 2) / 2));
            let mut new = device(&tenant, "job-limits", &identifier, &fp);
            new.device.fields = fields.clone();
            new.device.certificate = der(n);
            new.certificate.certificate = der(n);
            new.certificate.serial_number = format!("{n:02}").repeat(MAX_SERIAL_BYTES);
            new
        })
        .collect();
    let inserted = store.insert_devices(&devices).await.unwrap();
    assert_eq!(inserted, vec![DeviceInsert::Inserted; devices.len()]);
    for new in [&devices[0], &devices[24]] {
        let read = store
            .get_device(t, &new.device.device_identifier)
            .await
            .unwrap()
            .unwrap();
        assert!(
            read == new.device,
            "{} read back changed",
            new.device.device_identifier
        );
    }
    let listed = store.list_devices(t, &KeyRange::default(), 100).await.unwrap();
    assert_eq!(listed.items.len(), 25);
    assert!(listed
        .items
        .iter()
        .all(|d| d.certificate.len() == devices[0].device.certificate.len()));
    // A key whose certificate and chain (the leaf again first) are at the limit together.
    let budget = crate::app::MAX_STORABLE_CERTIFICATE_BYTES as usize;
    let fp = "limit-key";
    let mut record = certificate(t, fp, END);
    record.certificate = base64::engine::general_purpose::STANDARD.encode(vec![1u8; budget / 4]);
    let mut key = stored_key(t, fp, "job-key", 0);
    key.chain = vec![
        record.certificate.clone(),
        base64::engine::general_purpose::STANDARD.encode(vec![2u8; budget / 2 - 16]),
    ];
    assert_eq!(
        store.insert_stored_key(&key, &record).await.unwrap(),
        KeyInsert::Inserted
    );
    assert_eq!(store.get_stored_key(t, fp).await.unwrap(), Some(key));
}
