use certificate_export::http_handler::function_handler;
use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = certport_aws::cold_start(certport_aws::Uses::TABLE_BUCKET_AND_KEYS).await?;
    run(service_fn(|event| function_handler(&deps, event))).await
}
