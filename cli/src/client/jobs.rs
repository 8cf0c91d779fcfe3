//! Reading jobs of either API, and waiting for them to finish.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::api::{ApiClient, ClientError};
use super::output::{print_json, Output};
use super::progress::{Progress, Unit};
use super::{certificates, keystores, Outcome};

#[derive(clap::Subcommand, Debug)]
pub enum JobsCommand {
    /// Shows a certificate or keystore import job and its per-item outcome.
    Get { id: String },
    /// Lists every failure of a certificate import (a status shows the first ones).
    Failures { id: String },
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

    /// How far a running job has come: done, of how many (when known yet).
    fn progress(self, job: &Value) -> (u64, Option<u64>, Unit) {
        match self {
            JobKind::Certificates => (
                job["processed_certificates"].as_u64().unwrap_or(0),
                job["total_certificates"].as_u64().filter(|&t| t > 0),
                Unit::Certificates,
            ),
            JobKind::Keystores => (
                job["processedItems"].as_u64().unwrap_or(0),
                job["results"].as_array().map(|r| r.len() as u64),
                Unit::Items,
            ),
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
    let id = match command {
        JobsCommand::Get { id } => id,
        JobsCommand::Failures { id } => return certificates::all_failures(client, output, &id).await,
    };
    // Job ids of both APIs are UUIDs: ask the certificate API first, then the keystore API.
    let (kind, job) = match client.get(&JobKind::Certificates.path(&id)).await {
        Ok(job) => (JobKind::Certificates, job),
        Err(ClientError::Refused { status: 404, .. }) => {
            match client.get(&JobKind::Keystores.path(&id)).await {
                Ok(job) => (JobKind::Keystores, job),
                Err(ClientError::Refused { status: 404, .. }) => {
                    return Err(ClientError::Input(format!(
                    "no import job {id} for this API key: neither a certificate import nor a keystore import"
                )))
                }
                Err(e) => return Err(e),
            }
        }
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

/// Polls a job until it leaves PENDING/PROCESSING, showing how far it has come.
pub async fn wait(
    client: &ApiClient,
    kind: JobKind,
    id: &str,
    timeout: Duration,
) -> Result<Value, ClientError> {
    let path = kind.path(id);
    let started = Instant::now();
    let mut progress = Progress::new();
    let mut delay = Duration::from_millis(100);
    loop {
        let job = client.get(&path).await?;
        if !kind.running(&job) {
            progress.finish();
            return Ok(job);
        }
        if started.elapsed() >= timeout {
            progress.finish();
            return Err(ClientError::Timeout {
                id: id.to_string(),
                status: job["status"].as_str().unwrap_or_default().to_string(),
                waited: timeout,
            });
        }
        let (done, total, unit) = kind.progress(&job);
        progress.show(&format!("job {id}"), done, total, unit);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}
