use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The target field every mapping must fill: the key of the device record.
pub const DEVICE_IDENTIFIER: &str = "device_identifier";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnrollmentMethod {
    CertificateImport,
    Est,
    Scep,
    RestApi,
    Acme,
}

impl EnrollmentMethod {
    pub const ALL: [EnrollmentMethod; 5] = [
        EnrollmentMethod::CertificateImport,
        EnrollmentMethod::Est,
        EnrollmentMethod::Scep,
        EnrollmentMethod::RestApi,
        EnrollmentMethod::Acme,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentMethod::CertificateImport => "CERTIFICATE_IMPORT",
            EnrollmentMethod::Est => "EST",
            EnrollmentMethod::Scep => "SCEP",
            EnrollmentMethod::RestApi => "REST_API",
            EnrollmentMethod::Acme => "ACME",
        }
    }
}

impl FromStr for EnrollmentMethod {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or(())
    }
}

/// The file format of a certificate import, set by the sample given with the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum UploadFormat {
    Pem,
    Xml,
}

impl UploadFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadFormat::Pem => "PEM",
            UploadFormat::Xml => "XML",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            UploadFormat::Pem => "pem",
            UploadFormat::Xml => "xml",
        }
    }

    /// The format a file name's extension stands for (case-insensitive).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "pem" => Some(UploadFormat::Pem),
            "xml" => Some(UploadFormat::Xml),
            _ => None,
        }
    }
}

/// Certificate attributes a mapping can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceField {
    SubjectCommonName,
    SubjectOrganizationName,
    SubjectOrganizationUnit,
    SubjectCountry,
    SubjectState,
    SubjectLocality,
    SubjectEmail,
    SubjectSerialNumber,
    SanDnsName,
    SanIpAddress,
    SanEmail,
    SanUri,
    SerialNumber,
    IssuerCommonName,
    FingerprintSha256,
}

impl SourceField {
    pub const ALL: [SourceField; 15] = [
        SourceField::SubjectCommonName,
        SourceField::SubjectOrganizationName,
        SourceField::SubjectOrganizationUnit,
        SourceField::SubjectCountry,
        SourceField::SubjectState,
        SourceField::SubjectLocality,
        SourceField::SubjectEmail,
        SourceField::SubjectSerialNumber,
        SourceField::SanDnsName,
        SourceField::SanIpAddress,
        SourceField::SanEmail,
        SourceField::SanUri,
        SourceField::SerialNumber,
        SourceField::IssuerCommonName,
        SourceField::FingerprintSha256,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceField::SubjectCommonName => "subject.common_name",
            SourceField::SubjectOrganizationName => "subject.organization_name",
            SourceField::SubjectOrganizationUnit => "subject.organization_unit",
            SourceField::SubjectCountry => "subject.country",
            SourceField::SubjectState => "subject.state",
            SourceField::SubjectLocality => "subject.locality",
            SourceField::SubjectEmail => "subject.email",
            SourceField::SubjectSerialNumber => "subject.serial_number",
            SourceField::SanDnsName => "san.dns_name",
            SourceField::SanIpAddress => "san.ip_address",
            SourceField::SanEmail => "san.email",
            SourceField::SanUri => "san.uri",
            SourceField::SerialNumber => "serial_number",
            SourceField::IssuerCommonName => "issuer.common_name",
            SourceField::FingerprintSha256 => "fingerprint_sha256",
        }
    }
}

impl FromStr for SourceField {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or(())
    }
}

impl fmt::Display for SourceField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SourceField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SourceField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown source field `{s}`")))
    }
}

/// `{target_field: source_field}`; always holds `device_identifier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldMapping(BTreeMap<String, SourceField>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the mapping must be a JSON object of {{target_field: source_field}}")]
    NotAnObject,
    #[error("the mapping must map `device_identifier` to a source field")]
    MissingDeviceIdentifier,
    #[error("unknown source field `{0}` for target `{1}`; known source fields: {2}")]
    UnknownSourceField(String, String, String),
    #[error(
        "target field names must be 1 to 64 characters of letters, digits, `_`, `-` or `.`; `{0}` is not"
    )]
    BadTargetField(String),
    #[error("the mapping names {0} target fields; at most {max} are kept on a device", max = super::MAX_MAPPED_FIELDS)]
    TooManyFields(usize),
}

