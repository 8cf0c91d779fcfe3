//! Client commands: what people would otherwise do with curl, jq and a sealing recipe.
//! They talk to any certport endpoint (a deployed stack or `certport serve`).

mod api;
mod certificates;
mod inventory;
mod jobs;
mod keystores;
mod output;
mod profiles;

use std::path::{Path, PathBuf};

use crate::serve::{Credentials, LocalTlsFiles};

pub use api::{ApiClient, ClientError};
pub use certificates::ImportCertificatesArgs;
pub use inventory::{CertificatesCommand, DevicesCommand};
pub use jobs::JobsCommand;
pub use keystores::{ImportKeystoresArgs, TrustedCaCommand};
pub use output::Output;
pub use profiles::ProfilesCommand;

/// How an upload reaches the service.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// In the request body up to 5 MiB (Lambda takes 6 MB), through an upload URL above.
    Auto,
    /// Always in the request body.
    Direct,
    /// Always through an upload URL.
    Url,
}

impl UploadMode {
    /// Bodies this large go through an upload URL in `Auto` mode.
    const DIRECT_LIMIT: u64 = 5 * 1024 * 1024;

    pub fn use_url(self, size: u64) -> bool {
        match self {
            UploadMode::Auto => size > Self::DIRECT_LIMIT,
            UploadMode::Direct => false,
            UploadMode::Url => true,
        }
    }
}

/// Where the API is and who is calling; shared by every client command.
#[derive(clap::Args, Debug, Clone)]
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
        ClientCommand::ImportKeystores(args) => keystores::import(&client, output, args).await,
        ClientCommand::Jobs(command) => jobs::run(&client, output, command).await,
        ClientCommand::Profiles(command) => profiles::run(&client, output, command).await,
        ClientCommand::TrustedCa(command) => keystores::trusted_ca(&client, output, command).await,
        ClientCommand::Certificates(command) => inventory::certificates(&client, output, command).await,
        ClientCommand::Devices(command) => inventory::devices(&client, output, command).await,
    }
}

/// Where the client goes when no endpoint is given and no `serve` recorded one.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8080";

impl Connection {
    /// A client for the endpoint and key given, or else those `serve` recorded in
    /// `data_dir`; trusting `--ca-file` and the data directory's local CA.
    pub fn client(&self, data_dir: &Path) -> Result<ApiClient, ClientError> {
        let local = Credentials::read(data_dir);
        let api_key = match (&self.api_key, &local) {
            (Some(key), _) => key.clone(),
            (None, Some(local)) => local.api_key.clone(),
            (None, None) => return Err(ClientError::NoApiKey(data_dir.display().to_string())),
        };
        let endpoint = self
            .endpoint
            .clone()
            .or_else(|| local.and_then(|l| l.url))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let mut roots = Vec::new();
        roots.extend(self.ca_file.clone());
        let local_ca = LocalTlsFiles::in_dir(data_dir).ca;
        if local_ca.exists() {
            roots.push(local_ca);
        }
        ApiClient::new(&endpoint, api_key, &roots)
    }
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
