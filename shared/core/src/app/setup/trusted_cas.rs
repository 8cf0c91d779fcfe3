//! The CA certificates a tenant trusts as the end of a keystore's chain.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha1::{Digest, Sha1};

use crate::domain::{format_timestamp, TrustedCa};
use crate::parsing::keystore::read_pem_certificate;

use crate::app::{AppError, Caller, Deps};

pub async fn add_trusted_ca(deps: &Deps, caller: &Caller, pem: &str) -> Result<TrustedCa, AppError> {
    let der = read_pem_certificate(pem)
        .map_err(|e| AppError::invalid(format!("`certificate` must be a PEM X.509 certificate: {e}")))?;
    let (rest, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| AppError::invalid(format!("`certificate` is not a valid X.509 certificate: {e}")))?;
    if !rest.is_empty() {
        return Err(AppError::invalid("`certificate` has trailing data after the DER"));
    }
    // The list answers them all: a bounded list keeps that answer within its transport.
    let held = deps.tenants.list_trusted_cas(&caller.tenant.id).await?.len();
    if held >= deps.limits.max_trusted_cas {
        return Err(AppError::invalid(format!(
            "the tenant already trusts {held} CA certificates, the most it may (CERTPORT_MAX_TRUSTED_CAS)"
        )));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Limits;
    use crate::testing::certs::{self_signed, KeyType};
    use crate::testing::memory::memory_deps;
    use crate::testing::scenarios::new_caller;

    #[tokio::test]
    async fn a_tenant_trusts_at_most_the_limit_of_cas_so_their_list_stays_bounded() {
        let deps = memory_deps(Limits {
            max_trusted_cas: 2,
            ..Limits::default()
        });
        let caller = new_caller(&deps, "cas").await;
        for n in 0..2 {
            let ca = self_signed(KeyType::EcP256, &format!("/CN=ca-{n}"), None);
            add_trusted_ca(&deps, &caller, &ca.pem).await.unwrap();
        }
        let third = self_signed(KeyType::EcP256, "/CN=ca-2", None);
        let refused = add_trusted_ca(&deps, &caller, &third.pem).await.unwrap_err();
        assert!(
            refused.to_string().contains("CERTPORT_MAX_TRUSTED_CAS"),
            "{refused}"
        );
    }
}
