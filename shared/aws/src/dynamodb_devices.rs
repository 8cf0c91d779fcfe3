//! Devices and their claims on certificates. A device item (keyed by identifier) and
//! its claim on the certificate item (see `dynamodb_certificates`) are written in one
//! transaction, each on condition that it is free: both or neither, whoever else is
//! inserting.
//!
//! Cost: a transactional write is two write units per KB, so a certificate costs about
//! 2 x (device item, ~2-3 KB) + 2 x (certificate item, ~2-3 KB), 8 to 12 write units,
//! plus one per index the items enter (lookup, serial, listing: 4 to 5); 25 devices go
//! in one call.

use certport_core::domain::{DeviceRecord, NewDevice};
use certport_core::ports::{DeviceInsert, InfraError, InfraResult};

use crate::dynamodb_certificates::{certificate_key, claim_for_device};
use crate::dynamodb_listing::listing_pk;
use crate::dynamodb_store::{attr, backoff, device_key, s, with_doc, Item, WRITE_CONCURRENCY};
use crate::dynamodb_transactions::{Cancelled, TransactPut, TransactWrite};
use crate::DynamoStore;

/// 50 writes of a transaction's 100; at the 64 KiB certificate limit still under its 4 MB.
const DEVICES_PER_TRANSACTION: usize = 25;

pub(crate) fn device_lookup(tenant_id: &str, id: &str) -> String {
    format!("DEVICEID#{tenant_id}#{id}")
}

fn device_item(device: &DeviceRecord) -> InfraResult<Item> {
    let mut item = with_doc(device_key(&device.tenant_id, &device.device_identifier), device)?;
    let id = device.id();
    item.insert("job_id".into(), s(&device.job_id));
    item.insert("fingerprint_sha256".into(), s(&device.fingerprint_sha256));
    item.insert("lookup_pk".into(), s(device_lookup(&device.tenant_id, &id)));
    item.insert("list_pk".into(), s(listing_pk("DEVICES", &device.tenant_id, &id)));
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
    pub(crate) async fn claim_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        let chunks: Vec<&[NewDevice]> = devices.chunks(DEVICES_PER_TRANSACTION).collect();
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
