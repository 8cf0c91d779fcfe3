//! What a certificate shows in the inventory (the Venafi-compatible certificate view and
//! the fields search filters on): names, validity, key and signature algorithms, in the
//! vocabulary Venafi's clients know (`SHA256_WITH_RSA_ENCRYPTION`, `P256`, ...).

use chrono::{DateTime, Utc};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_parser::public_key::PublicKey;

use super::certificate::{alternative_names, strings, CertificateError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDetails {
    /// SHA-1 of the DER, upper-case hex: Venafi's `fingerprint`.
    pub fingerprint_sha1: String,
    /// SHA-256 of the DER, lower-case hex: the inventory's key.
    pub fingerprint_sha256: String,
    /// Upper-case hex.
    pub serial_number: String,
    pub subject_dn: String,
    pub issuer_dn: String,
    pub subject_cn: Vec<String>,
    pub subject_o: Vec<String>,
    pub subject_ou: Vec<String>,
    pub subject_l: Vec<String>,
    pub subject_st: Vec<String>,
    pub subject_c: Vec<String>,
    pub issuer_cn: Vec<String>,
    pub issuer_ou: Vec<String>,
    pub san_dns: Vec<String>,
    pub san_ip: Vec<String>,
    pub san_email: Vec<String>,
    pub san_uri: Vec<String>,
    pub validity_start: DateTime<Utc>,
    pub validity_end: DateTime<Utc>,
    /// RSA, EC (EdDSA too), DSA or UNKNOWN.
    pub encryption_type: &'static str,
    /// Bits: the RSA modulus, the curve's size.
    pub key_strength: u32,
    /// P256, P384, P521, ED25519 or UNKNOWN for EC keys; none for others.
    pub key_curve: Option<&'static str>,
    pub signature_algorithm: &'static str,
    pub signature_hash_algorithm: &'static str,
    pub self_signed: bool,
}

/// Signature algorithm OIDs, with Venafi's names for the algorithm and its hash.
const SIGNATURES: [(&str, &str, &str); 14] = [
    ("1.2.840.113549.1.1.2", "MD2_WITH_RSA_ENCRYPTION", "MD2"),
    ("1.2.840.113549.1.1.4", "MD5_WITH_RSA_ENCRYPTION", "MD5"),
    ("1.2.840.113549.1.1.5", "SHA1_WITH_RSA_ENCRYPTION", "SHA1"),
    ("1.2.840.113549.1.1.14", "UNKNOWN", "SHA224"),
    ("1.2.840.113549.1.1.11", "SHA256_WITH_RSA_ENCRYPTION", "SHA256"),
    ("1.2.840.113549.1.1.12", "SHA384_WITH_RSA_ENCRYPTION", "SHA384"),
    ("1.2.840.113549.1.1.13", "SHA512_WITH_RSA_ENCRYPTION", "SHA512"),
    ("1.2.840.10040.4.3", "ID_DSA_WITH_SHA1", "SHA1"),
    ("2.16.840.1.101.3.4.3.2", "UNKNOWN", "SHA256"),
    ("1.2.840.10045.4.1", "EC_DSA_WITH_SHA1", "SHA1"),
    ("1.2.840.10045.4.3.1", "EC_DSA_WITH_SHA224", "SHA224"),
    ("1.2.840.10045.4.3.2", "EC_DSA_WITH_SHA256", "SHA256"),
    ("1.2.840.10045.4.3.3", "EC_DSA_WITH_SHA384", "SHA384"),
    ("1.2.840.10045.4.3.4", "EC_DSA_WITH_SHA512", "SHA512"),
];

const CURVES: [(&str, &str, u32); 3] = [
    ("1.2.840.10045.3.1.7", "P256", 256),
    ("1.3.132.0.34", "P384", 384),
    ("1.3.132.0.35", "P521", 521),
];

/// Where a certificate sits in a chain: what a client importing device certificates
/// needs to leave out the CA certificates that came along (a chain bundle, a directory
/// holding the CA with the certificates it issued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRole {
    /// The subject and issuer names, DER-encoded.
    pub subject: Vec<u8>,
    pub issuer: Vec<u8>,
    /// Its basic constraints say `cA`.
    pub certificate_authority: bool,
}

pub fn chain_role(der: &[u8]) -> Result<ChainRole, CertificateError> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| CertificateError::Malformed(e.to_string()))?;
    let constraints = cert
        .basic_constraints()
        .map_err(|e| CertificateError::Malformed(e.to_string()))?;
    Ok(ChainRole {
        subject: cert.subject().as_raw().to_vec(),
        issuer: cert.issuer().as_raw().to_vec(),
        certificate_authority: constraints.is_some_and(|c| c.value.ca),
    })
}

