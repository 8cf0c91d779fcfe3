use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::domain::{
    ApiKeyHash, ApiKeyRecord, CertFailure, CertImportJob, DeviceRecord, EdgeInstance, EncryptionKey,
    EnrollmentProfile, ItemResult, JobKind, KeystoreImportJob, KeystoreJobStatus, StoredKeyRecord, Tenant,
    TrustedCa,
};
use crate::ports::{
    DeviceInsert, InfraError, InfraResult, InventoryStore, JobStore, KeyInsert, OpenJob, TenantStore,
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
    certificate_jobs: HashMap<Key, CertImportJob>,
    certificate_failures: HashMap<Key, BTreeMap<u32, CertFailure>>,
    keystore_jobs: HashMap<Key, KeystoreImportJob>,
    item_results: HashMap<Key, BTreeMap<u32, ItemResult>>,
    devices: HashMap<Key, DeviceRecord>,
    /// Fingerprint to the device holding it.
    guards: HashMap<Key, DeviceRecord>,
    stored_keys: HashMap<Key, StoredKeyRecord>,
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
    async fn put_api_key(&self, record: &ApiKeyRecord) -> InfraResult<()> {
        self.state()
            .api_keys
            .insert(record.hash.0.clone(), record.clone());
        Ok(())
    }
    async fn find_api_key(&self, hash: &ApiKeyHash) -> InfraResult<Option<ApiKeyRecord>> {
        Ok(self.state().api_keys.get(&hash.0).cloned())
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

fn exists(operation: &'static str) -> InfraError {
    InfraError::permanent(operation, "a record with this id already exists")
}

#[async_trait]
impl JobStore for MemoryStore {
    async fn create_certificate_job(&self, job: &CertImportJob) -> InfraResult<()> {
        let mut state = self.state();
        let k = key(&job.tenant_id, &job.id);
        if state.certificate_jobs.contains_key(&k) {
            return Err(exists("create job"));
        }
        state.certificate_jobs.insert(k, job.clone());
        Ok(())
    }
    async fn get_certificate_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<CertImportJob>> {
        Ok(self.state().certificate_jobs.get(&key(tenant_id, id)).cloned())
    }
    async fn update_open_certificate_job(&self, job: &CertImportJob) -> InfraResult<bool> {
        let mut state = self.state();
        match state.certificate_jobs.get_mut(&key(&job.tenant_id, &job.id)) {
            Some(stored) if !stored.status.is_terminal() => {
                *stored = job.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
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
    async fn certificate_failures(&self, tenant_id: &str, job_id: &str) -> InfraResult<Vec<CertFailure>> {
        let state = self.state();
        let stored = state.certificate_failures.get(&key(tenant_id, job_id));
        Ok(stored.map(|f| f.values().cloned().collect()).unwrap_or_default())
    }
    async fn create_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<()> {
        let mut state = self.state();
        let k = key(&job.tenant_id, &job.id);
        if state.keystore_jobs.contains_key(&k) {
            return Err(exists("create keystore job"));
        }
        state.keystore_jobs.insert(k, job.clone());
        Ok(())
    }
    async fn get_keystore_job(&self, tenant_id: &str, id: &str) -> InfraResult<Option<KeystoreImportJob>> {
        Ok(self.state().keystore_jobs.get(&key(tenant_id, id)).cloned())
    }
    async fn update_open_keystore_job(&self, job: &KeystoreImportJob) -> InfraResult<bool> {
        let mut state = self.state();
        match state.keystore_jobs.get_mut(&key(&job.tenant_id, &job.id)) {
            Some(stored) if stored.status == KeystoreJobStatus::Processing => {
                *stored = job.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
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
    async fn open_jobs(&self, created_before: &str) -> InfraResult<Vec<OpenJob>> {
        let state = self.state();
        let certificate = state
            .certificate_jobs
            .values()
            .filter(|j| !j.status.is_terminal() && j.created_at.as_str() < created_before)
            .map(|j| {
                (
                    j.created_at.clone(),
                    j.tenant_id.clone(),
                    j.id.clone(),
                    JobKind::CertificateImport,
                )
            });
        let keystore = state
            .keystore_jobs
            .values()
            .filter(|j| {
                j.status == KeystoreJobStatus::Processing && j.creation_date.as_str() < created_before
            })
            .map(|j| {
                (
                    j.creation_date.clone(),
                    j.tenant_id.clone(),
                    j.id.clone(),
                    JobKind::KeystoreImport,
                )
            });
        let mut open: Vec<_> = certificate.chain(keystore).collect();
        open.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
        Ok(open
            .into_iter()
            .map(|(_, tenant_id, job_id, kind)| OpenJob {
                kind,
                tenant_id,
                job_id,
            })
            .collect())
    }
}

#[async_trait]
impl InventoryStore for MemoryStore {
    async fn insert_devices(&self, devices: &[DeviceRecord]) -> InfraResult<Vec<DeviceInsert>> {
        let mut state = self.state();
        let mut outcomes = Vec::with_capacity(devices.len());
        for device in devices {
            let guard = key(&device.tenant_id, &device.fingerprint_sha256);
            let slot = key(&device.tenant_id, &device.device_identifier);
            let outcome = match state.guards.get(&guard) {
                Some(holder) if holder.job_id == device.job_id => DeviceInsert::AlreadyWrittenByThisJob,
                Some(_) => DeviceInsert::DuplicateCertificate,
                None if state.devices.contains_key(&slot) => DeviceInsert::DeviceIdentifierTaken,
                None => {
                    state.guards.insert(guard, device.clone());
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
    async fn insert_stored_key(&self, record: &StoredKeyRecord) -> InfraResult<KeyInsert> {
        let mut state = self.state();
        let k = key(&record.tenant_id, &record.fingerprint_sha256);
        Ok(match state.stored_keys.get(&k) {
            Some(e) if e.job_id == record.job_id && e.ordinal == record.ordinal => {
                KeyInsert::AlreadyWrittenByThisItem
            }
            Some(_) => KeyInsert::AlreadyPresent,
            None => {
                state.stored_keys.insert(k, record.clone());
                KeyInsert::Inserted
            }
        })
    }
    async fn get_stored_key(
        &self,
        tenant_id: &str,
        fingerprint: &str,
    ) -> InfraResult<Option<StoredKeyRecord>> {
        Ok(self
            .state()
            .stored_keys
            .get(&key(tenant_id, fingerprint))
            .cloned())
    }
}
