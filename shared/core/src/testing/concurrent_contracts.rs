//! Contract cases that race: many callers at once against one store, exactly one winner
//! each time, and nothing half-written left behind. Every adapter runs them (see
//! `store_contract_tests!`).

use futures_util::future::join_all;

use super::store_contracts::{certificate, device, id, job, keystore_job, profile, stored_key};
use crate::domain::*;
use crate::ports::{DeviceInsert, InventoryStore, JobStore, KeyInsert, TenantStore};

const RACERS: usize = 6;

/// Six jobs insert overlapping ranges of the same devices (same identifiers, same
/// certificates) at once: each device is inserted exactly once, by the job it names.
pub async fn concurrent_overlapping_device_inserts_insert_each_device_once(store: &dyn InventoryStore) {
    let tenant = Tenant::new("racing");
    let batches: Vec<Vec<NewDevice>> = (0..RACERS)
        .map(|k| {
            (k * 10..k * 10 + 40)
                .map(|i| {
                    device(
                        &tenant,
                        &format!("job-{k}"),
                        &format!("dev-{i}"),
                        &format!("fp-{i}"),
                    )
                })
                .collect()
        })
        .collect();
    let outcomes = join_all(batches.iter().map(|b| store.insert_devices(b))).await;
    let mut winners = std::collections::BTreeMap::new();
    for (batch, outcome) in batches.iter().zip(outcomes) {
        for (NewDevice { device, .. }, outcome) in batch.iter().zip(outcome.unwrap()) {
            match outcome {
                DeviceInsert::Inserted => {
                    let earlier = winners.insert(device.device_identifier.clone(), device.job_id.clone());
                    assert_eq!(earlier, None, "{} inserted twice", device.device_identifier);
                }
                DeviceInsert::DuplicateCertificate => {}
                other => panic!("{}: {other:?}", device.device_identifier),
            }
        }
    }
    assert_eq!(winners.len(), (RACERS - 1) * 10 + 40);
    for (identifier, job_id) in &winners {
        let stored = store.get_device(&tenant.id, identifier).await.unwrap().unwrap();
        assert_eq!(&stored.job_id, job_id, "{identifier}");
    }
}

