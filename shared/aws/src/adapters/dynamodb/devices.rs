//! Devices and their claims on certificates. A device item (keyed by identifier) and
//! its claim on the certificate item (see `certificates`) are written in one
//! transaction, each on condition that it is free: both or neither, whoever else is
//! inserting.
//!
//! Cost: a transactional write is two write units per KB, so a certificate costs about
//! 2 x (device item, ~2-3 KB) + 2 x (certificate item, ~2-3 KB), 8 to 12 write units,
//! plus one per index the items enter (lookup, serial, listing: 4 to 5); 25 devices go
//! in one call.

use std::collections::HashMap;

use certport_core::domain::{certificate_id, CertificateRecord, DeviceRecord, NewDevice};
use certport_core::ports::{DeviceInsert, InfraError, InfraResult};

use crate::adapters::dynamodb::certificates::claim_for_device;
use crate::adapters::dynamodb::keys::{certificate_key, device_key, device_lookup, listing_pk, Listing};
use crate::adapters::dynamodb::transactions::{Cancelled, TransactPut, TransactWrite};
use crate::adapters::dynamodb::{attr, backoff, doc_of, s, with_doc, Item, WRITE_CONCURRENCY};
use crate::DynamoStore;

/// 50 writes of a transaction's 100.
const DEVICES_PER_TRANSACTION: usize = 25;
/// A transaction's items may total 4 MB: devices are cut into transactions by their
/// size too, with room to spare for attribute names and keys.
const TRANSACTION_BYTES: usize = 3 * 1024 * 1024;

/// About what a device's two writes add to a transaction: its certificate (the DER
/// base64-encoded, once) and its fields.
fn written_bytes(new: &NewDevice) -> usize {
    let fields: usize = new.device.fields.iter().map(|(k, v)| k.len() + v.len()).sum();
    new.certificate.certificate.len() + fields + new.device.device_identifier.len() * 3 + 2048
}

