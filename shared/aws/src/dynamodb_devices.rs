//! Devices and their certificate guards. A device item (keyed by identifier) and its
//! guard item (keyed by certificate fingerprint) are claimed in one transaction, each on
//! condition that its key is unused: both or neither, whoever else is inserting.
//!
//! Cost: a transactional put is two write units per KB, so a certificate costs about
//! 2 x (device item, ~2-3 KB) + 2 x (guard, < 1 KB), 6 to 8 write units, against 3 to 4
//! for unconditional batch writes; 25 devices go in one call.

use certport_core::domain::DeviceRecord;
use certport_core::ports::{DeviceInsert, InfraError, InfraResult};

use crate::dynamodb_store::{attr, backoff, cert_key, device_key, s, with_doc, Item, WRITE_CONCURRENCY};
use crate::dynamodb_transactions::{Cancelled, TransactPut};
use crate::DynamoStore;

/// 50 puts of a transaction's 100; at the 64 KiB certificate limit still under its 4 MB.
const DEVICES_PER_TRANSACTION: usize = 25;

fn device_puts(device: &DeviceRecord) -> InfraResult<[TransactPut; 2]> {
    let mut item = with_doc(device_key(&device.tenant_id, &device.device_identifier), device)?;
    item.insert("job_id".into(), s(&device.job_id));
    item.insert("fingerprint_sha256".into(), s(&device.fingerprint_sha256));
    Ok([
        TransactPut::new_key(item),
        TransactPut::new_key(guard_item(device)),
    ])
}

fn guard_item(device: &DeviceRecord) -> Item {
    let mut guard = cert_key(&device.tenant_id, &device.fingerprint_sha256);
    guard.insert("job_id".into(), s(&device.job_id));
    guard.insert("device_identifier".into(), s(&device.device_identifier));
    guard
}

impl DynamoStore {
    pub(crate) async fn claim_devices(&self, devices: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>> {
        let chunks: Vec<&[DeviceRecord]> = devices.chunks(DEVICES_PER_TRANSACTION).collect();
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
    async fn claim_chunk(&self, chunk: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>> {
        let mut outcomes: Vec<Option<DeviceInsert>> = vec![None; chunk.len()];
        let mut pending: Vec<usize> = (0..chunk.len()).collect();
        let mut conflicts = 0;
        while !pending.is_empty() {
            let mut puts = Vec::with_capacity(pending.len() * 2);
            for &i in &pending {
                puts.extend(device_puts(&chunk[i])?);
            }
            let Some(reasons) = self.transact("insert devices", puts).await? else {
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

    /// The outcome of a device whose put failed its condition; `None` when it did not
    /// (cancelled by another device, or in conflict): it goes again.
    async fn settle(
        &self,
        device: &DeviceRecord,
        on_device: &Cancelled,
        on_guard: &Cancelled,
    ) -> InfraResult<Option<DeviceInsert>> {
        let ours = |item: &Item| attr(item, "job_id") == Some(device.job_id.as_str());
        if let Cancelled::ConditionFailed(stored) = on_guard {
            let key = cert_key(&device.tenant_id, &device.fingerprint_sha256);
            let Some(guard) = self.stored(stored, key).await? else {
                return Ok(None);
            };
            return Ok(Some(if ours(&guard) {
                DeviceInsert::AlreadyWrittenByThisJob
            } else {
                DeviceInsert::DuplicateCertificate
            }));
        }
        if let Cancelled::ConditionFailed(stored) = on_device {
            let key = device_key(&device.tenant_id, &device.device_identifier);
            let Some(holder) = self.stored(stored, key).await? else {
                return Ok(None);
            };
            let same_certificate =
                attr(&holder, "fingerprint_sha256") == Some(device.fingerprint_sha256.as_str());
            if ours(&holder) && same_certificate {
                // Written by this job without its guard (versions before transactions
                // wrote the two apart): add the guard now.
                self.put_new("insert devices", guard_item(device)).await?;
                return Ok(Some(DeviceInsert::AlreadyWrittenByThisJob));
            }
            return Ok(Some(DeviceInsert::DeviceIdentifierTaken));
        }
        Ok(None)
    }

    /// The item a failed condition met: as the cancellation returned it, or read.
    async fn stored(&self, returned: &Option<Item>, key: Item) -> InfraResult<Option<Item>> {
        match returned {
            Some(item) => Ok(Some(item.clone())),
            None => self.get_item("insert devices", key).await,
        }
    }
}
