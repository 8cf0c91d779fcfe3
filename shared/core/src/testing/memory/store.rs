use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::domain::{
    certificate_id, Admission, ApiKeyHash, ApiKeyRecord, AuditEvent, CertFailure, CertificateRecord,
    DeviceRecord, EdgeInstance, EncryptionKey, EnrollmentProfile, InventoryEntry, ItemResult, Job, KeyRange,
    NewDevice, OpenWork, Page, ShardReport, StoredKeyRecord, Tenant, TrustedCa, WorkQuota,
};
use crate::ports::{
    CertificateLookup, DeviceInsert, InfraError, InfraResult, InventoryStore, JobStore, KeyInsert, OpenJob,
    TenantStore,
};

/// (tenant id, id).
type Key = (String, String);

fn key(tenant_id: &str, id: &str) -> Key {
    (tenant_id.to_string(), id.to_string())
}

#[derive(Default)]
struct State {
    tenants: HashMap<String, Tenant>,
    api_keys: HashMap<String, ApiKeyRecord>,
    profiles: HashMap<Key, EnrollmentProfile>,
    edges: HashMap<Key, EdgeInstance>,
    deks: HashMap<Key, EncryptionKey>,
    trusted_cas: HashMap<Key, TrustedCa>,
    jobs: HashMap<Key, Job>,
    certificate_failures: HashMap<Key, BTreeMap<u32, CertFailure>>,
    shard_reports: HashMap<Key, BTreeMap<u32, ShardReport>>,
    item_results: HashMap<Key, BTreeMap<u32, ItemResult>>,
    devices: HashMap<Key, DeviceRecord>,
    /// By (tenant, certificate id).
    certificates: HashMap<Key, Held>,
    audit_events: Vec<AuditEvent>,
}

/// Every store port on maps behind one lock: each call is atomic, as the real
/// adapters' conditions and transactions make theirs.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

fn sorted<T: Clone>(items: impl Iterator<Item = T>, order: impl Fn(&T) -> (String, String)) -> Vec<T> {
    let mut items: Vec<T> = items.collect();
    items.sort_by_key(|item| order(item));
    items
}

