//! The audit trail of sensitive operations: who exported which private key, how, when.

use serde::{Deserialize, Serialize};

/// One private-key export. Never holds a passphrase or key material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub tenant_id: String,
    /// `PRIVATE_KEY_EXPORT`.
    pub action: String,
    pub api_key_id: String,
    pub certificate_id: String,
    /// `PEM` or `PKCS12`.
    pub format: String,
    pub source_ip: Option<String>,
    pub at: String,
}

impl AuditEvent {
    /// Where the event sits in its tenant's trail: by time, then id.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.at, self.id)
    }
}
