//! Private-key export formats: a PKCS#12 file and an encrypted PKCS#8 PEM, both with the
//! algorithms OpenSSL 3 uses by default (PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC; a
//! SHA-256 MAC on the PKCS#12), and the PEM zip laid out as Venafi's clients unpack it.

use std::io::Write;

use base64::Engine;
use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use pkcs8::PrivateKeyInfoRef;
use rand::RngCore;
use zeroize::Zeroizing;

/// KDF and MAC iterations of an export unless set otherwise: OWASP's Password Storage
/// Cheat Sheet asks 600,000 for PBKDF2-HMAC-SHA256 (OpenSSL 3 writes 2048).
pub const DEFAULT_EXPORT_ITERATIONS: u32 = 600_000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the stored private key is not a PKCS#8 key: {0}")]
    NotPkcs8(String),
    #[error("a certificate of the chain is not DER X.509: {0}")]
    BadCertificate(String),
    #[error("the export could not be written: {0}")]
    Encoding(String),
}

/// A PKCS#12 file holding `key` (PKCS#8 DER) and `chain` (DER, leaf first) under
/// `friendly_name`, encrypted and MAC'd with `passphrase` (both with `iterations`: a MAC
/// that took fewer would be the cheaper way to guess the passphrase).
pub fn pkcs12(
    key: &[u8],
    chain: &[Vec<u8>],
    friendly_name: &str,
    passphrase: &str,
    iterations: u32,
) -> Result<Vec<u8>, ExportError> {
    let key = PrivateKey::from_der(key).map_err(|e| ExportError::NotPkcs8(e.to_string()))?;
    let certificates = chain
        .iter()
        .map(|der| Certificate::from_der(der).map_err(|e| ExportError::BadCertificate(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let local_key_id = certificates
        .first()
        .map(|leaf| sha1_of(leaf.as_der()))
        .unwrap_or_default();
    let mut store = KeyStore::new();
    let name = if friendly_name.is_empty() {
        "certificate"
    } else {
        friendly_name
    };
    store.add_entry(
        name,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certificates)),
    );
    store
        .writer(passphrase)
        .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(iterations)
        .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha256)
        .mac_iterations(iterations)
        .write()
        .map_err(|e| ExportError::Encoding(e.to_string()))
}

/// `key` (PKCS#8 DER) as an `ENCRYPTED PRIVATE KEY` PEM under `passphrase`, its PBKDF2
/// taking `iterations`.
pub fn encrypted_pkcs8_pem(
    key: &[u8],
    passphrase: &str,
    iterations: u32,
) -> Result<Zeroizing<String>, ExportError> {
    let info = PrivateKeyInfoRef::try_from(key).map_err(|e| ExportError::NotPkcs8(e.to_string()))?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    rand::rng().fill_bytes(&mut iv);
    let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(iterations, &salt, iv)
        .map_err(|e| ExportError::Encoding(e.to_string()))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| ExportError::Encoding(e.to_string()))?;
    Ok(Zeroizing::new(pem_block(
        "ENCRYPTED PRIVATE KEY",
        encrypted.as_bytes(),
    )))
}