#[async_trait]
impl TenantStore for MemoryStore {
    async fn put_tenant(&self, tenant: &Tenant) -> InfraResult<()> {
        self.state().tenants.insert(tenant.id.clone(), tenant.clone());
        Ok(())
    }
    async fn get_tenant(&self, tenant_id: &str) -> InfraResult<Option<Tenant>> {
        Ok(self.state().tenants.get(tenant_id).cloned())
    }
    async fn put_api_key(&self, record: &ApiKeyRecord, event: &AuditEvent) -> InfraResult<()> {
        let mut state = self.state();
        state.api_keys.insert(record.hash.0.clone(), record.clone());
        state.audit_events.push(event.clone());
        Ok(())
    }
    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        Ok(self.state().api_keys.get(&hash.0).cloned())
    }
    async fn get_api_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<ApiKeyRecord>> {
        let state = self.state();
        let found = state
            .api_keys
            .values()
            .find(|k| k.tenant_id == tenant_id && k.id == id);
        Ok(found.cloned())
    }
    async fn list_api_keys(&self, tenant_id: &str) -> InfraResult<Vec<ApiKeyRecord>> {
        let state = self.state();
        let keys = state
            .api_keys
            .values()
            .filter(|k| k.tenant_id == tenant_id)
            .cloned();
        Ok(sorted(keys, |k| (k.created_at.clone(), k.id.clone())))
    }
    async fn revoke_api_key(&self, tenant_id: &str, id: &str, event: &AuditEvent) -> InfraResult<bool> {
        let mut state = self.state();
        let found = state
            .api_keys
            .values_mut()
            .find(|k| k.tenant_id == tenant_id && k.id == id && !k.is_revoked());
        let Some(key) = found else {
            return Ok(false);
        };
        key.revoked_at = Some(event.at.clone());
        state.audit_events.push(event.clone());
        Ok(true)
    }
    async fn replace_api_key(
        &self,
        tenant_id: &str,
        id: &str,
        replacement: &ApiKeyRecord,
        event: &AuditEvent,
    ) -> InfraResult<bool> {
        let mut state = self.state();
        let found = state
            .api_keys
            .values_mut()
            .find(|k| k.tenant_id == tenant_id && k.id == id && !k.is_revoked());
        let Some(old) = found else {
            return Ok(false);
        };
        old.revoked_at = Some(replacement.created_at.clone());
        state
            .api_keys
            .insert(replacement.hash.0.clone(), replacement.clone());
        state.audit_events.push(event.clone());
        Ok(true)
    }
    async fn put_profile(&self, profile: &EnrollmentProfile) -> InfraResult<()> {
        let k = key(&profile.tenant_id, &profile.id);
        self.state().profiles.insert(k, profile.clone());
        Ok(())
    }
    async fn get_profile(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EnrollmentProfile>> {
        Ok(self.state().profiles.get(&key(tenant_id, id)).cloned())
    }
    async fn put_edge_instance(&self, edge: &EdgeInstance) -> InfraResult<()> {
        self.state()
            .edges
            .insert(key(&edge.tenant_id, &edge.id), edge.clone());
        Ok(())
    }
    async fn get_edge_instance(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EdgeInstance>> {
        Ok(self.state().edges.get(&key(tenant_id, id)).cloned())
    }
    async fn list_edge_instances(&self, tenant_id: &str) -> InfraResult<Vec<EdgeInstance>> {
        let state = self.state();
        let edges = state.edges.values().filter(|e| e.tenant_id == tenant_id).cloned();
        Ok(sorted(edges, |e| (e.created_at.clone(), e.id.clone())))
    }
    async fn put_encryption_key(&self, dek: &EncryptionKey) -> InfraResult<()> {
        self.state()
            .deks
            .insert(key(&dek.tenant_id, &dek.id), dek.clone());
        Ok(())
    }
    async fn get_encryption_key(&self, tenant_id: &str, id: &str) -> InfraResult<Option<EncryptionKey>> {
        Ok(self.state().deks.get(&key(tenant_id, id)).cloned())
    }
    async fn insert_trusted_ca(&self, ca: &TrustedCa) -> InfraResult<bool> {
        let mut state = self.state();
        let k = key(&ca.tenant_id, &ca.fingerprint);
        if state.trusted_cas.contains_key(&k) {
            return Ok(false);
        }
        state.trusted_cas.insert(k, ca.clone());
        Ok(true)
    }
    async fn list_trusted_cas(&self, tenant_id: &str) -> InfraResult<Vec<TrustedCa>> {
        let state = self.state();
        let cas = state
            .trusted_cas
            .values()
            .filter(|ca| ca.tenant_id == tenant_id)
            .cloned();
        Ok(sorted(cas, |ca| (ca.created_at.clone(), ca.fingerprint.clone())))
    }
}

impl State {
    /// Counted from the jobs themselves: the real adapters keep a count that must agree.
    fn open_work(&self, tenant_id: &str) -> OpenWork {
        let open = self
            .jobs
            .values()
            .filter(|j| j.tenant_id == tenant_id && j.is_open());
        open.fold(OpenWork::default(), |work, j| OpenWork {
            jobs: work.jobs + 1,
            keystore_items: work.keystore_items.saturating_add(j.reserved_items),
        })
    }
}

fn exists(operation: &'static str) -> InfraError {
    InfraError::permanent(operation, "a record with this id already exists")
}

pub(crate) fn not_open(operation: &'static str) -> InfraError {
    InfraError::permanent(operation, "the job given has ended: end a job with finish_job")
}

pub(crate) fn still_open(operation: &'static str) -> InfraError {
    InfraError::permanent(
        operation,
        "the job given is open: a finished job is COMPLETED or FAILED",
    )
}

#[async_trait]
impl JobStore for MemoryStore {
    async fn create_job(&self, job: &Job, quota: WorkQuota) -> InfraResult<Admission> {
        let mut state = self.state();
        let k = key(&job.tenant_id, &job.id);
        if state.jobs.contains_key(&k) {
            return Err(exists("create job"));
        }
        if job.is_open() {
            let admission = quota.admits(state.open_work(&job.tenant_id), job.reserved_items);
            if admission != Admission::Admitted {
                return Ok(admission);
            }
        }
        state.jobs.insert(k, job.clone());
        Ok(Admission::Admitted)
    }
    async fn get_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<Job>> {
        Ok(self.state().jobs.get(&key(tenant_id, id)).cloned())
    }
    async fn update_open_job(&self, job: &Job) -> InfraResult<bool> {
        if !job.is_open() {
            return Err(not_open("update open job"));
        }
        self.replace_open(job)
    }
    async fn finish_job(&self, job: &Job) -> InfraResult<bool> {
        if job.is_open() {
            return Err(still_open("finish job"));
        }
        self.replace_open(job)
    }
    async fn open_jobs(&self, active_before: &str) -> InfraResult<Vec<OpenJob>> {
        let state = self.state();
        let open = state
            .jobs
            .values()
            .filter(|j| j.is_open() && j.active_at.as_str() < active_before);
        let open = sorted(open, |j| {
            (j.active_at.clone(), format!("{}#{}", j.tenant_id, j.id))
        });
        Ok(open
            .into_iter()
            .map(|j| OpenJob {
                kind: j.kind(),
                tenant_id: j.tenant_id.clone(),
                job_id: j.id.clone(),
            })
            .collect())
    }
    async fn put_certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        failures: &[CertFailure],
    ) -> InfraResult<()> {
        let mut state = self.state();
        let stored = state
            .certificate_failures
            .entry(key(tenant_id, job_id))
            .or_default();
        for failure in failures {
            stored.insert(failure.ordinal, failure.clone());
        }
        Ok(())
    }
    async fn certificate_failures(
        &self,
        tenant_id: &str,
        job_id: &str,
        after: Option<u32>,
        limit: usize,
    ) -> InfraResult<Vec<CertFailure>> {
        let state = self.state();
        let stored = state.certificate_failures.get(&key(tenant_id, job_id));
        let from = after.map_or(0, |a| u64::from(a) + 1);
        Ok(stored
            .map(|f| {
                f.iter()
                    .filter(|(ordinal, _)| u64::from(**ordinal) >= from)
                    .take(limit)
                    .map(|(_, failure)| failure.clone())
                    .collect()
            })
            .unwrap_or_default())
    }
    async fn record_shard(&self, tenant_id: &str, job_id: &str, report: &ShardReport) -> InfraResult<bool> {
        let mut state = self.state();
        let reports = state.shard_reports.entry(key(tenant_id, job_id)).or_default();
        if reports.contains_key(&report.shard) {
            return Ok(false);
        }
        reports.insert(report.shard, report.clone());
        Ok(true)
    }
    async fn shard_reports(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ShardReport>> {
        let state = self.state();
        let reports = state.shard_reports.get(&key(tenant_id, job_id));
        Ok(reports.map(|r| r.values().cloned().collect()).unwrap_or_default())
    }
    async fn put_item_results(
        &self,
        tenant_id: &str,
        job_id: &str,
        results: &[ItemResult],
    ) -> InfraResult<()> {
        let mut state = self.state();
        let stored = state.item_results.entry(key(tenant_id, job_id)).or_default();
        for result in results {
            stored.insert(result.ordinal, result.clone());
        }
        Ok(())
    }
    async fn item_results(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<ItemResult>> {
        let state = self.state();
        let stored = state.item_results.get(&key(tenant_id, job_id));
        Ok(stored.map(|r| r.values().cloned().collect()).unwrap_or_default())
    }
}

impl MemoryStore {
    /// Replaces the stored job with `job` while the stored one is open.
    fn replace_open(&self, job: &Job) -> InfraResult<bool> {
        let mut state = self.state();
        match state.jobs.get_mut(&key(&job.tenant_id, &job.id)) {
            Some(stored) if stored.is_open() => {
                *stored = job.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl InventoryStore for MemoryStore {
    async fn insert_devices(&self, devices: &[NewDevice]) -> InfraResult<Vec<DeviceInsert>> {
        let mut state = self.state();
        let mut outcomes = Vec::with_capacity(devices.len());
        for NewDevice { device, certificate } in devices {
            let cert = key(&certificate.tenant_id, &certificate.id);
            let slot = key(&device.tenant_id, &device.device_identifier);
            let holder = state.certificates.get(&cert).and_then(|c| c.device.clone());
            let outcome = match holder {
                Some((_, job)) if job == device.job_id => DeviceInsert::AlreadyWrittenByThisJob,
                Some(_) => DeviceInsert::DuplicateCertificate,
                None if state.devices.contains_key(&slot) => DeviceInsert::DeviceIdentifierTaken,
                None => {
                    let entry = state
                        .certificates
                        .entry(cert)
                        .or_insert_with(|| Held::new(certificate));
                    entry.device = Some((device.device_identifier.clone(), device.job_id.clone()));
                    entry.modified_at = device.created_at.clone();
                    state.devices.insert(slot, device.clone());
                    DeviceInsert::Inserted
                }
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }
    async fn get_device(&self, tenant_id: &str, identifier: &str) -> InfraResult<Option<DeviceRecord>> {
        Ok(self.state().devices.get(&key(tenant_id, identifier)).cloned())
    }
    async fn get_device_by_id(&self, tenant_id: &str, id: &str) -> InfraResult<Option<DeviceRecord>> {
        let state = self.state();
        let found = state
            .devices
            .values()
            .find(|d| d.tenant_id == tenant_id && d.id() == id);
        Ok(found.cloned())
    }
    async fn list_devices(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<DeviceRecord>> {
        let state = self.state();
        let devices = state.devices.values().filter(|d| d.tenant_id == tenant_id);
        Ok(page(devices.map(|d| (d.sort_key(), d.clone())), range, limit))
    }
    async fn insert_stored_key(
        &self,
        record: &StoredKeyRecord,
        certificate: &CertificateRecord,
    ) -> InfraResult<KeyInsert> {
        let mut state = self.state();
        let entry = state
            .certificates
            .entry(key(&certificate.tenant_id, &certificate.id))
            .or_insert_with(|| Held::new(certificate));
        Ok(match &entry.key {
            Some(e) if e.job_id == record.job_id && e.ordinal == record.ordinal => {
                KeyInsert::AlreadyWrittenByThisItem
            }
            Some(_) => KeyInsert::AlreadyPresent,
            None => {
                entry.key = Some(record.clone());
                entry.modified_at = record.imported_at.clone();
                KeyInsert::Inserted
            }
        })
    }
    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint: &str,
    ) -> InfraResult<Option<StoredKeyRecord>> {
        let id = certificate_id(tenant_id, fingerprint);
        let state = self.state();
        Ok(state
            .certificates
            .get(&key(tenant_id, &id))
            .and_then(|c| c.key.clone()))
    }
    async fn get_certificate(&self, tenant_id: &str, id: &str) -> InfraResult<Option<InventoryEntry>> {
        Ok(self
            .state()
            .certificates
            .get(&key(tenant_id, id))
            .map(Held::entry))
    }
    async fn find_certificates(
        &self,
        tenant_id: &str,
        lookup: &CertificateLookup,
    ) -> InfraResult<Vec<InventoryEntry>> {
        let state = self.state();
        let found = state.certificates.values().filter(|c| {
            c.record.tenant_id == tenant_id
                && match lookup {
                    CertificateLookup::Sha1(sha1) => &c.record.fingerprint_sha1 == sha1,
                    CertificateLookup::Serial(serial) => &c.record.serial_number == serial,
                }
        });
        Ok(found.map(Held::entry).collect())
    }
    async fn list_certificates(
        &self,
        tenant_id: &str,
        range: &KeyRange,
        limit: usize,
    ) -> InfraResult<Page<InventoryEntry>> {
        let state = self.state();
        let held = state
            .certificates
            .values()
            .filter(|c| c.record.tenant_id == tenant_id);
        Ok(page(held.map(|c| (c.record.sort_key(), c.entry())), range, limit))
    }
    async fn record_audit_event(&self, event: &AuditEvent) -> InfraResult<()> {
        self.state().audit_events.push(event.clone());
        Ok(())
    }
    async fn list_audit_events(&self, tenant_id: &str, limit: usize) -> InfraResult<Vec<AuditEvent>> {
        let state = self.state();
        let mine = state.audit_events.iter().filter(|e| e.tenant_id == tenant_id);
        let mut events = sorted(mine.cloned(), |e| (e.sort_key(), String::new()));
        events.reverse();
        events.truncate(limit);
        Ok(events)
    }
}

/// A certificate and what came with it.
struct Held {
    record: CertificateRecord,
    /// (identifier, job id).
    device: Option<(String, String)>,
    key: Option<StoredKeyRecord>,
    modified_at: String,
}

impl Held {
    fn new(record: &CertificateRecord) -> Self {
        Held {
            record: record.clone(),
            device: None,
            key: None,
            modified_at: record.created_at.clone(),
        }
    }

    fn entry(&self) -> InventoryEntry {
        InventoryEntry {
            certificate: self.record.clone(),
            device_identifier: self.device.as_ref().map(|(identifier, _)| identifier.clone()),
            key: self.key.clone(),
            modified_at: self.modified_at.clone(),
        }
    }
}

/// One page of `items` (by sort key) within `range`.
fn page<T>(items: impl Iterator<Item = (String, T)>, range: &KeyRange, limit: usize) -> Page<T> {
    let mut selected: Vec<(String, T)> = items
        .filter(|(k, _)| {
            range.from.as_ref().is_none_or(|from| k >= from)
                && range.to.as_ref().is_none_or(|to| k <= to)
                && range.after.as_ref().is_none_or(|after| k > after)
        })
        .collect();
    selected.sort_by(|a, b| a.0.cmp(&b.0));
    selected.truncate(limit + 1);
    Page::first(selected, limit)
}
