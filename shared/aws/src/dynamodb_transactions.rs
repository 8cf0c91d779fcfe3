//! TransactWriteItems on the single table: several puts that happen together or not at
//! all, each with an optional condition.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use certport_core::ports::{InfraError, InfraResult};

use crate::dynamodb_store::Item;
use crate::errors::infra_error;
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
    /// Writes every put or none. `Ok(None)` when written; `Ok(Some(reasons))`, one per
    /// put in order, when DynamoDB cancelled the transaction.
    pub(crate) async fn transact(
        &self,
        operation: &'static str,
        puts: Vec<TransactPut>,
    ) -> InfraResult<Option<Vec<Cancelled>>> {
        let count = puts.len();
        let items = puts
            .into_iter()
            .map(|put| {
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(put.item))
                    .set_condition_expression(put.condition.map(str::to_string))
                    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                    .build()
                    .map(|put| TransactWriteItem::builder().put(put).build())
                    .map_err(|e| InfraError::permanent(operation, e))
            })
            .collect::<InfraResult<Vec<_>>>()?;
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
                Some(code) => Err(InfraError {
                    operation,
                    message: format!("transaction cancelled: {code}"),
                    transient: code != "ValidationError",
                }),
            })
            .collect::<InfraResult<Vec<_>>>()
            .map(Some)
    }
}
