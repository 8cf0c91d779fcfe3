use certificate_import_processor::event_handler::function_handler;
use lambda_runtime::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = certport_aws::cold_start_with_shard_queue().await?;
    run(service_fn(|event| function_handler(&deps, event))).await
}
