//! The CPU side of a certificate import: inflate the zip, cut PEM or XML, parse each
//! certificate and apply the profile's mapping. It runs on the blocking pool and hands
//! its results, in upload order, through a bounded channel to the processor, which
//! keeps the async executor for storage calls.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;

use tokio::sync::mpsc;

use crate::domain::{CertificateRecord, EnrollmentProfile, FailureReason, UploadFormat};
use crate::parsing::{parse_certificate, pem, xml, UploadArchive};

use super::Limits;

/// Results the reader may run ahead of the writer by: bounds its memory.
pub(super) const READ_AHEAD: usize = 1024;

/// One certificate, mapped to its device.
pub(super) struct MappedCertificate {
    pub record: CertificateRecord,
    pub device_identifier: String,
    pub fields: BTreeMap<String, String>,
}

/// What the reader sends, in upload order.
pub(super) enum Read {
    /// The certificates that follow are from this file.
    File(String),
    Certificate(Result<Box<MappedCertificate>, (FailureReason, String)>),
}

/// Reads the whole upload into `to`. `Err(message)` when the upload itself is unusable
/// (everything sent before it stands). Stops quietly once the receiver is gone.
pub(super) fn read_upload(
    zip: File,
    limits: Limits,
    profile: &EnrollmentProfile,
    created_at: &str,
    count_first: bool,
    to: &mpsc::Sender<Read>,
) -> Result<(), String> {
    // Uploads through an upload URL were not counted yet: count before writing anything.
    if count_first {
        let counted = UploadArchive::from_reader(BufReader::new(&zip), limits.zip)
            .and_then(|mut archive| archive.count_certificates())
            .map_err(|e| e.to_string())?;
        if counted > limits.max_certificates {
            return Err(format!(
                "the zip holds {counted} certificates; one upload may hold at most {}: split it",
                limits.max_certificates
            ));
        }
    }
    let mut archive =
        UploadArchive::from_reader(BufReader::new(&zip), limits.zip).map_err(|e| e.to_string())?;
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
    for n in 0..archive.file_count() {
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
        if to.blocking_send(Read::File(file.name)).is_err() {
            return Ok(());
        }
        for item in items {
            let read = match item {
                Ok(der) => map_certificate(der, &limits, profile, created_at).map(Box::new),
                Err(message) => Err((FailureReason::MalformedPem, message)),
            };
            if to.blocking_send(Read::Certificate(read)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
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
    let parsed = parse_certificate(der).map_err(|e| (FailureReason::MalformedCertificate, e.to_string()))?;
    let Some(mapping) = profile.mapping.as_ref() else {
        let message = "the enrollment profile has no source fields mapping".to_string();
        return Err((FailureReason::MissingRequiredField, message));
    };
    let (device_identifier, fields) = mapping.apply(|f| parsed.field(f)).map_err(|missing| {
        let message = format!("the certificate has no `{missing}`, which `device_identifier` is mapped to");
        (FailureReason::MissingRequiredField, message)
    })?;
    Ok(MappedCertificate {
        record: parsed.record(&profile.tenant_id, created_at),
        device_identifier,
        fields,
    })
}
