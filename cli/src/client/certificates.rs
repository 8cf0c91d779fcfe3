//! `certport import-certificates`: builds the zip the profile expects (PEM files, or one
//! XML document), uploads it, waits for the job, and reports each failure.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_core::crypto::certificates_pem;
use certport_core::http::contract::api_a;

use super::api::{retry_while_busy, ApiClient, ClientError, UploadBody};
use super::certificate_files::{cannot_read, certificates_in, survey, tell, Found, Send};
use super::jobs;
use super::output::{print_json, shown, table, Output};
use super::progress::while_uploading;
use super::{Outcome, UploadMode};

#[derive(clap::Args, Debug)]
pub struct ImportCertificatesArgs {
    /// The enrollment profile to import into (its mapping decides PEM or XML).
    #[arg(long)]
    pub profile: String,
    /// How the zip is sent.
    #[arg(long, value_enum, default_value_t = UploadMode::Auto)]
    pub upload: UploadMode,
    /// Give up waiting for the job after this many seconds (it keeps running).
    #[arg(long, default_value_t = 900)]
    pub wait_seconds: u64,
    /// Also import the CA certificates that issued others of the upload (left out by
    /// default: a chain's CAs are not devices).
    #[arg(long)]
    pub include_ca: bool,
    /// Certificate files (PEM bundles or DER; one .xml for an XML profile), directories
    /// of them, or one ready .zip.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

pub async fn run(
    client: &ApiClient,
    output: Output,
    args: ImportCertificatesArgs,
) -> Result<Outcome, ClientError> {
    let profile_path = format!("/iot/api/v1/enrollment-profile/{}", args.profile);
    let profile: api_a::EnrollmentProfile = client.get(&profile_path).await?;
    let format = profile.format.as_deref().ok_or_else(|| {
        ClientError::Input(format!(
            "profile {} has no source fields mapping yet: map it first with `certport profiles map {} --sample FILE --map device_identifier=subject.common_name`",
            args.profile, args.profile
        ))
    })?;
    let (file_name, zip) = build_upload(&args.paths, format, args.include_ca)?;
    let path = format!("/iot/api/v1/certificate-import/{}", args.profile);
    let size = zip.length();
    let sent = Arc::new(AtomicU64::new(0));
    // A tenant at its quota of unfinished jobs is asked to come back: wait as asked.
    let patience = Duration::from_secs(args.wait_seconds);
    let created = if args.upload.use_url(size) {
        let url_path = format!("{path}/upload-url");
        let body = api_a::CertificateUploadUrlRequest { file_name, size };
        let created: api_a::CertificateUploadUrl =
            retry_while_busy(patience, || client.post_json(&url_path, &body)).await?;
        let upload = client.upload_to(&created.upload.url, &created.upload.headers, zip, sent.clone());
        while_uploading(sent, size, upload).await?;
        created.job
    } else {
        // Small enough to hold (it goes in one request body), so it can be sent again.
        let zip = zip.into_bytes()?;
        let send = || {
            sent.store(0, Ordering::Relaxed);
            let body = UploadBody::Bytes(zip.clone()).into_body(sent.clone());
            let part = reqwest::multipart::Part::stream_with_length(body, size)
                .file_name(file_name.clone())
                .mime_str("application/zip")
                .map_err(|e| ClientError::Input(e.to_string()));
            async {
                let form = reqwest::multipart::Form::new().part("file", part?);
                client.post_form(&path, form).await
            }
        };
        let created: api_a::CertificateImportJob =
            while_uploading(sent.clone(), size, retry_while_busy(patience, send)).await?;
        created
    };
    let job: api_a::CertificateImportStatus =
        jobs::wait(client, &created.id, Duration::from_secs(args.wait_seconds)).await?;
    if output == Output::Json {
        print_json(&job);
    }
    Ok(report(&job, output))
}

/// Prints a finished certificate job (table mode) and says how it went.
pub fn report(job: &api_a::CertificateImportStatus, output: Output) -> Outcome {
    let failures: Vec<api_a::Failure> = serde_json::from_str(&job.status_message).unwrap_or_default();
    let totals = &job.job;
    if output == Output::Table {
        let total = totals.total_certificates;
        println!(
            "job {}: {} {} — {total} certificate{}, {} failed",
            totals.id,
            totals.status,
            shown(&job.result),
            if total == 1 { "" } else { "s" },
            totals.failed_certificates,
        );
        if !failures.is_empty() {
            let rows: Vec<Vec<String>> = failures.iter().map(failure_row).collect();
            println!("{}", table(FAILURE_COLUMNS, &rows));
        }
        if job.more_failures {
            let by_reason: Vec<String> = job
                .failure_counts
                .iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect();
            println!(
                "the first {} failures shown (in all: {}); every one: certport jobs failures {}",
                failures.len(),
                by_reason.join(", "),
                totals.id
            );
        }
    }
    if totals.status == "FAILED" {
        return Outcome::Failed;
    }
    // Already imported is where the user wanted to be: not a failure for the exit status.
    let duplicates = job.failure_counts.get("DUPLICATE").copied().unwrap_or(0);
    Outcome::from_counts(
        totals.total_certificates,
        totals.failed_certificates.saturating_sub(duplicates),
    )
}

const FAILURE_COLUMNS: &[&str] = &["file", "index", "reason", "message"];

fn failure_row(failure: &api_a::Failure) -> Vec<String> {
    vec![
        shown(&failure.file_name),
        shown(&failure.index),
        failure.reason.clone(),
        failure.message.clone(),
    ]
}

/// Every failure of a certificate import, a page at a time: a table, or JSON lines.
pub async fn all_failures(client: &ApiClient, output: Output, id: &str) -> Result<Outcome, ClientError> {
    let mut after: Option<u32> = None;
    let mut header = true;
    loop {
        let mut path = format!("/iot/api/v1/certificate-import/job/{id}/failures?limit=1000");
        if let Some(after) = after {
            path.push_str(&format!("&after={after}"));
        }
        let page: api_a::FailurePage = client.get(&path).await?;
        match output {
            Output::Json => {
                for record in &page.records {
                    println!("{}", serde_json::to_string(record).unwrap_or_default());
                }
            }
            Output::Table => {
                let rows: Vec<Vec<String>> = page.records.iter().map(|r| failure_row(&r.failure)).collect();
                let table = table(FAILURE_COLUMNS, &rows);
                // The header once, on the first page.
                let lines: Vec<&str> = table.lines().skip(usize::from(!header)).collect();
                if !lines.is_empty() {
                    println!("{}", lines.join("\n"));
                }
                header = false;
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(Outcome::Success),
        }
    }
}

/// The zip to upload and its name: a given .zip as is, or one built for the profile's
/// format in a temporary file. Either way it is read from disk as it is sent: an upload
/// may be as large as the service accepts, and the client holds one input file at most.
fn build_upload(
    paths: &[PathBuf],
    format: &str,
    include_ca: bool,
) -> Result<(String, UploadBody), ClientError> {
    if let [single] = paths {
        if has_extension(single, "zip") {
            let name = single
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let file = open(single)?;
            let metadata = file.metadata().map_err(|e| cannot_read(single, e))?;
            if !metadata.is_file() {
                return Err(ClientError::Input(format!("{} is not a file", single.display())));
            }
            let length = metadata.len();
            return Ok((name, UploadBody::File { file, length }));
        }
    }
    for path in paths {
        if has_extension(path, "zip") {
            return Err(ClientError::Input(format!(
                "{} is a zip: give it alone, or give the certificate files instead",
                path.display()
            )));
        }
    }
    let xml: Vec<&PathBuf> = paths.iter().filter(|p| has_extension(p, "xml")).collect();
    let xml = match (format, xml.as_slice()) {
        (_, []) => None,
        ("XML", [single]) if paths.len() == 1 => Some(single.as_path()),
        ("XML", _) => {
            return Err(ClientError::Input(
                "give one .xml file alone, or certificate files to build one from".into(),
            ))
        }
        (_, [first, ..]) => {
            return Err(ClientError::Input(format!(
                "{}: this profile imports PEM files, not XML",
                first.display()
            )))
        }
    };
    let found = match xml {
        Some(_) => Found::default(),
        None => survey(paths, include_ca)?,
    };
    tell(&found);
    if xml.is_none() && found.files.is_empty() {
        return Err(ClientError::Input(
            "nothing to import: no certificate (PEM or DER) in the files given".into(),
        ));
    }
    let scratch = tempfile::tempfile().map_err(zip_failed)?;
    let mut zip = zip::ZipWriter::new(scratch);
    match format {
        "XML" => write_xml_document(&mut zip, xml, &found.files)?,
        _ => write_pem_entries(&mut zip, &found.files)?,
    }
    let mut file = zip.finish().map_err(zip_failed)?;
    let length = file.stream_position().map_err(zip_failed)?;
    file.rewind().map_err(zip_failed)?;
    Ok(("certificates.zip".into(), UploadBody::File { file, length }))
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension))
}

