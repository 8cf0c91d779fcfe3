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
    self_signed_for_days(key, subject, san, 365)
}

/// `self_signed`, valid for `days` from now.
pub fn self_signed_for_days(key: KeyType, subject: &str, san: Option<&str>, days: u32) -> TestCert {
    let dir = tempfile::tempdir().expect("temp dir");
    let (key_path, cert_path) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    let mut cmd = Command::new("openssl");
    let days = days.to_string();
    cmd.args(["req", "-x509", "-nodes", "-days", &days, "-subj", subject])
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

/// The PEM of a DER certificate, 64 base64 characters a line, as OpenSSL writes it.
pub fn pem_of(der: &[u8]) -> String {
    crate::crypto::pem_block("CERTIFICATE", der)
}

/// A distinct certificate of realistic size made cheaply from `template`: every
/// occurrence of `marker` (put in the template's subject and SAN) becomes `n`, zero-padded
/// to the marker's width. Its signature no longer verifies, which certificate import does
/// not check; its fingerprint and device identifier are its own.
pub fn numbered_copy(template: &[u8], marker: &[u8], n: u64) -> Vec<u8> {
    let digits = format!("{n:0width$}", width = marker.len());
    assert_eq!(digits.len(), marker.len(), "{n} does not fit the marker");
    let mut der = template.to_vec();
    let mut from = 0;
    while let Some(found) = der[from..].windows(marker.len()).position(|w| w == marker) {
        let at = from + found;
        der[at..at + marker.len()].copy_from_slice(digits.as_bytes());
        from = at + marker.len();
    }
    der
}

/// Overwrites an RSA-2048 certificate's modulus (all but its first byte) and signature with
/// `noise`, so that, like real certificates, a zip of such copies hardly compresses.
pub fn scramble_rsa2048(der: &mut [u8], noise: &mut impl FnMut() -> u8) {
    const MODULUS: &[u8] = &[0x02, 0x82, 0x01, 0x01, 0x00];
    let at = der
        .windows(MODULUS.len())
        .position(|w| w == MODULUS)
        .expect("an RSA-2048 modulus")
        + MODULUS.len();
    let signature = der.len() - 256;
    der[at + 1..at + 256].fill_with(&mut *noise);
    der[signature..].fill_with(noise);
}

/// `count` PKCS#12 files as `openssl pkcs12 -export` (OpenSSL 3 defaults: PBES2, AES-256,
/// PBKDF2 2048 iterations, SHA-256 MAC) writes them, password `password`: RSA-2048 leaves
/// signed by one new CA, each with the CA as its chain. Returns the CA's PEM and the files.
pub fn ca_signed_keystores(count: usize, password: &str) -> (String, Vec<Vec<u8>>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    openssl(&[
        "req",
        "-x509",
        "-nodes",
        "-days",
        "365",
        "-subj",
        "/CN=Bench Root CA",
        "-newkey",
        "rsa:2048",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.pem"),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    let make = |i: usize| {
        let (key, csr, cert, p12) = (
            path(&format!("{i}.key")),
            path(&format!("{i}.csr")),
            path(&format!("{i}.pem")),
            path(&format!("{i}.p12")),
        );
        let subject = format!("/CN=keystore-{i}.example.com");
        openssl(&[
            "req", "-new", "-nodes", "-subj", &subject, "-newkey", "rsa:2048", "-keyout", &key, "-out", &csr,
        ]);
        let serial = format!("{}", 1000 + i);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &path("ca.pem"),
            "-CAkey",
            &path("ca.key"),
            "-set_serial",
            &serial,
            "-days",
            "365",
            "-out",
            &cert,
        ]);
        let pass = format!("pass:{password}");
        openssl(&[
            "pkcs12",
            "-export",
            "-inkey",
            &key,
            "-in",
            &cert,
            "-certfile",
            &path("ca.pem"),
            "-passout",
            &pass,
            "-out",
            &p12,
        ]);
        std::fs::read(&p12).expect("read keystore")
    };
    // Key generation dominates: use every core.
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let mut keystores: Vec<(usize, Vec<u8>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let make = &make;
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| (i, make(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("keystore worker"))
            .collect()
    });
    keystores.sort_by_key(|(i, _)| *i);
    let ca = std::fs::read_to_string(path("ca.pem")).expect("read CA");
    (ca, keystores.into_iter().map(|(_, k)| k).collect())
}

fn openssl(args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl (is it installed?)");
    assert!(
        output.status.success(),
        "openssl {} failed: {}",
        args[0],
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceField;
    use crate::parsing::parse_certificate;

    #[test]
    fn numbered_copies_are_distinct_certificates_with_their_own_names() {
        let marker = "XXXXXXXX";
        let template = self_signed(
            KeyType::Rsa2048,
            &format!("/CN=device-{marker}"),
            Some(&format!("DNS:device-{marker}.example.com")),
        );
        let mut first = numbered_copy(&template.der, marker.as_bytes(), 1);
        let mut counter = 0u8;
        scramble_rsa2048(&mut first, &mut || {
            counter = counter.wrapping_add(7);
            counter
        });
        let second = numbered_copy(&template.der, marker.as_bytes(), 2);
        let (a, b) = (
            parse_certificate(first).unwrap(),
            parse_certificate(second).unwrap(),
        );
        assert_ne!(a.fingerprint_sha256, b.fingerprint_sha256);
        assert_eq!(a.field(SourceField::SubjectCommonName), Some("device-00000001"));
        assert_eq!(
            b.field(SourceField::SanDnsName),
            Some("device-00000002.example.com")
        );
        assert_eq!(der_of(&pem_of(&b.der)), b.der);
    }
}
