//! The Venafi-compatible certificate view, as search and the details route answer it.

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::app::{certificate_name, CertificateView, SearchPage};
use crate::domain::{certificate_request_id, AuditEvent};

fn first(values: &[String]) -> Value {
    values.first().map_or(Value::Null, |v| json!(v))
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn certificate(view: &CertificateView) -> Value {
    let (d, entry) = (&view.details, &view.entry);
    let mut body = json!({
        "id": entry.certificate.id,
        "companyId": entry.certificate.tenant_id,
        "certificateName": certificate_name(d),
        "fingerprint": d.fingerprint_sha1,
        "serialNumber": d.serial_number,
        "subjectDN": d.subject_dn,
        "issuerDN": d.issuer_dn,
        "subjectCN": d.subject_cn,
        "subjectO": first(&d.subject_o),
        "subjectOU": d.subject_ou,
        "subjectL": first(&d.subject_l),
        "subjectST": first(&d.subject_st),
        "subjectC": first(&d.subject_c),
        "issuerCN": d.issuer_cn,
        "issuerOU": d.issuer_ou,
        "subjectAlternativeNameDns": d.san_dns,
        "subjectAlternativeNamesByType": {
            "dNSName": d.san_dns,
            "iPAddress": d.san_ip,
            "rfc822Name": d.san_email,
            "uniformResourceIdentifier": d.san_uri,
        },
        "validityStart": rfc3339(d.validity_start),
        "validityEnd": rfc3339(d.validity_end),
        "encryptionType": d.encryption_type,
        "keyStrength": d.key_strength,
        "signatureAlgorithm": d.signature_algorithm,
        "signatureHashAlgorithm": d.signature_hash_algorithm,
        "selfSigned": d.self_signed,
        "certificateStatus": "ACTIVE",
        "issuerCertificateIds": view.issuer_ids,
        "applicationIds": [],
        "tags": [],
        "certificateRequestId": certificate_request_id(&entry.certificate.id),
        "creationDate": entry.certificate.created_at,
        "modificationDate": entry.modified_at,
    });
    let Some(object) = body.as_object_mut() else {
        return body;
    };
    if let Some(curve) = d.key_curve {
        object.insert("keyCurve".into(), json!(curve));
    }
    if let Some(dek) = &view.dek_hash {
        object.insert("dekHash".into(), json!(dek));
    }
    body
}

/// The certificate request an imported certificate answers to, in the vendor's shape:
/// issued, naming the certificate (vcert reads `status`, `certificateIds`, `subjectDN`).
pub fn certificate_request(view: &CertificateView) -> Value {
    let (d, entry) = (&view.details, &view.entry);
    let mut body = json!({
        "id": certificate_request_id(&entry.certificate.id),
        "companyId": entry.certificate.tenant_id,
        "status": "ISSUED",
        "certificateIds": [entry.certificate.id],
        "subjectDN": d.subject_dn,
        "keyType": d.encryption_type,
        "keyLength": d.key_strength,
        "creationDate": entry.certificate.created_at,
        "modificationDate": entry.modified_at,
    });
    if let (Some(object), Some(curve)) = (body.as_object_mut(), d.key_curve) {
        object.insert("keyCurve".into(), json!(curve));
    }
    body
}

pub fn search_page(page: &SearchPage) -> Value {
    let certificates: Vec<Value> = page.certificates.iter().map(certificate).collect();
    let mut body = Map::new();
    body.insert("count".into(), json!(page.count));
    body.insert("certificates".into(), Value::Array(certificates));
    Value::Object(body)
}

pub fn audit_events(events: &[AuditEvent]) -> Value {
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "action": e.action,
                "companyId": e.tenant_id,
                "apiKeyId": e.api_key_id,
                "certificateId": e.certificate_id,
                "format": e.format,
                "sourceIp": e.source_ip,
                "time": e.at,
            })
        })
        .collect();
    json!({ "auditEvents": events })
}

/// A body with its content type, status 200.
pub fn raw(content_type: &str, body: Vec<u8>) -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Bytes::from(body))
        .unwrap_or_default()
}
