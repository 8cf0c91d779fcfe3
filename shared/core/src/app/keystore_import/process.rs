//! The keystore import processor: per item, open the sealed password, open the
//! keystore, check key and chain, and store the key envelope-encrypted. Idempotent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinHandle};
use zeroize::Zeroizing;

use crate::crypto::{open_sealed_box, seal_envelope};
use crate::domain::{
    format_timestamp, FailureCounts, FailureReason, ItemFailureReason, ItemResult, ItemStatus, Job,
    KeystoreImport, StoredKeyRecord,
};
use crate::parsing::certificate_record;
use crate::parsing::keystore::{
    decrypt_pkcs8_pem, find_leaf, open_pkcs12, order_trusted_chain, read_pem_certificate, read_pkcs8_key,
    single_key, KeystoreError, Pkcs12Limits, PreparedKey,
};
use crate::parsing::pem::all_blocks;
use crate::ports::{InfraError, KeyInsert};

use crate::app::inventory::private_keys::{private_key_aad, private_key_context};
use crate::app::jobs::lifecycle::{complete, fail, record_progress};
use crate::app::keystore_import::batch::{ImportItem, ItemForm, KeystoreImportRequest};
use crate::app::object_keys::{parse_keystore_import_key, private_key_key};
use crate::app::setup::edge_instances::dek_context;
use crate::app::{Deps, ProcessOutcome};

/// Why an item failed, and its leaf when it got that far.
struct ItemFailure {
    reason: ItemFailureReason,
    message: String,
    leaf: Option<Vec<u8>>,
}

impl From<KeystoreError> for ItemFailure {
    fn from(e: KeystoreError) -> Self {
        ItemFailure {
            reason: e.reason(),
            message: e.to_string(),
            leaf: None,
        }
    }
}