/// Six runs of the same four shards report at once (each with its own count): every
/// shard is counted once, with the count of the run that won, and every run reads back
/// at least its own shard.
pub async fn concurrent_shard_reports_count_each_shard_once(store: &dyn JobStore) {
    let (tenant, job_id) = (Tenant::new("racing"), id());
    let runs = (0..RACERS as u64).flat_map(|run| (0..4).map(move |shard| (run, shard)));
    let reports = join_all(runs.map(|(run, shard)| {
        let (tenant, job_id) = (&tenant.id, &job_id);
        async move {
            let report = ShardReport {
                shard,
                failed: run,
                certificates: 10,
                failure_counts: Default::default(),
            };
            let counted = store.record_shard(tenant, job_id, &report).await.unwrap();
            let seen = store.shard_reports(tenant, job_id).await.unwrap();
            assert!(
                seen.iter().any(|r| r.shard == shard),
                "shard {shard} not read back"
            );
            counted.then_some(report)
        }
    }))
    .await;
    let mut winners: Vec<ShardReport> = reports.into_iter().flatten().collect();
    winners.sort_by_key(|r| r.shard);
    assert_eq!(winners.iter().map(|r| r.shard).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(store.shard_reports(&tenant.id, &job_id).await.unwrap(), winners);
    assert!(store.shard_reports(&tenant.id, &id()).await.unwrap().is_empty());
}

/// Two jobs map one certificate to different identifiers at once: one device holds
/// it, and the loser's identifier stays free.
pub async fn concurrent_jobs_with_one_certificate_make_one_device(store: &dyn InventoryStore) {
    let tenant = Tenant::new("racing");
    let a = [device(&tenant, "job-a", "dev-a", "fp-shared")];
    let b = [device(&tenant, "job-b", "dev-b", "fp-shared")];
    let (ra, rb) = tokio::join!(store.insert_devices(&a), store.insert_devices(&b));
    let outcomes = [ra.unwrap()[0], rb.unwrap()[0]];
    let loser = match outcomes {
        [DeviceInsert::Inserted, DeviceInsert::DuplicateCertificate] => "dev-b",
        [DeviceInsert::DuplicateCertificate, DeviceInsert::Inserted] => "dev-a",
        other => panic!("expected one winner: {other:?}"),
    };
    assert_eq!(store.get_device(&tenant.id, loser).await.unwrap(), None);
    let later = [device(&tenant, "job-c", loser, "fp-later")];
    assert_eq!(
        store.insert_devices(&later).await.unwrap(),
        vec![DeviceInsert::Inserted]
    );
}

/// Two jobs map different certificates to one identifier at once: the device holds
/// the winner's, and the loser's certificate leaves no trace (it can be imported later).
pub async fn concurrent_jobs_with_one_identifier_make_one_device(store: &dyn InventoryStore) {
    let tenant = Tenant::new("racing");
    let a = [device(&tenant, "job-a", "dev-shared", "fp-a")];
    let b = [device(&tenant, "job-b", "dev-shared", "fp-b")];
    let (ra, rb) = tokio::join!(store.insert_devices(&a), store.insert_devices(&b));
    let (winner, loser) = match [ra.unwrap()[0], rb.unwrap()[0]] {
        [DeviceInsert::Inserted, DeviceInsert::DeviceIdentifierTaken] => (&a[0], &b[0]),
        [DeviceInsert::DeviceIdentifierTaken, DeviceInsert::Inserted] => (&b[0], &a[0]),
        other => panic!("expected one winner: {other:?}"),
    };
    let stored = store.get_device(&tenant.id, "dev-shared").await.unwrap();
    assert_eq!(stored.as_ref(), Some(&winner.device));
    let later = [device(
        &tenant,
        "job-c",
        "dev-later",
        &loser.device.fingerprint_sha256,
    )];
    assert_eq!(
        store.insert_devices(&later).await.unwrap(),
        vec![DeviceInsert::Inserted]
    );
}

/// A processor completing a job and the sweeper failing it at once: one of them ends
/// it, the other changes nothing, and the job leaves the sweeper's list.
pub async fn concurrent_job_ends_end_the_job_once(store: &dyn JobStore) {
    let tenant = Tenant::new("racing");
    let p = profile(&tenant, "race");
    let open = job(&tenant, &p);
    ends_race(store, open).await;
}

/// Racing ends of `open`: exactly one wins and stays.
async fn ends_race(store: &dyn JobStore, open: Job) {
    store.create_job(&open, WorkQuota::UNLIMITED).await.unwrap();
    let completed = Job {
        state: JobState::Completed,
        ..open.clone()
    };
    let failed = Job {
        state: JobState::Failed,
        failure: Some(JobFailure {
            reason: FailureReason::NotProcessed,
            message: "swept".into(),
        }),
        ..open.clone()
    };
    let attempts = [completed.clone(), failed.clone(), completed, failed];
    let won = join_all(attempts.iter().map(|j| store.finish_job(j))).await;
    let winners: Vec<&Job> = attempts
        .iter()
        .zip(won)
        .filter_map(|(j, won)| won.unwrap().then_some(j))
        .collect();
    assert_eq!(winners.len(), 1, "exactly one writer ends the job");
    let stored = store.get_job(&open.tenant_id, &open.id).await.unwrap();
    assert_eq!(stored.as_ref(), Some(winners[0]));
    let swept = store.open_jobs("2100-01-01T00:00:00.000000Z").await.unwrap();
    assert!(!swept.iter().any(|j| j.job_id == open.id));
}

/// The same keystore imported by several jobs at once is stored once.
pub async fn concurrent_imports_of_one_keystore_store_it_once(store: &dyn InventoryStore) {
    let (tenant, fingerprint) = (id(), id());
    let records: Vec<StoredKeyRecord> = (0..RACERS)
        .map(|k| stored_key(&tenant, &fingerprint, &format!("job-{k}"), 0))
        .collect();
    let record = certificate(&tenant, &fingerprint, "2030-01-01T00:00:00Z");
    let outcomes = join_all(records.iter().map(|r| store.insert_stored_key(r, &record))).await;
    let winners: Vec<&StoredKeyRecord> = records
        .iter()
        .zip(outcomes)
        .filter_map(|(r, outcome)| match outcome.unwrap() {
            KeyInsert::Inserted => Some(r),
            KeyInsert::AlreadyPresent => None,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(winners.len(), 1, "exactly one import stores the key");
    let stored = store.get_stored_key(&tenant, &fingerprint).await.unwrap();
    assert_eq!(stored.as_ref(), Some(winners[0]));
}

/// The same trusted CA added several times at once is added (and listed) once.
pub async fn concurrent_adds_of_one_trusted_ca_add_it_once(store: &dyn TenantStore) {
    let tenant = id();
    let adds: Vec<TrustedCa> = (0..RACERS)
        .map(|k| TrustedCa {
            id: id(),
            tenant_id: tenant.clone(),
            fingerprint: "00FF".into(),
            subject: "CN=root".into(),
            certificate: "AAEC".into(),
            created_at: format!("2026-01-01T00:00:0{k}.000000Z"),
        })
        .collect();
    let added = join_all(adds.iter().map(|ca| store.insert_trusted_ca(ca))).await;
    let winners: Vec<&TrustedCa> = adds
        .iter()
        .zip(added)
        .filter_map(|(ca, added)| added.unwrap().then_some(ca))
        .collect();
    assert_eq!(winners.len(), 1, "exactly one add wins; the others are a 409");
    assert_eq!(
        store.list_trusted_cas(&tenant).await.unwrap(),
        vec![winners[0].clone()]
    );
}

/// A processor completing a keystore job and the sweeper failing it at once.
pub async fn concurrent_keystore_job_ends_end_the_job_once(store: &dyn JobStore) {
    ends_race(store, keystore_job(&id(), "2026-01-01T00:00:00.000000Z")).await;
}

/// One test per contract case for a store adapter. `$store` is an expression (it may
/// `.await`) giving a fresh store that implements `TenantStore`, `JobStore` and `InventoryStore`.
#[macro_export]
macro_rules! store_contract_tests {
    ($store:expr) => {
        $crate::store_contract_tests!(@cases $store;
            tenant_store_contract: store_contracts::tenant_store_contract,
            job_store_contract: store_contracts::job_store_contract,
            inventory_store_contract: store_contracts::inventory_store_contract,
            concurrent_overlapping_device_inserts_insert_each_device_once,
            concurrent_jobs_with_one_certificate_make_one_device,
            concurrent_jobs_with_one_identifier_make_one_device,
            concurrent_job_ends_end_the_job_once,
            concurrent_shard_reports_count_each_shard_once,
            concurrent_imports_of_one_keystore_store_it_once,
            concurrent_adds_of_one_trusted_ca_add_it_once,
            concurrent_keystore_job_ends_end_the_job_once,
            api_keys_are_found_by_hash_and_listed_by_tenant: api_key_contracts::api_keys_are_found_by_hash_and_listed_by_tenant,
            a_revoked_key_reads_revoked_everywhere: api_key_contracts::a_revoked_key_reads_revoked_everywhere,
            concurrent_rotations_of_one_key_replace_it_once: api_key_contracts::concurrent_rotations_of_one_key_replace_it_once,
            device_and_key_for_one_certificate_share_its_record: inventory_contracts::device_and_key_for_one_certificate_share_its_record,
            concurrent_device_and_key_for_one_certificate_both_land: inventory_contracts::concurrent_device_and_key_for_one_certificate_both_land,
            certificates_are_found_by_id_sha1_and_serial: inventory_contracts::certificates_are_found_by_id_sha1_and_serial,
            certificates_list_by_expiry_in_pages: inventory_contracts::certificates_list_by_expiry_in_pages,
            devices_list_in_pages_and_are_found_by_id: inventory_contracts::devices_list_in_pages_and_are_found_by_id,
            audit_events_list_newest_first: inventory_contracts::audit_events_list_newest_first,
            devices_and_keys_at_every_limit_are_stored: inventory_contracts::devices_and_keys_at_every_limit_are_stored,
            open_work_is_capped_per_tenant: work_quota_contracts::open_work_is_capped_per_tenant,
            concurrent_creations_never_pass_the_quota: work_quota_contracts::concurrent_creations_never_pass_the_quota,
        );
    };
    (@cases $store:expr; $($name:ident $(: $($path:ident)::+)?),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $store;
                $crate::store_contract_tests!(@call store; $name $(: $($path)::+)?);
            }
        )+
    };
    (@call $store:ident; $name:ident : $($path:ident)::+) => {
        $crate::testing::$($path)::+(&$store).await
    };
    (@call $store:ident; $name:ident) => {
        $crate::testing::concurrent_contracts::$name(&$store).await
    };
}
