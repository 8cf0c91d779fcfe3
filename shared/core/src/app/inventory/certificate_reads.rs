//! Reading a certificate of the inventory back: its details (the Venafi-compatible
//! certificate view) and its contents (PEM with its chain, or DER).

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::crypto::certificates_pem;
use crate::domain::{certificate_id, certificate_request_id, InventoryEntry};
use crate::parsing::keystore::trust_anchor;
use crate::parsing::{certificate_details, CertificateDetails};

use crate::app::{AppError, Caller, Deps};

/// A certificate as the read routes show it.
#[derive(Debug, Clone)]
pub struct CertificateView {
    pub entry: InventoryEntry,
    pub details: CertificateDetails,
    /// Chain certificates the inventory holds too, issuer first.
    pub issuer_ids: Vec<String>,
    /// The DEK an export's passphrases are sealed to; only when the key is held.
    pub dek_hash: Option<String>,
}

/// Ids are UUIDs: anything else cannot name a certificate.
pub(crate) fn check_id(id: &str) -> Result<(), AppError> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| AppError::invalid(format!("`{id}` is not a certificate id (a UUID)")))
}

/// The certificate `id` of the caller's inventory.
pub async fn get_certificate(deps: &Deps, caller: &Caller, id: &str) -> Result<CertificateView, AppError> {
    let entry = find(deps, caller, id).await?;
    let mut views = Views::new(deps, caller);
    views.view(entry).await
}

/// The certificate request `id` answers to, as vcert reads it: the imported certificate
/// it names (every certificate of the inventory has one; see `certificate_request_id`).
pub async fn get_certificate_request(
    deps: &Deps,
    caller: &Caller,
    id: &str,
) -> Result<CertificateView, AppError> {
    let certificate = certificate_request_id(id)
        .ok_or_else(|| AppError::invalid(format!("`{id}` is not a certificate request id (a UUID)")))?;
    let entry = deps
        .inventory
        .get_certificate(&caller.tenant.id, &certificate)
        .await?
        .ok_or(AppError::NotFound("certificate request"))?;
    Views::new(deps, caller).view(entry).await
}

/// `POST certificaterequests`: certport holds imported certificates and has no CA to
/// issue new ones, so a request for one is refused with what to do instead.
pub fn request_certificate() -> AppError {
    AppError::invalid(
        "certport has no certificate authority and cannot issue certificates: import the \
         certificate with its key (POST /outagedetection/v1/certificates/imports), then \
         read it back through its certificateRequestId",
    )
}

pub(crate) async fn find(deps: &Deps, caller: &Caller, id: &str) -> Result<InventoryEntry, AppError> {
    check_id(id)?;
    deps.inventory
        .get_certificate(&caller.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound("certificate"))
}

/// Builds views, remembering what it looked up (chain certificates, the default DEK)
/// across the certificates of one answer.
pub(crate) struct Views<'a> {
    deps: &'a Deps,
    caller: &'a Caller,
    held: HashMap<String, bool>,
    default_dek: Option<Option<String>>,
}

impl<'a> Views<'a> {
    pub(crate) fn new(deps: &'a Deps, caller: &'a Caller) -> Self {
        Views {
            deps,
            caller,
            held: HashMap::new(),
            default_dek: None,
        }
    }

    pub(crate) async fn view(&mut self, entry: InventoryEntry) -> Result<CertificateView, AppError> {
        let details = details_of(&entry)?;
        let mut issuer_ids = Vec::new();
        for der in chain_ders(&entry).iter().skip(1) {
            let id = certificate_id(&self.caller.tenant.id, &hex::encode(Sha256::digest(der)));
            if self.holds(&id).await? {
                issuer_ids.push(id);
            }
        }
        let dek_hash = match &entry.key {
            None => None,
            Some(key) if !key.encryption_key_id.is_empty() => Some(key.encryption_key_id.clone()),
            Some(_) => self.default_dek().await?,
        };
        Ok(CertificateView {
            entry,
            details,
            issuer_ids,
            dek_hash,
        })
    }

    async fn holds(&mut self, id: &str) -> Result<bool, AppError> {
        if let Some(&held) = self.held.get(id) {
            return Ok(held);
        }
        let held = self
            .deps
            .inventory
            .get_certificate(&self.caller.tenant.id, id)
            .await?
            .is_some();
        self.held.insert(id.to_string(), held);
        Ok(held)
    }

