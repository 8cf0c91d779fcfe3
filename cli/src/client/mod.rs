//! Client commands: what people would otherwise do with curl, jq and a sealing recipe.
//! They talk to any certport endpoint (a deployed stack or `certport serve`).

mod api;
mod certificate_files;
mod certificates;
mod inventory;
mod jobs;
mod keystores;
mod output;
mod profiles;
mod progress;

use std::path::{Path, PathBuf};

use crate::serve::{Credentials, LocalTlsFiles};

pub use api::{ApiClient, ClientError};
pub use certificates::ImportCertificatesArgs;
pub use inventory::{CertificatesCommand, DevicesCommand};
pub use jobs::JobsCommand;
pub use keystores::{ImportKeystoresArgs, SealArgs, TrustedCaCommand};
pub use output::{print_json, table, Output};
pub use profiles::ProfilesCommand;

/// How an upload reaches the service.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// In the request body up to 4 MiB, through an upload URL above (API Gateway hands a
    /// binary body to Lambda base64-encoded, and Lambda takes 6 MB: 4.5 MB of file at most).
    Auto,
    /// Always in the request body.
    Direct,
    /// Always through an upload URL.
    Url,
}

impl UploadMode {
    /// Bodies this large go through an upload URL in `Auto` mode.
    const DIRECT_LIMIT: u64 = 4 * 1024 * 1024;

    pub fn use_url(self, size: u64) -> bool {
        match self {
            UploadMode::Auto => size > Self::DIRECT_LIMIT,
            UploadMode::Direct => false,
            UploadMode::Url => true,
        }
    }
}

/// Where the API is and who is calling; shared by every client command. (No `Debug`:
/// it holds the API key.)
#[derive(clap::Args, Clone)]
pub struct Connection {
    /// Base URL of the API (a stack's ApiUrl, or `certport serve`). Default: the address
    /// the last `serve` on the data directory recorded, else http://127.0.0.1:8080.
    #[arg(long, env = "CERTPORT_ENDPOINT", global = true)]
    pub endpoint: Option<String>,
    /// API key. Default: the one in the data directory's credentials.json (from `certport serve`).
    #[arg(long, env = "CERTPORT_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
    /// A CA certificate (PEM) to trust for an HTTPS endpoint, besides the system's. The
    /// data directory's local CA (tls/ca.pem) is trusted without it.
    #[arg(long, env = "CERTPORT_CA_FILE", global = true)]
    pub ca_file: Option<PathBuf>,
    /// How results are printed.
    #[arg(long, value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
}

#[derive(clap::Subcommand, Debug)]
pub enum ClientCommand {
    /// Import certificate files, directories or a zip into an enrollment profile (API A).
    ImportCertificates(ImportCertificatesArgs),
    /// Import PKCS#12 keystores through an edge instance, sealing the password locally (API B).
    ImportKeystores(ImportKeystoresArgs),
    /// Read import jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Create, read and map enrollment profiles.
    #[command(subcommand)]
    Profiles(ProfilesCommand),
    /// Seal a secret to an encryption key (libsodium sealed box), for your own API calls.
    Seal(SealArgs),
    /// Manage the CA certificates keystore chains must end at.
    #[command(subcommand)]
    TrustedCa(TrustedCaCommand),
    /// Search and read the inventory's certificates; export one with its private key.
    #[command(subcommand)]
    Certificates(CertificatesCommand),
    /// List and read devices.
    #[command(subcommand)]
    Devices(DevicesCommand),
}

pub async fn run(
    connection: &Connection,
    data_dir: &Path,
    command: ClientCommand,
) -> Result<Outcome, ClientError> {
    let client = connection.client(data_dir)?;
    let output = connection.output;
    match command {
        ClientCommand::ImportCertificates(args) => certificates::run(&client, output, args).await,
        ClientCommand::ImportKeystores(args) => {
            let local_edge = Credentials::read(data_dir).and_then(|c| c.edge_instance_id);
            keystores::import(&client, output, args, local_edge).await
        }
        ClientCommand::Jobs(command) => jobs::run(&client, output, command).await,
        ClientCommand::Profiles(command) => profiles::run(&client, output, command).await,
        ClientCommand::Seal(args) => {
            let local_key = Credentials::read(data_dir).and_then(|c| c.encryption_key_id);
            keystores::seal(&client, args, local_key).await
        }
        ClientCommand::TrustedCa(command) => keystores::trusted_ca(&client, output, command).await,
        ClientCommand::Certificates(command) => inventory::certificates(&client, output, command).await,
        ClientCommand::Devices(command) => inventory::devices(&client, output, command).await,
    }
}

