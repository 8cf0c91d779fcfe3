//! Keystores: PKCS#12 archives and PKCS#8 keys, opened, checked (key matches
//! certificate, chain reaches a trusted CA) and reduced to what the inventory stores.

mod chain;
mod dsa;
mod kdf;
mod pfx;
mod pkcs12;
mod pkcs8_pem;
mod private_key;
mod signature;

pub use chain::{order_trusted_chain, trust_anchor};
pub use pkcs12::{open_pkcs12, KeystoreContents, Pkcs12Limits};
pub use pkcs8_pem::{decrypt_pkcs8_pem, read_pem_certificate, read_pkcs8_key};
pub use private_key::{find_leaf, KeyAlgorithm, PrivateKey};

/// Why a keystore item cannot be imported. Each maps to a stable reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    #[error("the password is wrong (the PKCS#12 integrity check or decryption failed with it)")]
    WrongPassword,
    #[error("unsupported algorithm {oid} ({what}); re-export the keystore with AES-256-CBC/PBKDF2 (OpenSSL 3 default) or PBE-SHA1-3DES")]
    UnsupportedEncryption { oid: String, what: &'static str },
    #[error("unsupported key algorithm {oid}; supported: RSA, EC P-256/P-384/P-521, Ed25519")]
    UnsupportedKeyAlgorithm { oid: String },
    #[error("the keystore asks for {found} key-derivation iterations; at most {max} are accepted")]
    TooManyIterations { found: u64, max: u64 },
    #[error("the keystore's key derivations (MAC, safes, keys) add up to more than {max} iterations (at least {needed}); CERTPORT_PKCS12_MAX_KDF_WORK sets the limit")]
    TooMuchWork { needed: u64, max: u64 },
    #[error("the key asks for scrypt with N = {n}, r = {r}, p = {p}: more than {max_memory} bytes of memory or more than 16 lanes; re-encrypt it with PBKDF2 or smaller parameters")]
    ScryptTooCostly { n: u64, r: u64, p: u64, max_memory: u64 },
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    #[error("the keystore holds no private key")]
    NoPrivateKey,
    #[error("the keystore holds {0} private keys; import one key with its chain per item")]
    SeveralPrivateKeys(usize),
    #[error("the keystore holds no certificate")]
    NoCertificate,
    #[error("the private key does not match the certificate{0}")]
    KeyMismatch(String),
    #[error("the chain is not trusted: {0}")]
    ChainNotTrusted(String),
    #[error("{0}")]
    Expired(String),
    #[error("the keystore is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the keystore holds more than {0} entries (safes, keys and certificates); import one key with its chain per item")]
    TooManyEntries(usize),
}

impl KeystoreError {
    pub(crate) fn malformed(what: &'static str, detail: impl std::fmt::Display) -> Self {
        KeystoreError::Malformed {
            what,
            detail: detail.to_string(),
        }
    }
}

impl KeystoreError {
    pub fn reason(&self) -> crate::domain::ItemFailureReason {
        use crate::domain::ItemFailureReason as R;
        match self {
            KeystoreError::WrongPassword => R::WrongPassword,
            KeystoreError::UnsupportedEncryption { .. } | KeystoreError::UnsupportedKeyAlgorithm { .. } => {
                R::UnsupportedAlgorithm
            }
            KeystoreError::TooManyIterations { .. }
            | KeystoreError::TooMuchWork { .. }
            | KeystoreError::ScryptTooCostly { .. } => R::TooManyIterations,
            KeystoreError::Malformed { .. } => R::Malformed,
            KeystoreError::NoPrivateKey => R::NoPrivateKey,
            KeystoreError::SeveralPrivateKeys(_) => R::SeveralPrivateKeys,
            KeystoreError::NoCertificate => R::NoCertificate,
            KeystoreError::KeyMismatch(_) => R::KeyMismatch,
            KeystoreError::ChainNotTrusted(_) => R::ChainNotTrusted,
            KeystoreError::Expired(_) => R::Expired,
            KeystoreError::TooLarge(_) | KeystoreError::TooManyEntries(_) => R::TooLarge,
        }
    }
}

/// A keystore item reduced to what the inventory keeps: the key and its trusted path.
#[derive(Debug)]
pub struct PreparedKey {
    pub key: PrivateKey,
    /// Leaf first.
    pub chain: Vec<Vec<u8>>,
}

impl PreparedKey {
    pub fn leaf(&self) -> &[u8] {
        self.chain.first().map(Vec::as_slice).unwrap_or_default()
    }
}

/// The one private key of a keystore, inspected.
pub fn single_key(private_keys: Vec<zeroize::Zeroizing<Vec<u8>>>) -> Result<PrivateKey, KeystoreError> {
    let mut keys = private_keys.into_iter();
    match (keys.next(), keys.len()) {
        (None, _) => Err(KeystoreError::NoPrivateKey),
        (Some(key), 0) => PrivateKey::from_pkcs8(key),
        (Some(_), more) => Err(KeystoreError::SeveralPrivateKeys(more + 1)),
    }
}

/// Key + certificates → the checked, ordered item: exactly one key, a certificate that
/// holds its public key, and a path from it to a trusted CA.
pub fn prepare_key(
    private_keys: Vec<zeroize::Zeroizing<Vec<u8>>>,
    certificates: &[Vec<u8>],
    trusted_cas: &[Vec<u8>],
    now_unix: i64,
) -> Result<PreparedKey, KeystoreError> {
    let key = single_key(private_keys)?;
    let leaf = find_leaf(&key, certificates)?;
    let chain = order_trusted_chain(leaf, certificates, trusted_cas, now_unix)?;
    Ok(PreparedKey { key, chain })
}

#[cfg(test)]
mod tests;
