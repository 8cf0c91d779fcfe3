//! One run of the engine over an upload, or some of its files: certificates in upload
//! order, devices and failures written in batches (memory stays bounded whatever the
//! upload's size), progress recorded between batches.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Range;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::{
    CertFailure, DeviceRecord, EnrollmentProfile, FailureCounts, FailureReason, Job, NewDevice,
};
use crate::ports::{DeviceInsert, InfraError};

use super::ranged_upload::StorageFailure;
use super::reader::{count_upload, read_ahead, read_upload, MappedCertificate, ParseContext, Read};
use super::skip_set::SkipSet;
use crate::app::jobs::lifecycle::record_progress;
use crate::app::{fail_job, Deps, ProcessOutcome};

pub(crate) const UPLOAD_MISSING: &str = "the uploaded file is missing from storage; upload it again";

/// Every file of an upload.
pub(crate) const ALL_FILES: Range<u32> = 0..u32::MAX;

/// Ends this job FAILED (unless something else ended it first).
pub(crate) async fn fail_this_job(
    deps: &Deps,
    job: &Job,
    reason: FailureReason,
    message: &str,
) -> Result<ProcessOutcome, InfraError> {
    fail_job(deps, &job.tenant_id, &job.id, reason, message).await
}

/// Why an import run stopped before the end of its upload.
enum Stopped {
    /// The upload itself cannot be read (the message says why): the job fails.
    UnusableUpload(String),
    /// Something else ended the job (the sweeper, the failure queue): nothing more to write.
    JobEnded,
    /// Storage failed: the processor's caller decides whether to retry.
    Infra(InfraError),
}

impl From<InfraError> for Stopped {
    fn from(e: InfraError) -> Self {
        Stopped::Infra(e)
    }
}

/// Where a certificate sits in the upload: its file is an index into `Run::files`.
#[derive(Clone, Copy)]
struct Position {
    ordinal: u32,
    file: u32,
    index: u32,
}

/// What the run remembers of a certificate's fingerprint or device identifier: 12 bytes
/// of its SHA-256, with the certificate's ordinal, so a million certificates take tens of
/// megabytes, not hundreds. (A collision among a few million 96-bit digests has a chance
/// under 10^-16.)
type SeenKey = [u8; 12];

fn seen_key(value: &str) -> SeenKey {
    let digest = Sha256::digest(value.as_bytes());
    let mut key = [0; 12];
    key.copy_from_slice(&digest[..12]);
    key
}

/// What a run does with the certificates it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The whole upload in one run: repeats within the upload caught here, devices written.
    Whole,
    /// A large upload's plan: everything but the device writes. Its failures are recorded
    /// and marked in `skip`, so the shards leave those certificates alone.
    Plan,
    /// One shard of a planned upload: the plan's failures skipped, devices written.
    Shard,
}

/// One processing run over an upload (or some of its files): certificates in upload
/// order, devices and failures written in batches, so memory stays bounded whatever
/// the upload's size.
pub(crate) struct Run<'a> {
    deps: &'a Deps,
    job: &'a Job,
    profile: &'a EnrollmentProfile,
    mode: Mode,
    /// Ordinal of the last certificate read (runs over some files start past 0).
    pub total: u64,
    pub failed: u64,
    /// The failures by reason, as `failed` counts them.
    pub failure_counts: FailureCounts,
    /// Each certificate file's name and the ordinal of its first certificate.
    pub files: Vec<(String, u32)>,
    /// The certificates the plan settled: marked by a plan, skipped by a shard.
    pub skip: SkipSet,
    /// Where a reader over remote storage leaves the error that stopped it.
    pub storage_failure: StorageFailure,
    failures: Vec<CertFailure>,
    /// Fingerprints and identifiers seen earlier in this upload, with where.
    seen_fingerprints: HashMap<SeenKey, u32>,
    seen_identifiers: HashMap<SeenKey, u32>,
    pending: Vec<(Position, NewDevice)>,
    /// The batches being written, oldest first (at most `WRITES_IN_FLIGHT`).
    writing: VecDeque<JoinHandle<Result<Written, InfraError>>>,
    /// Certificates the upload holds (counted before the first write when the job did
    /// not know).
    expected: u64,
    /// What a whole run has settled, for its progress: every certificate up to `settled`
    /// is decided (written, or failed), and these are its failures; `undecided` holds
    /// the failures read past it (reading runs ahead of writing).
    settled: u32,
    settled_failed: u64,
    settled_counts: FailureCounts,
    undecided: BTreeMap<u32, FailureReason>,
}

