//! `certport admin`: provisioning what the API itself does not offer (tenants, their API
//! keys and scopes, edge instances with their DEKs), on a deployed AWS stack (its
//! DynamoDB table and KMS key) or on a local data directory (`certport serve`'s, while
//! it runs or not).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use certport_aws::{load_sdk_config, DynamoStore, KmsKeyService};
use certport_core::app::{create_edge_instance, create_tenant_with_key};
use certport_core::ports::{KeyService, TenantStore};
use certport_embedded::{LocalKeyService, SqliteStore};
use serde_json::json;

use crate::client::{print_json, Output};
use crate::serve::{write_private, Credentials};
use api_keys::ApiKeysCommand;
use certport_core::domain::{ApiKey, ApiKeyRecord};

mod api_keys;

/// Edge instances one tenant may have.
const MAX_EDGE_INSTANCES: usize = 1000;

#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    /// The AWS stack's DynamoDB table (output RecordsTableName). Without it, the local
    /// data directory (--data-dir) of `certport serve`.
    #[arg(long, env = "CERTPORT_TABLE", global = true)]
    pub table: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Creates a tenant and its first API key, which has every scope; prints both (the
    /// key is shown only this once).
    CreateTenant {
        #[arg(long)]
        name: String,
    },
    /// A tenant's API keys: create (with scopes), list, revoke, rotate.
    #[command(subcommand)]
    ApiKeys(ApiKeysCommand),
    /// Creates an edge instance with a fresh DEK, its private key wrapped by KMS (or, on a
    /// local data directory, by its local key file).
    CreateEdgeInstance {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// The KMS key wrapping DEK private keys (output DekKeyId); AWS only.
        #[arg(long, env = "CERTPORT_DEK_KMS_KEY_ID")]
        dek_kms_key_id: Option<String>,
    },
    /// Brings the table to the schema version of this build (the functions refuse a
    /// table they do not know, at cold start). Safe to run again, and while the functions
    /// run. AWS only (`serve` upgrades its data directory at start).
    UpgradeTable,
}

/// What a command prints: JSON for scripts, or text for people.
pub struct Printed {
    json: serde_json::Value,
    text: String,
}

impl Printed {
    fn new(json: &impl serde::Serialize, text: String) -> Self {
        Printed {
            json: serde_json::to_value(json).unwrap_or_default(),
            text,
        }
    }

