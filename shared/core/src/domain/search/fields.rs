/// The fields a search may name, as clients spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    Fingerprint,
    /// Ours: the SHA-256 fingerprint (what API A shows), a key lookup like `fingerprint`.
    FingerprintSha256,
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
    /// Text compared case-insensitively (enum names).
    CaseInsensitive,
    /// A number in hex: any case, separators and leading zeros ignored.
    Serial,
    /// Hex compared case- and separator-insensitively (`AB:CD` is `abcd`).
    Hex,
    Number,
    Date,
    Bool,
}

const NAMES: [(&str, Field); 18] = [
    ("id", Field::Id),
    ("fingerprint", Field::Fingerprint),
    ("fingerprintSha256", Field::FingerprintSha256),
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
            Field::Fingerprint | Field::FingerprintSha256 => FieldKind::Hex,
            Field::SerialNumber => FieldKind::Serial,
            Field::EncryptionType | Field::KeyCurve | Field::CertificateStatus => FieldKind::CaseInsensitive,
            Field::ValidityStart | Field::ValidityEnd => FieldKind::Date,
            Field::KeyStrength => FieldKind::Number,
            Field::SelfSigned | Field::HasPrivateKey => FieldKind::Bool,
            _ => FieldKind::Text,
        }
    }
}
