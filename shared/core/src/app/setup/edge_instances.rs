//! Edge instances and their DEKs: what clients seal passwords to.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::crypto::DekKeyPair;
use crate::domain::{format_timestamp, EdgeInstance, EncryptionKey};
use crate::ports::{EncryptionContext, InfraResult, KeyService, TenantStore};

use crate::app::{AppError, Caller, Deps};

/// The encryption context of a DEK's wrapped private key: tenant and key id.
pub fn dek_context(tenant_id: &str, encryption_key_id: &str) -> EncryptionContext {
    EncryptionContext::from([
        ("certport:purpose".to_string(), "dek".to_string()),
        ("certport:tenant".to_string(), tenant_id.to_string()),
        (
            "certport:encryption-key".to_string(),
            encryption_key_id.to_string(),
        ),
    ])
}

/// Creates an edge instance with a fresh DEK whose private key only the key service can unwrap.
pub async fn create_edge_instance(
    tenants: &dyn TenantStore,
    dek_keys: &dyn KeyService,
    tenant_id: &str,
    name: &str,
) -> InfraResult<(EdgeInstance, EncryptionKey)> {
    let now = format_timestamp(chrono::Utc::now());
    let edge_id = uuid::Uuid::new_v4().to_string();
    let key_id = uuid::Uuid::new_v4().to_string();
    let pair = DekKeyPair::generate();
    let wrapped = dek_keys
        .encrypt(pair.secret.as_ref(), &dek_context(tenant_id, &key_id))
        .await?;
    let key = EncryptionKey {
        id: key_id.clone(),
        tenant_id: tenant_id.to_string(),
        edge_instance_id: edge_id.clone(),
        public_key: B64.encode(pair.public),
        wrapped_private_key: B64.encode(wrapped),
        created_at: now.clone(),
    };
    let edge = EdgeInstance {
        id: edge_id,
        tenant_id: tenant_id.to_string(),
        name: name.to_string(),
        encryption_key_id: key_id,
        edge_status: "ACTIVE".to_string(),
        created_at: now,
    };
    // The key first: an edge instance is only listed once its key exists.
    tenants.put_encryption_key(&key).await?;
    tenants.put_edge_instance(&edge).await?;
    Ok((edge, key))
}

pub async fn list_edge_instances(deps: &Deps, caller: &Caller) -> Result<Vec<EdgeInstance>, AppError> {
    Ok(deps.tenants.list_edge_instances(&caller.tenant.id).await?)
}

pub async fn get_encryption_key(deps: &Deps, caller: &Caller, id: &str) -> Result<EncryptionKey, AppError> {
    deps.tenants
        .get_encryption_key(&caller.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound("encryption key"))
}
