//! `certport import-keystores` and `certport trusted-ca`: API B from the terminal. The
//! password is sealed here to the edge instance's DEK, so it never leaves in the clear.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::crypto::seal_to;
use certport_core::http::contract::api_b;
use sha1::Digest;
use zeroize::Zeroizing;

use super::api::{retry_while_busy, ApiClient, ClientError, UploadBody};
use super::jobs;
use super::output::{print_json, table, Output};
use super::progress::while_uploading;
use super::{Outcome, UploadMode};

/// The most items API B takes in one request.
const BATCH: usize = 100;

#[derive(clap::Args, Debug)]
pub struct ImportKeystoresArgs {
    /// The edge instance whose encryption key seals the password; default: the one
    /// `certport serve` made (credentials.json).
    #[arg(long)]
    pub edge_instance: Option<String>,
    /// A file whose first line is the keystores' password; without it, you are prompted.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// How each batch is sent.
    #[arg(long, value_enum, default_value_t = UploadMode::Auto)]
    pub upload: UploadMode,
    /// Give up waiting for a batch after this many seconds (it keeps running).
    #[arg(long, default_value_t = 900)]
    pub wait_seconds: u64,
    /// PKCS#12 files (.p12 / .pfx), all with the same password.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum TrustedCaCommand {
    /// Trusts a CA certificate (PEM) as the end of keystore chains.
    Add { file: PathBuf },
    /// Lists the trusted CA certificates.
    List,
}

pub async fn import(
    client: &ApiClient,
    output: Output,
    args: ImportKeystoresArgs,
    local_edge: Option<String>,
) -> Result<Outcome, ClientError> {
    let edge_instance = args.edge_instance.clone().or(local_edge).ok_or_else(|| {
        ClientError::Input("no edge instance: give --edge-instance (GET /v1/edgeinstances lists them)".into())
    })?;
    let public_key = edge_public_key(client, &edge_instance).await?;
    let password = read_secret(args.password_file.as_ref(), "Keystore password: ")?;
    // One sealed password serves every item, as the API allows.
    let sealed = B64.encode(seal_to(&public_key.1, password.as_bytes()));
    drop(password);
    let mut jobs = Vec::new();
    for chunk in args.files.chunks(BATCH) {
        let mut items = Vec::with_capacity(chunk.len());
        for file in chunk {
            let keystore = std::fs::read(file)
                .map_err(|e| ClientError::Input(format!("cannot read {}: {e}", file.display())))?;
            items.push(api_b::ImportItem::Pkcs12(api_b::Pkcs12Item {
                pkcs12_keystore: B64.encode(keystore),
                dek_encrypted_password: sealed.clone(),
            }));
        }
        let path = "/outagedetection/v1/certificates/imports";
        let body = api_b::KeystoreImportRequest {
            edge_instance_id: edge_instance.clone(),
            encryption_key_id: public_key.0.clone(),
            import_information: items,
        };
        let batch = serde_json::to_vec(&body)
            .map_err(|e| ClientError::Input(format!("cannot write the batch as JSON: {e}")))?;
        // A tenant at its quota of unfinished work is asked to come back: wait as asked.
        let patience = Duration::from_secs(args.wait_seconds);
        let id = if args.upload.use_url(batch.len() as u64) {
            let request = api_b::KeystoreUploadUrlRequest {
                edge_instance_id: edge_instance.clone(),
                encryption_key_id: public_key.0.clone(),
                size: batch.len() as u64,
            };
            let url_path = format!("{path}/upload-url");
            let created: api_b::KeystoreUploadUrl =
                retry_while_busy(patience, || client.post_json(&url_path, &request)).await?;
            let (sent, size) = (Arc::new(AtomicU64::new(0)), batch.len() as u64);
            let upload = client.upload_to(
                &created.upload.url,
                &created.upload.headers,
                UploadBody::Bytes(batch),
                sent.clone(),
            );
            while_uploading(sent, size, upload).await?;
            created.id
        } else {
            let created: api_b::KeystoreImportCreated =
                retry_while_busy(patience, || client.post_json(path, &body)).await?;
            created.id
        };
        let job = jobs::wait(client, &id, Duration::from_secs(args.wait_seconds)).await?;
        let names = chunk.iter().map(|f| f.display().to_string()).collect();
        jobs.push((Some(names), job));
    }
    if output == Output::Json {
        let statuses: Vec<&api_b::KeystoreImportStatus> = jobs.iter().map(|(_, job)| job).collect();
        print_json(&statuses);
    }
    Ok(report(&jobs, output))
}