pub async fn process_keystore_import(deps: &Deps, key: &str) -> Result<ProcessOutcome, InfraError> {
    let Some((tenant_id, job_id)) = parse_keystore_import_key(key) else {
        return Ok(ProcessOutcome::Ignored {
            reason: "not a keystore import key".into(),
        });
    };
    let Some(job) = deps.jobs.get_job(tenant_id, job_id).await? else {
        return Ok(ProcessOutcome::Ignored {
            reason: "no such job".into(),
        });
    };
    if !job.is_open() {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    let Some(import) = job.keystores().cloned() else {
        return Ok(ProcessOutcome::Ignored {
            reason: "not a keystore import job".into(),
        });
    };
    let Some(batch) = deps.objects.get(&job.object_key).await? else {
        return fail_keystore_job(deps, &job, "the stored batch is missing; submit it again").await;
    };
    // A batch PUT to an upload URL was never checked: check it as the upload would have.
    let request = match KeystoreImportRequest::parse(&batch) {
        Ok(request) => request,
        Err(e) => return fail_keystore_job(deps, &job, &format!("the uploaded batch is invalid: {e}")).await,
    };
    if (
        request.edge_instance_id.as_str(),
        request.encryption_key_id.as_str(),
    ) != (
        import.edge_instance_id.as_str(),
        import.encryption_key_id.as_str(),
    ) {
        let message = format!(
            "the uploaded batch names edge instance {} and encryption key {}, but its upload URL was issued for {} and {}",
            request.edge_instance_id, request.encryption_key_id, import.edge_instance_id, import.encryption_key_id
        );
        return fail_keystore_job(deps, &job, &message).await;
    }
    // The batch has arrived, and its items are counted.
    let mut job = Job {
        total: request.import_information.len() as u64,
        ..job
    };
    if !record_progress(deps, &mut job).await? {
        return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
    }
    let started = Instant::now();
    let Some(dek) = deps
        .tenants
        .get_encryption_key(tenant_id, &import.encryption_key_id)
        .await?
    else {
        return fail_keystore_job(deps, &job, "the encryption key of this job no longer exists").await;
    };
    let secret = match B64.decode(&dek.wrapped_private_key) {
        Ok(wrapped) => match deps
            .keys
            .dek
            .decrypt(&wrapped, &dek_context(tenant_id, &dek.id))
            .await
        {
            Ok(secret) => secret,
            Err(e) if e.transient => return Err(e),
            Err(e) => {
                tracing::error!(job_id = %job.id, error = %e.chain(), "DEK private key could not be unwrapped");
                return fail_keystore_job(deps, &job, "the encryption key could not be unwrapped").await;
            }
        },
        Err(_) => return fail_keystore_job(deps, &job, "the encryption key record is damaged").await,
    };
    let Ok(secret) = <[u8; 32]>::try_from(secret.as_slice()) else {
        return fail_keystore_job(deps, &job, "the encryption key record is damaged").await;
    };
    let secret = Arc::new(Zeroizing::new(secret));
    let trusted: Arc<Vec<Vec<u8>>> = Arc::new(
        deps.tenants
            .list_trusted_cas(tenant_id)
            .await?
            .iter()
            .filter_map(|ca| B64.decode(&ca.certificate).ok())
            .collect(),
    );

    let preparing = start_preparing(deps, request.import_information, secret, trusted, &dek.id);
    let mut results: Vec<ItemResult> = Vec::with_capacity(preparing.len());
    let mut first_of: HashMap<String, u32> = HashMap::new();
    for (ordinal, task) in (0u32..).zip(preparing) {
        let prepared = prepared(task).await;
        // Between items: no key is stored for a job that has ended.
        job.processed = u64::from(ordinal);
        job.failed = results.iter().filter(|r| r.status == ItemStatus::Failed).count() as u64;
        if !record_progress(deps, &mut job).await? {
            return Ok(ProcessOutcome::AlreadyFinished { job_id: job.id });
        }
        let result = match prepared {
            Ok(prepared) => store_key(deps, &job, &import, ordinal, prepared, &mut first_of).await?,
            Err(failure) => failed(ordinal, failure),
        };
        // Written at once, so a poll sees each outcome as soon as it is known (by ordinal:
        // a retry rewrites the same).
        deps.jobs
            .put_item_results(tenant_id, &job.id, std::slice::from_ref(&result))
            .await?;
        results.push(result);
    }
    let failed = results.iter().filter(|r| r.status == ItemStatus::Failed).count() as u64;
    let total = results.len() as u64;
    // Item reasons are the API's own codes, kept on each result, not counted on the job.
    let ms = started.elapsed().as_millis() as u64;
    complete(deps, job, (total, failed, FailureCounts::new()), ms).await
}

/// An item being opened.
type Preparing = JoinHandle<Result<Result<PreparedKey, ItemFailure>, JoinError>>;

/// Starts opening every item on the blocking pool, a few at a time (KDFs are CPU-bound).
fn start_preparing(
    deps: &Deps,
    items: Vec<ImportItem>,
    secret: Arc<Zeroizing<[u8; 32]>>,
    trusted: Arc<Vec<Vec<u8>>>,
    key_id: &str,
) -> Vec<Preparing> {
    let workers = Arc::new(Semaphore::new(deps.limits.keystore_workers.max(1)));
    let now = chrono::Utc::now().timestamp();
    let limits = deps.limits.pkcs12;
    items
        .into_iter()
        .map(|item| {
            let (workers, secret, trusted) = (workers.clone(), secret.clone(), trusted.clone());
            let key_id = key_id.to_string();
            tokio::spawn(async move {
                let _permit = workers.acquire_owned().await;
                tokio::task::spawn_blocking(move || {
                    prepare_item(&item, &secret, &trusted, now, &limits, &key_id)
                })
                .await
            })
        })
        .collect()
}

/// The outcome of an item being opened.
async fn prepared(task: Preparing) -> Result<PreparedKey, ItemFailure> {
    match task.await {
        Ok(Ok(outcome)) => outcome,
        // A panic in a parser must not take the batch down: the item fails, the rest go on.
        Ok(Err(_)) | Err(_) => Err(ItemFailure {
            reason: ItemFailureReason::Malformed,
            message: "the item could not be processed".into(),
            leaf: None,
        }),
    }
}

fn prepare_item(
    item: &ImportItem,
    secret: &[u8; 32],
    trusted: &[Vec<u8>],
    now: i64,
    limits: &Pkcs12Limits,
    key_id: &str,
) -> Result<PreparedKey, ItemFailure> {
    let form = item.form().map_err(|message| ItemFailure {
        reason: ItemFailureReason::Malformed,
        message,
        leaf: None,
    })?;
    let unseal = |field: &str, sealed: &[u8]| {
        open_sealed_box(secret, sealed).map_err(|_| ItemFailure {
            reason: ItemFailureReason::SealedBoxInvalid,
            message: format!(
                "`{field}` does not open with encryption key {key_id}; seal it to that key's public key \
                 (libsodium crypto_box_seal)"
            ),
            leaf: None,
        })
    };
    let password = |sealed: &[u8]| -> Result<Zeroizing<String>, ItemFailure> {
        let bytes = unseal("dekEncryptedPassword", sealed)?;
        String::from_utf8(bytes.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| ItemFailure {
                reason: ItemFailureReason::Malformed,
                message: "the sealed password is not UTF-8 text".into(),
                leaf: None,
            })
    };
    let (keys, certificates) = match form {
        ItemForm::Pkcs12 {
            keystore,
            sealed_password,
        } => {
            let password = password(&sealed_password)?;
            let contents = open_pkcs12(&keystore, &password, limits)?;
            (contents.private_keys, contents.certificates)
        }
        ItemForm::Pkcs8Encrypted {
            certificate,
            encrypted_key,
            sealed_password,
        } => {
            let certificates = pem_certificates(certificate)?;
            let password = password(&sealed_password)?;
            (
                vec![decrypt_pkcs8_pem(encrypted_key, &password, limits)?],
                certificates,
            )
        }
        ItemForm::Pkcs8Sealed {
            certificate,
            sealed_key,
        } => {
            let certificates = pem_certificates(certificate)?;
            let key = unseal("dekEncryptedPrivateKey", &sealed_key)?;
            (vec![read_pkcs8_key(&key)?], certificates)
        }
    };
    let key = single_key(keys)?;
    let leaf = find_leaf(&key, &certificates)?;
    let chain = order_trusted_chain(leaf, &certificates, trusted, now).map_err(|e| ItemFailure {
        leaf: Some(certificates[leaf].clone()),
        ..ItemFailure::from(e)
    })?;
    // The certificate, and the chain kept with its key (the leaf first), go on one record
    // (one DynamoDB item).
    let stored: usize = certificates[leaf].len() + chain.iter().map(Vec::len).sum::<usize>();
    if stored as u64 > crate::app::MAX_STORABLE_CERTIFICATE_BYTES {
        return Err(ItemFailure {
            reason: ItemFailureReason::TooLarge,
            message: format!(
                "the certificate with its chain is {stored} bytes; at most {} are stored",
                crate::app::MAX_STORABLE_CERTIFICATE_BYTES
            ),
            leaf: Some(certificates[leaf].clone()),
        });
    }
    Ok(PreparedKey { key, chain })
}

/// Every certificate of a PEM (the leaf and any chain the client sent along).
fn pem_certificates(pem: &str) -> Result<Vec<Vec<u8>>, KeystoreError> {
    read_pem_certificate(pem)?;
    all_blocks(pem.as_bytes())
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| {
            b.body
                .map(|der| der.to_vec())
                .map_err(|e| KeystoreError::malformed("certificate", e))
        })
        .collect()
}

