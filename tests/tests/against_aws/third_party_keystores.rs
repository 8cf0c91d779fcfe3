//! Keystores certport did not make: every PKCS#12 file of Python `cryptography`'s test
//! vectors (its own files and NIST PKITS), pinned in the test virtualenv, opens in
//! certport when `cryptography` opens it, with its key found among its certificates.

use certport_core::parsing::keystore::{find_leaf, open_pkcs12, single_key, KeystoreError, Pkcs12Limits};
use certport_tests::python::run_json;
use serde_json::{json, Value};

/// Each vector file `cryptography` opens: path, the password that opened it, whether it
/// holds a key.
const SCRIPT: &str = r#"
import glob, json, os, sys, warnings
import cryptography_vectors
from cryptography.hazmat.primitives.serialization import pkcs12
warnings.simplefilter("ignore")
root = os.path.dirname(cryptography_vectors.__file__)
opened = []
for path in sorted(glob.glob(os.path.join(root, "**", "*.p12"), recursive=True)):
    data = open(path, "rb").read()
    for password in (b"cryptography", b"password", None, b""):
        try:
            key, _, _ = pkcs12.load_key_and_certificates(data, password)
        except Exception:
            continue
        opened.append({"path": path, "password": (password or b"").decode(), "key": key is not None})
        break
print(json.dumps(opened))
"#;

#[test]
fn every_keystore_python_cryptography_opens_opens_with_its_key() {
    let opened: Vec<Value> = serde_json::from_value(run_json(SCRIPT, &json!({}))).unwrap();
    assert!(opened.len() > 400, "the vectors are installed: {}", opened.len());
    let mut refused = Vec::new();
    for case in &opened {
        let path = case["path"].as_str().unwrap();
        let data = std::fs::read(path).unwrap();
        let contents = open_pkcs12(
            &data,
            case["password"].as_str().unwrap(),
            &Pkcs12Limits::default(),
        );
        let outcome = contents.and_then(|c| match case["key"].as_bool().unwrap() {
            true => find_leaf(&single_key(c.private_keys)?, &c.certificates).map(|_| ()),
            false => Ok(()),
        });
        match outcome {
            Ok(()) => {}
            // A key without any certificate: nothing an inventory can hold (NO_CERTIFICATE).
            Err(KeystoreError::NoCertificate) if path.ends_with("no-cert-key-aes256cbc.p12") => {}
            Err(e) => refused.push(format!("{path}: {e}")),
        }
    }
    assert!(
        refused.is_empty(),
        "{} refused:\n{}",
        refused.len(),
        refused.join("\n")
    );
}
