//! `certport admin`: provisioning what the API itself does not offer (tenants with API
//! keys, more keys, edge instances with their DEKs), on a deployed AWS stack (its
//! DynamoDB table and KMS key) or on a local data directory (`certport serve`'s, while
//! it runs or not).

use std::path::Path;
use std::sync::Arc;

use certport_aws::{load_sdk_config, DynamoStore, KmsKeyService};
use certport_core::app::{create_edge_instance, create_tenant_with_key};
use certport_core::domain::{ApiKey, ApiKeyRecord};
use certport_core::ports::{KeyService, TenantStore};
use certport_embedded::{LocalKeyService, SqliteStore};
use serde_json::{json, Value};

/// Edge instances one tenant may have.
const MAX_EDGE_INSTANCES: usize = 1000;

#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    /// The AWS stack's DynamoDB table (output RecordsTableName). Without it, the local
    /// data directory (--data-dir) of `certport serve`.
    #[arg(long, env = "CERTPORT_TABLE")]
    pub table: Option<String>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Creates a tenant and its API key; prints both (the key is shown only this once).
    CreateTenant {
        #[arg(long)]
        name: String,
    },
    /// Creates another API key for a tenant; prints it (shown only this once).
    CreateApiKey {
        #[arg(long)]
        tenant: String,
        /// What the key is for (listed with the key; never the key itself).
        #[arg(long, default_value = "admin-created key")]
        name: String,
    },
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

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Infra(#[from] certport_core::ports::InfraError),
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

/// Runs one admin command; on AWS, settings (region, credentials, `AWS_ENDPOINT_URL`)
/// come from the SDK's usual environment. Prints the result as JSON on stdout.
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
    let output = command(args.command, &target).await?;
    println!("{output:#}");
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
    })
}

async fn known(tenants: &dyn TenantStore, tenant: &str) -> Result<(), AdminError> {
    match tenants.get_tenant(tenant).await? {
        Some(_) => Ok(()),
        None => Err(AdminError::NoTenant(tenant.to_string())),
    }
}

async fn command(command: AdminCommand, target: &Target) -> Result<Value, AdminError> {
    let tenants = target.tenants();
    Ok(match command {
        AdminCommand::CreateTenant { name } => {
            let created = create_tenant_with_key(tenants, &name).await?;
            json!({"tenant_id": created.tenant.id, "api_key": created.api_key.expose()})
        }
        AdminCommand::CreateApiKey { tenant, name } => {
            known(tenants, &tenant).await?;
            let key = ApiKey::generate();
            let record = ApiKeyRecord::for_key(&key, &tenant, &name);
            tenants.put_api_key(&record).await?;
            json!({"tenant_id": tenant, "api_key_id": record.id, "api_key": key.expose()})
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
            json!({
                "tenant_id": tenant,
                "edge_instance_id": edge.id,
                "encryption_key_id": key.id,
                "public_key": key.public_key,
            })
        }
        AdminCommand::UpgradeTable => {
            let Target::Aws { store, .. } = target else {
                return Err(AdminError::Usage(
                    "upgrade-table is for an AWS stack (--table); `certport serve` upgrades its data directory at start".into(),
                ));
            };
            serde_json::to_value(store.upgrade_schema().await?).unwrap_or_default()
        }
    })
}