pub fn certificate_details(der: &[u8]) -> Result<CertificateDetails, CertificateError> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| CertificateError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CertificateError::TrailingData(rest.len()));
    }
    let (subject, issuer) = (cert.subject(), cert.issuer());
    let sans = alternative_names(&cert)?;
    let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
    let (signature_algorithm, signature_hash_algorithm) = SIGNATURES
        .iter()
        .find(|(oid, _, _)| *oid == signature_oid)
        .map_or(("UNKNOWN", "UNKNOWN"), |(_, name, hash)| (*name, *hash));
    let (encryption_type, key_strength, key_curve) = key(&cert);
    let timestamp = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
    Ok(CertificateDetails {
        fingerprint_sha1: hex::encode_upper(Sha1::digest(der)),
        fingerprint_sha256: hex::encode(Sha256::digest(der)),
        serial_number: hex::encode_upper(cert.raw_serial()),
        subject_dn: subject.to_string(),
        issuer_dn: issuer.to_string(),
        subject_cn: strings(subject.iter_common_name()),
        subject_o: strings(subject.iter_organization()),
        subject_ou: strings(subject.iter_organizational_unit()),
        subject_l: strings(subject.iter_locality()),
        subject_st: strings(subject.iter_state_or_province()),
        subject_c: strings(subject.iter_country()),
        issuer_cn: strings(issuer.iter_common_name()),
        issuer_ou: strings(issuer.iter_organizational_unit()),
        san_dns: sans.dns,
        san_ip: sans.ip,
        san_email: sans.email,
        san_uri: sans.uri,
        validity_start: timestamp(cert.validity().not_before.timestamp()),
        validity_end: timestamp(cert.validity().not_after.timestamp()),
        encryption_type,
        key_strength,
        key_curve,
        signature_algorithm,
        signature_hash_algorithm,
        self_signed: subject.as_raw() == issuer.as_raw(),
    })
}

/// Venafi's encryption type, the key's strength in bits, and its curve.
pub(super) fn key(
    cert: &x509_parser::certificate::X509Certificate<'_>,
) -> (&'static str, u32, Option<&'static str>) {
    let spki = cert.public_key();
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.3.101.112" => ("EC", 256, Some("ED25519")),
        "1.3.101.113" => ("EC", 456, Some("UNKNOWN")),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .and_then(|oid| CURVES.iter().find(|(id, _, _)| *id == oid));
            match curve {
                Some((_, name, bits)) => ("EC", *bits, Some(*name)),
                None => ("EC", 0, Some("UNKNOWN")),
            }
        }
        _ => match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => ("RSA", rsa.key_size() as u32, None),
            Ok(PublicKey::DSA(y)) => ("DSA", (y.len() * 8) as u32, None),
            _ => ("UNKNOWN", 0, None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::certs::{self_signed, KeyType};

    #[test]
    fn an_rsa_certificate_shows_its_names_key_and_signature() {
        let cert = self_signed(
            KeyType::Rsa2048,
            "/CN=meter-001/O=Acme/OU=Meters/L=Oslo/ST=Oslo/C=NO",
            Some("DNS:meter-001.example.com,IP:10.0.0.1,email:ops@example.com,URI:urn:dev:1"),
        );
        let d = certificate_details(&cert.der).unwrap();
        assert_eq!(
            (d.subject_cn.as_slice(), d.subject_o.as_slice()),
            (&["meter-001".to_string()][..], &["Acme".to_string()][..])
        );
        assert_eq!(
            (
                d.subject_ou[0].as_str(),
                d.subject_l[0].as_str(),
                d.subject_c[0].as_str()
            ),
            ("Meters", "Oslo", "NO")
        );
        assert_eq!(d.san_dns, ["meter-001.example.com"]);
        assert_eq!(
            (
                d.san_ip[0].as_str(),
                d.san_email[0].as_str(),
                d.san_uri[0].as_str()
            ),
            ("10.0.0.1", "ops@example.com", "urn:dev:1")
        );
        assert_eq!(
            (d.encryption_type, d.key_strength, d.key_curve),
            ("RSA", 2048, None)
        );
        assert_eq!(
            (d.signature_algorithm, d.signature_hash_algorithm),
            ("SHA256_WITH_RSA_ENCRYPTION", "SHA256")
        );
        assert!(d.self_signed);
        assert_eq!(d.issuer_cn, d.subject_cn);
        assert_eq!(d.fingerprint_sha1, hex::encode_upper(Sha1::digest(&cert.der)));
        assert!(d
            .serial_number
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert!(d.validity_start < d.validity_end);
    }

    #[test]
    fn ec_and_eddsa_keys_show_their_curve() {
        let cases = [
            (KeyType::EcP256, 256, "P256", "EC_DSA_WITH_SHA256"),
            (KeyType::EcP384, 384, "P384", "EC_DSA_WITH_SHA384"),
            (KeyType::Ed25519, 256, "ED25519", "UNKNOWN"),
        ];
        for (key, bits, curve, signature) in cases {
            let d = certificate_details(&self_signed(key, "/CN=k", None).der).unwrap();
            assert_eq!(
                (d.encryption_type, d.key_strength, d.key_curve),
                ("EC", bits, Some(curve)),
                "{key:?}"
            );
            assert_eq!(d.signature_algorithm, signature, "{key:?}");
        }
    }

    #[test]
    fn absent_names_are_empty_and_bad_der_is_an_error() {
        let d = certificate_details(&self_signed(KeyType::EcP256, "/O=Nameless", None).der).unwrap();
        assert!(d.subject_cn.is_empty() && d.san_dns.is_empty() && d.subject_ou.is_empty());
        assert!(certificate_details(b"\x30\x03\x02\x01\x01").is_err());
    }
}
