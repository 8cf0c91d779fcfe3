//! Small cryptographic building blocks: the DEK (X25519 key pair) and libsodium sealed
//! boxes clients seal passwords to, the envelope that keeps stored private keys, and the
//! formats a private key is exported in.

mod dek;
mod envelope;
mod export;

pub use dek::{open_sealed_box, seal_to, DekKeyPair, SealedBoxError};
pub use envelope::{open_envelope, seal_envelope, Envelope, EnvelopeError};
pub use export::{
    certificates_pem, encrypted_pkcs8_pem, pem_block, pem_zip, pkcs12, ExportError, DEFAULT_EXPORT_ITERATIONS,
};
