//! Envelope encryption of stored private keys: AES-256-GCM under a fresh data key
//! from the key service; only the wrapped data key is kept beside the ciphertext.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// What is stored: JSON, every field base64 except the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub version: u32,
    /// The data key as the key service wrapped it.
    pub wrapped_data_key: String,
    pub nonce: String,
    pub ciphertext: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the envelope is malformed")]
    Malformed,
    #[error("the envelope does not open with this data key and associated data")]
    DoesNotOpen,
}

pub fn seal_envelope(data_key: &[u8; 32], wrapped_data_key: &[u8], aad: &[u8], plaintext: &[u8]) -> Envelope {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    // AES-GCM encryption cannot fail for inputs under 64 GiB.
    let ciphertext = Aes256Gcm::new(&(*data_key).into())
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad })
        .unwrap_or_default();
    Envelope {
        version: 1,
        wrapped_data_key: B64.encode(wrapped_data_key),
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    }
}

/// The wrapped data key of an envelope, to unwrap with the key service.
impl Envelope {
    pub fn wrapped_data_key(&self) -> Result<Vec<u8>, EnvelopeError> {
        B64.decode(&self.wrapped_data_key)
            .map_err(|_| EnvelopeError::Malformed)
    }
}

pub fn open_envelope(
    data_key: &[u8],
    envelope: &Envelope,
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    let nonce = B64
        .decode(&envelope.nonce)
        .map_err(|_| EnvelopeError::Malformed)?;
    let ciphertext = B64
        .decode(&envelope.ciphertext)
        .map_err(|_| EnvelopeError::Malformed)?;
    if envelope.version != 1 {
        return Err(EnvelopeError::Malformed);
    }
    let nonce = Nonce::try_from(nonce.as_slice()).map_err(|_| EnvelopeError::Malformed)?;
    Aes256Gcm::new_from_slice(data_key)
        .map_err(|_| EnvelopeError::Malformed)?
        .decrypt(
            &nonce,
            Payload {
                msg: &ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| EnvelopeError::DoesNotOpen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_the_associated_data() {
        let key = [7u8; 32];
        let envelope = seal_envelope(&key, b"wrapped", b"tenant|fp", b"private key");
        assert_eq!(envelope.wrapped_data_key().unwrap(), b"wrapped");
        assert_eq!(
            open_envelope(&key, &envelope, b"tenant|fp").unwrap().as_slice(),
            b"private key"
        );
        assert!(!envelope.ciphertext.contains("private"));
        assert_eq!(
            open_envelope(&key, &envelope, b"other|fp"),
            Err(EnvelopeError::DoesNotOpen)
        );
        assert_eq!(
            open_envelope(&[8u8; 32], &envelope, b"tenant|fp"),
            Err(EnvelopeError::DoesNotOpen)
        );
    }
}