/// Where the client goes when no endpoint is given and no `serve` recorded one.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8080";

impl Connection {
    /// A client for the endpoint and key given, or else those `serve` recorded in
    /// `data_dir`. A data directory speaks for a server on this machine only: its key
    /// goes only to the addresses it recorded, its address is used only when it is local,
    /// and its CA is trusted only for local hosts (a `.certport` found in a directory
    /// someone else filled must not send your key or traffic elsewhere).
    pub fn client(&self, data_dir: &Path) -> Result<ApiClient, ClientError> {
        let local = Credentials::read(data_dir);
        let recorded = |url: &str| {
            local.as_ref().is_some_and(|l| {
                [&l.url, &l.tls_url]
                    .into_iter()
                    .flatten()
                    .any(|r| r.trim_end_matches('/') == url.trim_end_matches('/'))
            })
        };
        let local_url = local.as_ref().and_then(|l| l.url.clone()).filter(|u| is_local(u));
        let endpoint = match &self.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => local_url.unwrap_or_else(|| DEFAULT_ENDPOINT.to_string()),
        };
        let api_key = match (&self.api_key, &local) {
            (Some(key), _) => key.clone(),
            (None, Some(local)) if recorded(&endpoint) => local.api_key.clone(),
            (None, Some(_)) => {
                return Err(ClientError::NoApiKey {
                    endpoint,
                    why: format!(
                        "{} holds the key of a local server at other addresses",
                        Credentials::path(data_dir).display()
                    ),
                })
            }
            (None, None) => {
                return Err(ClientError::NoApiKey {
                    endpoint,
                    why: format!(
                        "no `certport serve` data directory at {}; --data-dir names one",
                        data_dir.display()
                    ),
                })
            }
        };
        let mut roots = Vec::new();
        roots.extend(self.ca_file.clone());
        let local_ca = LocalTlsFiles::in_dir(data_dir).ca;
        if local_ca.exists() && is_local(&endpoint) {
            roots.push(local_ca);
        }
        ApiClient::new(&endpoint, api_key, &roots)
    }
}

/// Whether `url` names this machine: `localhost`, a loopback or an unspecified address.
fn is_local(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// Exit statuses scripts can rely on (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything imported (or was already there).
    Success = 0,
    /// The request could not be made or was refused; nothing was imported.
    Error = 1,
    /// Some items failed; the others were imported.
    Partial = 3,
    /// Every item failed, or the job failed as a whole.
    Failed = 4,
}

impl Outcome {
    pub fn from_counts(total: u64, failed: u64) -> Outcome {
        match failed {
            0 => Outcome::Success,
            f if f < total => Outcome::Partial,
            _ => Outcome::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(endpoint: Option<&str>, api_key: Option<&str>) -> Connection {
        Connection {
            endpoint: endpoint.map(str::to_string),
            api_key: api_key.map(str::to_string),
            ca_file: None,
            output: Output::Table,
        }
    }

    /// A data directory whose credentials name `url`.
    fn data_dir(url: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let credentials = serde_json::json!({"tenant_id": "t", "api_key": "cpk_local", "url": url,
                                             "tls_url": "https://127.0.0.1:8443"});
        std::fs::write(Credentials::path(dir.path()), credentials.to_string()).unwrap();
        dir
    }

    #[test]
    fn a_data_directorys_key_goes_only_to_the_local_addresses_it_recorded() {
        let local = data_dir("http://127.0.0.1:9999");
        assert!(connection(None, None).client(local.path()).is_ok());
        assert!(connection(Some("https://127.0.0.1:8443/"), None)
            .client(local.path())
            .is_ok());
        let elsewhere = connection(Some("https://api.example.com"), None).client(local.path());
        assert!(matches!(elsewhere, Err(ClientError::NoApiKey { .. })));
        // A recorded address that is not this machine's is not followed, even with a key given.
        let planted = data_dir("http://attacker.example:80");
        assert!(matches!(
            connection(None, None).client(planted.path()),
            Err(ClientError::NoApiKey { .. })
        ));
        assert!(
            is_local("http://[::1]:8080") && is_local("https://localhost:1") && !is_local("http://10.0.0.1")
        );
    }
}