fn open(path: &Path) -> Result<File, ClientError> {
    File::open(path).map_err(|e| cannot_read(path, e))
}

fn read(path: &Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|e| cannot_read(path, e))
}

type ZipFile = zip::ZipWriter<File>;

/// Starts the zip's next entry, compressed.
fn start_entry(zip: &mut ZipFile, name: &str) -> Result<(), ClientError> {
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(name, options).map_err(zip_failed)
}

fn zip_failed(e: impl std::fmt::Display) -> ClientError {
    ClientError::Input(format!("cannot build the zip: {e}"))
}

/// One `.pem` entry per file (names made unique): copied from disk, or the certificates
/// to send of it written as PEM.
fn write_pem_entries(zip: &mut ZipFile, files: &[(PathBuf, Send)]) -> Result<(), ClientError> {
    let mut names = HashSet::new();
    for (file, send) in files {
        let stem = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut name = format!("{stem}.pem");
        let mut n = 1;
        while names.contains(&name) {
            n += 1;
            name = format!("{stem}-{n}.pem");
        }
        start_entry(zip, &name)?;
        match send {
            Send::AsIs => {
                std::io::copy(&mut open(file)?, zip).map_err(zip_failed)?;
            }
            Send::Certificates(_) => {
                let pem = certificates_pem(&sent_certificates(file, send)?);
                zip.write_all(pem.as_bytes()).map_err(zip_failed)?;
            }
        }
        names.insert(name);
    }
    Ok(())
}

