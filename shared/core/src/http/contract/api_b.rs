//! API B's bodies (Venafi TLS Protect Cloud compatible): keystore imports, edge instances
//! and their DEKs, trusted CAs, the certificate inventory. Field names are the API's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A keystore import just created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeystoreImportCreated {
    #[schema(format = "uuid")]
    pub id: String,
    pub creation_date: String,
}

/// `POST /outagedetection/v1/certificates/imports/upload-url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeystoreUploadUrlRequest {
    #[schema(min_length = 1)]
    pub edge_instance_id: String,
    #[schema(min_length = 1)]
    pub encryption_key_id: String,
    /// The exact size of the batch, in bytes.
    #[schema(minimum = 1, maximum = 1073741824)]
    pub size: u64,
}

/// Where and how to PUT an upload: one upload per URL (a second PUT is 412).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeystoreUpload {
    pub url: String,
    /// Always `PUT`.
    pub method: String,
    /// Exactly these headers, and only these (`content-type`, `if-none-match: *`).
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

/// A keystore import created for an upload URL, and where to PUT the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeystoreUploadUrl {
    #[schema(format = "uuid")]
    pub id: String,
    pub creation_date: String,
    pub upload: KeystoreUpload,
}

/// One submitted item's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    /// Base64 DER of the leaf, empty until known.
    pub certificate_bytes: String,
    /// SHA-1 of the leaf, upper-case hex, empty until known.
    pub fingerprint: String,
    /// `IMPORTED`, `FAILED`, `SKIPPED` or `PROCESSING`.
    pub status: String,
    pub reason: String,
    /// Why it was not imported, as a code; null otherwise.
    pub reason_code: Option<String>,
}

/// A keystore import: one result per submitted item, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeystoreImportStatus {
    #[schema(format = "uuid")]
    pub id: String,
    pub creation_date: String,
    /// `PROCESSING`, `COMPLETED` or `FAILED`.
    pub status: String,
    pub results: Vec<ItemResult>,
    /// Ours: items with their outcome so far.
    pub processed_items: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EdgeInstance {
    pub id: String,
    pub name: String,
    pub encryption_key_id: String,
    pub edge_status: String,
    pub company_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EdgeInstances {
    pub edge_instances: Vec<EdgeInstance>,
}

/// An edge instance's DEK: the X25519 public key to seal passwords and keys to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionKey {
    pub company_id: String,
    pub id: String,
    /// Base64 of the 32-byte public key.
    pub key: String,
    pub key_algorithm: String,
    pub last_backup_date: String,
}

/// `POST /v1/trustedcacertificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrustedCa {
    /// The CA certificate, as PEM.
    pub certificate: String,
}

/// A trusted CA just added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrustedCaAdded {
    pub id: String,
    pub fingerprint: String,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrustedCa {
    pub id: String,
    /// SHA-1, upper-case hex.
    pub fingerprint: String,
    pub subject: String,
    /// Base64 DER.
    pub certificate: String,
    pub creation_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrustedCas {
    pub trusted_ca_certificates: Vec<TrustedCa>,
}

/// Subject alternative names by type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubjectAlternativeNames {
    #[serde(rename = "dNSName")]
    pub dns_name: Vec<String>,
    #[serde(rename = "iPAddress")]
    pub ip_address: Vec<String>,
    #[serde(rename = "rfc822Name")]
    pub rfc822_name: Vec<String>,
    #[serde(rename = "uniformResourceIdentifier")]
    pub uniform_resource_identifier: Vec<String>,
}

/// A certificate of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub id: String,
    pub company_id: String,
    pub certificate_name: String,
    /// SHA-1, upper-case hex.
    pub fingerprint: String,
    pub serial_number: String,
    #[serde(rename = "subjectDN")]
    pub subject_dn: String,
    #[serde(rename = "issuerDN")]
    pub issuer_dn: String,
    #[serde(rename = "subjectCN")]
    pub subject_cn: Vec<String>,
    #[serde(rename = "subjectO")]
    pub subject_o: Option<String>,
    #[serde(rename = "subjectOU")]
    pub subject_ou: Vec<String>,
    #[serde(rename = "subjectL")]
    pub subject_l: Option<String>,
    #[serde(rename = "subjectST")]
    pub subject_st: Option<String>,
    #[serde(rename = "subjectC")]
    pub subject_c: Option<String>,
    #[serde(rename = "issuerCN")]
    pub issuer_cn: Vec<String>,
    #[serde(rename = "issuerOU")]
    pub issuer_ou: Vec<String>,
    pub subject_alternative_name_dns: Vec<String>,
    pub subject_alternative_names_by_type: SubjectAlternativeNames,
    pub validity_start: String,
    pub validity_end: String,
    pub encryption_type: String,
    pub key_strength: u32,
    /// EC keys only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_curve: Option<String>,
    pub signature_algorithm: String,
    pub signature_hash_algorithm: String,
    pub self_signed: bool,
    pub certificate_status: String,
    pub issuer_certificate_ids: Vec<String>,
    pub application_ids: Vec<String>,
    pub tags: Vec<String>,
    /// The request it answers to (`GET /outagedetection/v1/certificaterequests/{id}`).
    pub certificate_request_id: Option<String>,
    pub creation_date: String,
    pub modification_date: String,
    /// The DEK that seals the certificate's private key, when the inventory holds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dek_hash: Option<String>,
}

