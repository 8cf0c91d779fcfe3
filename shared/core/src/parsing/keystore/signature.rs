//! Certificate signature checks with aws-lc-rs (x509-parser's own helper lacks P-521).

use aws_lc_rs::signature::{self, RsaParameters, RsaPssSaltLength, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::certificate::X509Certificate;
use x509_parser::signature_algorithm::{RsaSsaPssParams, SignatureAlgorithm};

use super::dsa::{DsaParams, DSA, SHA1_WITH_DSA, SHA224_WITH_DSA, SHA256_WITH_DSA};

const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SHA384: &str = "2.16.840.1.101.3.4.2.2";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// RSA-PSS with the salt as long as the digest (what signers use), or the 20 bytes the
/// parameters mean when they leave it out.
static PSS_SHA256_SALT_20: RsaParameters = RSA_PSS_SHA256.with_pss_salt_length(RsaPssSaltLength::Custom(20));
static PSS_SHA384_SALT_20: RsaParameters = RSA_PSS_SHA384.with_pss_salt_length(RsaPssSaltLength::Custom(20));
static PSS_SHA512_SALT_20: RsaParameters = RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Custom(20));
const RSA_PSS_SHA256: RsaParameters = signature::RSA_PSS_2048_8192_SHA256;
const RSA_PSS_SHA384: RsaParameters = signature::RSA_PSS_2048_8192_SHA384;
const RSA_PSS_SHA512: RsaParameters = signature::RSA_PSS_2048_8192_SHA512;

const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const P521: &str = "1.3.132.0.35";

/// Whether `issuer`'s key made `subject`'s signature. Unsupported algorithms do not verify.
pub fn issued_by(subject: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let signature_oid = subject.signature_algorithm.algorithm.to_id_string();
    if [SHA1_WITH_DSA, SHA224_WITH_DSA, SHA256_WITH_DSA].contains(&signature_oid.as_str()) {
        return dsa_issued_by(subject, issuer, &signature_oid);
    }
    if signature_oid == ED448 {
        return ed448_issued_by(subject, issuer);
    }
    let Some(algorithm) = verification_algorithm(subject, issuer) else {
        return false;
    };
    UnparsedPublicKey::new(algorithm, issuer.public_key().subject_public_key.data.as_ref())
        .verify(
            subject.tbs_certificate.as_ref(),
            subject.signature_value.data.as_ref(),
        )
        .is_ok()
}

/// The RSA-PSS parameters' hash and salt length, as a verification algorithm (MGF1 with
/// the same hash, as every signer uses).
fn pss_algorithm(params: &RsaSsaPssParams<'_>) -> Option<&'static dyn VerificationAlgorithm> {
    let hash = params.hash_algorithm_oid().to_id_string();
    let salt = params.salt_length();
    let algorithm: &'static dyn VerificationAlgorithm = match (hash.as_str(), salt) {
        (SHA256, 32) => &signature::RSA_PSS_2048_8192_SHA256,
        (SHA384, 48) => &signature::RSA_PSS_2048_8192_SHA384,
        (SHA512, 64) => &signature::RSA_PSS_2048_8192_SHA512,
        (SHA256, 20) => &PSS_SHA256_SALT_20,
        (SHA384, 20) => &PSS_SHA384_SALT_20,
        (SHA512, 20) => &PSS_SHA512_SALT_20,
        _ => return None,
    };
    Some(algorithm)
}

const ED448: &str = "1.3.101.113";

fn ed448_issued_by(subject: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let Ok(point) = <[u8; 57]>::try_from(issuer.public_key().subject_public_key.data.as_ref()) else {
        return false;
    };
    let (Ok(key), Ok(signature)) = (
        ed448_goldilocks::VerifyingKey::from_bytes(&point),
        ed448_goldilocks::Signature::from_slice(subject.signature_value.data.as_ref()),
    ) else {
        return false;
    };
    key.verify_raw(&signature, subject.tbs_certificate.as_ref())
        .is_ok()
}

fn dsa_issued_by(subject: &X509Certificate<'_>, issuer: &X509Certificate<'_>, signature_oid: &str) -> bool {
    let spki = issuer.public_key();
    if spki.algorithm.algorithm.to_id_string() != DSA {
        return false;
    }
    let der = spki.algorithm.parameters.as_ref().and_then(|p| {
        use x509_parser::der_parser::asn1_rs::ToDer;
        p.to_der_vec().ok()
    });
    let Some(params) = der.and_then(|der| DsaParams::from_der(&der)) else {
        return false;
    };
    params.verify(
        spki.subject_public_key.data.as_ref(),
        signature_oid,
        subject.tbs_certificate.as_ref(),
        subject.signature_value.data.as_ref(),
    )
}

fn verification_algorithm(
    subject: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Option<&'static dyn VerificationAlgorithm> {
    if subject.signature_algorithm.algorithm.to_id_string() == RSASSA_PSS {
        return match SignatureAlgorithm::try_from(&subject.signature_algorithm) {
            Ok(SignatureAlgorithm::RSASSA_PSS(params)) => pss_algorithm(&params),
            _ => None,
        };
    }
    let curve = issuer
        .public_key()
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|oid| oid.to_id_string());
    let algorithm: &'static dyn VerificationAlgorithm = match (
        subject.signature_algorithm.algorithm.to_id_string().as_str(),
        curve.as_deref(),
    ) {
        // Issuers' RSA keys from 1024 bits: old chains are imported (to be found and
        // replaced), and their key sizes shown.
        ("1.2.840.113549.1.1.5", _) => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
        ("1.2.840.113549.1.1.11", _) => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        ("1.2.840.113549.1.1.12", _) => &signature::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", _) => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        ("1.2.840.10045.4.3.2", Some(P256)) => &signature::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(P256)) => &signature::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Some(P256)) => &signature::ECDSA_P256_SHA512_ASN1,
        ("1.2.840.10045.4.3.2", Some(P384)) => &signature::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(P384)) => &signature::ECDSA_P384_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Some(P384)) => &signature::ECDSA_P384_SHA512_ASN1,
        ("1.2.840.10045.4.3.2", Some(P521)) => &signature::ECDSA_P521_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(P521)) => &signature::ECDSA_P521_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Some(P521)) => &signature::ECDSA_P521_SHA512_ASN1,
        ("1.3.101.112", _) => &signature::ED25519,
        _ => return None,
    };
    Some(algorithm)
}
