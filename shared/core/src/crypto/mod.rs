//! Small cryptographic building blocks: the DEK (X25519 key pair) and libsodium sealed
//! boxes clients seal passwords to, and the envelope that keeps stored private keys.

mod dek;
mod envelope;

pub use dek::{open_sealed_box, seal_to, DekKeyPair, SealedBoxError};
pub use envelope::{open_envelope, seal_envelope, Envelope, EnvelopeError};
