//! `<data-dir>/credentials.json`: the first tenant's key and edge instance, made at first
//! start, and where the server listens (written at every start): what the client
//! commands, and a user's scripts, read to reach `serve`.

use std::path::{Path, PathBuf};

use certport_core::app::{create_edge_instance, create_tenant_with_key, Deps};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub tenant_id: String,
    pub api_key: String,
    /// The edge instance clients name in keystore imports, and its DEK.
    #[serde(default)]
    pub edge_instance_id: Option<String>,
    #[serde(default)]
    pub encryption_key_id: Option<String>,
    /// The HTTP and HTTPS base URLs of the server that last started on this directory,
    /// with the ports it bound.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub tls_url: Option<String>,
}

impl std::fmt::Debug for Credentials {
    /// Everything but the API key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("tenant_id", &self.tenant_id)
            .field("edge_instance_id", &self.edge_instance_id)
            .field("url", &self.url)
            .field("tls_url", &self.tls_url)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("credentials.json")
    }

    /// The credentials of a data directory, if it has any.
    pub fn read(data_dir: &Path) -> Option<Credentials> {
        serde_json::from_slice(&std::fs::read(Credentials::path(data_dir)).ok()?).ok()
    }
}

/// The directory's credentials, made on first start (a tenant, an API key and an edge
/// instance with its DEK, printed once), with the addresses this server listens on.
pub async fn ensure(
    deps: &Deps,
    dir: &Path,
    url: String,
    tls_url: String,
) -> Result<Credentials, Box<dyn std::error::Error>> {
    let path = Credentials::path(dir);
    let mut credentials = if path.exists() {
        let existing: Credentials = serde_json::from_slice(&std::fs::read(&path)?)?;
        say!("tenant {} (API key in {})", existing.tenant_id, path.display());
        existing
    } else {
        let created = create_tenant_with_key(deps.tenants.as_ref(), "local").await?;
        say!("created tenant {}", created.tenant.id);
        say!(
            "API key (send as x-api-key or tppl-api-key): {}",
            created.api_key.expose()
        );
        Credentials {
            tenant_id: created.tenant.id.clone(),
            api_key: created.api_key.expose().to_string(),
            edge_instance_id: None,
            encryption_key_id: None,
            url: None,
            tls_url: None,
        }
    };
    if credentials.edge_instance_id.is_none() {
        let (edge, key) = create_edge_instance(
            deps.tenants.as_ref(),
            deps.keys.dek.as_ref(),
            &credentials.tenant_id,
            "local",
        )
        .await?;
        say!("edge instance {} with encryption key {}", edge.id, key.id);
        credentials.edge_instance_id = Some(edge.id);
        credentials.encryption_key_id = Some(key.id);
    }
    credentials.url = Some(url);
    credentials.tls_url = Some(tls_url);
    write_private(&path, &serde_json::to_vec_pretty(&credentials)?)?;
    Ok(credentials)
}

/// Writes a file only its owner can read, replacing it atomically.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_file(path, contents, 0o600)
}

/// Replaces `path` atomically with `contents`, durable once this returns: written to a
/// fresh file (never through a link left in its place), synced, renamed, and the
/// directory synced.
pub(super) fn write_file(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = options.open(&partial)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(partial, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
