use aws_lambda_events::event::sqs::SqsEvent;
use certport_core::app::Deps;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

pub async fn function_handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> Result<Value, Error> {
    certport_aws::failure_destination::respond(deps, event).await
}
