//! `certport certificates` and `certport devices`: the inventory from the terminal.
//! An export's passphrase is sealed here to the certificate's DEK, and the file is
//! written readable by its owner only.

use std::io::Write;
use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::crypto::seal_to;
use certport_core::http::contract::{api_a, api_b};
use serde::Serialize;
use serde_json::{json, Value};

use super::api::{ApiClient, ClientError};
use super::keystores::{dek_public_key, read_secret};
use super::output::{print_json, shown, table, Output};
use super::Outcome;

#[derive(clap::Subcommand, Debug)]
pub enum CertificatesCommand {
    /// Searches the inventory (Venafi's expression language); prints one page.
    Search {
        /// A whole search expression as JSON, e.g. '{"field": "subjectCN", "operator": "FIND", "value": "meter"}'.
        #[arg(long, conflicts_with_all = ["fingerprint", "name"])]
        expression: Option<String>,
        /// A SHA-1 fingerprint (Venafi's), or a SHA-256 one (DigiCert's `thumbprint_sha256`);
        /// any case, separators allowed.
        #[arg(long)]
        fingerprint: Option<String>,
        /// Part of the subject CN or a DNS name (case-insensitive).
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value_t = 0)]
        page: u64,
        #[arg(long, default_value_t = 100)]
        page_size: u64,
    },
    /// Shows one certificate.
    Get { id: String },
    /// Writes the certificate with its private key to a file (mode 0600).
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Pem)]
        format: ExportFormat,
        /// Where to write it (a .zip for PEM, a .p12 for PKCS12); an existing file is
        /// kept unless --force.
        #[arg(long)]
        out: PathBuf,
        /// Replace --out if it exists.
        #[arg(long)]
        force: bool,
        /// A file whose first line is the passphrase that protects the key; without it, you are prompted.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// A zip of the encrypted key (PKCS#8), the certificate and the chain both ways round.
    Pem,
    /// A PKCS#12 keystore.
    Pkcs12,
}

