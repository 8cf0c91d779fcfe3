//! What a PKCS#8 private key is, and which certificate it belongs to.

use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1_SIGNING,
};
use der::asn1::ObjectIdentifier;
use der::Encode;
use pkcs8::PrivateKeyInfoRef;
use zeroize::Zeroizing;

use super::dsa::{DsaParams, DSA};
use super::KeystoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa,
    EcP256,
    EcP384,
    EcP521,
    Ed25519,
    Ed448,
    Dsa,
}

impl KeyAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "RSA",
            KeyAlgorithm::EcP256 => "EC_P256",
            KeyAlgorithm::EcP384 => "EC_P384",
            KeyAlgorithm::EcP521 => "EC_P521",
            KeyAlgorithm::Ed25519 => "ED25519",
            KeyAlgorithm::Ed448 => "ED448",
            KeyAlgorithm::Dsa => "DSA",
        }
    }
}

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";
const ED448: &str = "1.3.101.113";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const P521: &str = "1.3.132.0.35";

/// A private key known to be usable: its PKCS#8 DER and the public key it implies,
/// encoded as a certificate's subjectPublicKey bits carry it.
pub struct PrivateKey {
    pub pkcs8_der: Zeroizing<Vec<u8>>,
    pub algorithm: KeyAlgorithm,
    pub public_key: Vec<u8>,
    /// DSA only: the domain parameters (DER) the key is for, which its certificate's must be.
    domain_parameters: Option<Vec<u8>>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .field("pkcs8_der", &"<redacted>")
            .finish()
    }
}

impl PrivateKey {
    pub fn from_pkcs8(pkcs8_der: Zeroizing<Vec<u8>>) -> Result<Self, KeystoreError> {
        let info = PrivateKeyInfoRef::try_from(pkcs8_der.as_slice())
            .map_err(|e| KeystoreError::malformed("PKCS#8 private key", e))?;
        let oid = info.algorithm.oid.to_string();
        let curve = info
            .algorithm
            .parameters
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .map(|c| c.to_string());
        let rejected = |e: aws_lc_rs::error::KeyRejected| KeystoreError::malformed("private key", e);
        let mut domain_parameters = None;
        let (algorithm, public_key) = match (oid.as_str(), curve.as_deref()) {
            (RSA, _) => match RsaKeyPair::from_pkcs8(&pkcs8_der) {
                Ok(pair) => (KeyAlgorithm::Rsa, pair.public_key().as_ref().to_vec()),
                Err(e) => (
                    KeyAlgorithm::Rsa,
                    legacy_rsa_public_key(info.private_key.as_bytes()).ok_or_else(|| rejected(e))?,
                ),
            },
            (EC, Some(curve)) => {
                let (algorithm, signing) = match curve {
                    P256 => (KeyAlgorithm::EcP256, &ECDSA_P256_SHA256_ASN1_SIGNING),
                    P384 => (KeyAlgorithm::EcP384, &ECDSA_P384_SHA384_ASN1_SIGNING),
                    P521 => (KeyAlgorithm::EcP521, &ECDSA_P521_SHA512_ASN1_SIGNING),
                    other => {
                        return Err(KeystoreError::UnsupportedKeyAlgorithm {
                            oid: format!("{EC} with curve {other}"),
                        })
                    }
                };
                let pair = EcdsaKeyPair::from_pkcs8(signing, &pkcs8_der).map_err(rejected)?;
                (algorithm, pair.public_key().as_ref().to_vec())
            }
            (ED25519, _) => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8_der).map_err(rejected)?;
                (KeyAlgorithm::Ed25519, pair.public_key().as_ref().to_vec())
            }
            (ED448, _) => {
                let key = ed448_goldilocks::SigningKey::try_from(info.clone())
                    .map_err(|e| KeystoreError::malformed("Ed448 private key", e))?;
                (KeyAlgorithm::Ed448, key.verifying_key().to_bytes().to_vec())
            }
            (DSA, _) => {
                let der = info.algorithm.parameters.and_then(|p| p.to_der().ok());
                let params = der.as_deref().and_then(DsaParams::from_der).ok_or_else(|| {
                    KeystoreError::malformed(
                        "DSA private key",
                        "no domain parameters of a FIPS 186 size ((1024, 160), (2048, 224), (2048, 256) or (3072, 256) bits)",
                    )
                })?;
                let public = params.public_key_of(info.private_key.as_bytes()).ok_or_else(|| {
                    KeystoreError::malformed("DSA private key", "not an integer from 1 to q - 1")
                })?;
                domain_parameters = der;
                (KeyAlgorithm::Dsa, public)
            }
            (EC, None) => return Err(KeystoreError::malformed("EC private key", "no named curve")),
            _ => return Err(KeystoreError::UnsupportedKeyAlgorithm { oid }),
        };
        Ok(PrivateKey {
            pkcs8_der,
            algorithm,
            public_key,
            domain_parameters,
        })
    }

    /// Whether `certificate_der` carries this key's public key.
    pub fn matches(&self, certificate_der: &[u8]) -> bool {
        let Ok((_, cert)) = x509_parser::parse_x509_certificate(certificate_der) else {
            return false;
        };
        let spki = cert.public_key();
        let certified = spki.subject_public_key.data.as_ref();
        if let Some(ours) = &self.domain_parameters {
            // A DSA key is its parameters and y: a certificate naming other parameters (or
            // inheriting its issuer's) does not hold this key.
            let theirs = <cms::cert::x509::spki::SubjectPublicKeyInfoRef as der::Decode>::from_der(spki.raw)
                .ok()
                .and_then(|spki| spki.algorithm.parameters)
                .and_then(|p| p.to_der().ok());
            if theirs.as_ref() != Some(ours) {
                return false;
            }
        }
        if certified == self.public_key.as_slice() {
            return true;
        }
        // EC certificates may carry the point compressed: 02/03 || X, parity of Y in the prefix.
        matches!(
            self.algorithm,
            KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 | KeyAlgorithm::EcP521
        ) && compressed_equals(certified, &self.public_key)
    }
}

