use bytes::Bytes;
use rand::Rng;

use crate::domain::{
    format_timestamp, CertificateImport, EnrollmentContext, EnrollmentMethod, EnrollmentProfile,
    FailureReason, Import, Job, UploadFormat,
};
use crate::parsing::{UploadArchive, ZipError};
use crate::ports::InfraError;

use crate::app::jobs::lifecycle::create_job;
use crate::app::jobs::lifecycle::fail;
use crate::app::{certificate_import_key, get_profile, AppError, Caller, Deps};

pub struct CertImportUpload {
    pub profile_id: String,
    pub file_name: String,
    pub zip: Bytes,
    pub ip_address: Option<String>,
}

/// Checks the zip cheaply, records the job (PENDING), then stores the zip; the
/// object's creation starts the processor. The job exists before its id is returned.
pub async fn upload_certificate_import(
    deps: &Deps,
    caller: &Caller,
    upload: CertImportUpload,
) -> Result<Job, AppError> {
    let (profile, expected) = importable_profile(deps, caller, &upload.profile_id).await?;

    let (zip, limits) = (upload.zip.clone(), deps.limits.zip);
    // Inflating every file to count its certificates: off the async workers.
    let (format, counted) = tokio::task::spawn_blocking(move || {
        let mut archive = UploadArchive::open(&zip, limits)?;
        Ok::<_, ZipError>((archive.format(), archive.count_certificates()))
    })
    .await
    .map_err(|e| InfraError::permanent("read upload", e))?
    .map_err(|e| AppError::invalid(format!("`file`: {e}")))?;
    if format != expected {
        return Err(AppError::invalid(format!(
            "the zip holds .{} files but enrollment profile {} was mapped from a .{} sample; upload .{} files",
            format.extension(),
            profile.id,
            expected.extension(),
            expected.extension()
        )));
    }
    let total = counted.map_err(|e| AppError::invalid(format!("`file`: {e}")))?;
    if total == 0 {
        return Err(AppError::invalid("the zip holds no certificates"));
    }
    if total > deps.limits.max_certificates {
        return Err(AppError::invalid(format!(
            "the zip holds {total} certificates; one upload may hold at most {}: split it",
            deps.limits.max_certificates
        )));
    }

    let job = new_job(
        caller,
        &profile,
        expected,
        upload.file_name,
        upload.zip.len() as u64,
        total,
        upload.ip_address,
    );
    create_job(deps, &job).await?;
    if let Err(e) = deps.objects.put(&job.object_key, upload.zip).await {
        // Without its object the job would never be processed: end it now.
        let message = "the upload could not be stored; upload the file again";
        let failed = fail(deps, job.clone(), FailureReason::NotProcessed, message).await;
        if let Err(mark) = failed {
            tracing::error!(job_id = %job.id, error = %mark.chain(), "could not mark job failed after a failed store");
        }
        return Err(e.into());
    }
    Ok(job)
}

/// The caller's profile, if certificates can be imported into it, and the format it takes.
pub(crate) async fn importable_profile(
    deps: &Deps,
    caller: &Caller,
    profile_id: &str,
) -> Result<(EnrollmentProfile, UploadFormat), AppError> {
    let profile = get_profile(deps, caller, profile_id).await?;
    if profile.enrollment_method != EnrollmentMethod::CertificateImport {
        return Err(AppError::invalid(format!(
            "enrollment profile {} uses enrollment method {}; certificate import needs a CERTIFICATE_IMPORT profile",
            profile.id,
            profile.enrollment_method.as_str()
        )));
    }
    let Some(format) = profile.format else {
        return Err(AppError::invalid(format!(
            "enrollment profile {} has no source fields mapping yet; POST a sample .pem or .xml to /iot/api/v1/enrollment-profile/{}/source-fields-mapping first",
            profile.id, profile.id
        )));
    };
    Ok((profile, format))
}

/// An open job for an upload of `size` bytes holding `total` certificates (0: not counted yet).
pub(crate) fn new_job(
    caller: &Caller,
    profile: &EnrollmentProfile,
    format: UploadFormat,
    file_name: String,
    size: u64,
    total: u64,
    ip_address: Option<String>,
) -> Job {
    let id = uuid::Uuid::new_v4().to_string();
    let random_id = rand::rng()
        .random_range(100_000_000_000u64..1_000_000_000_000)
        .to_string();
    let object_key = certificate_import_key(&caller.tenant.id, &id, &file_name);
    let import = Import::Certificates(CertificateImport {
        random_id,
        profile_id: profile.id.clone(),
        profile_name: profile.name.clone(),
        original_file_name: file_name,
        format,
        original_size: size,
        enrollment_context: EnrollmentContext {
            ip_address,
            authorization: caller.api_key_id.clone(),
            auth_type: "API_KEY".to_string(),
        },
        mapping: profile.mapping.clone(),
        shard_plan: None,
    });
    let created_at = format_timestamp(chrono::Utc::now());
    Job {
        total,
        ..Job::open(&caller.tenant.id, id, object_key, created_at, import)
    }
}
