//! The CPU side of a certificate import: inflate the zip, cut PEM or XML, parse each
//! certificate and apply the profile's mapping. One thread on the blocking pool inflates
//! and cuts; the certificates go in chunks to parsing tasks spread over the blocking pool
//! (every core). The chunks' handles pass, in upload order, through a bounded channel to
//! the processor, so results are written in order and at most a few chunks are in memory.

use std::collections::BTreeMap;
use std::io::{BufReader, Seek};
use std::ops::Range;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::{CertificateRecord, EnrollmentProfile, FailureReason, UploadFormat};
use crate::parsing::{parse_certificate_fields, pem, xml, UploadArchive};

use crate::app::Limits;

/// Certificates one parsing task takes: enough to outweigh a task's cost, few enough
/// that a small upload still spreads over the cores.
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
        UploadArchive::from_reader(BufReader::new(&mut zip), limits.zip).map_err(|e| e.to_string())?;
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
    for n in files.start as usize..last {
        let file = archive.read_file(n).map_err(|e| e.to_string())?;
        let items: Vec<Result<Vec<u8>, String>> = match archive.format() {
            UploadFormat::Pem => pem::certificate_blocks(&file.contents)
                .into_iter()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect(),
            UploadFormat::Xml => xml::certificates(&file.contents)
                .map_err(|e| format!("`{}`: {e}", file.name))?
                .into_iter()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect(),
        };
        drop(file.contents);
        let mut items = items.into_iter().peekable();
        let mut file_name = Some(file.name);
        // A file's first chunk names it (an empty file is a chunk of its name alone).
        while file_name.is_some() || items.peek().is_some() {
            let (name, chunk): (Option<String>, Vec<_>) =
                (file_name.take(), items.by_ref().take(CHUNK).collect());
            let context = context.clone();
            let parsing = runtime.spawn_blocking(move || parse_chunk(name, chunk, &context));
            if to.blocking_send(parsing).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The certificates the upload holds; `Err(message)` when it is unusable or holds more
/// than one upload may. Leaves `zip` anywhere: its readers seek where they need.
pub(crate) fn count_upload(zip: &mut (impl std::io::Read + Seek), limits: &Limits) -> Result<u64, String> {
    let counted = UploadArchive::from_reader(BufReader::new(zip), limits.zip)
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

fn parse_chunk(
    file_name: Option<String>,
    chunk: Vec<Result<Vec<u8>, String>>,
    context: &ParseContext,
) -> Vec<Read> {
    let mut reads = Vec::with_capacity(chunk.len() + 1);
    reads.extend(file_name.map(Read::File));
    reads.extend(chunk.into_iter().map(|item| {
        Read::Certificate(match item {
            Ok(der) => {
                map_certificate(der, &context.limits, &context.profile, &context.created_at).map(Box::new)
            }
            Err(message) => Err((FailureReason::MalformedPem, message)),
        })
    }));
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
