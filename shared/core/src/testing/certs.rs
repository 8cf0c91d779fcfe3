//! Test certificates generated on the fly with the `openssl` command-line tool.

use std::process::Command;

use base64::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa2048,
    EcP256,
    EcP384,
    Ed25519,
}

impl KeyType {
    fn newkey_args(self) -> &'static [&'static str] {
        match self {
            KeyType::Rsa2048 => &["-newkey", "rsa:2048"],
            KeyType::EcP256 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyType::EcP384 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            KeyType::Ed25519 => &["-newkey", "ed25519"],
        }
    }
}

#[derive(Debug, Clone)]
pub struct TestCert {
    pub pem: String,
    pub der: Vec<u8>,
}

/// A self-signed certificate. `subject` is OpenSSL's `/CN=.../O=...` form; `san` is an
/// OpenSSL subjectAltName value such as `DNS:a.example,IP:10.0.0.1`.
pub fn self_signed(key: KeyType, subject: &str, san: Option<&str>) -> TestCert {
    let dir = tempfile::tempdir().expect("temp dir");
    let (key_path, cert_path) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-x509", "-nodes", "-days", "365", "-subj", subject])
        .args(key.newkey_args())
        .arg("-keyout")
        .arg(&key_path)
        .arg("-out")
        .arg(&cert_path);
    if let Some(san) = san {
        cmd.args(["-addext", &format!("subjectAltName={san}")]);
    }
    let output = cmd.output().expect("run openssl (is it installed?)");
    assert!(
        output.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pem = std::fs::read_to_string(&cert_path).expect("read certificate");
    TestCert {
        der: der_of(&pem),
        pem,
    }
}

/// The DER of the first PEM block in `pem`.
pub fn der_of(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body")
}

/// A certificate as the XML format carries it: base64 DER on one line.
pub fn one_line_base64(cert: &TestCert) -> String {
    base64::engine::general_purpose::STANDARD.encode(&cert.der)
}
