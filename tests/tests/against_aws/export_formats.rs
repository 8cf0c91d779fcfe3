//! The private-key export formats open in Python `cryptography` (pinned in the test
//! virtualenv), as they would for a client: the PKCS#12 file with its passphrase, the
//! encrypted PKCS#8 PEM with its own, each key the certificate's.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::crypto::{encrypted_pkcs8_pem, pkcs12, DEFAULT_EXPORT_ITERATIONS};
use certport_core::parsing::keystore::{open_pkcs12, Pkcs12Limits, PrivateKey};
use certport_core::testing::certs::ca_signed_keystores;
use certport_tests::python::run_json;
use serde_json::json;
use zeroize::Zeroizing;

const OPEN_WITH_CRYPTOGRAPHY: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
request = json.load(sys.stdin)
key, cert, more = pkcs12.load_key_and_certificates(
    base64.b64decode(request["p12"]), request["p12_passphrase"].encode())
pem_key = serialization.load_pem_private_key(
    request["key_pem"].encode(), request["key_passphrase"].encode())
spki = lambda k: k.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
cert_spki = cert.public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
print(json.dumps({
    "p12_key_matches": spki(key) == cert_spki,
    "pem_key_matches": spki(pem_key) == cert_spki,
    "chain": 1 + len(more),
}))
"#;

#[test]
fn python_cryptography_opens_both_exports_with_their_passphrases() {
    let (_, keystores) = ca_signed_keystores(1, "changeit");
    let opened = open_pkcs12(&keystores[0], "changeit", &Pkcs12Limits::default()).unwrap();
    let key = opened.private_keys[0].clone();
    let parsed = PrivateKey::from_pkcs8(Zeroizing::new(key.to_vec())).unwrap();
    let (leaves, others): (Vec<_>, Vec<_>) = opened.certificates.into_iter().partition(|c| parsed.matches(c));
    let chain: Vec<Vec<u8>> = leaves.into_iter().chain(others).collect();
    let p12 = pkcs12(
        &key,
        &chain,
        "device-1",
        "p12 passphrase",
        DEFAULT_EXPORT_ITERATIONS,
    )
    .unwrap();
    let key_pem = encrypted_pkcs8_pem(&key, "key passphrase", DEFAULT_EXPORT_ITERATIONS).unwrap();
    let opened = run_json(
        OPEN_WITH_CRYPTOGRAPHY,
        &json!({
            "p12": B64.encode(&p12),
            "p12_passphrase": "p12 passphrase",
            "key_pem": key_pem.as_str(),
            "key_passphrase": "key passphrase",
        }),
    );
    assert_eq!(
        opened,
        json!({"p12_key_matches": true, "pem_key_matches": true, "chain": 2})
    );
}
