//! The table's schema version: one item (`SCHEMA` / `VERSION`, attribute `version`) that
//! says which layout the table's items follow. Functions check it at cold start and refuse
//! a table they do not know; `certport admin upgrade-table` brings a table to this
//! version, one upgrade at a time. A table without the item is at version 0: it was
//! created and never upgraded, so its items (if any) are this version's.

use aws_sdk_dynamodb::types::AttributeValue;
use certport_core::ports::{InfraError, InfraResult};

use certport_core::domain::{timestamp_now, ApiKeyRecord};

use crate::adapters::dynamodb::keys::{api_key_listing_key, schema_key, API_KEY_PREFIX};
use crate::adapters::dynamodb::transactions::TransactUpdate;
use crate::adapters::dynamodb::{doc_of, s, with_doc};
use crate::adapters::errors::infra_error;
use crate::DynamoStore;

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 2;

/// The upgrades from each version to the next, by the version they start from, and what
/// each changes (`apply` does it). An upgrade must be safe to run again and while
/// functions of either version run. An unstamped table gets every one.
const UPGRADES: &[(u32, &str)] = &[
    (0, "a new table: nothing to change"),
    (
        1,
        "API keys: each listed under its tenant (by id), so it can be listed, revoked and rotated",
    ),
];

/// What `upgrade-table` did: the version the table was at (none: never stamped) and is at now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaUpgrade {
    pub from: Option<u32>,
    pub to: u32,
    /// What each upgrade applied changed.
    pub applied: Vec<&'static str>,
}

impl DynamoStore {
    /// The table's schema version; `None` when it was never stamped.
    pub async fn schema_version(&self) -> InfraResult<Option<u32>> {
        let Some(item) = self.get_item("read schema version", schema_key()).await? else {
            return Ok(None);
        };
        let version = item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| InfraError::permanent("read schema version", "the schema item has no version"))?;
        Ok(Some(version))
    }

    /// Refuses a table this build cannot read or write: one from a newer build, or one
    /// that needs `certport admin upgrade-table` first.
    pub async fn check_schema(&self) -> InfraResult<()> {
        match self.schema_version().await? {
            None | Some(SCHEMA_VERSION) => Ok(()),
            Some(newer) if newer > SCHEMA_VERSION => Err(InfraError::permanent(
                "check schema",
                format!("the table is at schema version {newer}, newer than these functions ({SCHEMA_VERSION}): deploy the functions that wrote it"),
            )),
            Some(older) => Err(InfraError::permanent(
                "check schema",
                format!("the table is at schema version {older}; run `certport admin upgrade-table` to bring it to {SCHEMA_VERSION}"),
            )),
        }
    }

    /// Applies every upgrade from the table's version to this build's, then stamps it.
    pub async fn upgrade_schema(&self) -> InfraResult<SchemaUpgrade> {
        let from = self.schema_version().await?;
        if from.is_some_and(|v| v > SCHEMA_VERSION) {
            self.check_schema().await?;
        }
        let start = from.unwrap_or(0);
        let mut applied = Vec::new();
        for (version, what) in UPGRADES {
            if (start..SCHEMA_VERSION).contains(version) {
                self.apply_upgrade(*version).await?;
                applied.push(*what);
            }
        }
        // Stamped only over the version read: two upgrades at once do not step back.
        let stamp = TransactUpdate {
            key: schema_key(),
            expression: "SET version = :to".into(),
            values: [
                (":to".to_string(), AttributeValue::N(SCHEMA_VERSION.to_string())),
                (":from".to_string(), AttributeValue::N(start.to_string())),
            ]
            .into(),
            condition: Some("attribute_not_exists(version) OR version <= :from"),
        };
        self.update_if("stamp schema version", stamp).await?;
        Ok(SchemaUpgrade {
            from,
            to: SCHEMA_VERSION,
            applied,
        })
    }
}

impl DynamoStore {
    async fn apply_upgrade(&self, from: u32) -> InfraResult<()> {
        match from {
            1 => self.list_api_keys_under_their_tenants().await,
            _ => Ok(()),
        }
    }

    /// Version 2 finds a tenant's keys by `APIKEYS#<tenant>` / `APIKEYID#<id>`: each key
    /// stored before gets that item (unless it has it), with its creation time set to now
    /// (it was not kept) and its scopes (every one: what it could do) written out.
    async fn list_api_keys_under_their_tenants(&self) -> InfraResult<()> {
        const OPERATION: &str = "upgrade api keys";
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(pk, :prefix)")
                .expression_attribute_values(":prefix", s(API_KEY_PREFIX))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| infra_error(OPERATION, e))?;
            for item in page.items() {
                let mut key: ApiKeyRecord = doc_of(item)?;
                if key.created_at.is_empty() {
                    key.created_at = timestamp_now();
                }
                let listing = with_doc(api_key_listing_key(&key.tenant_id, &key.id), &key)?;
                // Another run, or a revocation since, wrote it already: theirs stands.
                self.put_new(OPERATION, listing).await?;
            }
            match page.last_evaluated_key() {
                Some(last) => start = Some(last.clone()),
                None => return Ok(()),
            }
        }
    }
}
