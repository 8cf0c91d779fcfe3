use crate::domain::{
    format_timestamp, EnrollmentMethod, EnrollmentProfile, FieldMapping, SourceField, UploadFormat,
};
use crate::parsing::{parse_certificate, pem, xml, ParsedCertificate};

use crate::app::{AppError, Caller, Deps};

pub struct NewProfile {
    pub name: String,
    pub enrollment_method: String,
}

pub async fn create_profile(
    deps: &Deps,
    caller: &Caller,
    new: NewProfile,
) -> Result<EnrollmentProfile, AppError> {
    let name = new.name.trim();
    if name.is_empty() || new.name.chars().count() > 255 {
        return Err(AppError::invalid("`name` must be 1 to 255 characters"));
    }
    let enrollment_method: EnrollmentMethod = new.enrollment_method.parse().map_err(|_| {
        AppError::invalid(format!(
            "`enrollment_method` must be one of {}",
            EnrollmentMethod::ALL.map(EnrollmentMethod::as_str).join(", ")
        ))
    })?;
    let profile = EnrollmentProfile {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: caller.tenant.id.clone(),
        name: name.to_string(),
        enrollment_method,
        format: None,
        mapping: None,
        created_at: format_timestamp(chrono::Utc::now()),
    };
    deps.tenants.put_profile(&profile).await?;
    Ok(profile)
}

pub async fn get_profile(deps: &Deps, caller: &Caller, id: &str) -> Result<EnrollmentProfile, AppError> {
    deps.tenants
        .get_profile(&caller.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound("enrollment profile"))
}

/// What a mapping reads from its sample.
pub struct MappingPreview {
    pub profile: EnrollmentProfile,
    pub sample: ParsedCertificate,
    pub device_identifier: String,
    pub mapped_fields: std::collections::BTreeMap<String, String>,
}

/// Sets the profile's format (from the sample's extension) and mapping, after
/// checking the mapping against the sample's first certificate.
pub async fn set_source_fields_mapping(
    deps: &Deps,
    caller: &Caller,
    profile_id: &str,
    sample_name: &str,
    sample: &[u8],
    mapping: &serde_json::Value,
) -> Result<MappingPreview, AppError> {
    let mut profile = get_profile(deps, caller, profile_id).await?;
    let format = UploadFormat::from_file_name(sample_name).ok_or_else(|| {
        AppError::invalid(format!(
            "the sample `{}` must be a .pem or .xml file",
            sample_name.chars().take(100).collect::<String>()
        ))
    })?;
    let mapping = FieldMapping::parse(mapping).map_err(|e| AppError::invalid(e.to_string()))?;
    let sample = first_certificate(format, sample)?;
    let (device_identifier, mapped_fields) = mapping
        .apply(|field: SourceField| sample.field(field))
        .map_err(|missing| {
            AppError::invalid(format!(
                "the sample certificate has no `{missing}`, which `device_identifier` is mapped to; map it to a field the certificates have"
            ))
        })?;
    profile.format = Some(format);
    profile.mapping = Some(mapping);
    deps.tenants.put_profile(&profile).await?;
    Ok(MappingPreview {
        profile,
        sample,
        device_identifier,
        mapped_fields,
    })
}

fn first_certificate(format: UploadFormat, sample: &[u8]) -> Result<ParsedCertificate, AppError> {
    let ders: Vec<Vec<u8>> = match format {
        UploadFormat::Pem => pem::certificate_blocks(sample).into_iter().flatten().collect(),
        UploadFormat::Xml => xml::certificates(sample)
            .map_err(|e| AppError::invalid(format!("the sample: {e}")))?
            .into_iter()
            .flatten()
            .collect(),
    };
    ders.into_iter()
        .find_map(|der| parse_certificate(der).ok())
        .ok_or_else(|| AppError::invalid("the sample holds no certificate that can be parsed"))
}