/// A page of a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateSearchPage {
    pub count: u64,
    pub certificates: Vec<Certificate>,
}

/// The request an imported certificate answers to: issued, naming the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificateRequest {
    pub id: String,
    pub company_id: String,
    /// Always `ISSUED`.
    pub status: String,
    pub certificate_ids: Vec<String>,
    #[serde(rename = "subjectDN")]
    pub subject_dn: String,
    pub key_type: String,
    pub key_length: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_curve: Option<String>,
    pub creation_date: String,
    pub modification_date: String,
}

/// `POST /outagedetection/v1/certificates/{id}/keystore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeystoreExportRequest {
    /// `PEM` or `PKCS12`.
    pub export_format: String,
    /// Sealed to the DEK: the private key's passphrase.
    pub encrypted_private_key_passphrase: String,
    /// Sealed to the DEK: the PKCS#12 keystore's passphrase.
    #[serde(default)]
    pub encrypted_keystore_passphrase: Option<String>,
    #[serde(default)]
    pub certificate_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub id: String,
    /// `PRIVATE_KEY_EXPORT`, `PRIVATE_KEY_EXPORT_REFUSED`, `API_KEY_CREATED`,
    /// `API_KEY_REVOKED` or `API_KEY_ROTATED`.
    pub action: String,
    pub company_id: String,
    /// The key that made the call; null when an operator acted with `certport admin`.
    pub api_key_id: Option<String>,
    /// The certificate exported, or asked for.
    pub certificate_id: Option<String>,
    /// `PEM` or `PKCS12`, for exports.
    pub format: Option<String>,
    /// The key made, revoked or rotated.
    pub subject_api_key_id: Option<String>,
    /// A rotated key's replacement.
    pub replacement_api_key_id: Option<String>,
    /// Why an export was refused.
    pub reason: Option<String>,
    pub source_ip: Option<String>,
    pub time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvents {
    pub audit_events: Vec<AuditEvent>,
}

/// `POST /outagedetection/v1/certificatesearch`: every part optional (`{}` matches all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CertificateSearch {
    /// A condition `{field, operator, value | values}`, a group `{operator?: AND | OR,
    /// operands}` (no operator is AND), `{operator: NOT, operand}`, or `{}` (everything).
    /// Operators EQ, MATCH, IN, FIND (case-insensitive substring), GT, GTE, LT, LTE. At
    /// most 32 levels deep and 1,000 operands; values up to 4 KiB. Null is everything too.
    #[schema(value_type = Option<Object>)]
    pub expression: Option<serde_json::Value>,
    /// `{}` or null: the default order (by `validityEnd`, then id).
    pub ordering: Option<SearchOrdering>,
    pub paging: Option<SearchPaging>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SearchOrdering {
    #[serde(default)]
    pub orders: Vec<SearchOrder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SearchOrder {
    pub field: String,
    /// `ASC` (the default) or `DESC`.
    pub direction: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchPaging {
    /// From 0.
    #[schema(minimum = 0)]
    pub page_number: Option<u64>,
    /// 1 to 1,000; 100 when absent.
    #[schema(minimum = 1, maximum = 1000)]
    pub page_size: Option<u64>,
}

/// A PKCS#12 keystore with its password sealed to the DEK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pkcs12Item {
    /// Base64 of the `.p12`.
    pub pkcs12_keystore: String,
    /// Base64 of the sealed password.
    pub dek_encrypted_password: String,
}

/// A certificate with an encrypted PKCS#8 key and the key's password sealed to the DEK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncryptedKeyItem {
    /// PEM, the leaf first; the chain may follow.
    pub certificate: String,
    /// An `ENCRYPTED PRIVATE KEY` PKCS#8 PEM.
    pub password_encrypted_private_key: String,
    /// Base64 of the sealed password.
    pub dek_encrypted_password: String,
}

/// A certificate with a PKCS#8 key sealed to the DEK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SealedKeyItem {
    /// PEM, the leaf first; the chain may follow.
    pub certificate: String,
    /// Base64 of the sealed PKCS#8 DER.
    pub dek_encrypted_private_key: String,
}

/// One submitted item, in one of three forms. "Sealed" is
/// `base64(crypto_box_seal(bytes, DEK public key))`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ImportItem {
    Pkcs12(Pkcs12Item),
    EncryptedKey(EncryptedKeyItem),
    SealedKey(SealedKeyItem),
}

/// `POST /outagedetection/v1/certificates/imports` (and what an upload URL takes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeystoreImportRequest {
    #[schema(min_length = 1)]
    pub edge_instance_id: String,
    #[schema(min_length = 1)]
    pub encryption_key_id: String,
    #[schema(min_items = 1, max_items = 100)]
    pub import_information: Vec<ImportItem>,
}