/// Two batches under way: a store that prepares a batch before writing it (SQLite makes
/// its rows outside the lock) prepares the next one while the one before is written.
const WRITES_IN_FLIGHT: usize = 2;

/// A batch of devices written, with what the store answered for each.
struct Written {
    positions: Vec<Position>,
    devices: Vec<NewDevice>,
    outcomes: Vec<DeviceInsert>,
}

impl<'a> Run<'a> {
    pub fn new(deps: &'a Deps, job: &'a Job, profile: &'a EnrollmentProfile, mode: Mode) -> Self {
        Run {
            deps,
            job,
            profile,
            mode,
            total: 0,
            failed: 0,
            failure_counts: FailureCounts::new(),
            files: Vec::new(),
            skip: SkipSet::default(),
            storage_failure: StorageFailure::default(),
            failures: Vec::new(),
            seen_fingerprints: HashMap::new(),
            seen_identifiers: HashMap::new(),
            pending: Vec::new(),
            writing: VecDeque::new(),
            expected: job.total,
            settled: 0,
            settled_failed: 0,
            settled_counts: FailureCounts::new(),
            undecided: BTreeMap::new(),
        }
    }

    /// Imports the upload's `files` (see `import`) and writes the failures. An unusable
    /// upload fails the job: `Some` of that outcome.
    pub async fn import_to_end(
        &mut self,
        zip: impl std::io::Read + std::io::Seek + Send + 'static,
        files: Range<u32>,
        first_ordinal: u32,
    ) -> Result<Option<ProcessOutcome>, InfraError> {
        match self.import(zip, files, first_ordinal).await {
            Ok(()) => self.flush_failures().await.map(|()| None),
            Err(Stopped::UnusableUpload(message)) => {
                let reason = FailureReason::UnreadableUpload;
                fail_this_job(self.deps, self.job, reason, &message)
                    .await
                    .map(Some)
            }
            Err(Stopped::JobEnded) => Ok(Some(ProcessOutcome::AlreadyFinished {
                job_id: self.job.id.clone(),
            })),
            Err(Stopped::Infra(e)) => Err(e),
        }
    }

    /// Reads the upload's `files`, whose first certificate is number `first_ordinal`.
    /// Stops at an unusable upload or a storage failure. The reader parses on the
    /// blocking pool while this task writes what it has read.
    async fn import(
        &mut self,
        mut zip: impl std::io::Read + std::io::Seek + Send + 'static,
        files: Range<u32>,
        first_ordinal: u32,
    ) -> Result<(), Stopped> {
        self.total = u64::from(first_ordinal.saturating_sub(1));
        if self.mode != Mode::Shard {
            let mut expected = self.job.total;
            if expected == 0 {
                // Uploads through an upload URL were not counted yet: count before writing anything.
                let limits = self.deps.limits;
                let (returned, counted) = tokio::task::spawn_blocking(move || {
                    let counted = count_upload(&mut zip, &limits);
                    (zip, counted)
                })
                .await
                .map_err(|e| InfraError::permanent("read upload", e))?;
                zip = returned;
                expected = counted.map_err(Stopped::UnusableUpload)?;
            }
            self.expected = expected;
            // Sized once: growing a table of millions holds the old and the new one at once.
            let expected = usize::try_from(expected).unwrap_or(usize::MAX);
            self.seen_fingerprints.reserve(expected);
            self.seen_identifiers.reserve(expected);
        }
        let context = Arc::new(ParseContext {
            limits: self.deps.limits,
            profile: self.profile.clone(),
            created_at: self.job.created_at.clone(),
        });
        let (to, mut from) = mpsc::channel(read_ahead());
        let runtime = tokio::runtime::Handle::current();
        let reader = tokio::task::spawn_blocking(move || read_upload(zip, context, files, &runtime, &to));
        while let Some(chunk) = from.recv().await {
            let reads = chunk
                .await
                .map_err(|e| Stopped::Infra(InfraError::permanent("parse certificates", e)))?;
            for read in reads {
                self.read(read).await?;
            }
        }
        match reader.await {
            Ok(Ok(())) => {}
            // Storage failing under the reader is not the upload's fault: retry.
            Ok(Err(_)) if self.storage_failure.is_set() => {
                return Err(Stopped::Infra(self.storage_failure.take()))
            }
            Ok(Err(message)) => return Err(Stopped::UnusableUpload(message)),
            Err(e) => return Err(InfraError::permanent("read upload", e).into()),
        }
        self.flush().await?;
        self.settle().await?;
        Ok(())
    }