    /// Keys stored before their DEK was recorded: the tenant's first edge instance's.
    async fn default_dek(&mut self) -> Result<Option<String>, AppError> {
        if self.default_dek.is_none() {
            let edges = self
                .deps
                .tenants
                .list_edge_instances(&self.caller.tenant.id)
                .await?;
            self.default_dek = Some(edges.first().map(|e| e.encryption_key_id.clone()));
        }
        Ok(self.default_dek.clone().flatten())
    }
}

pub(crate) fn details_of(entry: &InventoryEntry) -> Result<CertificateDetails, AppError> {
    let der = B64
        .decode(&entry.certificate.certificate)
        .map_err(|e| crate::ports::InfraError::permanent("read certificate", e))?;
    certificate_details(&der).map_err(|e| crate::ports::InfraError::permanent("read certificate", e).into())
}

/// The certificate's DER, then its chain's as the keystore brought it (issuer after
/// subject); just the certificate when it came without one.
pub(crate) fn chain_ders(entry: &InventoryEntry) -> Vec<Vec<u8>> {
    let leaf = B64.decode(&entry.certificate.certificate).unwrap_or_default();
    let mut ders = vec![leaf];
    if let Some(key) = &entry.key {
        ders.extend(key.chain.iter().skip(1).filter_map(|c| B64.decode(c).ok()));
    }
    ders
}

/// `chain_ders`, completed with the tenant's trusted CA that issued its last certificate
/// when the keystore did not carry it: the chain up to its root.
pub(crate) async fn full_chain(
    deps: &Deps,
    caller: &Caller,
    entry: &InventoryEntry,
) -> Result<Vec<Vec<u8>>, AppError> {
    let mut ders = chain_ders(entry);
    if entry.key.is_none() {
        return Ok(ders);
    }
    let trusted: Vec<Vec<u8>> = deps
        .tenants
        .list_trusted_cas(&caller.tenant.id)
        .await?
        .iter()
        .filter_map(|ca| B64.decode(&ca.certificate).ok())
        .collect();
    let Some(last) = ders.last().cloned() else {
        return Ok(ders);
    };
    // Signature checks are big-integer arithmetic: on the blocking pool, never the executor's.
    let anchor = tokio::task::spawn_blocking(move || trust_anchor(&last, &trusted).map(<[u8]>::to_vec))
        .await
        .map_err(|e| crate::ports::InfraError::permanent("check the chain", e))?;
    ders.extend(anchor);
    Ok(ders)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentFormat {
    Pem,
    Der,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainOrder {
    /// Leaf first.
    EeFirst,
    RootFirst,
    EeOnly,
}

impl ContentFormat {
    pub fn parse(value: Option<&str>) -> Result<Self, AppError> {
        match value.map(str::to_ascii_uppercase).as_deref() {
            None | Some("PEM") => Ok(ContentFormat::Pem),
            Some("DER") => Ok(ContentFormat::Der),
            Some(other) => Err(AppError::invalid(format!(
                "unknown format `{other}`; use PEM or DER"
            ))),
        }
    }
}

impl ChainOrder {
    pub fn parse(value: Option<&str>) -> Result<Self, AppError> {
        match value.map(str::to_ascii_uppercase).as_deref() {
            None | Some("EE_FIRST") => Ok(ChainOrder::EeFirst),
            Some("ROOT_FIRST") => Ok(ChainOrder::RootFirst),
            Some("EE_ONLY") => Ok(ChainOrder::EeOnly),
            Some(other) => Err(AppError::invalid(format!(
                "unknown chainOrder `{other}`; use EE_FIRST, ROOT_FIRST or EE_ONLY"
            ))),
        }
    }
}

/// A certificate's contents: PEM blocks (separated by one blank line) in `order`, up to
/// the root when the tenant trusts it; or the leaf's DER.
pub async fn certificate_contents(
    deps: &Deps,
    caller: &Caller,
    id: &str,
    format: ContentFormat,
    order: ChainOrder,
) -> Result<Vec<u8>, AppError> {
    let entry = find(deps, caller, id).await?;
    if format == ContentFormat::Der {
        return Ok(chain_ders(&entry).swap_remove(0));
    }
    let mut ders = full_chain(deps, caller, &entry).await?;
    match order {
        ChainOrder::EeFirst => {}
        ChainOrder::RootFirst => ders.reverse(),
        ChainOrder::EeOnly => ders.truncate(1),
    }
    Ok(certificates_pem(&ders).into_bytes())
}
