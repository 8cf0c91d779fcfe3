//! The PKCS#8 item forms of a keystore import: a PEM certificate with an encrypted PKCS#8 key
//! (password sealed to the DEK), or with the key itself sealed to the DEK.

use zeroize::Zeroizing;

use super::kdf::{pbes2_decrypt, KdfBudget};
use super::pkcs12::Pkcs12Limits;
use super::KeystoreError;

/// EncryptedPrivateKeyInfo with its algorithm left for `pbes2_decrypt` to read.
#[derive(der::Sequence)]
struct EncryptedKeyInfo {
    algorithm: cms::cert::x509::spki::AlgorithmIdentifierOwned,
    data: der::asn1::OctetString,
}
use crate::parsing::pem::all_blocks;

/// The DER of the first CERTIFICATE block.
pub fn read_pem_certificate(pem: &str) -> Result<Vec<u8>, KeystoreError> {
    let block = all_blocks(pem.as_bytes())
        .into_iter()
        .find(|b| b.label == "CERTIFICATE")
        .ok_or_else(|| KeystoreError::malformed("certificate", "no -----BEGIN CERTIFICATE----- block"))?;
    let der = block
        .body
        .map_err(|e| KeystoreError::malformed("certificate", e))?;
    Ok(der.to_vec())
}

/// Decrypts an `ENCRYPTED PRIVATE KEY` PEM (PBES2) with `password`.
pub fn decrypt_pkcs8_pem(
    pem: &str,
    password: &str,
    limits: &Pkcs12Limits,
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    let blocks = all_blocks(pem.as_bytes());
    let Some(block) = blocks.into_iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
        return Err(KeystoreError::malformed(
            "private key",
            "no -----BEGIN ENCRYPTED PRIVATE KEY----- block",
        ));
    };
    if block.label != "ENCRYPTED PRIVATE KEY" {
        return Err(KeystoreError::malformed(
            "private key",
            format!(
                "expected an ENCRYPTED PRIVATE KEY (PKCS#8) block, found {}; convert it with \
                 `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                block.label
            ),
        ));
    }
    let der = block
        .body
        .map_err(|e| KeystoreError::malformed("private key", e))?;
    let info = <EncryptedKeyInfo as der::Decode>::from_der(der.as_slice())
        .map_err(|e| KeystoreError::malformed("encrypted PKCS#8 key", e))?;
    if info.algorithm.oid.to_string() != "1.2.840.113549.1.5.13" {
        return Err(KeystoreError::UnsupportedEncryption {
            oid: info.algorithm.oid.to_string(),
            what: "PKCS#8 encryption scheme (only PBES2 is supported)",
        });
    }
    let mut budget = KdfBudget::new(limits);
    let key = pbes2_decrypt(
        &info.algorithm,
        password.as_bytes(),
        info.data.as_bytes(),
        &mut budget,
    )?;
    // Garbage after a wrong key can pass the padding check: a key must parse.
    pkcs8::PrivateKeyInfoRef::try_from(key.as_slice()).map_err(|_| KeystoreError::WrongPassword)?;
    Ok(key)
}

/// A plain PKCS#8 key as PEM (`PRIVATE KEY`) or DER, as opened from a sealed box.
pub fn read_pkcs8_key(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    if bytes.first() == Some(&0x30) {
        return Ok(Zeroizing::new(bytes.to_vec()));
    }
    let blocks = all_blocks(bytes);
    let Some(block) = blocks.into_iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
        return Err(KeystoreError::malformed(
            "private key",
            "neither a -----BEGIN PRIVATE KEY----- block nor DER",
        ));
    };
    match block.label.as_str() {
        "PRIVATE KEY" => block.body.map_err(|e| KeystoreError::malformed("private key", e)),
        "ENCRYPTED PRIVATE KEY" => Err(KeystoreError::malformed(
            "private key",
            "the sealed key is itself encrypted; send it as passwordEncryptedPrivateKey with dekEncryptedPassword",
        )),
        other => Err(KeystoreError::malformed(
            "private key",
            format!("expected a PRIVATE KEY (PKCS#8) block, found {other}; convert it with `openssl pkcs8 -topk8 -nocrypt`"),
        )),
    }
}
