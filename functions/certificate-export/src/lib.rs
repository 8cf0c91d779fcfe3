//! POST /outagedetection/v1/certificates/{id}/keystore: a certificate with its private key,
//! re-encrypted under the caller's passphrase. The only function that may decrypt a stored
//! private key (and unwrap the DEK that opens the passphrases).

pub mod http_handler;
