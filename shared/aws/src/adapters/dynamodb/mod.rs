//! The single DynamoDB table (`pk`, `sk` strings) of every store port; every key is made
//! in `keys`. Records are a JSON `doc` plus the attributes that keys, conditions and
//! indexes use:
//!
//! | record              | pk                             | sk                          | other attributes                 |
//! |---------------------|--------------------------------|-----------------------------|----------------------------------|
//! | tenant              | `TENANT#<tenant>`              | `TENANT`                    |                                  |
//! | API key             | `APIKEY#<sha256 of the key>`   | `APIKEY`                    | `revoked_at` once revoked        |
//! | API key by id       | `APIKEYS#<tenant>`             | `APIKEYID#<id>`             | (written with the above, atomically) |
//! | enrollment profile  | `TENANT#<tenant>`              | `PROFILE#<id>`              |                                  |
//! | edge instance       | `TENANT#<tenant>`              | `EDGE#<created at>#<id>`    | (listing order)                  |
//! | edge instance by id | `TENANT#<tenant>`              | `EDGEID#<id>`               | (written with the above, atomically) |
//! | encryption key      | `TENANT#<tenant>`              | `DEK#<id>`                  |                                  |
//! | trusted CA guard    | `TENANT#<tenant>`              | `TRUSTEDCA#<sha1>`          | (unique per fingerprint)         |
//! | trusted CA listing  | `TRUSTEDCA#<tenant>`           | `CA#<created at>#<sha1>`    | (written with the guard, atomically) |
//! | job (either kind)   | `TENANT#<tenant>`              | `JOB#<id>`                  | `open_pk`, `open_sk` while open  |
//! | certificate failure | `CERTJOB#<tenant>#<job>`       | `FAILURE#<ordinal>`         |                                  |
//! | shard report        | `CERTJOB#<tenant>#<job>`       | `SHARD#<shard>`             | put once (`attribute_not_exists`) |
//! | open work           | `TENANT#<tenant>`              | `OPENWORK`                  | `jobs`, `keystore_items` (numbers; `open_work`) |
//! | schema version      | `SCHEMA`                       | `VERSION`                   | `version` (a number; `schema`)   |
//! | item result         | `KSJOB#<tenant>#<job>`         | `ITEM#<ordinal>`            |                                  |
//! | device              | `DEVICE#<tenant>#<identifier>` | `DEVICE`                    | `job_id`, `fingerprint_sha256`, `lookup_pk`, `list_pk`, `list_sk` |
//! | certificate         | `CERTIFICATE#<tenant>#<id>`    | `CERTIFICATE`               | `lookup_pk`, `serial_pk`, `list_pk`, `list_sk`; `device_identifier`, `device_job_id` and `modified_at` once a device holds it; `key_doc` once its key is in |
//!
//! Devices and certificates have a partition each, so a large tenant spreads. A
//! certificate's id derives from its SHA-256 (`certificate_id`): a lookup by fingerprint
//! is a key lookup.
//!
//! Indexes of the inventory (every attribute a string):
//!
//! | index     | hash key    | range key | holds                                                    |
//! |-----------|-------------|-----------|----------------------------------------------------------|
//! | `lookup`  | `lookup_pk` |           | certificates by `SHA1#<tenant>#<sha1>`, devices by `DEVICEID#<tenant>#<id>` |
//! | `serial`  | `serial_pk` |           | certificates by `SERIAL#<tenant>#<serial>`                |
//! | `listing` | `list_pk`   | `list_sk` | `CERTIFICATES#<tenant>#<shard>` by expiry then id; `DEVICES#<tenant>#<shard>` by creation then identifier (`listing`) |
//!
//! Unfinished jobs carry `open_pk` (`OPEN#CERTJOB` or `OPEN#KSJOB`) and `open_sk`
//! (last activity, tenant, id): the sparse index `open-jobs` holds exactly the unfinished
//! jobs, which the sweeper reads least recently active first. Every write of an existing job is
//! conditional on `open_pk` being there, and the write that ends a job leaves it out: the
//! job leaves the index, and no later write can change it.

