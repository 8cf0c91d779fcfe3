use certport_aws::Function;
use certport_core::app::Deps;
use lambda_http::{Body, Error, Request, Response};

pub async fn function_handler(deps: &Deps, event: Request) -> Result<Response<Body>, Error> {
    certport_aws::http_function::respond(deps, Function::CertificateExport, event).await
}
