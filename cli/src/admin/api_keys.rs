//! `certport admin api-keys`: a tenant's keys made with scopes, listed, revoked, rotated.
//! A new key is printed once; the store keeps only its hash.

use certport_core::app::{
    create_api_key, list_api_keys, revoke_api_key, rotate_api_key, AppError, IssuedApiKey,
};
use certport_core::domain::{ApiKeyRecord, Scope};
use certport_core::ports::TenantStore;
use serde::Serialize;

use super::{AdminError, Printed};
use crate::client::table;

#[derive(clap::Subcommand, Debug)]
pub enum ApiKeysCommand {
    /// Makes a key that may do what its scopes say; prints it (shown only this once).
    Create {
        #[arg(long)]
        tenant: String,
        /// What the key is for (listed with it; never the key itself).
        #[arg(long)]
        name: String,
        /// Comma-separated: import (uploads and their jobs), read (the inventory), export
        /// (private keys), manage (profiles, trusted CAs), admin (the audit trail).
        #[arg(long, value_delimiter = ',', required = true, num_args = 1..)]
        scopes: Vec<Scope>,
    },
    /// Lists the tenant's keys, revoked ones too (ids, names, scopes; never the keys).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Revokes a key: every function refuses it from its next request.
    Revoke {
        #[arg(long)]
        tenant: String,
        /// The key's id (from `list`).
        #[arg(long)]
        id: String,
    },
    /// Replaces a key with a new one of the same name and scopes, in one step; prints the
    /// new key (shown only this once).
    Rotate {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        id: String,
    },
}

/// A key as `--output json` prints it; `api_key` only when just made.
#[derive(Serialize)]
struct KeyShown<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a str>,
    scopes: Vec<&'static str>,
    name: &'a str,
    created_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<&'a str>,
}

impl<'a> KeyShown<'a> {
    fn of(record: &'a ApiKeyRecord) -> Self {
        KeyShown {
            id: &record.id,
            api_key: None,
            scopes: record.scopes.iter().map(|s| s.name()).collect(),
            name: &record.name,
            created_at: &record.created_at,
            revoked_at: record.revoked_at.as_deref(),
        }
    }

    fn issued(issued: &'a IssuedApiKey) -> Self {
        KeyShown {
            api_key: Some(issued.api_key.expose()),
            ..KeyShown::of(&issued.record)
        }
    }
}

pub async fn run(command: ApiKeysCommand, tenants: &dyn TenantStore) -> Result<Printed, AdminError> {
    let tenant_error = |tenant: &str| {
        let tenant = tenant.to_string();
        move |e: AppError| match e {
            AppError::NotFound("tenant") => AdminError::NoTenant(tenant),
            other => other.into(),
        }
    };
    Ok(match command {
        ApiKeysCommand::Create { tenant, name, scopes } => {
            let issued = create_api_key(tenants, &tenant, &name, scopes.into_iter().collect())
                .await
                .map_err(tenant_error(&tenant))?;
            issued_key(&issued)
        }
        ApiKeysCommand::List { tenant } => {
            let keys = list_api_keys(tenants, &tenant)
                .await
                .map_err(tenant_error(&tenant))?;
            let shown: Vec<KeyShown> = keys.iter().map(KeyShown::of).collect();
            let rows = shown
                .iter()
                .map(|k| {
                    vec![
                        k.id.to_string(),
                        k.name.to_string(),
                        k.scopes.join(","),
                        k.created_at.to_string(),
                        k.revoked_at.unwrap_or_default().to_string(),
                    ]
                })
                .collect::<Vec<_>>();
            Printed::new(
                &shown,
                table(&["ID", "NAME", "SCOPES", "CREATED", "REVOKED"], &rows),
            )
        }
        ApiKeysCommand::Revoke { tenant, id } => {
            let revoked = revoke_api_key(tenants, &tenant, &id).await?;
            let shown = KeyShown::of(&revoked);
            let text = format!(
                "revoked API key {} ({}) at {}",
                revoked.id,
                revoked.name,
                shown.revoked_at.unwrap_or_default()
            );
            Printed::new(&shown, text)
        }
        ApiKeysCommand::Rotate { tenant, id } => {
            let issued = rotate_api_key(tenants, &tenant, &id).await?;
            issued_key(&issued)
        }
    })
}

fn issued_key(issued: &IssuedApiKey) -> Printed {
    let shown = KeyShown::issued(issued);
    let text = format!(
        "API key {} ({}), scopes {}:\n{}\n(shown only this once; certport keeps only its hash)",
        shown.id,
        shown.name,
        shown.scopes.join(","),
        issued.api_key.expose()
    );
    Printed::new(&shown, text)
}
