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

/// What the store keeps of an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: String,
    pub hash: ApiKeyHash,
    pub tenant_id: String,
    pub name: String,
}

impl ApiKeyRecord {
    pub fn for_key(key: &ApiKey, tenant_id: &str, name: &str) -> Self {
        ApiKeyRecord {
            id: uuid::Uuid::new_v4().to_string(),
            hash: key.hash(),
            tenant_id: tenant_id.to_string(),
            name: name.to_string(),
        }
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
}
