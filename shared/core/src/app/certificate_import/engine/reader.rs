//! The CPU side of a certificate import: inflate the zip, cut PEM or XML, parse each
//! certificate and apply the profile's mapping. One thread on the blocking pool inflates
//! and cuts; the certificates go in chunks to parsing tasks spread over the blocking pool
//! (every core). The chunks' handles pass, in upload order, through a bounded channel to
//! the processor, so results are written in order and at most a few chunks are in memory.

use std::collections::BTreeMap;
use std::io::Seek;
use std::ops::Range;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::{CertificateRecord, EnrollmentProfile, FailureReason, UploadFormat};
use crate::parsing::{parse_certificate_fields, pem, xml, RawFile, UploadArchive, UploadFile};

use crate::app::Limits;

use super::seek_buffer::SeekBuffer;

/// Certificates one parsing task takes (from as many files as hold them): enough to
/// outweigh a task's cost, few enough that a small upload still spreads over the cores.
const CHUNK: usize = 128;

/// Chunks the reader may run ahead of the writer by (each being parsed meanwhile): bounds
/// memory and the tasks on the blocking pool, and keeps every core busy.
pub(crate) fn read_ahead() -> usize {
    2 * std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// One chunk being parsed: its results, in upload order.
pub(crate) type Chunk = JoinHandle<Vec<Read>>;

/// One certificate, mapped to its device.
pub(crate) struct MappedCertificate {
    pub record: CertificateRecord,
    pub device_identifier: String,
    pub fields: BTreeMap<String, String>,
}

/// What the reader sends, in upload order.
pub(crate) enum Read {
    /// The certificates that follow are from this file.
    File(String),
    Certificate(Result<Box<MappedCertificate>, (FailureReason, String)>),
    /// The upload cannot be read past this point (a damaged entry): why.
    Unusable(String),
}

/// What parsing a certificate needs, shared by the parsing tasks.
pub(crate) struct ParseContext {
    pub limits: Limits,
    pub profile: EnrollmentProfile,
    pub created_at: String,
}

/// Reads the upload's certificate files numbered `files` (in zip order; all of them for
/// `0..u32::MAX`) into `to`, parsing on `runtime`'s blocking pool. `Err(message)` when the
/// upload itself is unusable (everything sent before it stands). Stops quietly once the
/// receiver is gone.
pub(crate) fn read_upload(
    mut zip: impl std::io::Read + Seek,
    context: Arc<ParseContext>,
    files: Range<u32>,
    runtime: &Handle,
    to: &mpsc::Sender<Chunk>,
) -> Result<(), String> {
    let (limits, profile) = (context.limits, &context.profile);
    let mut archive =
        UploadArchive::from_reader(SeekBuffer::new(&mut zip), limits.zip).map_err(|e| e.to_string())?;
    // Uploads through an upload URL were not checked against the profile yet.
    if Some(archive.format()) != profile.format {
        return Err(format!(
            "the zip holds .{} files but the enrollment profile expects {}",
            archive.format().extension(),
            profile
                .format
                .map_or("none".to_string(), |f| format!(".{} files", f.extension()))
        ));
    }
    let last = archive.file_count().min(files.end as usize);
    let mut batch = Batch::default();
    for n in files.start as usize..last {
        if archive.format() == UploadFormat::Pem && archive.is_small(n) {
            // Small files go to the parsing tasks as stored: they inflate them too, on
            // every core (a file per certificate is mostly inflating).
            batch.small(archive.raw_file(n).map_err(|e| e.to_string())?);
            if batch.is_full() && !batch.send(&context, runtime, to) {
                return Ok(());
            }
            continue;
        }
        // A large file is inflated and cut here, and its certificates spread over tasks.
        let UploadFile { name, contents } = archive.read_file(n).map_err(|e| e.to_string())?;
        let found: Vec<Result<Vec<u8>, String>> = match archive.format() {
            UploadFormat::Pem => pem::certificate_blocks(&contents)
                .into_iter()
                .map(|block| block.map_err(|e| e.to_string()))
                .collect(),
            UploadFormat::Xml => xml::certificates(&contents)
                .map_err(|e| format!("`{name}`: {e}"))?
                .into_iter()
                .map(|certificate| certificate.map_err(|e| e.to_string()))
                .collect(),
        };
        drop(contents);
        batch.cut(name, found);
        while batch.is_full() {
            if !batch.send(&context, runtime, to) {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        batch.send(&context, runtime, to);
    }
    Ok(())
}

/// Compressed bytes of small files one parsing task takes at most.
const BATCH_BYTES: usize = 256 * 1024;

/// What the reader cut from the upload, in order: a file's name, then its certificates;
/// or a small file as stored.
enum Item {
    File(String),
    Certificate(Result<Vec<u8>, String>),
    Stored(RawFile),
}

/// The next parsing task's work, in upload order.
#[derive(Default)]
struct Batch {
    items: Vec<Item>,
    /// Certificates cut, and small files stored: each about a certificate's work.
    work: usize,
    stored_bytes: usize,
}

impl Batch {
    fn small(&mut self, raw: RawFile) {
        self.stored_bytes += raw.compressed_len();
        self.work += 1;
        self.items.push(Item::Stored(raw));
    }

    fn cut(&mut self, name: String, certificates: Vec<Result<Vec<u8>, String>>) {
        self.work += certificates.len();
        self.items.push(Item::File(name));
        self.items.extend(certificates.into_iter().map(Item::Certificate));
    }

    fn is_full(&self) -> bool {
        self.work >= CHUNK || self.stored_bytes >= BATCH_BYTES
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Hands the first `CHUNK` units of work (all of it, when less) to a parsing task;
    /// `false` once the writer is gone.
    fn send(&mut self, context: &Arc<ParseContext>, runtime: &Handle, to: &mpsc::Sender<Chunk>) -> bool {
        let mut seen = 0;
        let at = self
            .items
            .iter()
            .position(|item| {
                seen += usize::from(!matches!(item, Item::File(_)));
                seen == CHUNK
            })
            .map_or(self.items.len(), |i| i + 1);
        let rest = self.items.split_off(at);
        let items = std::mem::replace(&mut self.items, rest);
        self.work = self.work.saturating_sub(seen.min(CHUNK));
        self.stored_bytes = self
            .items
            .iter()
            .map(|item| match item {
                Item::Stored(raw) => raw.compressed_len(),
                _ => 0,
            })
            .sum();
        let context = context.clone();
        let parsing = runtime.spawn_blocking(move || parse_chunk(items, &context));
        to.blocking_send(parsing).is_ok()
    }
}

/// The certificates the upload holds; `Err(message)` when it is unusable or holds more
/// than one upload may. Leaves `zip` anywhere: its readers seek where they need.
pub(crate) fn count_upload(zip: &mut (impl std::io::Read + Seek), limits: &Limits) -> Result<u64, String> {
    let counted = UploadArchive::from_reader(SeekBuffer::new(zip), limits.zip)
        .and_then(|mut archive| archive.count_certificates())
        .map_err(|e| e.to_string())?;
    if counted > limits.max_certificates {
        return Err(format!(
            "the zip holds {counted} certificates; one upload may hold at most {}: split it",
            limits.max_certificates
        ));
    }
    Ok(counted)
}

fn parse_chunk(items: Vec<Item>, context: &ParseContext) -> Vec<Read> {
    let mut reads = Vec::with_capacity(items.len() + 1);
    let mut inflater = None;
    let map = |der: Vec<u8>| {
        Read::Certificate(
            map_certificate(der, &context.limits, &context.profile, &context.created_at).map(Box::new),
        )
    };
    let malformed = |message: String| Read::Certificate(Err((FailureReason::MalformedPem, message)));
    for item in items {
        match item {
            Item::File(name) => reads.push(Read::File(name)),
            Item::Certificate(Ok(der)) => reads.push(map(der)),
            Item::Certificate(Err(message)) => reads.push(malformed(message)),
            Item::Stored(raw) => {
                let inflater = inflater.get_or_insert_with(|| flate2::Decompress::new(false));
                let file = match raw.inflate(inflater) {
                    Ok(file) => file,
                    Err(e) => {
                        // The upload is unusable from here on; what came before stands.
                        reads.push(Read::Unusable(e.to_string()));
                        return reads;
                    }
                };
                reads.push(Read::File(file.name));
                for block in pem::certificate_blocks(&file.contents) {
                    reads.push(match block {
                        Ok(der) => map(der),
                        Err(e) => malformed(e.to_string()),
                    });
                }
            }
        }
    }
    reads
}

fn map_certificate(
    der: Vec<u8>,
    limits: &Limits,
    profile: &EnrollmentProfile,
    created_at: &str,
) -> Result<MappedCertificate, (FailureReason, String)> {
    if der.len() > limits.max_certificate_bytes {
        let message = format!(
            "the certificate is {} bytes; at most {} are accepted",
            der.len(),
            limits.max_certificate_bytes
        );
        return Err((FailureReason::CertificateTooLarge, message));
    }
    let mapped = |field| profile.mapping.as_ref().is_some_and(|m| m.reads(field));
    let parsed = parse_certificate_fields(der, mapped)
        .map_err(|e| (FailureReason::MalformedCertificate, e.to_string()))?;
    let Some(mapping) = profile.mapping.as_ref() else {
        let message = "the enrollment profile has no source fields mapping".to_string();
        return Err((FailureReason::MissingRequiredField, message));
    };
    let (device_identifier, fields) = mapping.apply(|f| parsed.field(f)).map_err(|missing| {
        let message = format!("the certificate has no `{missing}`, which `device_identifier` is mapped to");
        (FailureReason::MissingRequiredField, message)
    })?;
    let record = parsed.record(&profile.tenant_id, created_at);
    if let Some(message) = crate::domain::unstorable(&device_identifier, &fields, &record.serial_number) {
        return Err((FailureReason::FieldTooLong, message));
    }
    Ok(MappedCertificate {
        record,
        device_identifier,
        fields,
    })
}
