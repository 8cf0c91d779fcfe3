//! Private-key export, the most sensitive operation of the product: the passphrases
//! arrive sealed to the tenant's DEK, the key is opened from its envelope, re-encrypted
//! under the passphrase, and every plaintext is zeroized. Every export, and every refused
//! one, is an audit event, written before the answer.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use zeroize::Zeroizing;

use crate::crypto::{encrypted_pkcs8_pem, open_envelope, open_sealed_box, pem_zip, pkcs12, Envelope};
use crate::domain::{format_timestamp, AuditAction, AuditEvent, InventoryEntry, StoredKeyRecord};

use crate::app::inventory::certificate_reads::{details_of, find, full_chain, Views};
use crate::app::inventory::certificate_search::certificate_name;
use crate::app::inventory::private_keys::{private_key_aad, private_key_context};
use crate::app::setup::edge_instances::dek_context;
use crate::app::{AppError, Caller, Deps};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Pem,
    Pkcs12,
}

impl ExportFormat {
    pub fn parse(name: &str) -> Result<Self, AppError> {
        match name {
            "PEM" => Ok(ExportFormat::Pem),
            "PKCS12" => Ok(ExportFormat::Pkcs12),
            "JKS" => Err(AppError::invalid(
                "exportFormat JKS is not supported; ask for PEM or PKCS12 (keytool imports PKCS12)",
            )),
            other => Err(AppError::invalid(format!(
                "unknown exportFormat `{other}`; use PEM or PKCS12"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            ExportFormat::Pem => "PEM",
            ExportFormat::Pkcs12 => "PKCS12",
        }
    }
}

/// An export request as it arrives: passphrases base64 sealed boxes to the `dekHash` key.
#[derive(Clone)]
pub struct ExportRequest {
    pub format: ExportFormat,
    pub encrypted_private_key_passphrase: String,
    /// May be empty: a PKCS12 is then protected by the private-key passphrase.
    pub encrypted_keystore_passphrase: String,
    /// The name inside the export; empty: the certificate's name.
    pub certificate_label: String,
    pub source_ip: Option<String>,
}

impl std::fmt::Debug for ExportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRequest")
            .field("format", &self.format)
            .field("certificate_label", &self.certificate_label)
            .finish_non_exhaustive()
    }
}

/// The export of certificate `id` with its private key: a PEM zip or a PKCS#12. An
/// export refused for what the caller sent or asked for is an audit event too.
pub async fn export_private_key(
    deps: &Deps,
    caller: &Caller,
    id: &str,
    request: ExportRequest,
) -> Result<Vec<u8>, AppError> {
    let source_ip = request.source_ip.clone();
    match export(deps, caller, id, request).await {
        Err(refused) if !matches!(refused, AppError::Infra(_)) => {
            let refusal = ExportRefusal {
                certificate_id: id,
                source_ip,
            };
            audit_refused_export(deps, caller, refusal, &refused).await?;
            Err(refused)
        }
        answered => answered,
    }
}

const MAX_REASON_CHARS: usize = 256;

/// An export that was asked for and not given.
pub struct ExportRefusal<'a> {
    pub certificate_id: &'a str,
    pub source_ip: Option<String>,
}

pub async fn audit_refused_export(
    deps: &Deps,
    caller: &Caller,
    refusal: ExportRefusal<'_>,
    why: &AppError,
) -> Result<(), AppError> {
    let at = format_timestamp(chrono::Utc::now());
    let mut event = AuditEvent::new(
        &caller.tenant.id,
        AuditAction::PrivateKeyExportRefused,
        Some(&caller.api_key_id),
        at,
    );
    event.certificate_id = Some(refusal.certificate_id.chars().take(128).collect());
    // Messages may quote what the caller sent: kept short, so no caller fills the trail.
    event.reason = Some(why.to_string().chars().take(MAX_REASON_CHARS).collect());
    event.source_ip = refusal.source_ip;
    deps.inventory.record_audit_event(&event).await?;
    tracing::warn!(
        audit = event.action.name(),
        tenant_id = %event.tenant_id,
        api_key_id = %caller.api_key_id,
        certificate_id = event.certificate_id.as_deref().unwrap_or_default(),
        reason = event.reason.as_deref().unwrap_or_default(),
        "private key export refused"
    );
    Ok(())
}