/// The certificates (DER) of `file` that `send` picks.
fn sent_certificates(file: &Path, send: &Send) -> Result<Vec<Vec<u8>>, ClientError> {
    let certificates = certificates_in(&read(file)?)
        .ok_or_else(|| ClientError::Input(format!("{} holds no certificate (PEM or DER)", file.display())))?;
    let mut picked = Vec::new();
    for (index, certificate) in certificates.into_iter().enumerate() {
        if matches!(send, Send::Certificates(keep) if !keep.contains(&index)) {
            continue;
        }
        picked.push(
            certificate
                .map_err(|e| ClientError::Input(format!("{} (certificate {index}): {e}", file.display())))?,
        );
    }
    Ok(picked)
}

/// One XML document: a given .xml file as is, or every certificate to send of the files
/// (read one file at a time).
fn write_xml_document(
    zip: &mut ZipFile,
    xml: Option<&Path>,
    files: &[(PathBuf, Send)],
) -> Result<(), ClientError> {
    start_entry(zip, "certificates.xml")?;
    if let Some(xml) = xml {
        std::io::copy(&mut open(xml)?, zip).map_err(zip_failed)?;
        return Ok(());
    }
    zip.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<certificates>\n")
        .map_err(zip_failed)?;
    for (file, send) in files {
        for der in sent_certificates(file, send)? {
            let line = format!("  <certificate><pem>{}</pem></certificate>\n", B64.encode(der));
            zip.write_all(line.as_bytes()).map_err(zip_failed)?;
        }
    }
    zip.write_all(b"</certificates>\n").map_err(zip_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_zip_is_sent_from_its_file_and_a_directory_named_zip_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("ready.zip");
        let contents = b"PK\x05\x06 not read here";
        std::fs::write(&zip, contents).unwrap();
        let (name, body) = build_upload(std::slice::from_ref(&zip), "PEM", false).unwrap();
        assert_eq!(
            (name.as_str(), body.length()),
            ("ready.zip", contents.len() as u64)
        );
        assert!(matches!(body, UploadBody::File { .. }));

        let not_a_file = dir.path().join("folder.zip");
        std::fs::create_dir(&not_a_file).unwrap();
        let refused = build_upload(&[not_a_file], "PEM", false).err().unwrap();
        assert!(
            refused.to_string().ends_with("folder.zip is not a file"),
            "{refused}"
        );
    }
}