#[derive(clap::Subcommand, Debug)]
pub enum DevicesCommand {
    /// Lists devices (DigiCert's device list), one page.
    List {
        #[arg(long)]
        identifier: Option<String>,
        #[arg(long)]
        profile: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// Shows one device.
    Get { id: String },
}

fn expression(
    expression: Option<String>,
    fingerprint: Option<String>,
    name: Option<String>,
) -> Result<Value, ClientError> {
    if let Some(json) = expression {
        return serde_json::from_str(&json)
            .map_err(|e| ClientError::Input(format!("--expression is not JSON: {e}")));
    }
    let mut operands = Vec::new();
    if let Some(fingerprint) = fingerprint {
        let field = match fingerprint.chars().filter(char::is_ascii_hexdigit).count() {
            40 => "fingerprint",
            64 => "fingerprintSha256",
            digits => {
                return Err(ClientError::Input(format!(
                "--fingerprint takes a SHA-1 (40 hex digits) or a SHA-256 (64); `{fingerprint}` has {digits}"
            )))
            }
        };
        operands.push(json!({"field": field, "operator": "EQ", "value": fingerprint}));
    }
    if let Some(name) = name {
        operands.push(json!({"operator": "OR", "operands": [
            {"field": "subjectCN", "operator": "FIND", "value": name},
            {"field": "subjectAlternativeNameDns", "operator": "FIND", "value": name}]}));
    }
    Ok(json!({"operands": operands}))
}

fn certificate_rows(certificates: &[api_b::Certificate]) -> Vec<Vec<String>> {
    certificates
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.certificate_name.clone(),
                c.fingerprint.clone(),
                c.validity_end.clone(),
                if c.dek_hash.is_some() { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect()
}

const CERTIFICATE_COLUMNS: [&str; 5] = ["id", "name", "fingerprint", "valid until", "key"];

pub async fn certificates(
    client: &ApiClient,
    output: Output,
    command: CertificatesCommand,
) -> Result<Outcome, ClientError> {
    match command {
        CertificatesCommand::Search {
            expression: json,
            fingerprint,
            name,
            page,
            page_size,
        } => {
            let body = api_b::CertificateSearch {
                expression: Some(expression(json, fingerprint, name)?),
                ordering: None,
                paging: Some(api_b::SearchPaging {
                    page_number: Some(page),
                    page_size: Some(page_size),
                }),
            };
            let found: api_b::CertificateSearchPage = client
                .post_json("/outagedetection/v1/certificatesearch", &body)
                .await?;
            match output {
                Output::Json => print_json(&found),
                Output::Table => {
                    println!(
                        "{}",
                        table(&CERTIFICATE_COLUMNS, &certificate_rows(&found.certificates))
                    );
                    println!("{} found", found.count);
                }
            }
        }
        CertificatesCommand::Get { id } => {
            let certificate: api_b::Certificate = client
                .get(&format!("/outagedetection/v1/certificates/{id}"))
                .await?;
            match output {
                Output::Json => print_json(&certificate),
                Output::Table => println!(
                    "{}",
                    table(&CERTIFICATE_COLUMNS, &certificate_rows(&[certificate]))
                ),
            }
        }
        CertificatesCommand::Export {
            id,
            format,
            out,
            force,
            passphrase_file,
        } => {
            if out.exists() && !force {
                return Err(ClientError::Input(format!(
                    "{} exists: choose another --out, or --force to replace it",
                    out.display()
                )));
            }
            let path = format!("/outagedetection/v1/certificates/{id}");
            let certificate: api_b::Certificate = client.get(&path).await?;
            let Some(dek) = certificate.dek_hash else {
                return Err(ClientError::Input(format!(
                    "certificate {id} has no private key in the inventory: nothing to export"
                )));
            };
            let public_key = dek_public_key(client, &dek).await?;
            let passphrase = read_secret(passphrase_file.as_ref(), "Passphrase for the exported key: ")?;
            let sealed = B64.encode(seal_to(&public_key, passphrase.as_bytes()));
            drop(passphrase);
            let format_name = match format {
                ExportFormat::Pem => "PEM",
                ExportFormat::Pkcs12 => "PKCS12",
            };
            let request = api_b::KeystoreExportRequest {
                export_format: format_name.to_string(),
                encrypted_private_key_passphrase: sealed,
                encrypted_keystore_passphrase: None,
                certificate_label: None,
            };
            let export = client
                .post_json_for_bytes(&format!("{path}/keystore"), &request)
                .await?;
            write_private(&out, &export, force)?;
            let written = Written {
                id,
                format: format_name,
                file: out.display().to_string(),
                bytes: export.len(),
            };
            match output {
                Output::Json => print_json(&written),
                Output::Table => println!("wrote {} ({} bytes, mode 0600)", out.display(), export.len()),
            }
        }
    }
    Ok(Outcome::Success)
}

/// What `certificates export` wrote, for scripts.
#[derive(Serialize)]
struct Written {
    id: String,
    format: &'static str,
    file: String,
    bytes: usize,
}

/// Writes `bytes` to `path`, readable and writable by its owner only: a new file (never
/// through a link put in its place), or, with `replace`, over the existing one.
fn write_private(path: &PathBuf, bytes: &[u8], replace: bool) -> Result<(), ClientError> {
    let cannot = |e: std::io::Error| ClientError::Input(format!("cannot write {}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    if replace {
        options.write(true).create(true).truncate(true);
    } else {
        options.write(true).create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path).map_err(cannot)?;
        // An existing file keeps its mode through open: narrow it before writing.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(cannot)?;
        file.write_all(bytes).map_err(cannot)
    }
    #[cfg(not(unix))]
    {
        options
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(cannot)
    }
}

fn device_rows(devices: &[api_a::Device]) -> Vec<Vec<String>> {
    devices
        .iter()
        .map(|d| {
            let certificate = d.certificate.as_ref();
            vec![
                d.id.clone(),
                d.device_identifier.clone(),
                d.enrollment_profile.name.clone(),
                shown(&certificate.and_then(|c| c.common_name.clone())),
                shown(&certificate.map(|c| c.valid_to.clone())),
            ]
        })
        .collect()
}

const DEVICE_COLUMNS: [&str; 5] = ["id", "identifier", "profile", "certificate CN", "valid until"];

pub async fn devices(
    client: &ApiClient,
    output: Output,
    command: DevicesCommand,
) -> Result<Outcome, ClientError> {
    match command {
        DevicesCommand::List {
            identifier,
            profile,
            limit,
            offset,
        } => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query
                .append_pair("limit", &limit.to_string())
                .append_pair("offset", &offset.to_string());
            if let Some(identifier) = &identifier {
                query.append_pair("device_identifier", identifier);
            }
            if let Some(profile) = &profile {
                query.append_pair("enrollment_profile_id", profile);
            }
            let path = format!("/iot/api/v2/device?{}", query.finish());
            let page: api_a::Page<api_a::Device> = client.get(&path).await?;
            match output {
                Output::Json => print_json(&page),
                Output::Table => {
                    println!("{}", table(&DEVICE_COLUMNS, &device_rows(&page.records)));
                    println!("{} of {} (from {})", page.records.len(), page.total, offset);
                }
            }
        }
        DevicesCommand::Get { id } => {
            let path = format!("/iot/api/v2/device/{id}");
            let device: api_a::Device = client.get(&path).await?;
            match output {
                Output::Json => print_json(&device),
                Output::Table => println!(
                    "{}",
                    table(&DEVICE_COLUMNS, &device_rows(std::slice::from_ref(&device)))
                ),
            }
        }
    }
    Ok(Outcome::Success)
}
