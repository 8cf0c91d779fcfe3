//! The CA certificates a tenant trusts as the end of a keystore's chain.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha1::{Digest, Sha1};

use crate::domain::{format_timestamp, TrustedCa};
use crate::parsing::keystore::read_pem_certificate;

use super::{AppError, Caller, Deps};

pub async fn add_trusted_ca(deps: &Deps, caller: &Caller, pem: &str) -> Result<TrustedCa, AppError> {
    let der = read_pem_certificate(pem)
        .map_err(|e| AppError::invalid(format!("`certificate` must be a PEM X.509 certificate: {e}")))?;
    let (rest, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| AppError::invalid(format!("`certificate` is not a valid X.509 certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(AppError::invalid("`certificate` has trailing data after the DER"));
    }
    let ca = TrustedCa {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: caller.tenant.id.clone(),
        fingerprint: hex::encode_upper(Sha1::digest(&der)),
        subject: cert.subject().to_string(),
        certificate: B64.encode(&der),
        created_at: format_timestamp(chrono::Utc::now()),
    };
    if !deps.tenants.insert_trusted_ca(&ca).await? {
        return Err(AppError::Conflict(format!(
            "the CA certificate {} is already trusted",
            ca.fingerprint
        )));
    }
    Ok(ca)
}

pub async fn list_trusted_cas(deps: &Deps, caller: &Caller) -> Result<Vec<TrustedCa>, AppError> {
    Ok(deps.tenants.list_trusted_cas(&caller.tenant.id).await?)
}