    /// Takes the next certificate (or file) of the upload.
    async fn read(&mut self, read: Read) -> Result<(), Stopped> {
        match read {
            Read::File(name) => {
                if self.failures.len() >= self.deps.limits.device_batch_size.max(1) {
                    // A batch's worth of failures is a batch: what came before them is
                    // written and settled, so the failures are too, and memory stays bounded.
                    self.flush().await?;
                    self.settle().await?;
                    self.record_progress().await?;
                    self.flush_failures().await?;
                }
                self.files.push((name, self.total as u32 + 1));
            }
            Read::Certificate(certificate) => {
                self.total += 1;
                let at = Position {
                    ordinal: self.total as u32,
                    file: self.files.len().saturating_sub(1) as u32,
                    index: self.total as u32 - self.files.last().map_or(1, |(_, first)| *first),
                };
                if self.mode == Mode::Shard && self.skip.contains(at.ordinal) {
                    return Ok(());
                }
                match certificate {
                    Ok(certificate) => self.certificate(at, *certificate).await?,
                    Err((reason, message)) => self.fail(at, reason, message),
                }
            }
            Read::Unusable(message) => return Err(Stopped::UnusableUpload(message)),
        }
        Ok(())
    }

    /// Writes the failures gathered so far (by ordinal, so a retry rewrites the same ones).
    pub async fn flush_failures(&mut self) -> Result<(), InfraError> {
        if !self.failures.is_empty() {
            self.deps
                .jobs
                .put_certificate_failures(&self.job.tenant_id, &self.job.id, &self.failures)
                .await?;
            self.failures.clear();
        }
        Ok(())
    }

    async fn certificate(&mut self, at: Position, certificate: MappedCertificate) -> Result<(), Stopped> {
        let MappedCertificate {
            record,
            device_identifier,
            fields,
        } = certificate;
        let fingerprint_sha256 = record.fingerprint_sha256.clone();
        if self.mode != Mode::Shard && self.repeats_earlier(at, &fingerprint_sha256, &device_identifier) {
            return Ok(());
        }
        if self.mode == Mode::Plan {
            return Ok(());
        }
        let device = DeviceRecord {
            tenant_id: self.job.tenant_id.clone(),
            device_identifier,
            fingerprint_sha256,
            certificate: record.certificate.clone(),
            fields,
            profile_id: self.profile.id.clone(),
            job_id: self.job.id.clone(),
            created_at: self.job.created_at.clone(),
        };
        self.pending.push((
            at,
            NewDevice {
                device,
                certificate: record,
            },
        ));
        if self.pending.len() >= self.deps.limits.device_batch_size.max(1) {
            self.flush().await?;
        }
        Ok(())
    }

    /// Fails the certificate (`true`) when its certificate or device identifier came
    /// earlier in this upload; else remembers both.
    fn repeats_earlier(&mut self, at: Position, fingerprint_sha256: &str, device_identifier: &str) -> bool {
        let (fingerprint_key, identifier_key) = (seen_key(fingerprint_sha256), seen_key(device_identifier));
        if let Some(&first) = self.seen_fingerprints.get(&fingerprint_key) {
            let (file, index) = self.file_and_index(first);
            let message = format!("the same certificate appears earlier in this upload ({file} #{index})");
            self.fail(at, FailureReason::Duplicate, message);
            return true;
        }
        if let Some(&first) = self.seen_identifiers.get(&identifier_key) {
            let (file, index) = self.file_and_index(first);
            let message = format!(
                "device identifier `{device_identifier}` is already used by another certificate earlier in this upload ({file} #{index})"
            );
            self.fail(at, FailureReason::DeviceIdentifierConflict, message);
            return true;
        }
        self.seen_fingerprints.insert(fingerprint_key, at.ordinal);
        self.seen_identifiers.insert(identifier_key, at.ordinal);
        false
    }