async fn store_key(
    deps: &Deps,
    job: &Job,
    import: &KeystoreImport,
    ordinal: u32,
    prepared: PreparedKey,
    first_of: &mut HashMap<String, u32>,
) -> Result<ItemResult, InfraError> {
    let leaf = prepared.leaf().to_vec();
    let fingerprint_sha256 = hex::encode(Sha256::digest(&leaf));
    let mut result = ItemResult {
        ordinal,
        certificate: B64.encode(&leaf),
        fingerprint: hex::encode_upper(Sha1::digest(&leaf)),
        status: ItemStatus::Imported,
        reason_code: None,
        reason: String::new(),
    };
    if let Some(first) = first_of.get(&fingerprint_sha256) {
        result.status = ItemStatus::Skipped;
        result.reason = format!("the same certificate as item {first} of this batch");
        return Ok(result);
    }
    first_of.insert(fingerprint_sha256.clone(), ordinal);
    let tenant_id = &job.tenant_id;
    match deps
        .inventory
        .get_stored_key(tenant_id, &fingerprint_sha256)
        .await?
    {
        Some(existing) if existing.job_id == job.id && existing.ordinal == ordinal => return Ok(result),
        Some(_) => {
            result.status = ItemStatus::Skipped;
            result.reason = "this certificate and its key are already in the inventory".into();
            return Ok(result);
        }
        None => {}
    }
    let imported_at = format_timestamp(chrono::Utc::now());
    let certificate = match certificate_record(tenant_id, &leaf, &imported_at) {
        Ok(certificate) => certificate,
        Err(e) => {
            let failure = ItemFailure {
                reason: ItemFailureReason::Malformed,
                message: format!("the leaf certificate: {e}"),
                leaf: Some(leaf),
            };
            return Ok(failed(ordinal, failure));
        }
    };
    let context = private_key_context(tenant_id, &fingerprint_sha256);
    let data_key = deps.keys.data.generate_data_key(&context).await?;
    let aad = private_key_aad(tenant_id, &fingerprint_sha256);
    let envelope = seal_envelope(
        &data_key.plaintext,
        &data_key.ciphertext,
        aad.as_bytes(),
        &prepared.key.pkcs8_der,
    );
    drop(data_key);
    let object = private_key_key(tenant_id, &fingerprint_sha256);
    let body = serde_json::to_vec(&envelope).map_err(|e| InfraError::permanent("encode envelope", e))?;
    deps.objects.put(&object, body.into()).await?;
    let subject = x509_parser::parse_x509_certificate(&leaf)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default();
    let record = StoredKeyRecord {
        tenant_id: tenant_id.clone(),
        fingerprint_sha256,
        fingerprint_sha1: result.fingerprint.clone(),
        subject,
        key_algorithm: prepared.key.algorithm.name().to_string(),
        chain: prepared.chain.iter().map(|der| B64.encode(der)).collect(),
        private_key_object: object,
        encryption_key_id: import.encryption_key_id.clone(),
        job_id: job.id.clone(),
        ordinal,
        imported_at,
    };
    if deps.inventory.insert_stored_key(&record, &certificate).await? == KeyInsert::AlreadyPresent {
        result.status = ItemStatus::Skipped;
        result.reason = "this certificate and its key are already in the inventory".into();
    }
    Ok(result)
}

fn failed(ordinal: u32, failure: ItemFailure) -> ItemResult {
    let leaf = failure.leaf.unwrap_or_default();
    ItemResult {
        ordinal,
        fingerprint: if leaf.is_empty() {
            String::new()
        } else {
            hex::encode_upper(Sha1::digest(&leaf))
        },
        certificate: B64.encode(&leaf),
        status: ItemStatus::Failed,
        reason_code: Some(failure.reason),
        reason: failure.message,
    }
}

/// The job could not run: FAILED (unless something else ended it first); every item's
/// result then says why.
async fn fail_keystore_job(deps: &Deps, job: &Job, message: &str) -> Result<ProcessOutcome, InfraError> {
    fail(deps, job.clone(), FailureReason::NotProcessed, message).await
}
