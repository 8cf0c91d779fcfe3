//! The work-quota contract: every job store counts a tenant's open work the same way,
//! and racing creators never pass the quota together.

use futures_util::future::join_all;

use super::store_contracts::{job, keystore_job, profile};
use crate::domain::*;
use crate::ports::JobStore;

const RACERS: usize = 6;

const QUOTA: WorkQuota = WorkQuota {
    max_open_jobs: 2,
    max_keystore_items: 100,
};

fn keystore_job_holding(tenant: &Tenant, items: u32) -> Job {
    Job {
        reserved_items: items,
        ..keystore_job(&tenant.id, "2026-01-01T00:00:00.000000Z")
    }
}

fn ended(job: &Job) -> Job {
    Job {
        state: JobState::Completed,
        ..job.clone()
    }
}

/// Open jobs and reserved keystore items are capped per tenant; ending a job frees its
/// place once; a refused job is not written.
pub async fn open_work_is_capped_per_tenant(store: &dyn JobStore) {
    let (tenant, other) = (Tenant::new("busy"), Tenant::new("quiet"));
    let p = profile(&tenant, "quota");
    let certificates = job(&tenant, &p);
    let keystores = keystore_job_holding(&tenant, 60);
    assert_eq!(
        store.create_job(&certificates, QUOTA).await.unwrap(),
        Admission::Admitted
    );
    assert_eq!(
        store.create_job(&keystores, QUOTA).await.unwrap(),
        Admission::Admitted
    );

    let third = job(&tenant, &p);
    let refused = Admission::Refused(QuotaLimit::OpenJobs);
    assert_eq!(store.create_job(&third, QUOTA).await.unwrap(), refused);
    assert_eq!(store.get_job(&tenant.id, &third.id).await.unwrap(), None);
    let elsewhere = job(&other, &profile(&other, "quota"));
    assert_eq!(
        store.create_job(&elsewhere, QUOTA).await.unwrap(),
        Admission::Admitted
    );

    // Ending the keystore job frees its place and its 60 items, once.
    assert!(store.finish_job(&ended(&keystores)).await.unwrap());
    assert!(!store.finish_job(&ended(&keystores)).await.unwrap());
    let full = keystore_job_holding(&tenant, 100);
    assert_eq!(store.create_job(&full, QUOTA).await.unwrap(), Admission::Admitted);
    assert!(store.finish_job(&ended(&certificates)).await.unwrap());
    let one_more = keystore_job_holding(&tenant, 1);
    let refused = Admission::Refused(QuotaLimit::KeystoreItems);
    assert_eq!(store.create_job(&one_more, QUOTA).await.unwrap(), refused);
    // A job that is created ended holds nothing.
    let created_ended = ended(&keystore_job_holding(&tenant, 100));
    assert_eq!(
        store.create_job(&created_ended, QUOTA).await.unwrap(),
        Admission::Admitted
    );
}

/// Creations racing for the last places: exactly as many win as there are places; then
/// the racing ends of one job free exactly one.
pub async fn concurrent_creations_never_pass_the_quota(store: &dyn JobStore) {
    let tenant = Tenant::new("racing for places");
    let p = profile(&tenant, "quota");
    let jobs: Vec<Job> = (0..RACERS).map(|_| job(&tenant, &p)).collect();
    let winners = admitted(join_all(jobs.iter().map(|j| store.create_job(j, QUOTA))).await);
    assert_eq!(winners.len(), 2, "exactly the quota's places are taken");

    let finished = ended(&jobs[winners[0]]);
    join_all((0..RACERS).map(|_| store.finish_job(&finished))).await;
    let again: Vec<Job> = (0..RACERS).map(|_| job(&tenant, &p)).collect();
    let winners = admitted(join_all(again.iter().map(|j| store.create_job(j, QUOTA))).await);
    assert_eq!(winners.len(), 1, "one job ended, so one place is free");
}

/// The indexes of the creations that were admitted.
fn admitted(outcomes: Vec<crate::ports::InfraResult<Admission>>) -> Vec<usize> {
    outcomes
        .into_iter()
        .enumerate()
        .filter(|(_, outcome)| *outcome.as_ref().unwrap() == Admission::Admitted)
        .map(|(i, _)| i)
        .collect()
}
