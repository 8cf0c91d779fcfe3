//! The audit trail of sensitive operations: who exported which private key (or was
//! refused), and which API keys were made, revoked or rotated, when.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuditAction {
    PrivateKeyExport,
    /// An export asked for and not given (scope, passphrase, no key...): `reason` says why.
    PrivateKeyExportRefused,
    ApiKeyCreated,
    ApiKeyRevoked,
    /// The key acted on was revoked and replaced; `api_key_id`'s replacement is in the event.
    ApiKeyRotated,
}

impl AuditAction {
    pub fn name(self) -> &'static str {
        match self {
            AuditAction::PrivateKeyExport => "PRIVATE_KEY_EXPORT",
            AuditAction::PrivateKeyExportRefused => "PRIVATE_KEY_EXPORT_REFUSED",
            AuditAction::ApiKeyCreated => "API_KEY_CREATED",
            AuditAction::ApiKeyRevoked => "API_KEY_REVOKED",
            AuditAction::ApiKeyRotated => "API_KEY_ROTATED",
        }
    }
}

/// One audited operation. Never holds a passphrase, an API key or key material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub tenant_id: String,
    pub action: AuditAction,
    /// The API key that made the call; none when an operator acted with `certport admin`.
    pub api_key_id: Option<String>,
    pub certificate_id: Option<String>,
    /// `PEM` or `PKCS12`, for exports.
    pub format: Option<String>,
    /// The API key made, revoked or rotated.
    pub subject_api_key_id: Option<String>,
    /// A rotated key's replacement.
    pub replacement_api_key_id: Option<String>,
    /// Why an export was refused.
    pub reason: Option<String>,
    pub source_ip: Option<String>,
    pub at: String,
}

impl AuditEvent {
    /// An event of `action` with nothing but who and when; the caller fills in the rest.
    pub fn new(tenant_id: &str, action: AuditAction, api_key_id: Option<&str>, at: String) -> Self {
        AuditEvent {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant_id.to_string(),
            action,
            api_key_id: api_key_id.map(str::to_string),
            certificate_id: None,
            format: None,
            subject_api_key_id: None,
            replacement_api_key_id: None,
            reason: None,
            source_ip: None,
            at,
        }
    }

    /// Where the event sits in its tenant's trail: by time, then id.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.at, self.id)
    }
}
