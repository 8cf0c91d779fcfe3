//! The DigiCert-compatible device and certificate lists.

use crate::app::{certificate_status, DeviceView, Paged};
use crate::crypto::certificates_pem;
use crate::domain::Tenant;

use super::contract::api_a;
use super::views::division;

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn profile_ref(view: &DeviceView) -> api_a::ProfileRef {
    api_a::ProfileRef {
        id: view.device.profile_id.clone(),
        name: view.profile_name.clone(),
    }
}

pub fn device(view: &DeviceView, tenant: &Tenant) -> api_a::Device {
    let d = &view.device;
    api_a::Device {
        id: d.id(),
        account_id: tenant.id.clone(),
        division: division(tenant),
        device_identifier: d.device_identifier.clone(),
        enrollment_profile: profile_ref(view),
        status: "ACTIVE".into(),
        created: d.created_at.clone(),
        updated: d.created_at.clone(),
        fields: d
            .fields
            .iter()
            .map(|(name, value)| api_a::DeviceField {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        certificate: view.details.as_ref().map(|c| api_a::DeviceCertificateBrief {
            id: view.certificate_id.clone(),
            serial_number: c.serial_number.clone(),
            thumbprint_sha256: d.fingerprint_sha256.to_uppercase(),
            common_name: c.subject_cn.first().cloned(),
            valid_from: rfc3339(c.validity_start),
            valid_to: rfc3339(c.validity_end),
        }),
    }
}

pub fn certificate(view: &DeviceView) -> api_a::DeviceCertificate {
    let d = &view.device;
    let details = view.details.as_ref();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &d.certificate)
        .unwrap_or_default();
    api_a::DeviceCertificate {
        id: view.certificate_id.clone(),
        common_name: details.and_then(|c| c.subject_cn.first().cloned()),
        serial_number: details.map(|c| c.serial_number.clone()),
        status: details.map(|c| certificate_status(c, chrono::Utc::now()).to_string()),
        body: certificates_pem([&der]),
        chain: view
            .chain
            .iter()
            .map(|der| api_a::ChainCertificate {
                blob: certificates_pem([der]),
            })
            .collect(),
        device_id: d.id(),
        enrollment_profile: profile_ref(view),
        enrollment_method: "CERTIFICATE_IMPORT".into(),
        valid_from: details.map(|c| rfc3339(c.validity_start)),
        valid_to: details.map(|c| rfc3339(c.validity_end)),
        thumbprint_sha256: d.fingerprint_sha256.to_uppercase(),
    }
}

pub fn page<T>(paged: &Paged<DeviceView>, record: impl Fn(&DeviceView) -> T) -> api_a::Page<T> {
    api_a::Page {
        limit: paged.limit as u64,
        offset: paged.offset as u64,
        total: paged.total,
        records: paged.records.iter().map(record).collect(),
    }
}
