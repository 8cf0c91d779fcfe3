use crate::domain::{timestamp_now, ApiKey, ApiKeyRecord, Scope, Tenant};
use crate::ports::{InfraResult, TenantStore};

use super::api_keys::created;

pub struct NewTenant {
    pub tenant: Tenant,
    /// Shown once to whoever created the tenant; only its hash is stored.
    pub api_key: ApiKey,
    pub api_key_id: String,
}

/// A tenant and its first key, which may do everything (including reading the audit
/// trail that says who made other keys).
pub async fn create_tenant_with_key(tenants: &dyn TenantStore, name: &str) -> InfraResult<NewTenant> {
    let tenant = Tenant::new(name);
    let api_key = ApiKey::generate();
    tenants.put_tenant(&tenant).await?;
    let record = ApiKeyRecord::new(
        &api_key,
        &tenant.id,
        "initial key",
        Scope::all(),
        &timestamp_now(),
    );
    tenants.put_api_key(&record, &created(&record)).await?;
    Ok(NewTenant {
        tenant,
        api_key,
        api_key_id: record.id,
    })
}