/// One PEM block, 64 characters a line, LF only.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// Certificates as PEM blocks separated by one blank line.
pub fn certificates_pem<'a>(chain: impl IntoIterator<Item = &'a Vec<u8>>) -> String {
    chain
        .into_iter()
        .map(|der| pem_block("CERTIFICATE", der))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The PEM export as a zip: `<name>.key` (the encrypted key), `<name>.crt` (the leaf),
/// `<name>_root-first.pem` (root ... leaf) and `<name>_root-last.pem` (leaf ... root).
pub fn pem_zip(name: &str, encrypted_key_pem: &str, chain: &[Vec<u8>]) -> Result<Vec<u8>, ExportError> {
    let leaf = chain
        .first()
        .map(|leaf| certificates_pem([leaf]))
        .unwrap_or_default();
    let files = [
        (format!("{name}.key"), encrypted_key_pem.to_string()),
        (format!("{name}.crt"), leaf),
        (
            format!("{name}_root-first.pem"),
            certificates_pem(chain.iter().rev()),
        ),
        (format!("{name}_root-last.pem"), certificates_pem(chain.iter())),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let encoding = |e: &dyn std::fmt::Display| ExportError::Encoding(e.to_string());
    for (file, contents) in files {
        zip.start_file(file, options).map_err(|e| encoding(&e))?;
        zip.write_all(contents.as_bytes()).map_err(|e| encoding(&e))?;
    }
    Ok(zip.finish().map_err(|e| encoding(&e))?.into_inner())
}

fn sha1_of(der: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(der).to_vec()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::parsing::keystore::{decrypt_pkcs8_pem, open_pkcs12, Pkcs12Limits, PrivateKey as Key};
    use crate::testing::certs::ca_signed_keystores;

    /// A CA-signed keystore of the test corpus: its PKCS#8 key and chain (leaf first).
    fn key_and_chain() -> (Zeroizing<Vec<u8>>, Vec<Vec<u8>>) {
        let (_, keystores) = ca_signed_keystores(1, "changeit");
        let opened = open_pkcs12(&keystores[0], "changeit", &Pkcs12Limits::default()).unwrap();
        (opened.private_keys[0].clone(), opened.certificates)
    }

    fn leaf_first(key: &[u8], chain: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let key = Key::from_pkcs8(Zeroizing::new(key.to_vec())).unwrap();
        let (leaves, others): (Vec<_>, Vec<_>) = chain.into_iter().partition(|c| key.matches(c));
        leaves.into_iter().chain(others).collect()
    }

    #[test]
    fn a_pkcs12_export_opens_with_its_passphrase_and_holds_the_key_and_chain() {
        let (key, chain) = key_and_chain();
        let chain = leaf_first(&key, chain);
        let p12 = pkcs12(
            &key,
            &chain,
            "device-1",
            "s3cret passphrase",
            DEFAULT_EXPORT_ITERATIONS,
        )
        .unwrap();
        let opened = open_pkcs12(&p12, "s3cret passphrase", &Pkcs12Limits::default()).unwrap();
        assert_eq!(opened.private_keys[0].as_slice(), key.as_slice());
        assert_eq!(opened.certificates.len(), chain.len());
        assert!(open_pkcs12(&p12, "wrong", &Pkcs12Limits::default()).is_err());
        // PBES2 and AES-256-CBC, as OpenSSL 3 writes them.
        let has = |oid: &[u8]| p12.windows(oid.len()).any(|w| w == oid);
        assert!(
            has(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d]),
            "PBES2"
        );
        assert!(
            has(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a]),
            "AES-256-CBC"
        );
    }

    #[test]
    fn an_encrypted_pkcs8_export_decrypts_with_its_passphrase_only() {
        let (key, _) = key_and_chain();
        let pem = encrypted_pkcs8_pem(&key, "key passphrase", DEFAULT_EXPORT_ITERATIONS).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let limits = Pkcs12Limits::default();
        assert_eq!(
            decrypt_pkcs8_pem(&pem, "key passphrase", &limits)
                .unwrap()
                .as_slice(),
            key.as_slice()
        );
        assert!(decrypt_pkcs8_pem(&pem, "other", &limits).is_err());
    }

    #[test]
    fn the_pem_zip_holds_the_key_the_leaf_and_both_chain_orders_lf_only() {
        let chain = vec![b"leaf".to_vec(), b"intermediate".to_vec(), b"root".to_vec()];
        let zip = pem_zip("device-1", "KEY\n", &chain).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "device-1.crt",
                "device-1.key",
                "device-1_root-first.pem",
                "device-1_root-last.pem"
            ]
        );
        let mut read = |name: &str| {
            let mut text = String::new();
            archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
            text
        };
        let root_first = read("device-1_root-first.pem");
        assert!(!root_first.contains('\r'));
        let blocks: Vec<&str> = root_first.split("\n\n").collect();
        assert_eq!(
            blocks.len(),
            3,
            "blocks separated by one blank line: {root_first}"
        );
        assert!(blocks[0].contains(&base64::engine::general_purpose::STANDARD.encode(b"root")));
        assert_eq!(read("device-1.crt"), pem_block("CERTIFICATE", b"leaf"));
        let root_last = read("device-1_root-last.pem");
        assert!(root_last.starts_with(&pem_block("CERTIFICATE", b"leaf")));
        assert_eq!(read("device-1.key"), "KEY\n");
    }
}