pub(crate) mod certificates;
pub(crate) mod devices;
pub(crate) mod inventory;
pub(crate) mod jobs;
pub(crate) mod keys;
pub(crate) mod listing;
pub(crate) mod open_work;
pub(crate) mod schema;
pub(crate) mod tenants;
pub(crate) mod transactions;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use certport_core::domain::JobKind;
use certport_core::ports::{decode_record, encode_record, InfraError, InfraResult, OpenJob, Record};

use crate::adapters::errors::{conditional_write, infra_error};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// The sparse global secondary index of unfinished jobs (see the module docs).
pub const OPEN_JOBS_INDEX: &str = "open-jobs";
const BATCH_WRITE_MAX: usize = 25;
/// BatchGetItem's limit.
const BATCH_GET_MAX: usize = 100;
/// Batch writes in flight at once per `insert_devices` call.
pub(crate) const WRITE_CONCURRENCY: usize = 4;
const UNPROCESSED_RETRIES: u32 = 8;

#[derive(Clone)]
pub struct DynamoStore {
    pub(crate) client: aws_sdk_dynamodb::Client,
    pub(crate) table: String,
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn with_doc<T: Record>(mut item: Item, value: &T) -> InfraResult<Item> {
    let doc = encode_record(value).map_err(|e| InfraError::permanent("encode record", e))?;
    item.insert("doc".into(), s(doc));
    Ok(item)
}

pub(crate) fn attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(crate) fn doc_of<T: Record>(item: &Item) -> InfraResult<T> {
    let doc = attr(item, "doc").ok_or_else(|| InfraError::permanent("decode record", "item has no doc"))?;
    decode_record(doc).map_err(|e| InfraError::permanent("decode record", e))
}

/// A job may be rewritten only while it is open: the first write of a terminal state
/// drops the `open_pk` marker, and every later writer's condition fails.
pub(crate) const OPEN_JOB_CONDITION: &str = "attribute_exists(open_pk)";

impl DynamoStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    pub(crate) async fn put(&self, operation: &'static str, item: Item) -> InfraResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| infra_error(operation, e))?;
        Ok(())
    }

    /// The item with `key`, as stored.
    pub(crate) async fn get_item(&self, operation: &'static str, key: Item) -> InfraResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| infra_error(operation, e))?;
        Ok(output.item)
    }

    pub(crate) async fn get<T: Record>(&self, operation: &'static str, key: Item) -> InfraResult<Option<T>> {
        self.get_item(operation, key)
            .await?
            .as_ref()
            .map(doc_of)
            .transpose()
    }

    /// Writes `items` with BatchWriteItem, a few batches at a time, retrying unprocessed items.
    pub(crate) async fn batch_put(&self, items: Vec<Item>) -> InfraResult<()> {
        let batches: Vec<Vec<WriteRequest>> = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| InfraError::permanent("batch write", e))
            })
            .collect::<InfraResult<Vec<_>>>()?
            .chunks(BATCH_WRITE_MAX)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        for group in batches.chunks(WRITE_CONCURRENCY) {
            futures_util::future::try_join_all(group.iter().cloned().map(|batch| self.write_batch(batch)))
                .await?;
        }
        Ok(())
    }

    /// The items with `keys` (those that exist), read with BatchGetItem 100 keys at a
    /// time, unprocessed keys asked again.
    pub(crate) async fn batch_get(&self, operation: &'static str, keys: Vec<Item>) -> InfraResult<Vec<Item>> {
        let mut items = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                let wanted = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| InfraError::permanent(operation, e))?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, wanted)
                    .send()
                    .await
                    .map_err(|e| infra_error(operation, e))?;
                items.extend(
                    output
                        .responses
                        .unwrap_or_default()
                        .remove(&self.table)
                        .unwrap_or_default(),
                );
                pending = output
                    .unprocessed_keys
                    .unwrap_or_default()
                    .remove(&self.table)
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if !pending.is_empty() {
                    attempt += 1;
                    backoff(operation, attempt).await?;
                }
            }
        }
        Ok(items)
    }

    async fn write_batch(&self, mut batch: Vec<WriteRequest>) -> InfraResult<()> {
        let mut attempt = 0;
        while !batch.is_empty() {
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, batch)
                .send()
                .await
                .map_err(|e| infra_error("batch write", e))?;
            batch = output
                .unprocessed_items
                .unwrap_or_default()
                .remove(&self.table)
                .unwrap_or_default();
            if !batch.is_empty() {
                attempt += 1;
                backoff("batch write", attempt).await?;
            }
        }
        Ok(())
    }
}

