//! TransactWriteItems on the single table: several puts and updates that happen together
//! or not at all, each with an optional condition.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use certport_core::ports::{InfraError, InfraResult};

use crate::adapters::dynamodb::Item;
use crate::adapters::errors::{conditional_write, infra_error};
use crate::DynamoStore;

/// Why one put of a cancelled transaction did not happen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cancelled {
    /// Its own condition failed; the stored item, when there was one.
    ConditionFailed(Option<Item>),
    /// Another transaction held the item: try again.
    Conflict,
    /// Nothing wrong with this put: another one cancelled the transaction.
    NotAtFault,
}

/// One write of a transaction.
pub(crate) enum TransactWrite {
    Put(TransactPut),
    Update(TransactUpdate),
}

impl From<TransactPut> for TransactWrite {
    fn from(put: TransactPut) -> Self {
        TransactWrite::Put(put)
    }
}

impl From<TransactUpdate> for TransactWrite {
    fn from(update: TransactUpdate) -> Self {
        TransactWrite::Update(update)
    }
}

/// An update of one item (created if absent): `expression` with `:name` values.
pub(crate) struct TransactUpdate {
    pub key: Item,
    pub expression: String,
    pub values: Item,
    pub condition: Option<&'static str>,
}

/// One put of a transaction.
pub(crate) struct TransactPut {
    pub item: Item,
    pub condition: Option<&'static str>,
}

impl TransactPut {
    pub fn new(item: Item) -> Self {
        TransactPut {
            item,
            condition: None,
        }
    }

    /// Only when no item has its key yet.
    pub fn new_key(item: Item) -> Self {
        TransactPut {
            item,
            condition: Some("attribute_not_exists(pk)"),
        }
    }
}

impl DynamoStore {
    fn transact_item(
        &self,
        write: TransactWrite,
    ) -> Result<TransactWriteItem, aws_sdk_dynamodb::error::BuildError> {
        let all_old = ReturnValuesOnConditionCheckFailure::AllOld;
        Ok(match write {
            TransactWrite::Put(put) => TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(put.item))
                        .set_condition_expression(put.condition.map(str::to_string))
                        .return_values_on_condition_check_failure(all_old)
                        .build()?,
                )
                .build(),
            TransactWrite::Update(update) => TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(update.key))
                        .update_expression(update.expression)
                        .set_expression_attribute_values(Some(update.values))
                        .set_condition_expression(update.condition.map(str::to_string))
                        .return_values_on_condition_check_failure(all_old)
                        .build()?,
                )
                .build(),
        })
    }

    /// Writes every put or none. `Ok(None)` when written; `Ok(Some(reasons))`, one per
    /// put in order, when DynamoDB cancelled the transaction.
    pub(crate) async fn transact(
        &self,
        operation: &'static str,
        writes: Vec<TransactWrite>,
    ) -> InfraResult<Option<Vec<Cancelled>>> {
        let count = writes.len();
        let items = writes
            .into_iter()
            .map(|write| self.transact_item(write))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| InfraError::permanent(operation, e))?;
        let error = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(None),
            Err(error) => error,
        };
        let reasons = match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                cancelled.cancellation_reasons().to_vec()
            }
            _ => return Err(infra_error(operation, error)),
        };
        if reasons.len() != count {
            return Err(InfraError::transient(
                operation,
                "a cancelled transaction gave no reason for some of its puts",
            ));
        }
        reasons
            .into_iter()
            .map(|reason| match reason.code() {
                None | Some("None") => Ok(Cancelled::NotAtFault),
                Some("ConditionalCheckFailed") => Ok(Cancelled::ConditionFailed(reason.item)),
                Some("TransactionConflict") => Ok(Cancelled::Conflict),
                // Throttling, capacity, validation: the whole call failed, not a condition.
                Some(code) => {
                    let message = format!("transaction cancelled: {code}");
                    Err(match code {
                        "ValidationError" => InfraError::permanent(operation, message),
                        _ => InfraError::transient(operation, message),
                    })
                }
            })
            .collect::<InfraResult<Vec<_>>>()
            .map(Some)
    }
}

impl DynamoStore {
    /// Applies `update` if its condition holds; `false`, with nothing written, when not.
    pub(crate) async fn update_if(
        &self,
        operation: &'static str,
        update: TransactUpdate,
    ) -> InfraResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(update.key))
            .update_expression(update.expression)
            .set_expression_attribute_values(Some(update.values))
            .set_condition_expression(update.condition.map(str::to_string))
            .send()
            .await;
        conditional_write(operation, result)
    }
}