    fn print(&self, output: Output) {
        match output {
            Output::Json => print_json(&self.json),
            Output::Table => println!("{}", self.text),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Infra(#[from] certport_core::ports::InfraError),
    #[error("{0}")]
    App(#[from] certport_core::app::AppError),
    #[error("no tenant {0} here; create it with `certport admin create-tenant`")]
    NoTenant(String),
    #[error("{0}")]
    Usage(String),
    #[error("no certport data directory at {0} (it has no records.db): start `certport serve` there first, give --data-dir, or --table for an AWS stack")]
    NoDataDir(String),
    #[error("cannot open data directory {0}: {1}")]
    DataDir(String, String),
}

/// Where admin commands write: a stack's table (and its KMS), or a data directory.
enum Target {
    Aws {
        store: DynamoStore,
        kms: aws_sdk_kms::Client,
    },
    Local {
        store: SqliteStore,
        keys: Arc<LocalKeyService>,
        dir: PathBuf,
    },
}

impl Target {
    fn tenants(&self) -> &dyn TenantStore {
        match self {
            Target::Aws { store, .. } => store,
            Target::Local { store, .. } => store,
        }
    }
}

/// Keys are listed by tenant from schema version 2 on: a table not yet there (an older
/// one, or one never stamped, which may hold keys from before) is brought there first, as
/// `upgrade-table` would, so no key is missing from a list or beyond revocation.
async fn listed_by_tenant(store: &DynamoStore) -> Result<(), AdminError> {
    if store.schema_version().await? == Some(certport_aws::SCHEMA_VERSION) {
        return Ok(());
    }
    let upgrade = store.upgrade_schema().await?;
    for applied in upgrade.applied {
        eprintln!("upgraded the table first: {applied}");
    }
    Ok(())
}

/// When `serve`'s own key (the one in `credentials.json`, which the client commands use)
/// was rotated, the file takes the new key; when it was revoked, the user is told.
fn follow_in_credentials(dir: &Path, replaced: &ApiKeyRecord, printed: &Printed) -> Result<(), AdminError> {
    let Some(mut credentials) = Credentials::read(dir) else {
        return Ok(());
    };
    if ApiKey::from_presented(&credentials.api_key).hash() != replaced.hash {
        return Ok(());
    }
    match printed.json.get("api_key").and_then(|k| k.as_str()) {
        Some(new_key) => {
            credentials.api_key = new_key.to_string();
            let path = Credentials::path(dir);
            let contents = serde_json::to_vec_pretty(&credentials).map_err(|e| AdminError::Usage(e.to_string()))?;
            write_private(&path, &contents).map_err(|e| AdminError::DataDir(path.display().to_string(), e.to_string()))?;
            eprintln!("{} now holds the new key", path.display());
        }
        None => eprintln!(
            "warning: {} holds the key just revoked: the client commands on this data directory are refused until they are given another key (--api-key)",
            Credentials::path(dir).display()
        ),
    }
    Ok(())
}

/// Runs one admin command; on AWS, settings (region, credentials, `AWS_ENDPOINT_URL`)
/// come from the SDK's usual environment. Prints the result on stdout.
pub async fn run(args: AdminArgs, data_dir: &Path) -> Result<(), AdminError> {
    let target = match &args.table {
        Some(table) => {
            let sdk = load_sdk_config().await;
            Target::Aws {
                store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table),
                kms: aws_sdk_kms::Client::new(&sdk),
            }
        }
        None => local(data_dir)?,
    };
    command(args.command, &target).await?.print(args.output);
    Ok(())
}

fn local(dir: &Path) -> Result<Target, AdminError> {
    let records = dir.join("records.db");
    if !records.exists() {
        return Err(AdminError::NoDataDir(dir.display().to_string()));
    }
    let open_error =
        |e: &dyn std::fmt::Display| AdminError::DataDir(dir.display().to_string(), e.to_string());
    let store = SqliteStore::open(&records).map_err(|e| open_error(&e))?;
    let keys = LocalKeyService::open(&dir.join("local-kms.key")).map_err(|e| open_error(&e))?;
    Ok(Target::Local {
        store,
        keys: Arc::new(keys),
        dir: dir.to_path_buf(),
    })
}

async fn known(tenants: &dyn TenantStore, tenant: &str) -> Result<(), AdminError> {
    match tenants.get_tenant(tenant).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::NoTenant(tenant.to_string())),
    }
}

async fn command(command: AdminCommand, target: &Target) -> Result<Printed, AdminError> {
    let tenants = target.tenants();
    Ok(match command {
        AdminCommand::CreateTenant { name } => {
            let created = create_tenant_with_key(tenants, &name).await?;
            let json = json!({
                "tenant_id": created.tenant.id,
                "api_key_id": created.api_key_id,
                "api_key": created.api_key.expose(),
            });
            let text = format!(
                "tenant {} ({name}); its API key {}, every scope:\n{}\n(shown only this once; certport keeps only its hash)",
                created.tenant.id,
                created.api_key_id,
                created.api_key.expose()
            );
            Printed::new(&json, text)
        }
        AdminCommand::ApiKeys(command) => {
            if let Target::Aws { store, .. } = target {
                listed_by_tenant(store).await?;
            }
            let replaced = match &command {
                ApiKeysCommand::Revoke { tenant, id } | ApiKeysCommand::Rotate { tenant, id } => {
                    tenants.get_api_key(tenant, id).await?
                }
                _ => None,
            };
            let printed = api_keys::run(command, tenants).await?;
            if let (Target::Local { dir, .. }, Some(replaced)) = (target, replaced) {
                follow_in_credentials(dir, &replaced, &printed)?;
            }
            printed
        }
        AdminCommand::CreateEdgeInstance {
            tenant,
            name,
            dek_kms_key_id,
        } => {
            known(tenants, &tenant).await?;
            let dek_keys: Arc<dyn KeyService> = match (target, dek_kms_key_id) {
                (Target::Local { keys, .. }, None) => keys.clone(),
                (Target::Aws { kms, .. }, Some(kms_key)) => Arc::new(KmsKeyService::new(kms.clone(), kms_key)),
                (Target::Local { .. }, Some(_)) => {
                    return Err(AdminError::Usage(
                        "--dek-kms-key-id is for an AWS stack (--table): a data directory wraps DEKs with its own key file".into(),
                    ))
                }
                (Target::Aws { .. }, None) => {
                    return Err(AdminError::Usage(
                        "--dek-kms-key-id (or CERTPORT_DEK_KMS_KEY_ID) is required with --table: the stack's DekKeyId output".into(),
                    ))
                }
            };
            // Their list is answered whole (API B has no paging for it).
            if tenants.list_edge_instances(&tenant).await?.len() >= MAX_EDGE_INSTANCES {
                return Err(AdminError::Usage(format!(
                    "tenant {tenant} has {MAX_EDGE_INSTANCES} edge instances, the most one may have"
                )));
            }
            let (edge, key) = create_edge_instance(tenants, dek_keys.as_ref(), &tenant, &name).await?;
            let json = json!({
                "tenant_id": tenant,
                "edge_instance_id": edge.id,
                "encryption_key_id": key.id,
                "public_key": key.public_key,
            });
            let text = format!(
                "edge instance {} ({name}) of tenant {tenant}; its encryption key {} (public key {})",
                edge.id, key.id, key.public_key
            );
            Printed::new(&json, text)
        }
        AdminCommand::UpgradeTable => {
            let Target::Aws { store, .. } = target else {
                return Err(AdminError::Usage(
                    "upgrade-table is for an AWS stack (--table); `certport serve` upgrades its data directory at start".into(),
                ));
            };
            let upgrade = store.upgrade_schema().await?;
            let from = upgrade.from.map_or("unstamped".to_string(), |v| v.to_string());
            let mut text = format!("schema version {from} -> {}", upgrade.to);
            for applied in &upgrade.applied {
                text.push_str(&format!("\n  {applied}"));
            }
            Printed::new(&upgrade, text)
        }
    })
}
