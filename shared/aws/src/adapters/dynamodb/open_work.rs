//! A tenant's open work (`WorkQuota`) on DynamoDB: one counter item per tenant, changed
//! only in the transaction that creates an open job (conditional on the quota) and in
//! the one that ends it (conditional on the job being open), so it moves exactly once
//! each way per job.

use aws_sdk_dynamodb::types::AttributeValue;
use certport_core::domain::{Admission, QuotaLimit, WorkQuota};
use certport_core::ports::{InfraError, InfraResult};

use crate::adapters::dynamodb::keys::open_work_key;
use crate::adapters::dynamodb::transactions::{Cancelled, TransactPut, TransactUpdate};
use crate::adapters::dynamodb::{backoff, Item, OPEN_JOB_CONDITION};
use crate::DynamoStore;

/// Room for every open job and reserved item; a count never set reads as zero.
const ADMIT_CONDITION: &str = "(attribute_not_exists(jobs) OR jobs < :max_jobs) \
    AND (attribute_not_exists(keystore_items) OR keystore_items <= :room)";

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Adds (or, negative, removes) one job and its reserved items.
fn count(tenant_id: &str, jobs: i64, items: u32, condition: Option<&'static str>) -> TransactUpdate {
    let sign = jobs.signum();
    TransactUpdate {
        key: open_work_key(tenant_id),
        expression: "ADD jobs :jobs, keystore_items :items".into(),
        values: Item::from([
            (":jobs".to_string(), n(jobs)),
            (":items".to_string(), n(sign * i64::from(items))),
        ]),
        condition,
    }
}

/// Which limit a refused creation met, from the counter as it stood.
fn limit_met(stored: Option<&Item>, quota: WorkQuota) -> QuotaLimit {
    let jobs = stored
        .and_then(|item| item.get("jobs"))
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok());
    match jobs {
        Some(jobs) if jobs < i64::from(quota.max_open_jobs) => QuotaLimit::KeystoreItems,
        _ => QuotaLimit::OpenJobs,
    }
}

impl DynamoStore {
    /// Puts a new open job's `item` and counts it, if the tenant's quota has room.
    pub(crate) async fn create_open_job(
        &self,
        operation: &'static str,
        tenant_id: &str,
        item: Item,
        reserved_items: u32,
        quota: WorkQuota,
    ) -> InfraResult<Admission> {
        let Some(room) = quota.max_keystore_items.checked_sub(reserved_items) else {
            return Ok(Admission::Refused(QuotaLimit::KeystoreItems));
        };
        let mut conflicts = 0;
        loop {
            let mut admit = count(tenant_id, 1, reserved_items, Some(ADMIT_CONDITION));
            admit.values.extend([
                (":max_jobs".to_string(), n(quota.max_open_jobs.into())),
                (":room".to_string(), n(room.into())),
            ]);
            let writes = vec![TransactPut::new_key(item.clone()).into(), admit.into()];
            let Some(reasons) = self.transact(operation, writes).await? else {
                return Ok(Admission::Admitted);
            };
            match reasons.as_slice() {
                [Cancelled::ConditionFailed(_), _] => {
                    return Err(InfraError::permanent(
                        operation,
                        "a record with this id already exists",
                    ))
                }
                [_, Cancelled::ConditionFailed(stored)] => {
                    return Ok(Admission::Refused(limit_met(stored.as_ref(), quota)))
                }
                _ if reasons.contains(&Cancelled::Conflict) => {
                    conflicts += 1;
                    backoff(operation, conflicts).await?
                }
                _ => return Err(InfraError::transient(operation, "the transaction was cancelled")),
            }
        }
    }

    /// Writes the ending `item` of an open job and uncounts the job; `false`, with
    /// nothing written, when the job had ended already.
    pub(crate) async fn end_open_job(
        &self,
        operation: &'static str,
        tenant_id: &str,
        item: Item,
        reserved_items: u32,
    ) -> InfraResult<bool> {
        let mut conflicts = 0;
        loop {
            let end = TransactPut {
                item: item.clone(),
                condition: Some(OPEN_JOB_CONDITION),
            };
            let release = count(tenant_id, -1, reserved_items, None);
            let Some(reasons) = self.transact(operation, vec![end.into(), release.into()]).await? else {
                return Ok(true);
            };
            match reasons.first() {
                Some(Cancelled::ConditionFailed(_)) => return Ok(false),
                _ if reasons.contains(&Cancelled::Conflict) => {
                    conflicts += 1;
                    backoff(operation, conflicts).await?
                }
                _ => return Err(InfraError::transient(operation, "the transaction was cancelled")),
            }
        }
    }
}