    /// Starts writing the pending devices, first settling the oldest write when
    /// `WRITES_IN_FLIGHT` are under way: parsing and storage overlap, memory stays bounded.
    async fn flush(&mut self) -> Result<(), Stopped> {
        if self.writing.len() >= WRITES_IN_FLIGHT {
            self.settle_oldest().await?;
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let (positions, devices): (Vec<Position>, Vec<NewDevice>) =
            std::mem::take(&mut self.pending).into_iter().unzip();
        let inventory = self.deps.inventory.clone();
        self.writing.push_back(tokio::spawn(async move {
            let outcomes = inventory.insert_devices(&devices).await?;
            Ok(Written {
                positions,
                devices,
                outcomes,
            })
        }));
        Ok(())
    }

    /// Waits for every write under way, in order.
    async fn settle(&mut self) -> Result<(), Stopped> {
        while !self.writing.is_empty() {
            self.settle_oldest().await?;
        }
        Ok(())
    }

    /// Waits for the oldest write under way, if any, and records what it refused.
    async fn settle_oldest(&mut self) -> Result<(), Stopped> {
        let Some(writing) = self.writing.pop_front() else {
            return Ok(());
        };
        let written = writing
            .await
            .map_err(|e| InfraError::permanent("write devices", e))??;
        for ((&at, NewDevice { device, .. }), outcome) in written
            .positions
            .iter()
            .zip(&written.devices)
            .zip(written.outcomes)
        {
            match outcome {
                DeviceInsert::Inserted | DeviceInsert::AlreadyWrittenByThisJob => {}
                DeviceInsert::DuplicateCertificate => self.fail(
                    at,
                    FailureReason::Duplicate,
                    format!("certificate {} is already imported", device.fingerprint_sha256),
                ),
                DeviceInsert::DeviceIdentifierTaken => self.fail(
                    at,
                    FailureReason::DeviceIdentifierConflict,
                    format!(
                        "device `{}` already exists with another certificate",
                        device.device_identifier
                    ),
                ),
            }
        }
        if let Some(last) = written.positions.last() {
            self.settle_through(last.ordinal);
        }
        self.record_progress().await
    }

    /// Everything up to `ordinal` is decided: its failures count for progress.
    fn settle_through(&mut self, ordinal: u32) {
        self.settled = self.settled.max(ordinal);
        let later = self.undecided.split_off(&(self.settled + 1));
        for reason in std::mem::replace(&mut self.undecided, later).into_values() {
            self.settled_failed += 1;
            *self.settled_counts.entry(reason).or_default() += 1;
        }
    }

    /// Between batches: records on the job how far this run has come (what it settled,
    /// with the failures behind it written first), and, the write being conditional on
    /// the job being open, stops when something else ended the job. A shard only says
    /// it is alive (its report, at its end, is its progress); a plan writes nothing.
    async fn record_progress(&mut self) -> Result<(), Stopped> {
        let mut job = match self.mode {
            Mode::Plan => return Ok(()),
            Mode::Shard => self.job.clone(),
            Mode::Whole => {
                if self.writing.is_empty() && self.pending.is_empty() {
                    self.settle_through(self.total as u32);
                }
                self.flush_failures_through(self.settled).await?;
                Job {
                    processed: u64::from(self.settled),
                    total: self.expected,
                    failed: self.settled_failed,
                    failure_counts: self.settled_counts.clone(),
                    ..self.job.clone()
                }
            }
        };
        if !record_progress(self.deps, &mut job).await? {
            return Err(Stopped::JobEnded);
        }
        Ok(())
    }

    /// Writes the failures gathered up to `ordinal`, keeping those read past it.
    async fn flush_failures_through(&mut self, ordinal: u32) -> Result<(), InfraError> {
        let (now, later): (Vec<CertFailure>, Vec<CertFailure>) = std::mem::take(&mut self.failures)
            .into_iter()
            .partition(|f| f.ordinal <= ordinal);
        self.failures = later;
        if !now.is_empty() {
            self.deps
                .jobs
                .put_certificate_failures(&self.job.tenant_id, &self.job.id, &now)
                .await?;
        }
        Ok(())
    }

    /// The file and index within it of the certificate numbered `ordinal`.
    fn file_and_index(&self, ordinal: u32) -> (&str, u32) {
        let file = self.files.partition_point(|(_, first)| *first <= ordinal) - 1;
        let (name, first) = &self.files[file];
        (name, ordinal - first)
    }

    fn fail(&mut self, at: Position, reason: FailureReason, message: String) {
        if self.mode == Mode::Plan {
            self.skip.insert(at.ordinal);
        }
        self.failed += 1;
        *self.failure_counts.entry(reason).or_default() += 1;
        if self.mode == Mode::Whole {
            self.undecided.insert(at.ordinal, reason);
        }
        self.failures.push(CertFailure {
            ordinal: at.ordinal,
            file_name: Some(self.files[at.file as usize].0.clone()),
            index: Some(at.index),
            reason,
            message,
        });
    }
}