/// RSAPrivateKey (RFC 8017), read only as far as its public half.
#[derive(der::Sequence)]
struct RsaPrivateKeyParts<'a> {
    _version: der::asn1::UintRef<'a>,
    modulus: der::asn1::UintRef<'a>,
    public_exponent: der::asn1::UintRef<'a>,
    _private_exponent: der::asn1::UintRef<'a>,
    _prime1: der::asn1::UintRef<'a>,
    _prime2: der::asn1::UintRef<'a>,
    _exponent1: der::asn1::UintRef<'a>,
    _exponent2: der::asn1::UintRef<'a>,
    _coefficient: der::asn1::UintRef<'a>,
    #[asn1(optional = "true")]
    _other_prime_infos: Option<der::asn1::AnyRef<'a>>,
}

#[derive(der::Sequence)]
struct RsaPublicKeyParts<'a> {
    modulus: der::asn1::UintRef<'a>,
    public_exponent: der::asn1::UintRef<'a>,
}

/// The RSAPublicKey of an RSA key from 1024 to 2047 bits, which the key library refuses
/// to load: old keys still import (to be found and replaced), matched on their public half.
fn legacy_rsa_public_key(rsa_private_key: &[u8]) -> Option<Vec<u8>> {
    use der::{Decode, Encode};
    let parts = RsaPrivateKeyParts::from_der(rsa_private_key).ok()?;
    let bits = parts.modulus.as_bytes().len() * 8;
    if !(1024..2048).contains(&bits) {
        return None;
    }
    RsaPublicKeyParts {
        modulus: parts.modulus,
        public_exponent: parts.public_exponent,
    }
    .to_der()
    .ok()
}

fn compressed_equals(compressed: &[u8], uncompressed: &[u8]) -> bool {
    let coordinate = (uncompressed.len().saturating_sub(1)) / 2;
    if compressed.len() != coordinate + 1 || uncompressed.first() != Some(&4) || coordinate == 0 {
        return false;
    }
    let (x, y) = uncompressed[1..].split_at(coordinate);
    let parity = if y.last().is_some_and(|b| b & 1 == 1) {
        3
    } else {
        2
    };
    compressed[0] == parity && &compressed[1..] == x
}

/// The index of the certificate whose public key is `key`'s.
pub fn find_leaf(key: &PrivateKey, certificates: &[Vec<u8>]) -> Result<usize, KeystoreError> {
    if certificates.is_empty() {
        return Err(KeystoreError::NoCertificate);
    }
    certificates.iter().position(|c| key.matches(c)).ok_or_else(|| {
        KeystoreError::KeyMismatch(if certificates.len() == 1 {
            String::new()
        } else {
            format!(
                " (none of the {} certificates holds its public key)",
                certificates.len()
            )
        })
    })
}
