use std::collections::BTreeSet;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// A tenant (account) owns every profile, job and record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub division: Division,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    pub id: String,
    pub name: String,
}

impl Tenant {
    pub fn new(name: &str) -> Self {
        Tenant {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            division: Division {
                id: uuid::Uuid::new_v4().to_string(),
                name: "Default division".to_string(),
            },
        }
    }
}

/// A plaintext API key. Exists only when minted or presented; never stored or logged.
pub struct ApiKey(Zeroizing<String>);

impl ApiKey {
    const PREFIX: &'static str = "cpk_";

    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        ApiKey(Zeroizing::new(format!(
            "{}{}",
            Self::PREFIX,
            hex::encode(bytes.as_ref())
        )))
    }

    pub fn from_presented(value: &str) -> Self {
        ApiKey(Zeroizing::new(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// API keys are 256-bit random, so an unsalted SHA-256 is a safe at-rest form
    /// and lets the store look a key up by its hash.
    pub fn hash(&self) -> ApiKeyHash {
        ApiKeyHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ApiKeyHash(pub String);

/// What an API key may do. Each route needs one of a few scopes; a key without any of
/// them is refused (403), and told which it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Uploads, their jobs, and what an upload needs to read (profiles, the DEK).
    Import,
    /// The inventory: search, details, contents, devices and their certificates.
    Read,
    /// Private keys out of the inventory.
    Export,
    /// What imports rely on: profiles and their mappings, trusted CAs.
    Manage,
    /// The tenant's audit trail (keys themselves are made with `certport admin`).
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::Import,
        Scope::Read,
        Scope::Export,
        Scope::Manage,
        Scope::Admin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scope::Import => "import",
            Scope::Read => "read",
            Scope::Export => "export",
            Scope::Manage => "manage",
            Scope::Admin => "admin",
        }
    }

    pub fn all() -> Scopes {
        Scope::ALL.into_iter().collect()
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Scope {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.name() == name.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                let known: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
                format!("unknown scope `{name}`; scopes are {}", known.join(", "))
            })
    }
}

pub type Scopes = BTreeSet<Scope>;

/// What the store keeps of an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: String,
    pub hash: ApiKeyHash,
    pub tenant_id: String,
    pub name: String,
    pub scopes: Scopes,
    pub created_at: String,
    /// A revoked key is refused from the moment this is stored.
    pub revoked_at: Option<String>,
}

impl ApiKeyRecord {
    pub fn new(key: &ApiKey, tenant_id: &str, name: &str, scopes: Scopes, created_at: &str) -> Self {
        ApiKeyRecord {
            id: uuid::Uuid::new_v4().to_string(),
            hash: key.hash(),
            tenant_id: tenant_id.to_string(),
            name: name.to_string(),
            scopes,
            created_at: created_at.to_string(),
            revoked_at: None,
        }
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_distinct_and_hash_stably() {
        let a = ApiKey::generate();
        let b = ApiKey::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("cpk_"));
        assert_eq!(a.hash(), ApiKey::from_presented(a.expose()).hash());
        assert_ne!(a.hash(), b.hash());
        assert!(!format!("{a:?}").contains(&a.expose()[4..]));
    }

    #[test]
    fn scopes_read_their_names_and_refuse_others_listing_the_known() {
        for scope in Scope::ALL {
            assert_eq!(scope.name().parse::<Scope>(), Ok(scope));
        }
        assert_eq!(" Export ".parse::<Scope>(), Ok(Scope::Export));
        let refused = "write".parse::<Scope>().unwrap_err();
        assert!(
            refused.contains("import, read, export, manage, admin"),
            "{refused}"
        );
    }
}