/// The edge instance's encryption key id and its X25519 public key.
pub(super) async fn edge_public_key(
    client: &ApiClient,
    edge_id: &str,
) -> Result<(String, [u8; 32]), ClientError> {
    let edges: api_b::EdgeInstances = client.get("/v1/edgeinstances").await?;
    let listed = edges.edge_instances;
    let Some(edge) = listed.iter().find(|e| e.id == edge_id) else {
        let known: Vec<&str> = listed.iter().map(|e| e.id.as_str()).collect();
        return Err(ClientError::Input(format!(
            "no edge instance {edge_id}; this API key has: {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    };
    let key_id = edge.encryption_key_id.clone();
    let public_key = dek_public_key(client, &key_id).await?;
    Ok((key_id, public_key))
}

/// The X25519 public key of the encryption key (DEK) `key_id`.
pub(super) async fn dek_public_key(client: &ApiClient, key_id: &str) -> Result<[u8; 32], ClientError> {
    let path = format!("/v1/edgeencryptionkeys/{key_id}");
    let key: api_b::EncryptionKey = client.get(&path).await?;
    let public = B64
        .decode(&key.key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| ClientError::InvalidResponse {
            path,
            reason: "`key` is not a base64 32-byte public key".into(),
        })?;
    Ok(public)
}

#[derive(clap::Args, Debug)]
pub struct SealArgs {
    /// The encryption key (DEK) to seal to; default: the one `certport serve` made (credentials.json).
    #[arg(long)]
    pub encryption_key: Option<String>,
    /// A file whose first line is the secret (`-`: standard input); without it, you are prompted.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
}

/// Seals a secret (a keystore password, an export passphrase) to a DEK as the APIs take
/// it: base64 of a libsodium sealed box, printed for your own API calls.
pub async fn seal(
    client: &ApiClient,
    args: SealArgs,
    local_key: Option<String>,
) -> Result<Outcome, ClientError> {
    let key_id = args.encryption_key.or(local_key).ok_or_else(|| {
        ClientError::Input(
            "no encryption key: give --encryption-key (GET /v1/edgeinstances lists them)".into(),
        )
    })?;
    let public_key = dek_public_key(client, &key_id).await?;
    let secret = read_secret(args.secret_file.as_ref(), "Secret to seal: ")?;
    println!("{}", B64.encode(seal_to(&public_key, secret.as_bytes())));
    Ok(Outcome::Success)
}

/// The first line of `file` (`-`: standard input), or what the user types at `prompt`
/// (not echoed).
pub(super) fn read_secret(file: Option<&PathBuf>, prompt: &str) -> Result<Zeroizing<String>, ClientError> {
    let password =
        match file {
            Some(path) => {
                let content = Zeroizing::new(
                    if path.as_os_str() == "-" {
                        std::io::read_to_string(std::io::stdin())
                    } else {
                        std::fs::read_to_string(path)
                    }
                    .map_err(|e| ClientError::Input(format!("cannot read {}: {e}", path.display())))?,
                );
                Zeroizing::new(content.lines().next().unwrap_or_default().to_string())
            }
            None => Zeroizing::new(rpassword::prompt_password(prompt).map_err(|e| {
                ClientError::Input(format!("cannot prompt for it ({e}); give a file instead"))
            })?),
        };
    Ok(password)
}

/// Prints finished keystore jobs (table mode): one row per item, named by file when known.
pub fn report(jobs: &[(Option<Vec<String>>, api_b::KeystoreImportStatus)], output: Output) -> Outcome {
    let mut rows = Vec::new();
    let (mut total, mut failed, mut job_failed) = (0u64, 0u64, false);
    for (names, job) in jobs {
        job_failed |= job.status == "FAILED";
        for (i, result) in job.results.iter().enumerate() {
            total += 1;
            if result.status == "FAILED" {
                failed += 1;
            }
            let name = names
                .as_ref()
                .and_then(|n| n.get(i).cloned())
                .unwrap_or_else(|| format!("item {}", i + 1));
            let reason = match &result.reason_code {
                None => result.reason.clone(),
                Some(code) => format!("{code}: {}", result.reason),
            };
            rows.push(vec![
                name,
                result.fingerprint.clone(),
                result.status.clone(),
                reason,
            ]);
        }
    }
    if output == Output::Table {
        for (_, job) in jobs {
            println!("job {}: {}", job.id, job.status);
        }
        println!("{}", table(&["file", "fingerprint", "status", "reason"], &rows));
    }
    if job_failed {
        return Outcome::Failed;
    }
    Outcome::from_counts(total, failed)
}

pub async fn trusted_ca(
    client: &ApiClient,
    output: Output,
    command: TrustedCaCommand,
) -> Result<Outcome, ClientError> {
    let path = "/v1/trustedcacertificates";
    match command {
        TrustedCaCommand::Add { file } => {
            let pem = std::fs::read_to_string(&file)
                .map_err(|e| ClientError::Input(format!("cannot read {}: {e}", file.display())))?;
            let request = api_b::NewTrustedCa {
                certificate: pem.clone(),
            };
            let ca: api_b::TrustedCaAdded = match client.post_json(path, &request).await {
                Ok(added) => added,
                // Trusted already is where the user wanted to be.
                Err(ClientError::Refused { status: 409, .. }) => {
                    let fingerprint = certport_core::parsing::pem::certificate_blocks(pem.as_bytes())
                        .into_iter()
                        .next()
                        .and_then(Result::ok)
                        .map(|der| hex::encode_upper(sha1::Sha1::digest(der)))
                        .unwrap_or_default();
                    let listed: api_b::TrustedCas = client.get(path).await?;
                    eprintln!("{}: already trusted", file.display());
                    match listed
                        .trusted_ca_certificates
                        .into_iter()
                        .find(|ca| ca.fingerprint == fingerprint)
                    {
                        Some(ca) => api_b::TrustedCaAdded {
                            id: ca.id,
                            fingerprint: ca.fingerprint,
                            subject: ca.subject,
                        },
                        None => return Ok(Outcome::Success),
                    }
                }
                Err(e) => return Err(e),
            };
            match output {
                Output::Json => print_json(&ca),
                Output::Table => println!(
                    "{}",
                    table(
                        &["id", "fingerprint", "subject"],
                        &[vec![ca.id, ca.fingerprint, ca.subject]]
                    )
                ),
            }
        }
        TrustedCaCommand::List => {
            let listed: api_b::TrustedCas = client.get(path).await?;
            match output {
                Output::Json => print_json(&listed),
                Output::Table => {
                    let rows: Vec<Vec<String>> = listed
                        .trusted_ca_certificates
                        .into_iter()
                        .map(|ca| vec![ca.id, ca.fingerprint, ca.subject])
                        .collect();
                    println!("{}", table(&["id", "fingerprint", "subject"], &rows));
                }
            }
        }
    }
    Ok(Outcome::Success)
}
