use certport_aws::certificate_processor::CertificateProcessorEvent;
use certport_core::app::Deps;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

pub async fn function_handler(
    deps: &Deps,
    event: LambdaEvent<CertificateProcessorEvent>,
) -> Result<Value, Error> {
    certport_aws::certificate_processor::respond(deps, event).await
}
