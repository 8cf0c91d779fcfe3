//! X.509 certificates: parse once, keep the DER, its SHA-256 fingerprint and the
//! values of the mappable source fields (all of them, or those an import asks for).

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    Oid, OID_PKCS9_EMAIL_ADDRESS, OID_X509_COMMON_NAME, OID_X509_COUNTRY_NAME, OID_X509_LOCALITY_NAME,
    OID_X509_ORGANIZATIONAL_UNIT, OID_X509_ORGANIZATION_NAME, OID_X509_SERIALNUMBER,
    OID_X509_STATE_OR_PROVINCE_NAME,
};
use x509_parser::x509::AttributeTypeAndValue;

use crate::domain::{certificate_id, CertificateRecord, SourceField};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("not a DER X.509 certificate: {0}")]
    Malformed(String),
    #[error("the certificate is followed by {0} bytes of trailing data")]
    TrailingData(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCertificate {
    pub der: Vec<u8>,
    /// Lower-case hex.
    pub fingerprint_sha256: String,
    /// As the inventory keeps it (`CertificateRecord::validity_end`).
    pub validity_end: String,
    /// Every value of each source field present, in certificate order (of the fields
    /// asked for, when parsed by `parse_certificate_fields`).
    pub fields: BTreeMap<SourceField, Vec<String>>,
}

impl ParsedCertificate {
    /// The value a mapping reads: the first one when a field has several (SANs, OUs).
    pub fn field(&self, field: SourceField) -> Option<&str> {
        self.fields
            .get(&field)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    /// The inventory's record of this certificate.
    pub fn record(&self, tenant_id: &str, created_at: &str) -> CertificateRecord {
        CertificateRecord {
            tenant_id: tenant_id.to_string(),
            id: certificate_id(tenant_id, &self.fingerprint_sha256),
            fingerprint_sha256: self.fingerprint_sha256.clone(),
            fingerprint_sha1: hex::encode_upper(Sha1::digest(&self.der)),
            serial_number: self
                .field(SourceField::SerialNumber)
                .unwrap_or_default()
                .to_string(),
            validity_end: self.validity_end.clone(),
            certificate: B64.encode(&self.der),
            created_at: created_at.to_string(),
        }
    }
}

/// The inventory's record of the certificate `der`.
pub fn certificate_record(
    tenant_id: &str,
    der: &[u8],
    created_at: &str,
) -> Result<CertificateRecord, CertificateError> {
    parse_certificate(der.to_vec()).map(|parsed| parsed.record(tenant_id, created_at))
}

/// A validity time as the inventory keeps it: RFC 3339 UTC to the second.
pub(crate) fn inventory_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn parse_certificate(der: Vec<u8>) -> Result<ParsedCertificate, CertificateError> {
    parse_certificate_fields(der, |_| true)
}

/// Which name of the certificate an attribute is read from.
#[derive(Clone, Copy)]
enum Name {
    Subject,
    Issuer,
}

/// The source fields read from the subject's or the issuer's attributes.
const NAME_FIELDS: [(SourceField, Name, Oid<'static>); 9] = [
    (
        SourceField::SubjectCommonName,
        Name::Subject,
        OID_X509_COMMON_NAME,
    ),
    (
        SourceField::SubjectOrganizationName,
        Name::Subject,
        OID_X509_ORGANIZATION_NAME,
    ),
    (
        SourceField::SubjectOrganizationUnit,
        Name::Subject,
        OID_X509_ORGANIZATIONAL_UNIT,
    ),
    (SourceField::SubjectCountry, Name::Subject, OID_X509_COUNTRY_NAME),
    (
        SourceField::SubjectState,
        Name::Subject,
        OID_X509_STATE_OR_PROVINCE_NAME,
    ),
    (
        SourceField::SubjectLocality,
        Name::Subject,
        OID_X509_LOCALITY_NAME,
    ),
    (SourceField::SubjectEmail, Name::Subject, OID_PKCS9_EMAIL_ADDRESS),
    (
        SourceField::SubjectSerialNumber,
        Name::Subject,
        OID_X509_SERIALNUMBER,
    ),
    (SourceField::IssuerCommonName, Name::Issuer, OID_X509_COMMON_NAME),
];

const SAN_FIELDS: [SourceField; 4] = [
    SourceField::SanDnsName,
    SourceField::SanEmail,
    SourceField::SanUri,
    SourceField::SanIpAddress,
];

/// Parses `der` as `parse_certificate` does (the same checks, the same errors) but keeps
/// only the source fields `wanted` picks, and the serial number every record holds: an
/// import needs the few fields its mapping reads, not all fifteen of a profile's sample.
pub fn parse_certificate_fields(
    der: Vec<u8>,
    wanted: impl Fn(SourceField) -> bool,
) -> Result<ParsedCertificate, CertificateError> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(&der).map_err(|e| CertificateError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CertificateError::TrailingData(rest.len()));
    }
    let keep = |field: SourceField| field == SourceField::SerialNumber || wanted(field);
    let mut fields: BTreeMap<SourceField, Vec<String>> = BTreeMap::new();
    let mut add = |field: SourceField, value: &str| {
        if !value.is_empty() {
            fields.entry(field).or_default().push(value.to_string());
        }
    };

    for (field, name, oid) in &NAME_FIELDS {
        if keep(*field) {
            let name = match name {
                Name::Subject => cert.subject(),
                Name::Issuer => cert.issuer(),
            };
            for value in values(name.iter_by_oid(oid)) {
                add(*field, value);
            }
        }
    }

    // Read even when no SAN is wanted: a malformed SAN extension fails every import alike.
    let sans = checked_alternative_names(&cert, SAN_FIELDS.into_iter().any(keep))?;
    for (field, values) in SAN_FIELDS
        .into_iter()
        .zip([sans.dns, sans.email, sans.uri, sans.ip])
    {
        for value in values.iter().filter(|_| keep(field)) {
            add(field, value);
        }
    }

    add(SourceField::SerialNumber, &hex::encode_upper(cert.raw_serial()));
    let validity_end = inventory_time(cert.validity().not_after.timestamp());
    drop(cert);
    let fingerprint_sha256 = hex::encode(Sha256::digest(&der));
    if keep(SourceField::FingerprintSha256) {
        add(SourceField::FingerprintSha256, &fingerprint_sha256);
    }
    Ok(ParsedCertificate {
        der,
        fingerprint_sha256,
        validity_end,
        fields,
    })
}

/// The subject alternative names of the kinds the APIs show, each in certificate order.
#[derive(Debug, Default)]
pub(crate) struct AlternativeNames {
    pub dns: Vec<String>,
    pub ip: Vec<String>,
    pub email: Vec<String>,
    pub uri: Vec<String>,
}

pub(crate) fn alternative_names(
    cert: &x509_parser::certificate::X509Certificate<'_>,
) -> Result<AlternativeNames, CertificateError> {
    checked_alternative_names(cert, true)
}

/// The SAN extension checked, and its names when `collect`.
fn checked_alternative_names(
    cert: &x509_parser::certificate::X509Certificate<'_>,
    collect: bool,
) -> Result<AlternativeNames, CertificateError> {
    let san = cert
        .subject_alternative_name()
        .map_err(|e| CertificateError::Malformed(format!("subject alternative name: {e}")))?;
    let mut names = AlternativeNames::default();
    let san = san.filter(|_| collect);
    for name in san.iter().flat_map(|ext| ext.value.general_names.iter()) {
        match name {
            GeneralName::DNSName(v) => names.dns.push(v.to_string()),
            GeneralName::RFC822Name(v) => names.email.push(v.to_string()),
            GeneralName::URI(v) => names.uri.push(v.to_string()),
            GeneralName::IPAddress(bytes) => names.ip.extend(ip_address(bytes).map(|ip| ip.to_string())),
            _ => {}
        }
    }
    Ok(names)
}

pub(crate) fn strings<'a, 'b: 'a>(attrs: impl Iterator<Item = &'a AttributeTypeAndValue<'b>>) -> Vec<String> {
    values(attrs).map(str::to_string).collect()
}