impl FieldMapping {
    pub fn parse(json: &serde_json::Value) -> Result<Self, MappingError> {
        let obj = json.as_object().ok_or(MappingError::NotAnObject)?;
        if obj.len() > super::MAX_MAPPED_FIELDS {
            return Err(MappingError::TooManyFields(obj.len()));
        }
        let mut map = BTreeMap::new();
        for (target, source) in obj {
            let valid_target = !target.is_empty()
                && target.len() <= 64
                && target
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid_target {
                return Err(MappingError::BadTargetField(target.chars().take(80).collect()));
            }
            let source_name = source.as_str().unwrap_or_default();
            let field = source_name.parse().map_err(|_| {
                MappingError::UnknownSourceField(
                    source_name.chars().take(80).collect(),
                    target.clone(),
                    SourceField::ALL.map(SourceField::as_str).join(", "),
                )
            })?;
            map.insert(target.clone(), field);
        }
        if !map.contains_key(DEVICE_IDENTIFIER) {
            return Err(MappingError::MissingDeviceIdentifier);
        }
        Ok(FieldMapping(map))
    }

    pub fn device_identifier_source(&self) -> SourceField {
        // Guaranteed by `parse`.
        self.0
            .get(DEVICE_IDENTIFIER)
            .copied()
            .unwrap_or(SourceField::FingerprintSha256)
    }

    /// Whether `apply` reads `field`.
    pub fn reads(&self, field: SourceField) -> bool {
        field == self.device_identifier_source() || self.0.values().any(|source| *source == field)
    }

    /// `{target_field: source_field}`, as the API shows it.
    pub fn to_map(&self) -> std::collections::BTreeMap<String, String> {
        self.iter()
            .map(|(target, source)| (target.to_string(), source.as_str().to_string()))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, SourceField)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The device identifier and the custom fields a certificate maps to. Custom
    /// fields whose source is absent are left out; an absent device identifier is
    /// an error naming its source field.
    pub fn apply<'a>(
        &self,
        lookup: impl Fn(SourceField) -> Option<&'a str>,
    ) -> Result<(String, BTreeMap<String, String>), SourceField> {
        let source = self.device_identifier_source();
        let device_identifier = lookup(source).ok_or(source)?.to_string();
        let fields = self
            .iter()
            .filter(|(target, _)| *target != DEVICE_IDENTIFIER)
            .filter_map(|(target, source)| Some((target.to_string(), lookup(source)?.to_string())))
            .collect();
        Ok((device_identifier, fields))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentProfile {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub enrollment_method: EnrollmentMethod,
    /// Set with the source fields mapping, from the sample's extension.
    pub format: Option<UploadFormat>,
    pub mapping: Option<FieldMapping>,
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mapping_requires_device_identifier_and_known_sources() {
        let ok = FieldMapping::parse(&json!({
            "device_identifier": "subject.common_name",
            "site": "subject.locality"
        }))
        .unwrap();
        assert_eq!(ok.device_identifier_source(), SourceField::SubjectCommonName);
        assert_eq!(
            FieldMapping::parse(&json!({"site": "subject.locality"})),
            Err(MappingError::MissingDeviceIdentifier)
        );
        assert!(matches!(
            FieldMapping::parse(&json!({"device_identifier": "subject.cn"})),
            Err(MappingError::UnknownSourceField(..))
        ));
        assert_eq!(FieldMapping::parse(&json!([1])), Err(MappingError::NotAnObject));
        assert!(matches!(
            FieldMapping::parse(&json!({"device_identifier": "serial_number", "a b": "san.uri"})),
            Err(MappingError::BadTargetField(_))
        ));
    }

    #[test]
    fn apply_reads_sources_and_requires_the_identifier() {
        let mapping = FieldMapping::parse(&json!({
            "device_identifier": "san.dns_name",
            "site": "subject.locality",
            "org": "subject.organization_name"
        }))
        .unwrap();
        let lookup = |f: SourceField| match f {
            SourceField::SanDnsName => Some("dev1.example.com"),
            SourceField::SubjectLocality => Some("Oslo"),
            _ => None,
        };
        let (id, fields) = mapping.apply(lookup).unwrap();
        assert_eq!(id, "dev1.example.com");
        assert_eq!(fields, BTreeMap::from([("site".to_string(), "Oslo".to_string())]));
        assert_eq!(mapping.apply(|_| None), Err(SourceField::SanDnsName));
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(UploadFormat::from_file_name("a.PEM"), Some(UploadFormat::Pem));
        assert_eq!(UploadFormat::from_file_name("dir/a.xml"), Some(UploadFormat::Xml));
        assert_eq!(UploadFormat::from_file_name("a.crt"), None);
        assert_eq!(UploadFormat::from_file_name("pem"), None);
    }
}
