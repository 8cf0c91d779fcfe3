//! Test certificates and keystores generated in-process (rcgen on aws-lc-rs, p12-keystore):
//! no tool outside the build is needed. Real OpenSSL and keytool files are checked-in
//! fixtures (`scripts/make-keystore-fixtures`).

use base64::Engine;
use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKeyChain};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType, SerialNumber, SignatureAlgorithm,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa2048,
    EcP256,
    EcP384,
    Ed25519,
}

impl KeyType {
    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
            KeyType::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }

    fn generate(self) -> KeyPair {
        KeyPair::generate_for(self.algorithm()).expect("generate a key")
    }
}

#[derive(Debug, Clone)]
pub struct TestCert {
    pub pem: String,
    pub der: Vec<u8>,
}

/// A self-signed certificate, a CA as `openssl req -x509` makes it. `subject` is OpenSSL's
/// `/CN=.../O=...` form (CN, O, OU, L, ST, C); `san` a subjectAltName value such as
/// `DNS:a.example,IP:10.0.0.1` (DNS, IP, email, URI).
pub fn self_signed(key: KeyType, subject: &str, san: Option<&str>) -> TestCert {
    self_signed_for_days(key, subject, san, 365)
}

/// `self_signed`, valid for `days` from now.
pub fn self_signed_for_days(key: KeyType, subject: &str, san: Option<&str>, days: u32) -> TestCert {
    let mut params = params_for(subject, days);
    params.subject_alt_names = san.map(subject_alt_names).unwrap_or_default();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let certificate = params.self_signed(&key.generate()).expect("sign the certificate");
    TestCert {
        pem: certificate.pem(),
        der: certificate.der().to_vec(),
    }
}

/// Parameters valid from now for `days`, for the OpenSSL-style `subject`.
fn params_for(subject: &str, days: u32) -> CertificateParams {
    let mut params = CertificateParams::default();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = now + time::Duration::days(i64::from(days));
    params.distinguished_name = distinguished_name(subject);
    params
}

fn distinguished_name(subject: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    for part in subject.split('/').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').expect("subject parts are KEY=value");
        let kind = match key {
            "CN" => DnType::CommonName,
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "L" => DnType::LocalityName,
            "ST" => DnType::StateOrProvinceName,
            "C" => DnType::CountryName,
            other => panic!("subject attribute {other} is not supported here"),
        };
        name.push(kind, value);
    }
    name
}

fn subject_alt_names(san: &str) -> Vec<SanType> {
    san.split(',')
        .map(|entry| {
            let (kind, value) = entry.trim().split_once(':').expect("SAN entries are TYPE:value");
            let ia5 = || value.try_into().expect("an IA5 string");
            match kind {
                "DNS" => SanType::DnsName(ia5()),
                "email" => SanType::Rfc822Name(ia5()),
                "URI" => SanType::URI(ia5()),
                "IP" => SanType::IpAddress(value.parse().expect("an IP address")),
                other => panic!("SAN type {other} is not supported here"),
            }
        })
        .collect()
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

/// Overwrites a P-256 certificate's public point and the last 32 bytes of its signature
/// (its `s`) with `noise`, as `scramble_rsa2048` does for RSA.
pub fn scramble_p256(der: &mut [u8], noise: &mut impl FnMut() -> u8) {
    const POINT: &[u8] = &[0x03, 0x42, 0x00, 0x04];
    let at = der
        .windows(POINT.len())
        .position(|w| w == POINT)
        .expect("a P-256 public point")
        + POINT.len();
    let signature = der.len() - 32;
    der[at..at + 64].fill_with(&mut *noise);
    der[signature..].fill_with(noise);
}

/// `count` PKCS#12 files with OpenSSL 3's `pkcs12 -export` defaults (PBES2, AES-256,
/// PBKDF2 2048 iterations, SHA-256 MAC), password `password`: RSA-2048 leaves signed by one
/// new CA, each with the CA as its chain. Returns the CA's PEM and the files.
pub fn ca_signed_keystores(count: usize, password: &str) -> (String, Vec<Vec<u8>>) {
    let ca_key = KeyType::Rsa2048.generate();
    let mut ca_params = params_for("/CN=Bench Root CA", 365);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = ca_params.self_signed(&ca_key).expect("sign the CA");
    let issuer = Issuer::new(ca_params, &ca_key);
    let make = |i: usize| {
        let key = KeyType::Rsa2048.generate();
        let mut params = params_for(&format!("/CN=keystore-{i}.example.com"), 365);
        params.serial_number = Some(SerialNumber::from((1000 + i) as u64));
        let leaf = params.signed_by(&key, &issuer).expect("sign the leaf");
        keystore(
            &key.serialize_der(),
            &[leaf.der().to_vec(), ca.der().to_vec()],
            password,
        )
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
    (ca.pem(), keystores.into_iter().map(|(_, k)| k).collect())
}

/// A PKCS#12 file of `key` (PKCS#8 DER) and `chain` (leaf first), as OpenSSL 3 writes one.
fn keystore(key: &[u8], chain: &[Vec<u8>], password: &str) -> Vec<u8> {
    use sha1::Digest;
    let certificates: Vec<Certificate> = chain
        .iter()
        .map(|der| Certificate::from_der(der).expect("a certificate"))
        .collect();
    let local_key_id = sha1::Sha1::digest(&chain[0]).to_vec();
    let key = p12_keystore::PrivateKey::from_der(key).expect("a PKCS#8 key");
    let mut store = KeyStore::new();
    store.add_entry(
        "1",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, certificates)),
    );
    store
        .writer(password)
        .encryption_algorithm(p12_keystore::EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(2048)
        .mac_algorithm(p12_keystore::MacAlgorithm::HmacSha256)
        .mac_iterations(2048)
        .write()
        .expect("write the keystore")
}

/// The leaf certificate of a keystore `ca_signed_keystores` made, as PEM.
pub fn leaf_pem(keystore: &[u8], password: &str) -> String {
    let store = KeyStore::from_pkcs12(keystore, password, Default::default()).expect("open the keystore");
    let (_, chain) = store.private_key_chain().expect("a key with its chain");
    pem_of(chain.certs()[0].as_der())
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
