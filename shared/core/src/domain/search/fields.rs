/// The fields a search may name, as clients spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    Fingerprint,
    CertificateName,
    SubjectCn,
    IssuerCn,
    SubjectO,
    SubjectOu,
    SerialNumber,
    SubjectAlternativeNameDns,
    ValidityStart,
    ValidityEnd,
    KeyStrength,
    EncryptionType,
    KeyCurve,
    SelfSigned,
    CertificateStatus,
    HasPrivateKey,
}

/// How a field's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Exact text; FIND is a case-insensitive substring.
    Text,
    /// Text compared case-insensitively (serial numbers, enum names).
    CaseInsensitive,
    /// Hex compared case- and separator-insensitively (`AB:CD` is `abcd`).
    Hex,
    Number,
    Date,
    Bool,
}

const NAMES: [(&str, Field); 17] = [
    ("id", Field::Id),
    ("fingerprint", Field::Fingerprint),
    ("certificateName", Field::CertificateName),
    ("subjectCN", Field::SubjectCn),
    ("issuerCN", Field::IssuerCn),
    ("subjectO", Field::SubjectO),
    ("subjectOU", Field::SubjectOu),
    ("serialNumber", Field::SerialNumber),
    ("subjectAlternativeNameDns", Field::SubjectAlternativeNameDns),
    ("validityStart", Field::ValidityStart),
    ("validityEnd", Field::ValidityEnd),
    ("keyStrength", Field::KeyStrength),
    ("encryptionType", Field::EncryptionType),
    ("keyCurve", Field::KeyCurve),
    ("selfSigned", Field::SelfSigned),
    ("certificateStatus", Field::CertificateStatus),
    ("hasPrivateKey", Field::HasPrivateKey),
];

impl Field {
    pub fn from_name(name: &str) -> Option<Field> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(_, f)| *f == self).map_or("?", |(n, _)| n)
    }

    pub fn kind(self) -> FieldKind {
        match self {
            Field::Fingerprint => FieldKind::Hex,
            Field::SerialNumber | Field::EncryptionType | Field::KeyCurve | Field::CertificateStatus => {
                FieldKind::CaseInsensitive
            }
            Field::ValidityStart | Field::ValidityEnd => FieldKind::Date,
            Field::KeyStrength => FieldKind::Number,
            Field::SelfSigned | Field::HasPrivateKey => FieldKind::Bool,
            _ => FieldKind::Text,
        }
    }
}
