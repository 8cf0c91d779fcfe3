use crypto_box::aead::OsRng;
use crypto_box::{PublicKey, SecretKey};
use zeroize::Zeroizing;

/// A data encryption key: X25519. Clients seal passwords to `public`; the secret
/// exists outside memory only wrapped by the key service.
pub struct DekKeyPair {
    pub public: [u8; 32],
    pub secret: Zeroizing<[u8; 32]>,
}

impl DekKeyPair {
    pub fn generate() -> Self {
        let secret = SecretKey::generate(&mut OsRng);
        DekKeyPair {
            public: secret.public_key().to_bytes(),
            secret: Zeroizing::new(secret.to_bytes()),
        }
    }

    /// The pair of a known secret (test fixtures and key recovery).
    pub fn from_secret(secret: [u8; 32]) -> Self {
        let secret = SecretKey::from_bytes(secret);
        DekKeyPair {
            public: secret.public_key().to_bytes(),
            secret: Zeroizing::new(secret.to_bytes()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealedBoxError {
    #[error("the sealed box does not open with this encryption key (sealed to another key, or damaged)")]
    DoesNotOpen,
}

/// Opens libsodium's `crypto_box_seal` output (PyNaCl `SealedBox`, Go `box.SealAnonymous`).
pub fn open_sealed_box(secret: &[u8; 32], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealedBoxError> {
    SecretKey::from_bytes(*secret)
        .unseal(sealed)
        .map(Zeroizing::new)
        .map_err(|_| SealedBoxError::DoesNotOpen)
}

/// Seals like `crypto_box_seal`: what clients do; used by our client CLI and tests.
pub fn seal_to(public: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
    // Sealing only fails on a broken RNG; an empty result then fails to open later.
    PublicKey::from_bytes(*public)
        .seal(&mut OsRng, plaintext)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_boxes_open_only_with_their_key() {
        let dek = DekKeyPair::generate();
        let sealed = seal_to(&dek.public, "pässwörd".as_bytes());
        assert_eq!(sealed.len(), 32 + 16 + "pässwörd".len());
        assert_eq!(
            open_sealed_box(&dek.secret, &sealed).unwrap().as_slice(),
            "pässwörd".as_bytes()
        );
        let other = DekKeyPair::generate();
        assert_eq!(
            open_sealed_box(&other.secret, &sealed),
            Err(SealedBoxError::DoesNotOpen)
        );
        assert_eq!(
            open_sealed_box(&dek.secret, b"short"),
            Err(SealedBoxError::DoesNotOpen)
        );
    }
}
