use aws_lambda_events::event::s3::S3Event;
use certport_core::app::{Deps, UploadProcessor};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

pub async fn function_handler(deps: &Deps, event: LambdaEvent<S3Event>) -> Result<Value, Error> {
    certport_aws::s3_function::respond(deps, UploadProcessor::CertificateImport, event).await
}