impl DynamoStore {
    /// Every item of partition `pk` whose sort key starts with `prefix`, in sort-key order.
    pub(crate) async fn query_prefix<T: Record>(
        &self,
        operation: &'static str,
        pk: String,
        prefix: &str,
    ) -> InfraResult<Vec<T>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true);
        self.query_all(operation, query)
            .await?
            .iter()
            .map(doc_of)
            .collect()
    }

    /// At most `limit` documents of partition `pk` whose sort key is in `range`
    /// (inclusive), in sort-key order, read a page at a time until there are enough.
    pub(crate) async fn query_range<T: Record>(
        &self,
        operation: &'static str,
        pk: String,
        range: (String, String),
        limit: usize,
    ) -> InfraResult<Vec<T>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        while items.len() < limit {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":from", s(range.0.clone()))
                .expression_attribute_values(":to", s(range.1.clone()))
                .consistent_read(true)
                .limit(i32::try_from(limit - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| infra_error(operation, e))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        items.iter().map(doc_of).collect()
    }

    /// Every item a query selects, page after page.
    pub(crate) async fn query_all(
        &self,
        operation: &'static str,
        query: QueryFluentBuilder,
    ) -> InfraResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| infra_error(operation, e))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(next) if !next.is_empty() => start = Some(next),
                _ => break,
            }
        }
        Ok(items)
    }

    /// A job's item: marked unfinished (in the `open-jobs` index, by kind) until it ends.
    pub(crate) fn job_item(kind: JobKind, tenant_id: &str, id: &str, active_at: &str, open: bool) -> Item {
        let mut item = keys::job_key(tenant_id, id);
        if open {
            item.insert("open_pk".into(), s(keys::open_jobs_pk(kind)));
            item.insert("open_sk".into(), s(keys::open_jobs_sk(active_at, tenant_id, id)));
        }
        item
    }

    /// The unfinished jobs of `kind` last active before `active_before`, each with its
    /// `open_sk` (last activity first: it orders them).
    pub(crate) async fn query_open_jobs(
        &self,
        kind: JobKind,
        active_before: &str,
    ) -> InfraResult<Vec<(String, OpenJob)>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OPEN_JOBS_INDEX)
            .key_condition_expression("open_pk = :pk AND open_sk < :before")
            .expression_attribute_values(":pk", s(keys::open_jobs_pk(kind)))
            .expression_attribute_values(":before", s(active_before));
        let jobs = self
            .query_all("open jobs", query)
            .await?
            .iter()
            .filter_map(|item| {
                let (tenant_id, job_id) = keys::job_of(attr(item, "pk")?, attr(item, "sk")?)?;
                let job = OpenJob {
                    kind,
                    tenant_id,
                    job_id,
                };
                Some((attr(item, "open_sk")?.to_string(), job))
            })
            .collect();
        Ok(jobs)
    }

    /// Puts `item` unless an item with its key exists; `false` when one did.
    pub(crate) async fn put_new(&self, operation: &'static str, item: Item) -> InfraResult<bool> {
        self.put_if(operation, item, "attribute_not_exists(pk)").await
    }

    /// Puts a new record whose key must be unused (a fresh job id): an error if it is not.
    pub(crate) async fn create(&self, operation: &'static str, item: Item) -> InfraResult<()> {
        if self.put_new(operation, item).await? {
            Ok(())
        } else {
            Err(InfraError::permanent(
                operation,
                "a record with this id already exists",
            ))
        }
    }

    /// Puts `item` if `condition` holds for the stored item; `false`, with nothing
    /// written, when it does not.
    pub(crate) async fn put_if(
        &self,
        operation: &'static str,
        item: Item,
        condition: &str,
    ) -> InfraResult<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .send()
            .await;
        conditional_write(operation, result)
    }
}

pub(crate) async fn backoff(operation: &'static str, attempt: u32) -> InfraResult<()> {
    if attempt > UNPROCESSED_RETRIES {
        return Err(InfraError::transient(
            operation,
            "items still unprocessed after retries",
        ));
    }
    tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
    Ok(())
}
