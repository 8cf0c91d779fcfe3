//! Contract cases for API keys: found by hash and listed by tenant together, revoked once,
//! replaced atomically, every change in the audit trail in the same step, and one winner
//! when callers race (see `store_contract_tests!`).

use futures_util::future::join_all;

use super::store_contracts::id;
use crate::domain::*;
use crate::ports::{InventoryStore, TenantStore};

const RACERS: usize = 6;

fn new_key(tenant_id: &str, name: &str, created_at: &str) -> ApiKeyRecord {
    let scopes = [Scope::Import, Scope::Read].into_iter().collect();
    ApiKeyRecord::new(&ApiKey::generate(), tenant_id, name, scopes, created_at)
}

fn event(tenant_id: &str, action: AuditAction, at: &str) -> AuditEvent {
    AuditEvent::new(tenant_id, action, None, at.to_string())
}

async fn trail(store: &impl InventoryStore, tenant_id: &str) -> Vec<AuditAction> {
    let events = store.list_audit_events(tenant_id, 100).await.unwrap();
    events.iter().map(|e| e.action).collect()
}

/// A stored key is found by its hash and by its tenant and id, and listed oldest first;
/// another tenant neither lists nor finds it. Its creation is in the audit trail.
pub async fn api_keys_are_found_by_hash_and_listed_by_tenant<S: TenantStore + InventoryStore>(store: &S) {
    let (tenant, other) = (id(), id());
    let later = new_key(&tenant, "later", "2026-01-02T00:00:00.000000Z");
    let earlier = new_key(&tenant, "earlier", "2026-01-01T00:00:00.000000Z");
    for key in [&later, &earlier] {
        let created = event(&tenant, AuditAction::ApiKeyCreated, &key.created_at);
        store.put_api_key(key, &created).await.unwrap();
    }
    assert_eq!(
        store.find_api_key(&later.hash).await.unwrap().as_ref(),
        Some(&later)
    );
    assert_eq!(
        store.get_api_key(&tenant, &earlier.id).await.unwrap().as_ref(),
        Some(&earlier)
    );
    assert_eq!(
        store.list_api_keys(&tenant).await.unwrap(),
        vec![earlier.clone(), later]
    );
    assert_eq!(store.get_api_key(&other, &earlier.id).await.unwrap(), None);
    assert!(store.list_api_keys(&other).await.unwrap().is_empty());
    assert_eq!(
        store.find_api_key(&ApiKey::generate().hash()).await.unwrap(),
        None
    );
    assert_eq!(trail(store, &tenant).await, [AuditAction::ApiKeyCreated; 2]);
}

/// A revoked key reads as revoked by hash and by id; a second revocation, or one by
/// another tenant, writes nothing, not even an audit event.
pub async fn a_revoked_key_reads_revoked_everywhere<S: TenantStore + InventoryStore>(store: &S) {
    let tenant = id();
    let key = new_key(&tenant, "ci", "2026-01-01T00:00:00.000000Z");
    let created = event(&tenant, AuditAction::ApiKeyCreated, &key.created_at);
    store.put_api_key(&key, &created).await.unwrap();
    let revoke = |tenant: &str, at: &str| event(tenant, AuditAction::ApiKeyRevoked, at);
    let elsewhere = id();
    let by_other = revoke(&elsewhere, "2026-01-03T00:00:00.000000Z");
    assert!(!store
        .revoke_api_key(&elsewhere, &key.id, &by_other)
        .await
        .unwrap());
    let first = revoke(&tenant, "2026-01-02T00:00:00.000000Z");
    assert!(store.revoke_api_key(&tenant, &key.id, &first).await.unwrap());
    let again = revoke(&tenant, "2026-01-03T00:00:00.000000Z");
    assert!(!store.revoke_api_key(&tenant, &key.id, &again).await.unwrap());
    let revoked_at = Some("2026-01-02T00:00:00.000000Z".to_string());
    let by_hash = store.find_api_key(&key.hash).await.unwrap().unwrap();
    let by_id = store.get_api_key(&tenant, &key.id).await.unwrap().unwrap();
    assert_eq!(
        (by_hash.revoked_at.clone(), by_id.revoked_at),
        (revoked_at.clone(), revoked_at)
    );
    assert_eq!(by_hash.scopes, key.scopes);
    let actions = [AuditAction::ApiKeyRevoked, AuditAction::ApiKeyCreated];
    assert_eq!(trail(store, &tenant).await, actions);
    assert!(trail(store, &elsewhere).await.is_empty());
}

/// Several rotations of one key at once: exactly one replacement is stored, and the old
/// key is revoked as of its creation, with one audit event.
pub async fn concurrent_rotations_of_one_key_replace_it_once<S: TenantStore + InventoryStore>(store: &S) {
    let tenant = id();
    let old = new_key(&tenant, "ci", "2026-01-01T00:00:00.000000Z");
    let created = event(&tenant, AuditAction::ApiKeyCreated, &old.created_at);
    store.put_api_key(&old, &created).await.unwrap();
    let replacements: Vec<(ApiKeyRecord, AuditEvent)> = (0..RACERS)
        .map(|k| {
            let at = format!("2026-01-02T00:00:0{k}.000000Z");
            (
                new_key(&tenant, "ci", &at),
                event(&tenant, AuditAction::ApiKeyRotated, &at),
            )
        })
        .collect();
    let rotated = join_all(
        replacements
            .iter()
            .map(|(r, e)| store.replace_api_key(&tenant, &old.id, r, e)),
    )
    .await;
    let winners: Vec<&ApiKeyRecord> = replacements
        .iter()
        .zip(rotated)
        .filter_map(|((r, _), won)| won.unwrap().then_some(r))
        .collect();
    assert_eq!(winners.len(), 1, "exactly one rotation replaces the key");
    let listed = store.list_api_keys(&tenant).await.unwrap();
    assert_eq!(listed.len(), 2, "the old key and one replacement");
    assert_eq!(listed[0].revoked_at.as_ref(), Some(&winners[0].created_at));
    assert_eq!(&listed[1], winners[0]);
    for (loser, _) in replacements.iter().filter(|(r, _)| r.id != winners[0].id) {
        assert_eq!(store.find_api_key(&loser.hash).await.unwrap(), None);
    }
    let actions = [AuditAction::ApiKeyRotated, AuditAction::ApiKeyCreated];
    assert_eq!(trail(store, &tenant).await, actions);
}
