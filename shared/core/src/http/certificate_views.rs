//! The Venafi-compatible certificate view, as search and the details route answer it.

use bytes::Bytes;

use crate::app::{certificate_name, CertificateView, SearchPage};
use crate::domain::{certificate_request_id, AuditEvent};

use super::contract::api_b;

fn first(values: &[String]) -> Option<String> {
    values.first().cloned()
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn certificate(view: &CertificateView) -> api_b::Certificate {
    let (d, entry) = (&view.details, &view.entry);
    api_b::Certificate {
        id: entry.certificate.id.clone(),
        company_id: entry.certificate.tenant_id.clone(),
        certificate_name: certificate_name(d),
        fingerprint: d.fingerprint_sha1.clone(),
        serial_number: d.serial_number.clone(),
        subject_dn: d.subject_dn.clone(),
        issuer_dn: d.issuer_dn.clone(),
        subject_cn: d.subject_cn.clone(),
        subject_o: first(&d.subject_o),
        subject_ou: d.subject_ou.clone(),
        subject_l: first(&d.subject_l),
        subject_st: first(&d.subject_st),
        subject_c: first(&d.subject_c),
        issuer_cn: d.issuer_cn.clone(),
        issuer_ou: d.issuer_ou.clone(),
        subject_alternative_name_dns: d.san_dns.clone(),
        subject_alternative_names_by_type: api_b::SubjectAlternativeNames {
            dns_name: d.san_dns.clone(),
            ip_address: d.san_ip.clone(),
            rfc822_name: d.san_email.clone(),
            uniform_resource_identifier: d.san_uri.clone(),
        },
        validity_start: rfc3339(d.validity_start),
        validity_end: rfc3339(d.validity_end),
        encryption_type: d.encryption_type.to_string(),
        key_strength: d.key_strength,
        key_curve: d.key_curve.map(str::to_string),
        signature_algorithm: d.signature_algorithm.to_string(),
        signature_hash_algorithm: d.signature_hash_algorithm.to_string(),
        self_signed: d.self_signed,
        certificate_status: "ACTIVE".into(),
        issuer_certificate_ids: view.issuer_ids.clone(),
        application_ids: Vec::new(),
        tags: Vec::new(),
        certificate_request_id: certificate_request_id(&entry.certificate.id),
        creation_date: entry.certificate.created_at.clone(),
        modification_date: entry.modified_at.clone(),
        dek_hash: view.dek_hash.clone(),
    }
}

/// The certificate request an imported certificate answers to, in the vendor's shape:
/// issued, naming the certificate (vcert reads `status`, `certificateIds`, `subjectDN`).
pub fn certificate_request(view: &CertificateView) -> api_b::CertificateRequest {
    let (d, entry) = (&view.details, &view.entry);
    api_b::CertificateRequest {
        id: certificate_request_id(&entry.certificate.id).unwrap_or_default(),
        company_id: entry.certificate.tenant_id.clone(),
        status: "ISSUED".into(),
        certificate_ids: vec![entry.certificate.id.clone()],
        subject_dn: d.subject_dn.clone(),
        key_type: d.encryption_type.to_string(),
        key_length: d.key_strength,
        key_curve: d.key_curve.map(str::to_string),
        creation_date: entry.certificate.created_at.clone(),
        modification_date: entry.modified_at.clone(),
    }
}

pub fn search_page(page: &SearchPage) -> api_b::CertificateSearchPage {
    api_b::CertificateSearchPage {
        count: page.count,
        certificates: page.certificates.iter().map(certificate).collect(),
    }
}

pub fn audit_events(events: &[AuditEvent]) -> api_b::AuditEvents {
    api_b::AuditEvents {
        audit_events: events
            .iter()
            .map(|e| api_b::AuditEvent {
                id: e.id.clone(),
                action: e.action.name().into(),
                company_id: e.tenant_id.clone(),
                api_key_id: e.api_key_id.clone(),
                certificate_id: e.certificate_id.clone(),
                format: e.format.clone(),
                subject_api_key_id: e.subject_api_key_id.clone(),
                replacement_api_key_id: e.replacement_api_key_id.clone(),
                reason: e.reason.clone(),
                source_ip: e.source_ip.clone(),
                time: e.at.clone(),
            })
            .collect(),
    }
}

/// A body with its content type, status 200.
pub fn raw(content_type: &str, body: Vec<u8>) -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Bytes::from(body))
        .unwrap_or_default()
}
