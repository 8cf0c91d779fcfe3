use crate::domain::{ApiKey, ApiKeyRecord, Tenant};
use crate::ports::{InfraResult, TenantStore};

pub struct NewTenant {
    pub tenant: Tenant,
    /// Shown once to whoever created the tenant; only its hash is stored.
    pub api_key: ApiKey,
}

pub async fn create_tenant_with_key(tenants: &dyn TenantStore, name: &str) -> InfraResult<NewTenant> {
    let tenant = Tenant::new(name);
    let api_key = ApiKey::generate();
    tenants.put_tenant(&tenant).await?;
    tenants
        .put_api_key(&ApiKeyRecord::for_key(&api_key, &tenant.id, "initial key"))
        .await?;
    Ok(NewTenant { tenant, api_key })
}
