//! Paged listings of a tenant's certificates and devices through the `listing` index.
//! A tenant's listing is spread over `LISTING_SHARDS` partitions (`keys::listing_pk`); a
//! page queries every shard and merges them in sort-key order.

use aws_sdk_dynamodb::types::AttributeValue;
use certport_core::domain::{KeyRange, Page};
use certport_core::ports::InfraResult;

use crate::adapters::dynamodb::keys::{listing_shard_pk, Listing, LISTING_SHARDS};
use crate::adapters::dynamodb::{attr, s, Item};
use crate::adapters::errors::infra_error;
use crate::DynamoStore;

pub const LISTING_INDEX: &str = "listing";
pub const LOOKUP_INDEX: &str = "lookup";
pub const SERIAL_INDEX: &str = "serial";

/// One shard's page: its items, and whether it has more.
struct ShardPage {
    items: Vec<Item>,
    more: bool,
}

impl DynamoStore {
    /// One page of the `kind` listing of a tenant within `range`, merged over the shards.
    pub(crate) async fn list_sharded(
        &self,
        operation: &'static str,
        listing: Listing,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<Item>> {
        let per_shard = (limit.div_ceil(LISTING_SHARDS as usize) * 2).clamp(1, 1000);
        let shards = (0..LISTING_SHARDS).map(|shard| {
            let pk = listing_shard_pk(listing, tenant_id, shard);
            self.list_shard(operation, pk, range, per_shard)
        });
        let pages = futures_util::future::try_join_all(shards).await?;
        // A shard that has more bounds the merge: past its last key it may hold items
        // this page did not see.
        let bound = pages
            .iter()
            .filter(|p| p.more)
            .filter_map(|p| {
                p.items
                    .last()
                    .and_then(|i| attr(i, "list_sk"))
                    .map(str::to_string)
            })
            .min();
        let mut merged: Vec<(String, Item)> = pages
            .into_iter()
            .flat_map(|p| p.items)
            .filter_map(|item| Some((attr(&item, "list_sk")?.to_string(), item)))
            .filter(|(key, _)| bound.as_ref().is_none_or(|b| key <= b))
            .collect();
        merged.sort_by(|a, b| a.0.cmp(&b.0));
        let more = bound.is_some() || merged.len() > limit;
        merged.truncate(limit);
        let next = if more {
            merged.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        Ok(Page {
            items: merged.into_iter().map(|(_, item)| item).collect(),
            next,
        })
    }

    async fn list_shard(
        &self,
        operation: &'static str,
        pk: String,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<ShardPage> {
        // The lower bound is `after` (exclusive) when it is past `from` (inclusive).
        let after = range
            .after
            .clone()
            .filter(|after| range.from.as_ref().is_none_or(|from| after >= from));
        let lower = after.clone().or_else(|| range.from.clone());
        let mut values = vec![(":pk", s(pk))];
        let condition = match (&lower, &range.to) {
            (Some(lo), Some(hi)) => {
                values.extend([(":lo", s(lo)), (":hi", s(hi))]);
                "list_pk = :pk AND list_sk BETWEEN :lo AND :hi"
            }
            (Some(lo), None) => {
                values.push((":lo", s(lo)));
                "list_pk = :pk AND list_sk >= :lo"
            }
            (None, Some(hi)) => {
                values.push((":hi", s(hi)));
                "list_pk = :pk AND list_sk <= :hi"
            }
            (None, None) => "list_pk = :pk",
        };
        if let (Some(lo), Some(hi)) = (&lower, &range.to) {
            if lo > hi {
                return Ok(ShardPage {
                    items: vec![],
                    more: false,
                });
            }
        }
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(LISTING_INDEX)
            .key_condition_expression(condition)
            // One more: the item at `after` itself comes back and is dropped.
            .limit((limit + usize::from(after.is_some())) as i32);
        for (name, value) in values {
            query = query.expression_attribute_values(name, value);
        }
        let output = query.send().await.map_err(|e| infra_error(operation, e))?;
        let more = output.last_evaluated_key.is_some_and(|k| !k.is_empty());
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter(|item| after.is_none() || attr(item, "list_sk") != after.as_deref())
            .collect();
        Ok(ShardPage { items, more })
    }

    /// Every item whose `attribute` (the hash key of `index`, a keys-only index) is
    /// `value`, read whole from the table (strongly consistent).
    pub(crate) async fn query_index(
        &self,
        operation: &'static str,
        index: &str,
        attribute: &str,
        value: String,
    ) -> InfraResult<Vec<Item>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression(format!("{attribute} = :v"))
            .expression_attribute_values(":v", AttributeValue::S(value));
        let mut items = Vec::new();
        for keys in self.query_all(operation, query).await? {
            let key =
                Item::from_iter(["pk", "sk"].map(|k| (k.to_string(), keys.get(k).cloned().unwrap_or(s("")))));
            // Gone since the index saw it: nothing to read.
            items.extend(self.get_item(operation, key).await?);
        }
        Ok(items)
    }
}
