//! A tenant's API keys: made with scopes, listed, revoked, rotated. Every change is an
//! audit event. Operators do this with `certport admin`; no API route can.

use crate::domain::{timestamp_now, ApiKey, ApiKeyRecord, AuditAction, AuditEvent, Scopes};
use crate::ports::TenantStore;

use crate::app::AppError;

/// A key just made: the plaintext is shown once, to whoever made it.
pub struct IssuedApiKey {
    pub record: ApiKeyRecord,
    pub api_key: ApiKey,
}

const MAX_NAME_CHARS: usize = 100;

/// A new key of `tenant_id` that may do what `scopes` name.
pub async fn create_api_key(
    tenants: &dyn TenantStore,
    tenant_id: &str,
    name: &str,
    scopes: Scopes,
) -> Result<IssuedApiKey, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(format!(
            "a key's name says what it is for, in 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if scopes.is_empty() {
        return Err(AppError::invalid(
            "a key needs at least one scope: import, read, export, manage or admin",
        ));
    }
    if tenants.get_tenant(tenant_id).await?.is_none() {
        return Err(AppError::NotFound("tenant"));
    }
    let issued = issue(tenant_id, name, scopes);
    tenants
        .put_api_key(&issued.record, &created(&issued.record))
        .await?;
    Ok(issued)
}

/// The audit event of a key made.
pub(crate) fn created(key: &ApiKeyRecord) -> AuditEvent {
    let mut event = admin_event(&key.tenant_id, AuditAction::ApiKeyCreated, &key.created_at);
    event.subject_api_key_id = Some(key.id.clone());
    event
}

/// The tenant's keys, revoked ones too, oldest first (hashes, never keys).
pub async fn list_api_keys(
    tenants: &dyn TenantStore,
    tenant_id: &str,
) -> Result<Vec<ApiKeyRecord>, AppError> {
    if tenants.get_tenant(tenant_id).await?.is_none() {
        return Err(AppError::NotFound("tenant"));
    }
    Ok(tenants.list_api_keys(tenant_id).await?)
}

/// Revokes key `id`: it is refused from the next request on, everywhere.
pub async fn revoke_api_key(
    tenants: &dyn TenantStore,
    tenant_id: &str,
    id: &str,
) -> Result<ApiKeyRecord, AppError> {
    let mut event = admin_event(tenant_id, AuditAction::ApiKeyRevoked, &timestamp_now());
    event.subject_api_key_id = Some(id.to_string());
    if !tenants.revoke_api_key(tenant_id, id, &event).await? {
        return Err(not_revocable(tenants, tenant_id, id).await?);
    }
    let revoked = tenants.get_api_key(tenant_id, id).await?;
    revoked.ok_or(AppError::NotFound("API key"))
}

/// Replaces key `id` by a new one with its name and scopes, in one step: the old key is
/// refused from the moment the new one works.
pub async fn rotate_api_key(
    tenants: &dyn TenantStore,
    tenant_id: &str,
    id: &str,
) -> Result<IssuedApiKey, AppError> {
    let Some(old) = tenants.get_api_key(tenant_id, id).await? else {
        return Err(AppError::NotFound("API key"));
    };
    let issued = issue(tenant_id, &old.name, old.scopes.clone());
    let mut event = admin_event(tenant_id, AuditAction::ApiKeyRotated, &issued.record.created_at);
    event.subject_api_key_id = Some(id.to_string());
    event.replacement_api_key_id = Some(issued.record.id.clone());
    if !tenants
        .replace_api_key(tenant_id, id, &issued.record, &event)
        .await?
    {
        return Err(not_revocable(tenants, tenant_id, id).await?);
    }
    Ok(issued)
}

fn issue(tenant_id: &str, name: &str, scopes: Scopes) -> IssuedApiKey {
    let api_key = ApiKey::generate();
    let record = ApiKeyRecord::new(&api_key, tenant_id, name, scopes, &timestamp_now());
    IssuedApiKey { record, api_key }
}

/// Why key `id` could not be revoked: it does not exist, or it already was.
async fn not_revocable(tenants: &dyn TenantStore, tenant_id: &str, id: &str) -> Result<AppError, AppError> {
    Ok(match tenants.get_api_key(tenant_id, id).await? {
        Some(ApiKeyRecord {
            revoked_at: Some(at), ..
        }) => AppError::Conflict(format!("API key {id} was revoked at {at}")),
        _ => AppError::NotFound("API key"),
    })
}