async fn export(deps: &Deps, caller: &Caller, id: &str, request: ExportRequest) -> Result<Vec<u8>, AppError> {
    let entry = find(deps, caller, id).await?;
    let Some(key) = entry.key.clone() else {
        return Err(AppError::invalid(
            "the inventory holds no private key for this certificate: import it as a keystore first",
        ));
    };
    let dek_id = Views::new(deps, caller)
        .view(entry.clone())
        .await?
        .dek_hash
        .ok_or_else(|| {
            AppError::Precondition("the tenant has no encryption key to open the passphrases".into())
        })?;
    let dek_secret = dek_secret(deps, caller, &dek_id).await?;
    let key_passphrase = open_passphrase(
        &dek_secret,
        &request.encrypted_private_key_passphrase,
        "encryptedPrivateKeyPassphrase",
    )?;
    if key_passphrase.is_empty() {
        return Err(AppError::invalid(
            "encryptedPrivateKeyPassphrase seals an empty passphrase; the exported key must be protected",
        ));
    }
    strong_enough(&key_passphrase, "encryptedPrivateKeyPassphrase")?;
    let keystore_passphrase = if request.encrypted_keystore_passphrase.is_empty() {
        Zeroizing::new(String::new())
    } else {
        open_passphrase(
            &dek_secret,
            &request.encrypted_keystore_passphrase,
            "encryptedKeystorePassphrase",
        )?
    };
    if !keystore_passphrase.is_empty() {
        strong_enough(&keystore_passphrase, "encryptedKeystorePassphrase")?;
    }
    drop(dek_secret);
    let iterations = deps.limits.export_iterations;
    let private_key = open_private_key(deps, caller, &key).await?;
    let name = export_name(&entry, &request.certificate_label)?;
    let chain = full_chain(deps, caller, &entry).await?;
    let format = request.format;
    // Key derivations of hundreds of thousands of iterations: off the async workers.
    let build = move || match format {
        ExportFormat::Pem => {
            let key_pem = encrypted_pkcs8_pem(&private_key, &key_passphrase, iterations)?;
            pem_zip(&name, &key_pem, &chain)
        }
        ExportFormat::Pkcs12 => {
            let passphrase = if keystore_passphrase.is_empty() {
                &key_passphrase
            } else {
                &keystore_passphrase
            };
            pkcs12(&private_key, &chain, &name, passphrase, iterations)
        }
    };
    let export = tokio::task::spawn_blocking(build)
        .await
        .map_err(|e| crate::ports::InfraError::permanent("build export", e))?
        .map_err(export_error)?;
    audit(deps, caller, &entry, request.format, request.source_ip).await?;
    Ok(export)
}

/// Characters an export passphrase needs at least: the file may be copied anywhere and
/// attacked offline, where only length holds (NIST SP 800-63B asks 8 of any secret a
/// person picks; 12 keeps a PBKDF2 of 600,000 out of reach of a dictionary).
pub const MIN_PASSPHRASE_CHARS: usize = 12;

fn strong_enough(passphrase: &str, field: &str) -> Result<(), AppError> {
    let distinct: std::collections::BTreeSet<char> = passphrase.chars().collect();
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS || distinct.len() < 4 {
        return Err(AppError::invalid(format!(
            "{field} seals a passphrase too weak to protect a private key: use at least \
             {MIN_PASSPHRASE_CHARS} characters, at least 4 of them different"
        )));
    }
    Ok(())
}

/// The DEK's X25519 private key, unwrapped by the key service for this one request.
async fn dek_secret(deps: &Deps, caller: &Caller, dek_id: &str) -> Result<Zeroizing<[u8; 32]>, AppError> {
    let tenant = &caller.tenant.id;
    let dek = deps
        .tenants
        .get_encryption_key(tenant, dek_id)
        .await?
        .ok_or_else(|| {
            AppError::Precondition("the encryption key of this certificate no longer exists".into())
        })?;
    let wrapped = B64.decode(&dek.wrapped_private_key).map_err(|_| {
        crate::ports::InfraError::permanent("open encryption key", "the DEK record is damaged")
    })?;
    let secret = deps
        .keys
        .dek
        .decrypt(&wrapped, &dek_context(tenant, &dek.id))
        .await?;
    <[u8; 32]>::try_from(secret.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| {
            crate::ports::InfraError::permanent("open encryption key", "the DEK record is damaged").into()
        })
}

