//! A certificate as search sees it, computed field by field from the parsed DER only when
//! an expression asks (a FIND on the CN parses, but neither hashes nor formats names).

use chrono::{DateTime, Utc};
use x509_parser::certificate::X509Certificate;

use super::certificate::{alternative_names, strings, CertificateError};
use super::certificate_details::key;
use crate::domain::search::{Fact, Facts, Field};
use crate::domain::InventoryEntry;

pub struct SearchFacts<'a> {
    entry: &'a InventoryEntry,
    cert: X509Certificate<'a>,
}

impl<'a> SearchFacts<'a> {
    /// `der` is the entry's certificate, decoded.
    pub fn new(entry: &'a InventoryEntry, der: &'a [u8]) -> Result<SearchFacts<'a>, CertificateError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| CertificateError::Malformed(e.to_string()))?;
        Ok(SearchFacts { entry, cert })
    }
}

fn texts(values: Vec<String>) -> Vec<Fact> {
    values.into_iter().map(Fact::Text).collect()
}

fn date(t: i64) -> Vec<Fact> {
    vec![Fact::Date(
        DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default(),
    )]
}

impl Facts for SearchFacts<'_> {
    fn facts(&self, field: Field) -> Vec<Fact> {
        let (cert, record) = (&self.cert, &self.entry.certificate);
        let text = |s: &str| vec![Fact::Text(s.to_string())];
        match field {
            Field::Id => text(&record.id),
            Field::Fingerprint => text(&record.fingerprint_sha1),
            Field::FingerprintSha256 => text(&record.fingerprint_sha256),
            Field::CertificateName => {
                let cn = strings(cert.subject().iter_common_name());
                text(cn.first().unwrap_or(&record.fingerprint_sha1))
            }
            Field::SubjectCn => texts(strings(cert.subject().iter_common_name())),
            Field::IssuerCn => texts(strings(cert.issuer().iter_common_name())),
            Field::SubjectO => texts(strings(cert.subject().iter_organization())),
            Field::SubjectOu => texts(strings(cert.subject().iter_organizational_unit())),
            Field::SerialNumber => text(&record.serial_number),
            Field::SubjectAlternativeNameDns => {
                alternative_names(cert).map(|n| texts(n.dns)).unwrap_or_default()
            }
            Field::ValidityStart => date(cert.validity().not_before.timestamp()),
            Field::ValidityEnd => date(cert.validity().not_after.timestamp()),
            Field::KeyStrength => vec![Fact::Number(i64::from(key(cert).1))],
            Field::EncryptionType => text(key(cert).0),
            Field::KeyCurve => key(cert).2.map(text).unwrap_or_default(),
            Field::SelfSigned => vec![Fact::Bool(cert.subject().as_raw() == cert.issuer().as_raw())],
            Field::CertificateStatus => text("ACTIVE"),
            Field::HasPrivateKey => vec![Fact::Bool(self.entry.key.is_some())],
        }
    }
}
