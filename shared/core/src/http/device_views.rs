//! The DigiCert-compatible device and certificate lists.

use serde_json::{json, Value};

use crate::app::{certificate_status, DeviceView, Paged};
use crate::crypto::certificates_pem;
use crate::domain::Tenant;

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn device(view: &DeviceView, tenant: &Tenant) -> Value {
    let d = &view.device;
    let fields: Vec<Value> = d
        .fields
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let certificate = view.details.as_ref().map(|c| {
        json!({
            "id": view.certificate_id,
            "serial_number": c.serial_number,
            "thumbprint_sha256": d.fingerprint_sha256.to_uppercase(),
            "common_name": c.subject_cn.first(),
            "valid_from": rfc3339(c.validity_start),
            "valid_to": rfc3339(c.validity_end),
        })
    });
    json!({
        "id": d.id(),
        "account_id": tenant.id,
        "division": {"id": tenant.division.id, "name": tenant.division.name},
        "device_identifier": d.device_identifier,
        "enrollment_profile": {"id": d.profile_id, "name": view.profile_name},
        "status": "ACTIVE",
        "created": d.created_at,
        "updated": d.created_at,
        "fields": fields,
        "certificate": certificate,
    })
}

pub fn certificate(view: &DeviceView) -> Value {
    let d = &view.device;
    let details = view.details.as_ref();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &d.certificate)
        .unwrap_or_default();
    json!({
        "id": view.certificate_id,
        "common_name": details.and_then(|c| c.subject_cn.first()),
        "serial_number": details.map(|c| c.serial_number.clone()),
        "status": details.map(|c| certificate_status(c, chrono::Utc::now())),
        "body": certificates_pem([&der]),
        "chain": view.chain.iter().map(|der| json!({"blob": certificates_pem([der])})).collect::<Vec<_>>(),
        "device_id": d.id(),
        "enrollment_profile": {"id": d.profile_id, "name": view.profile_name},
        "enrollment_method": "CERTIFICATE_IMPORT",
        "valid_from": details.map(|c| rfc3339(c.validity_start)),
        "valid_to": details.map(|c| rfc3339(c.validity_end)),
        "thumbprint_sha256": d.fingerprint_sha256.to_uppercase(),
    })
}

pub fn page(paged: &Paged<DeviceView>, record: impl Fn(&DeviceView) -> Value) -> Value {
    let records: Vec<Value> = paged.records.iter().map(record).collect();
    json!({"limit": paged.limit, "offset": paged.offset, "total": paged.total, "records": records})
}
