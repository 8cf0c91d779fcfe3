//! Reading jobs of either API, and waiting for them to finish.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::api::{ApiClient, ClientError};
use super::output::{print_json, Output};
use super::{certificates, keystores, Outcome};

#[derive(clap::Subcommand, Debug)]
pub enum JobsCommand {
    /// Shows a certificate or keystore import job and its per-item outcome.
    Get { id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Certificates,
    Keystores,
}

impl JobKind {
    pub fn path(self, id: &str) -> String {
        match self {
            JobKind::Certificates => format!("/iot/api/v1/certificate-import/job/{id}"),
            JobKind::Keystores => format!("/outagedetection/v1/certificates/imports/{id}"),
        }
    }

    fn running(self, job: &Value) -> bool {
        let status = job["status"].as_str().unwrap_or_default();
        match self {
            JobKind::Certificates => status == "PENDING",
            JobKind::Keystores => status == "PROCESSING",
        }
    }
}

pub async fn run(client: &ApiClient, output: Output, command: JobsCommand) -> Result<Outcome, ClientError> {
    let JobsCommand::Get { id } = command;
    // Job ids of both APIs are UUIDs: ask the certificate API first, then the keystore API.
    let (kind, job) = match client.get(&JobKind::Certificates.path(&id)).await {
        Ok(job) => (JobKind::Certificates, job),
        Err(ClientError::Refused { status: 404, .. }) => (
            JobKind::Keystores,
            client.get(&JobKind::Keystores.path(&id)).await?,
        ),
        Err(e) => return Err(e),
    };
    if output == Output::Json {
        print_json(&job);
    }
    Ok(match kind {
        JobKind::Certificates => certificates::report(&job, output),
        JobKind::Keystores => keystores::report(&[(None, job)], output),
    })
}

/// Polls a job until it leaves PENDING/PROCESSING, showing the wait on a terminal.
pub async fn wait(
    client: &ApiClient,
    kind: JobKind,
    id: &str,
    timeout: Duration,
) -> Result<Value, ClientError> {
    let path = kind.path(id);
    let started = Instant::now();
    let show = std::io::stderr().is_terminal();
    let mut delay = Duration::from_millis(100);
    loop {
        let job = client.get(&path).await?;
        if !kind.running(&job) {
            if show {
                eprint!("\r\x1b[2K");
            }
            return Ok(job);
        }
        if started.elapsed() >= timeout {
            if show {
                eprintln!();
            }
            return Err(ClientError::Timeout {
                id: id.to_string(),
                status: job["status"].as_str().unwrap_or_default().to_string(),
                waited: timeout,
            });
        }
        if show {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let frame = frames[(started.elapsed().as_millis() / 100) as usize % frames.len()];
            eprint!(
                "\r{frame} job {id}: {} ({:.1}s)",
                job["status"].as_str().unwrap_or_default(),
                started.elapsed().as_secs_f32()
            );
            let _ = std::io::stderr().flush();
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}
