use certport_aws::{load_sdk_config, FunctionConfig};
use keystore_import_status::http_handler::function_handler;
use lambda_http::{run, service_fn, tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = FunctionConfig::from_env()?;
    let deps = config.deps(&load_sdk_config().await);
    run(service_fn(|event| function_handler(&deps, event))).await
}