/// Consecutive devices, at most `DEVICES_PER_TRANSACTION` and `TRANSACTION_BYTES` each.
fn transactions(devices: &[NewDevice]) -> Vec<&[NewDevice]> {
    let mut groups = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, device) in devices.iter().enumerate() {
        let size = written_bytes(device);
        if i > start && (i - start == DEVICES_PER_TRANSACTION || bytes + size > TRANSACTION_BYTES) {
            groups.push(&devices[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < devices.len() {
        groups.push(&devices[start..]);
    }
    groups
}

/// The device item: the device without its certificate's DER, which its certificate
/// item holds (stored once; `with_certificates` puts it back on reading).
fn device_item(device: &DeviceRecord) -> InfraResult<Item> {
    let stored = DeviceRecord {
        certificate: String::new(),
        ..device.clone()
    };
    let mut item = with_doc(device_key(&device.tenant_id, &device.device_identifier), &stored)?;
    let id = device.id();
    item.insert("job_id".into(), s(&device.job_id));
    item.insert("fingerprint_sha256".into(), s(&device.fingerprint_sha256));
    item.insert("lookup_pk".into(), s(device_lookup(&device.tenant_id, &id)));
    item.insert(
        "list_pk".into(),
        s(listing_pk(Listing::Devices, &device.tenant_id, &id)),
    );
    item.insert("list_sk".into(), s(device.sort_key()));
    Ok(item)
}

fn device_writes(new: &NewDevice) -> InfraResult<[TransactWrite; 2]> {
    let NewDevice { device, certificate } = new;
    let claim = claim_for_device(
        certificate,
        &device.device_identifier,
        &device.job_id,
        &device.created_at,
    )?;
    Ok([TransactPut::new_key(device_item(device)?).into(), claim.into()])
}

impl DynamoStore {
    /// `devices` with their certificate's DER, read from their certificate items.
    pub(crate) async fn with_certificates(
        &self,
        mut devices: Vec<DeviceRecord>,
    ) -> InfraResult<Vec<DeviceRecord>> {
        let keys: Vec<Item> = devices
            .iter()
            .filter(|d| d.certificate.is_empty())
            .map(|d| certificate_key(&d.tenant_id, &certificate_id(&d.tenant_id, &d.fingerprint_sha256)))
            .collect();
        if keys.is_empty() {
            return Ok(devices);
        }
        let mut ders: HashMap<String, String> = HashMap::new();
        for item in self.batch_get("read devices' certificates", keys).await? {
            let record: CertificateRecord = doc_of(&item)?;
            ders.insert(record.fingerprint_sha256, record.certificate);
        }
        for device in devices.iter_mut().filter(|d| d.certificate.is_empty()) {
            if let Some(der) = ders.get(&device.fingerprint_sha256) {
                device.certificate = der.clone();
            }
        }
        Ok(devices)
    }

    pub(crate) async fn claim_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        let chunks = transactions(devices);
        let mut outcomes = Vec::with_capacity(devices.len());
        for group in chunks.chunks(WRITE_CONCURRENCY) {
            let settled =
                futures_util::future::try_join_all(group.iter().map(|chunk| self.claim_chunk(chunk))).await?;
            outcomes.extend(settled.into_iter().flatten());
        }
        Ok(outcomes)
    }

    /// One outcome per device of `chunk`, in order. A cancelled transaction settles the
    /// devices whose conditions failed; the others go again, without them.
    async fn claim_chunk(&self, chunk: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        let mut outcomes: Vec<Option<DeviceInsert>> = vec![None; chunk.len()];
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        let mut conflicts = 0;
        while !pending.is_empty() {
            let mut writes = Vec::with_capacity(pending.len() * 2);
            for &i in &pending {
                writes.extend(device_writes(&chunk[i])?);
            }
            let Some(reasons) = self.transact("insert devices", writes).await? else {
                for &i in &pending {
                    outcomes[i] = Some(DeviceInsert::Inserted);
                }
                break;
            };
            let mut retry = Vec::new();
            for (&i, pair) in pending.iter().zip(reasons.chunks_exact(2)) {
                match self.settle(&chunk[i], &pair[0], &pair[1]).await? {
                    Some(outcome) => outcomes[i] = Some(outcome),
                    None => retry.push(i),
                }
            }
            if reasons.contains(&Cancelled::Conflict) {
                conflicts += 1;
                backoff("insert devices", conflicts).await?;
            }
            pending = retry;
        }
        outcomes
            .into_iter()
            .map(|o| o.ok_or_else(|| InfraError::permanent("insert devices", "a device was left unsettled")))
            .collect()
    }

    /// The outcome of a device whose write failed its condition; `None` when it did not
    /// (cancelled by another device, or in conflict): it goes again.
    async fn settle(
        &self,
        new: &NewDevice,
        on_device: &Cancelled,
        on_certificate: &Cancelled,
    ) -> InfraResult<Option<DeviceInsert>> {
        let NewDevice { device, certificate } = new;
        if let Cancelled::ConditionFailed(stored) = on_certificate {
            let key = certificate_key(&certificate.tenant_id, &certificate.id);
            let Some(held) = self.stored(stored, key).await? else {
                return Ok(None);
            };
            return Ok(Some(
                if attr(&held, "device_job_id") == Some(device.job_id.as_str()) {
                    DeviceInsert::AlreadyWrittenByThisJob
                } else {
                    DeviceInsert::DuplicateCertificate
                },
            ));
        }
        if let Cancelled::ConditionFailed(_) = on_device {
            return Ok(Some(DeviceInsert::DeviceIdentifierTaken));
        }
        Ok(None)
    }

    /// The item a failed condition met: as the cancellation returned it, or read.
    async fn stored(&self, returned: &Option<Item>, key: Item) -> InfraResult<Option<Item>> {
        match returned {
            Some(item) if !item.is_empty() => Ok(Some(item.clone())),
            _ => self.get_item("insert devices", key).await,
        }
    }
}
