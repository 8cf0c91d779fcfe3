//! HTTPS for `serve`: vendor clients (vcert) speak only HTTPS. A local CA is made at
//! first start (`<data-dir>/tls/ca.pem`, the file clients trust) and issues the server's
//! certificate for the loopback names; or the server uses a certificate and key given.
//!
//! The CA may vouch only for TLS servers (its extended key usage) on loopback hosts (name
//! constraints), so whoever trusts `ca.pem` trusts little else, even if its key, kept in
//! the data directory, leaks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, Duration, Utc};
use rcgen::PublicKeyData;
use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use super::credentials::write_private;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot make the local TLS certificates in {0}: {1}")]
    Issue(PathBuf, String),
    #[error("cannot read TLS {what} {path}: {reason}")]
    Read {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot use the TLS certificate and key: {0}")]
    Config(String),
}

/// Names the local CA's certificates may hold, and the server's certificate holds.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const CA_YEARS: i32 = 10;
/// Under Apple's 825-day ceiling for TLS server certificates; issued again at a start
/// less than `RENEW_BEFORE_DAYS` before it ends.
const SERVER_DAYS: i64 = 800;
const RENEW_BEFORE_DAYS: i64 = 30;

/// Where the local CA and the server certificate it issued live in a data directory.
pub struct LocalTlsFiles {
    pub ca: PathBuf,
    ca_key: PathBuf,
    server: PathBuf,
    server_key: PathBuf,
}

impl LocalTlsFiles {
    pub fn in_dir(data_dir: &Path) -> LocalTlsFiles {
        let dir = data_dir.join("tls");
        LocalTlsFiles {
            ca: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            server: dir.join("server.pem"),
            server_key: dir.join("server-key.pem"),
        }
    }

    /// The server's certificate chain and key, from the local CA: made at first start,
    /// the server certificate issued again when it is missing or about to end.
    pub fn ensure(&self) -> Result<(&Path, &Path), TlsError> {
        let dir = self.ca.parent().unwrap_or(Path::new("."));
        let fail = |e: &dyn std::fmt::Display| TlsError::Issue(dir.to_path_buf(), e.to_string());
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        if !current(&self.ca) || !self.ca_key.exists() {
            let key = KeyPair::generate().map_err(|e| fail(&e))?;
            let ca = ca_params(&key).self_signed(&key).map_err(|e| fail(&e))?;
            write_private(&self.ca_key, key.serialize_pem().as_bytes()).map_err(|e| fail(&e))?;
            write_public(&self.ca, ca.pem().as_bytes()).map_err(|e| fail(&e))?;
            // A new CA: the server certificate of an earlier one is no longer trusted.
            let _ = std::fs::remove_file(&self.server);
            say!(
                "made a local CA: trust {} (again, if you trusted an earlier one)",
                self.ca.display()
            );
        }
        if !current(&self.server) || !self.server_key.exists() {
            let ca_pem = std::fs::read_to_string(&self.ca).map_err(|e| fail(&e))?;
            let ca_key = std::fs::read_to_string(&self.ca_key).map_err(|e| fail(&e))?;
            let ca_key = KeyPair::from_pem(&ca_key).map_err(|e| fail(&e))?;
            let issuer = Issuer::new(ca_params(&ca_key), ca_key);
            let key = KeyPair::generate().map_err(|e| fail(&e))?;
            let ca_end =
                end_of(ca_pem.as_bytes()).ok_or_else(|| fail(&"the local CA certificate is unreadable"))?;
            let server = server_params(ca_end)
                .map_err(|e| fail(&e))?
                .signed_by(&key, &issuer)
                .map_err(|e| fail(&e))?;
            write_private(&self.server_key, key.serialize_pem().as_bytes()).map_err(|e| fail(&e))?;
            // The chain a client is sent: the server certificate, then the CA's.
            write_public(&self.server, format!("{}{ca_pem}", server.pem()).as_bytes())
                .map_err(|e| fail(&e))?;
        }
        Ok((&self.server, &self.server_key))
    }
}

/// When the (first) certificate of a PEM file ends.
fn end_of(pem: &[u8]) -> Option<chrono::DateTime<Utc>> {
    let der = CertificateDer::pem_slice_iter(pem).next()?.ok()?;
    certport_core::parsing::certificate_details(&der)
        .ok()
        .map(|d| d.validity_end)
}

/// Whether the certificate at `path` is there and not about to end.
fn current(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|pem| end_of(&pem))
        .is_some_and(|end| end > Utc::now() + Duration::days(RENEW_BEFORE_DAYS))
}

/// A rustls server configuration from a PEM certificate chain and a PEM private key.
pub fn server_config(chain: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let read = |what, path: &Path, reason: &dyn std::fmt::Display| TlsError::Read {
        what,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let certificates = CertificateDer::pem_file_iter(chain)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|e| read("certificate", chain, &e))?;
    if certificates.is_empty() {
        return Err(read("certificate", chain, &"it holds no CERTIFICATE block"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read("key", key, &e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The CA's parameters, all but its validity and serial derived from its key: the same
/// name and key identifier when its certificate is made and whenever it issues one.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    // A name of its own, so two data directories' CAs are never mistaken for each other.
    let key_hash = Sha256::digest(key.subject_public_key_info());
    name.push(
        DnType::CommonName,
        format!("certport serve local CA {}", hex::encode(&key_hash[..4])),
    );
    name.push(DnType::OrganizationName, "certport");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".into()),
            GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8)),
            GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
                std::net::Ipv6Addr::LOCALHOST.into(),
                128,
            )),
        ],
        excluded_subtrees: Vec::new(),
    });
    let now = Utc::now();
    let end = now
        .with_year(now.year() + CA_YEARS)
        .unwrap_or(now + Duration::days(3650));
    set_validity(&mut params, now - Duration::days(1), end);
    params.serial_number = Some(random_serial());
    params
}

/// The server's certificate: never past its CA's end.
fn server_params(ca_end: chrono::DateTime<Utc>) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(LOOPBACK_NAMES.map(str::to_string).to_vec())?;
    params
        .distinguished_name
        .push(DnType::CommonName, "certport serve (localhost)");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let now = Utc::now();
    let end = (now + Duration::days(SERVER_DAYS)).min(ca_end - Duration::days(1));
    set_validity(&mut params, now - Duration::days(1), end);
    params.serial_number = Some(random_serial());
    Ok(params)
}

/// Whole days: from the start of `from`'s day to the start of `to`'s.
fn set_validity(params: &mut CertificateParams, from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>) {
    params.not_before = rcgen::date_time_ymd(from.year(), from.month() as u8, from.day() as u8);
    params.not_after = rcgen::date_time_ymd(to.year(), to.month() as u8, to.day() as u8);
}

/// 16 random bytes, positive.
fn random_serial() -> SerialNumber {
    let mut bytes = rand::random::<[u8; 16]>();
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

/// Certificates anyone may read (the CA's is what clients are given to trust).
fn write_public(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    super::credentials::write_file(path, contents, 0o644)
}
