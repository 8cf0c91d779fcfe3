//! X.509 certificates: parse once, keep the DER, its SHA-256 fingerprint and the
//! values of every mappable source field.

use std::collections::BTreeMap;
use std::net::IpAddr;

use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::OID_X509_SERIALNUMBER;
use x509_parser::x509::AttributeTypeAndValue;

use crate::domain::SourceField;

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
    /// Every value of each source field present, in certificate order.
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
}

pub fn parse_certificate(der: Vec<u8>) -> Result<ParsedCertificate, CertificateError> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(&der).map_err(|e| CertificateError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CertificateError::TrailingData(rest.len()));
    }
    let mut fields: BTreeMap<SourceField, Vec<String>> = BTreeMap::new();
    let mut add = |field: SourceField, value: String| {
        if !value.is_empty() {
            fields.entry(field).or_default().push(value);
        }
    };

    let subject = cert.subject();
    for (field, values) in [
        (
            SourceField::SubjectCommonName,
            strings(subject.iter_common_name()),
        ),
        (
            SourceField::SubjectOrganizationName,
            strings(subject.iter_organization()),
        ),
        (
            SourceField::SubjectOrganizationUnit,
            strings(subject.iter_organizational_unit()),
        ),
        (SourceField::SubjectCountry, strings(subject.iter_country())),
        (
            SourceField::SubjectState,
            strings(subject.iter_state_or_province()),
        ),
        (SourceField::SubjectLocality, strings(subject.iter_locality())),
        (SourceField::SubjectEmail, strings(subject.iter_email())),
        (
            SourceField::SubjectSerialNumber,
            strings(subject.iter_by_oid(&OID_X509_SERIALNUMBER)),
        ),
        (
            SourceField::IssuerCommonName,
            strings(cert.issuer().iter_common_name()),
        ),
    ] {
        for value in values {
            add(field, value);
        }
    }

    let san = cert
        .subject_alternative_name()
        .map_err(|e| CertificateError::Malformed(format!("subject alternative name: {e}")))?;
    for name in san.iter().flat_map(|ext| ext.value.general_names.iter()) {
        match name {
            GeneralName::DNSName(v) => add(SourceField::SanDnsName, v.to_string()),
            GeneralName::RFC822Name(v) => add(SourceField::SanEmail, v.to_string()),
            GeneralName::URI(v) => add(SourceField::SanUri, v.to_string()),
            GeneralName::IPAddress(bytes) => {
                if let Some(ip) = ip_address(bytes) {
                    add(SourceField::SanIpAddress, ip.to_string());
                }
            }
            _ => {}
        }
    }

    add(SourceField::SerialNumber, hex::encode_upper(cert.raw_serial()));
    drop(cert);
    let fingerprint_sha256 = hex::encode(Sha256::digest(&der));
    add(SourceField::FingerprintSha256, fingerprint_sha256.clone());
    Ok(ParsedCertificate {
        der,
        fingerprint_sha256,
        fields,
    })
}

fn strings<'a, 'b: 'a>(attrs: impl Iterator<Item = &'a AttributeTypeAndValue<'b>>) -> Vec<String> {
    attrs
        .filter_map(|attr| attr.as_str().ok())
        .map(|s| s.trim().to_string())
        .collect()
}

fn ip_address(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}