/// The attributes' text values, trimmed (values that are not text are left out).
fn values<'a, 'b: 'a, I>(attrs: I) -> impl Iterator<Item = &'a str> + use<'a, 'b, I>
where
    I: Iterator<Item = &'a AttributeTypeAndValue<'b>>,
{
    attrs.filter_map(|attr| attr.as_str().ok()).map(str::trim)
}

fn ip_address(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::certs::{self_signed, KeyType};

    #[test]
    fn every_key_type_parses_with_its_fields() {
        for key in [
            KeyType::Rsa2048,
            KeyType::EcP256,
            KeyType::EcP384,
            KeyType::Ed25519,
        ] {
            let cert = self_signed(
                key,
                "/CN=dev-42/O=Acme/OU=Sensors/C=DE/ST=Berlin/L=Berlin",
                Some("DNS:dev-42.example,IP:10.0.0.7,email:ops@example.com,URI:urn:dev:42"),
            );
            let parsed = parse_certificate(cert.der.clone()).unwrap_or_else(|e| panic!("{key:?}: {e}"));
            assert_eq!(parsed.fingerprint_sha256, hex::encode(Sha256::digest(&cert.der)));
            assert_eq!(parsed.field(SourceField::SubjectCommonName), Some("dev-42"));
            assert_eq!(parsed.field(SourceField::SubjectOrganizationName), Some("Acme"));
            assert_eq!(
                parsed.field(SourceField::SubjectOrganizationUnit),
                Some("Sensors")
            );
            assert_eq!(parsed.field(SourceField::SubjectCountry), Some("DE"));
            assert_eq!(parsed.field(SourceField::SubjectState), Some("Berlin"));
            assert_eq!(parsed.field(SourceField::SubjectLocality), Some("Berlin"));
            assert_eq!(parsed.field(SourceField::IssuerCommonName), Some("dev-42"));
            assert_eq!(parsed.field(SourceField::SanDnsName), Some("dev-42.example"));
            assert_eq!(parsed.field(SourceField::SanIpAddress), Some("10.0.0.7"));
            assert_eq!(parsed.field(SourceField::SanEmail), Some("ops@example.com"));
            assert_eq!(parsed.field(SourceField::SanUri), Some("urn:dev:42"));
            assert_eq!(
                parsed.field(SourceField::FingerprintSha256),
                Some(parsed.fingerprint_sha256.as_str())
            );
            let serial = parsed.field(SourceField::SerialNumber).expect("serial");
            assert!(serial
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
        }
    }

    #[test]
    fn an_import_parse_keeps_the_wanted_fields_and_the_same_record() {
        let cert = self_signed(
            KeyType::EcP256,
            "/CN=dev-7/O=Acme/OU=Sensors",
            Some("DNS:dev-7.example,IP:10.0.0.7"),
        );
        let all = parse_certificate(cert.der.clone()).expect("parse");
        let wanted = [SourceField::SubjectOrganizationUnit, SourceField::SanIpAddress];
        let some = parse_certificate_fields(cert.der, |f| wanted.contains(&f)).expect("parse");
        for field in wanted.into_iter().chain([SourceField::SerialNumber]) {
            assert_eq!(some.field(field), all.field(field), "{field:?}");
        }
        assert_eq!(some.fields.len(), 3, "{:?}", some.fields);
        assert_eq!(
            some.record("t", "2026-01-01T00:00:00Z"),
            all.record("t", "2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn absent_fields_are_absent_not_empty() {
        let cert = self_signed(KeyType::EcP256, "/CN=only-cn", None);
        let parsed = parse_certificate(cert.der).expect("parse");
        assert_eq!(parsed.field(SourceField::SubjectOrganizationName), None);
        assert_eq!(parsed.field(SourceField::SanDnsName), None);
        assert!(!parsed.fields.contains_key(&SourceField::SanIpAddress));
    }

    #[test]
    fn ipv6_san_is_formatted() {
        let cert = self_signed(KeyType::EcP256, "/CN=v6", Some("IP:2001:db8::1"));
        let parsed = parse_certificate(cert.der).expect("parse");
        assert_eq!(parsed.field(SourceField::SanIpAddress), Some("2001:db8::1"));
    }

    #[test]
    fn truncated_and_trailing_der_are_refused() {
        let cert = self_signed(KeyType::Ed25519, "/CN=t", None);
        let truncated = cert.der[..cert.der.len() - 10].to_vec();
        assert!(matches!(
            parse_certificate(truncated),
            Err(CertificateError::Malformed(_))
        ));
        let mut trailing = cert.der.clone();
        trailing.extend_from_slice(b"junk");
        assert_eq!(
            parse_certificate(trailing),
            Err(CertificateError::TrailingData(4))
        );
        assert!(matches!(
            parse_certificate(b"not der".to_vec()),
            Err(CertificateError::Malformed(_))
        ));
    }
}
