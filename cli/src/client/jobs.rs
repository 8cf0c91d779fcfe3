//! Reading jobs of either API, and waiting for them to finish.

use std::time::{Duration, Instant};

use certport_core::http::contract::{api_a, api_b};
use serde::de::DeserializeOwned;
use serde::Serialize;

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

/// A job of either API, as its status route answers.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
enum Job {
    Certificates(Box<api_a::CertificateImportStatus>),
    Keystores(api_b::KeystoreImportStatus),
}

/// A job status that can be waited on.
pub trait JobStatus: DeserializeOwned {
    fn path(id: &str) -> String;
    fn status(&self) -> &str;
    /// How far a running job has come: done, of how many (when known yet).
    fn progress(&self) -> (u64, Option<u64>, Unit);
}

impl JobStatus for api_a::CertificateImportStatus {
    fn path(id: &str) -> String {
        format!("/iot/api/v1/certificate-import/job/{id}")
    }

    fn status(&self) -> &str {
        &self.job.status
    }

    fn progress(&self) -> (u64, Option<u64>, Unit) {
        (
            self.job.processed_certificates,
            Some(self.job.total_certificates).filter(|&t| t > 0),
            Unit::Certificates,
        )
    }
}

impl JobStatus for api_b::KeystoreImportStatus {
    fn path(id: &str) -> String {
        format!("/outagedetection/v1/certificates/imports/{id}")
    }

    fn status(&self) -> &str {
        &self.status
    }

    fn progress(&self) -> (u64, Option<u64>, Unit) {
        (self.processed_items, Some(self.results.len() as u64), Unit::Items)
    }
}

fn running(job: &impl JobStatus) -> bool {
    matches!(job.status(), "PENDING" | "PROCESSING")
}

async fn read<S: JobStatus>(client: &ApiClient, id: &str) -> Result<S, ClientError> {
    client.get(&S::path(id)).await
}

pub async fn run(client: &ApiClient, output: Output, command: JobsCommand) -> Result<Outcome, ClientError> {
    let id = match command {
        JobsCommand::Get { id } => id,
        JobsCommand::Failures { id } => return certificates::all_failures(client, output, &id).await,
    };
    // Job ids of both APIs are UUIDs: ask the certificate API first, then the keystore API.
    let job = match read(client, &id).await {
        Ok(job) => Job::Certificates(Box::new(job)),
        Err(ClientError::Refused { status: 404, .. }) => match read(client, &id).await {
            Ok(job) => Job::Keystores(job),
            Err(ClientError::Refused { status: 404, .. }) => {
                return Err(ClientError::Input(format!(
                    "no import job {id} for this API key: neither a certificate import nor a keystore import"
                )))
            }
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    if output == Output::Json {
        print_json(&job);
    }
    Ok(match job {
        Job::Certificates(job) => certificates::report(&job, output),
        Job::Keystores(job) => keystores::report(&[(None, job)], output),
    })
}

/// Polls a job until it leaves PENDING/PROCESSING, showing how far it has come.
pub async fn wait<S: JobStatus>(client: &ApiClient, id: &str, timeout: Duration) -> Result<S, ClientError> {
    let started = Instant::now();
    let mut progress = Progress::new();
    let mut delay = Duration::from_millis(100);
    loop {
        let job: S = read(client, id).await?;
        if !running(&job) {
            progress.finish();
            return Ok(job);
        }
        if started.elapsed() >= timeout {
            progress.finish();
            return Err(ClientError::Timeout {
                id: id.to_string(),
                status: job.status().to_string(),
                waited: timeout,
            });
        }
        let (done, total, unit) = job.progress();
        progress.show(&format!("job {id}"), done, total, unit);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(1));
    }
}
