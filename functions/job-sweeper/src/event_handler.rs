use certport_core::app::{sweep_stale_jobs, Deps, ProcessOutcome};
use lambda_runtime::{tracing, Error, LambdaEvent};
use serde_json::{json, Value};

/// The schedule's event carries nothing we need; every run sweeps the whole table.
pub async fn function_handler(deps: &Deps, _event: LambdaEvent<Value>) -> Result<Value, Error> {
    let outcomes = sweep_stale_jobs(deps, deps.limits.job_deadline).await?;
    let failed: Vec<&str> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            ProcessOutcome::Failed { job_id, .. } => Some(job_id.as_str()),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        tracing::warn!(count = failed.len(), "stale jobs failed");
    }
    Ok(json!({ "failed_jobs": failed }))
}
