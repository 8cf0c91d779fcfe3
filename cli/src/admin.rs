//! `certport admin`: provisioning on a deployed AWS stack (the DynamoDB table and the KMS
//! key the functions use), for what the API itself does not offer: tenants with API keys,
//! and edge instances with their DEKs.

use certport_aws::{load_sdk_config, DynamoStore, KmsKeyService};
use certport_core::app::{create_edge_instance, create_tenant_with_key};
use certport_core::ports::TenantStore;
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    /// The stack's DynamoDB table (output RecordsTableName).
    #[arg(long, env = "CERTPORT_TABLE")]
    pub table: String,
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
    /// Creates an edge instance with a fresh DEK, its private key wrapped by KMS.
    CreateEdgeInstance {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// The KMS key wrapping DEK private keys (output DekKeyId).
        #[arg(long, env = "CERTPORT_DEK_KMS_KEY_ID")]
        dek_kms_key_id: String,
    },
    /// Brings a table written by a version before the one-record inventory over to it:
    /// devices enter the new indexes, stored keys move onto their certificate records.
    /// Safe to run again, and while the functions run.
    UpgradeTable,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Infra(#[from] certport_core::ports::InfraError),
    #[error("no tenant {0} in this table; create it with `certport admin create-tenant`")]
    NoTenant(String),
}

/// Runs one admin command; AWS settings (region, credentials, `AWS_ENDPOINT_URL`) come
/// from the SDK's usual environment. Prints the result as JSON on stdout.
pub async fn run(args: AdminArgs) -> Result<(), AdminError> {
    let sdk = load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &args.table);
    let output = match args.command {
        AdminCommand::CreateTenant { name } => {
            let created = create_tenant_with_key(&store, &name).await?;
            json!({"tenant_id": created.tenant.id, "api_key": created.api_key.expose()})
        }
        AdminCommand::CreateEdgeInstance {
            tenant,
            name,
            dek_kms_key_id,
        } => {
            if store.get_tenant(&tenant).await?.is_none() {
                return Err(AdminError::NoTenant(tenant));
            }
            let dek_keys = KmsKeyService::new(aws_sdk_kms::Client::new(&sdk), dek_kms_key_id);
            let (edge, key) = create_edge_instance(&store, &dek_keys, &tenant, &name).await?;
            json!({
                "tenant_id": tenant,
                "edge_instance_id": edge.id,
                "encryption_key_id": key.id,
                "public_key": key.public_key,
            })
        }
        AdminCommand::UpgradeTable => {
            serde_json::to_value(store.upgrade_inventory().await?).unwrap_or_default()
        }
    };
    println!("{output:#}");
    Ok(())
}