/// Operators act with `certport admin`, under their own credentials: no API key.
fn admin_event(tenant_id: &str, action: AuditAction, at: &str) -> AuditEvent {
    AuditEvent::new(tenant_id, action, None, at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::authenticate;
    use crate::domain::{Scope, Tenant};
    use crate::ports::InventoryStore;
    use crate::testing::memory::MemoryStore;

    async fn tenant(store: &MemoryStore) -> String {
        let tenant = Tenant::new("t");
        store.put_tenant(&tenant).await.unwrap();
        tenant.id
    }

    fn scopes(list: &[Scope]) -> Scopes {
        list.iter().copied().collect()
    }

    #[tokio::test]
    async fn a_created_key_authenticates_with_its_scopes_and_is_an_audit_event() {
        let store = MemoryStore::default();
        let tenant_id = tenant(&store).await;
        let issued = create_api_key(&store, &tenant_id, "ci", scopes(&[Scope::Import]))
            .await
            .unwrap();
        let caller = authenticate(&store, Some(issued.api_key.expose())).await.unwrap();
        assert_eq!(caller.scopes, scopes(&[Scope::Import]));
        let trail = store.list_audit_events(&tenant_id, 10).await.unwrap();
        assert_eq!(trail[0].action, AuditAction::ApiKeyCreated);
        assert_eq!(
            trail[0].subject_api_key_id.as_deref(),
            Some(issued.record.id.as_str())
        );
    }

    #[tokio::test]
    async fn a_key_without_scopes_or_for_an_unknown_tenant_is_refused() {
        let store = MemoryStore::default();
        let tenant_id = tenant(&store).await;
        let none = create_api_key(&store, &tenant_id, "ci", Scopes::new()).await;
        assert!(matches!(none, Err(AppError::InvalidInput(_))));
        let unknown = create_api_key(&store, "nobody", "ci", Scope::all()).await;
        assert!(matches!(unknown, Err(AppError::NotFound("tenant"))));
    }

    #[tokio::test]
    async fn a_revoked_key_is_refused_at_once_and_cannot_be_revoked_again() {
        let store = MemoryStore::default();
        let tenant_id = tenant(&store).await;
        let issued = create_api_key(&store, &tenant_id, "ci", Scope::all())
            .await
            .unwrap();
        let revoked = revoke_api_key(&store, &tenant_id, &issued.record.id)
            .await
            .unwrap();
        assert!(revoked.is_revoked());
        let refused = authenticate(&store, Some(issued.api_key.expose())).await;
        assert!(matches!(refused, Err(AppError::Unauthorized)));
        let again = revoke_api_key(&store, &tenant_id, &issued.record.id).await;
        assert!(matches!(again, Err(AppError::Conflict(_))));
        let trail = store.list_audit_events(&tenant_id, 10).await.unwrap();
        assert_eq!(trail[0].action, AuditAction::ApiKeyRevoked);
    }

    #[tokio::test]
    async fn a_rotated_key_is_replaced_by_one_with_its_name_and_scopes() {
        let store = MemoryStore::default();
        let tenant_id = tenant(&store).await;
        let old = create_api_key(&store, &tenant_id, "ci", scopes(&[Scope::Read]))
            .await
            .unwrap();
        let new = rotate_api_key(&store, &tenant_id, &old.record.id).await.unwrap();
        assert_eq!(
            (new.record.name.as_str(), &new.record.scopes),
            ("ci", &old.record.scopes)
        );
        assert!(authenticate(&store, Some(old.api_key.expose())).await.is_err());
        assert!(authenticate(&store, Some(new.api_key.expose())).await.is_ok());
        let listed = list_api_keys(&store, &tenant_id).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|k| k.id == old.record.id && k.is_revoked()));
        let again = rotate_api_key(&store, &tenant_id, &old.record.id).await;
        assert!(matches!(again, Err(AppError::Conflict(_))));
    }

    #[tokio::test]
    async fn another_tenants_key_reads_as_absent() {
        let store = MemoryStore::default();
        let (a, b) = (tenant(&store).await, tenant(&store).await);
        let issued = create_api_key(&store, &a, "ci", Scope::all()).await.unwrap();
        let revoke = revoke_api_key(&store, &b, &issued.record.id).await;
        assert!(matches!(revoke, Err(AppError::NotFound("API key"))));
        assert!(list_api_keys(&store, &b).await.unwrap().is_empty());
    }
}
