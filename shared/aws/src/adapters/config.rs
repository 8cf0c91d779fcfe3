/// A setting the function cannot start without.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} must be set: {1}")]
pub struct ConfigError(pub &'static str, pub &'static str);

/// The SDK's standard configuration chain; `AWS_ENDPOINT_URL` points it elsewhere (moto in tests).
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// An S3 client; path-style addressing when an endpoint override is set, as
/// S3-compatible servers expect.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
