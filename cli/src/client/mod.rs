//! Client commands: what people would otherwise do with curl, jq and a sealing recipe.
//! They talk to any certport endpoint (a deployed stack or `certport serve`).

mod api;
mod certificates;
mod inventory;
mod jobs;
mod keystores;
mod output;
mod profiles;

use std::path::PathBuf;

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
    /// Base URL of the API (a stack's ApiUrl, or `certport serve`).
    #[arg(
        long,
        env = "CERTPORT_ENDPOINT",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub endpoint: String,
    /// API key; without it, the one in ./.certport/credentials.json (from `certport serve`).
    #[arg(long, env = "CERTPORT_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
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

pub async fn run(connection: &Connection, command: ClientCommand) -> Result<Outcome, ClientError> {
    let client = connection.client()?;
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

impl Connection {
    pub fn client(&self) -> Result<ApiClient, ClientError> {
        let api_key = match &self.api_key {
            Some(key) => key.clone(),
            None => local_api_key().ok_or(ClientError::NoApiKey)?,
        };
        ApiClient::new(&self.endpoint, api_key)
    }
}

/// The key `certport serve` saved in its default data directory, if there is one.
fn local_api_key() -> Option<String> {
    let path = PathBuf::from(".certport/credentials.json");
    let credentials: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    credentials["api_key"].as_str().map(str::to_string)
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
