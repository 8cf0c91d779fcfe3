use lambda_runtime::{run, service_fn, Error};
use processor_failures::event_handler::function_handler;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = certport_aws::cold_start(certport_aws::Uses::TABLE).await?;
    run(service_fn(|event| function_handler(&deps, event))).await
}