fn open_passphrase(secret: &[u8; 32], sealed: &str, field: &str) -> Result<Zeroizing<String>, AppError> {
    let sealed = B64
        .decode(sealed.trim())
        .map_err(|_| AppError::invalid(format!("{field} is not base64")))?;
    let opened = open_sealed_box(secret, &sealed).map_err(|_| {
        AppError::invalid(format!(
            "{field} does not open with this certificate's DEK (dekHash): seal it to that key's public key"
        ))
    })?;
    String::from_utf8(opened.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| AppError::invalid(format!("{field} does not seal UTF-8 text")))
}

/// The stored private key (PKCS#8 DER), out of its envelope.
async fn open_private_key(
    deps: &Deps,
    caller: &Caller,
    key: &StoredKeyRecord,
) -> Result<Zeroizing<Vec<u8>>, AppError> {
    let tenant = &caller.tenant.id;
    let damaged = |what: &str| {
        crate::ports::InfraError::permanent("open private key", format!("the stored key is {what}"))
    };
    let body = deps
        .objects
        .get(&key.private_key_object)
        .await?
        .ok_or_else(|| damaged("missing"))?;
    let envelope: Envelope = serde_json::from_slice(&body).map_err(|_| damaged("malformed"))?;
    let wrapped = envelope.wrapped_data_key().map_err(|_| damaged("malformed"))?;
    let context = private_key_context(tenant, &key.fingerprint_sha256);
    let data_key = deps.keys.data.decrypt(&wrapped, &context).await?;
    let aad = private_key_aad(tenant, &key.fingerprint_sha256);
    open_envelope(&data_key, &envelope, aad.as_bytes()).map_err(|_| damaged("unopenable").into())
}

/// The file and friendly name: the label, else the certificate's name, kept to what
/// file names take everywhere.
fn export_name(entry: &InventoryEntry, label: &str) -> Result<String, AppError> {
    let name = if label.trim().is_empty() {
        certificate_name(&details_of(entry)?)
    } else {
        label.trim().to_string()
    };
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(128)
        .collect();
    Ok(if safe.trim_matches('.').is_empty() {
        "certificate".into()
    } else {
        safe
    })
}

fn export_error(e: crate::crypto::ExportError) -> AppError {
    crate::ports::InfraError::permanent("build export", e).into()
}

async fn audit(
    deps: &Deps,
    caller: &Caller,
    entry: &InventoryEntry,
    format: ExportFormat,
    source_ip: Option<String>,
) -> Result<(), AppError> {
    let at = format_timestamp(chrono::Utc::now());
    let mut event = AuditEvent::new(
        &caller.tenant.id,
        AuditAction::PrivateKeyExport,
        Some(&caller.api_key_id),
        at,
    );
    event.certificate_id = Some(entry.certificate.id.clone());
    event.format = Some(format.name().into());
    event.source_ip = source_ip;
    deps.inventory.record_audit_event(&event).await?;
    tracing::info!(
        audit = event.action.name(),
        tenant_id = %event.tenant_id,
        api_key_id = %caller.api_key_id,
        certificate_id = %entry.certificate.id,
        format = format.name(),
        source_ip = event.source_ip.as_deref().unwrap_or(""),
        at = %event.at,
        "private key exported"
    );
    Ok(())
}

/// The tenant's latest audit events, newest first.
pub async fn list_audit_events(
    deps: &Deps,
    caller: &Caller,
    limit: usize,
) -> Result<Vec<AuditEvent>, AppError> {
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid(format!(
            "limit must be from 1 to 1000; got {limit}"
        )));
    }
    Ok(deps.inventory.list_audit_events(&caller.tenant.id, limit).await?)
}
