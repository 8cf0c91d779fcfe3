//! The certificate item: one per tenant and certificate, whichever API wrote it first.
//! Writers never put it whole; each updates its own part (the device's claim, the key),
//! setting the certificate's facts if they are not there yet, on condition that its part
//! is still free. So a device and a key for one certificate land on one item, in any
//! order and at the same time.

use std::collections::HashMap;

use certport_core::domain::{CertificateRecord, InventoryEntry, StoredKeyRecord};
use certport_core::ports::{decode_record, encode_record, InfraError, InfraResult};

use crate::adapters::dynamodb::keys::{certificate_key, listing_pk, serial_lookup, sha1_lookup, Listing};
use crate::adapters::dynamodb::transactions::TransactUpdate;
use crate::adapters::dynamodb::{attr, doc_of, s, Item};

/// `SET` clauses and values of the certificate's facts (kept from the first writer).
fn facts(record: &CertificateRecord) -> InfraResult<(String, Item)> {
    let doc = encode_record(record).map_err(|e| InfraError::permanent("encode record", e))?;
    let values = HashMap::from([
        (":doc".to_string(), s(doc)),
        (
            ":lookup".to_string(),
            s(sha1_lookup(&record.tenant_id, &record.fingerprint_sha1)),
        ),
        (
            ":serial".to_string(),
            s(serial_lookup(&record.tenant_id, &record.serial_number)),
        ),
        (
            ":list_pk".to_string(),
            s(listing_pk(Listing::Certificates, &record.tenant_id, &record.id)),
        ),
        (":list_sk".to_string(), s(record.sort_key())),
    ]);
    let clauses = "doc = if_not_exists(doc, :doc), lookup_pk = :lookup, serial_pk = :serial, \
                   list_pk = :list_pk, list_sk = :list_sk"
        .to_string();
    Ok((clauses, values))
}

/// Claims the certificate for a device: fails its condition when a device holds it.
pub(crate) fn claim_for_device(
    record: &CertificateRecord,
    device_identifier: &str,
    job_id: &str,
    at: &str,
) -> InfraResult<TransactUpdate> {
    let (clauses, mut values) = facts(record)?;
    values.extend([
        (":device".to_string(), s(device_identifier)),
        (":job".to_string(), s(job_id)),
        (":at".to_string(), s(at)),
    ]);
    Ok(TransactUpdate {
        key: certificate_key(&record.tenant_id, &record.id),
        expression: format!(
            "SET {clauses}, device_identifier = :device, device_job_id = :job, modified_at = :at"
        ),
        values,
        condition: Some("attribute_not_exists(device_job_id)"),
    })
}

/// Adds the key to the certificate: fails its condition when it has one.
pub(crate) fn add_key(record: &CertificateRecord, key: &StoredKeyRecord) -> InfraResult<TransactUpdate> {
    let (clauses, mut values) = facts(record)?;
    let key_doc = encode_record(key).map_err(|e| InfraError::permanent("encode record", e))?;
    values.extend([
        (":key".to_string(), s(key_doc)),
        (":at".to_string(), s(&key.imported_at)),
    ]);
    Ok(TransactUpdate {
        key: certificate_key(&record.tenant_id, &record.id),
        expression: format!("SET {clauses}, key_doc = :key, modified_at = :at"),
        values,
        condition: Some("attribute_not_exists(key_doc)"),
    })
}

pub(crate) fn entry_of(item: &Item) -> InfraResult<InventoryEntry> {
    let certificate: CertificateRecord = doc_of(item)?;
    let key = attr(item, "key_doc")
        .map(decode_record::<StoredKeyRecord>)
        .transpose()
        .map_err(|e| InfraError::permanent("decode record", e))?;
    Ok(InventoryEntry {
        modified_at: attr(item, "modified_at")
            .unwrap_or(&certificate.created_at)
            .to_string(),
        certificate,
        device_identifier: attr(item, "device_identifier").map(str::to_string),
        key,
    })
}
