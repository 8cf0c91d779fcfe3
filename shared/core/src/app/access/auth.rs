use crate::domain::{ApiKey, Scope, Scopes, Tenant};
use crate::ports::TenantStore;
use subtle::ConstantTimeEq;

use crate::app::AppError;

/// Who is calling: the tenant, the id of the key it used, and what that key may do.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
    pub api_key_id: String,
    pub scopes: Scopes,
}

/// Resolves a presented API key to its tenant; an unknown or revoked key is
/// `Unauthorized`. Keys are read from the store on every call (nothing is cached), so a
/// revocation holds from the next request on.
pub async fn authenticate(tenants: &dyn TenantStore, presented: Option<&str>) -> Result<Caller, AppError> {
    let presented = presented
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 256);
    let Some(presented) = presented else {
        return Err(AppError::Unauthorized);
    };
    let hash = ApiKey::from_presented(presented).hash();
    let record = tenants.find_api_key(&hash).await?.ok_or(AppError::Unauthorized)?;
    // The store found it by hash; confirm in constant time, whatever the store's collation.
    if !bool::from(record.hash.0.as_bytes().ct_eq(hash.0.as_bytes())) || record.is_revoked() {
        return Err(AppError::Unauthorized);
    }
    let tenant = tenants
        .get_tenant(&record.tenant_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Caller {
        tenant,
        api_key_id: record.id,
        scopes: record.scopes,
    })
}

/// Admits the caller when its key has one of the scopes `needs`.
pub fn authorize(caller: &Caller, needs: &'static [Scope]) -> Result<(), AppError> {
    if needs.iter().any(|scope| caller.scopes.contains(scope)) {
        Ok(())
    } else {
        Err(AppError::Forbidden(needs))
    }
}
