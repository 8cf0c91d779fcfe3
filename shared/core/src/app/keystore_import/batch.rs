//! The keystore import request as received and as stored for the processor:
//! passwords and keys still sealed to the DEK, keystores still password-protected.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::app::AppError;
use crate::domain::MAX_BATCH_ITEMS;

/// Unknown fields are refused: a misspelt field would otherwise be silently dropped.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeystoreImportRequest {
    pub edge_instance_id: String,
    pub encryption_key_id: String,
    pub import_information: Vec<ImportItem>,
}

/// One item in any of its three forms; `form()` says which.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkcs12_keystore: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dek_encrypted_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_encrypted_private_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dek_encrypted_private_key: Option<String>,
}

/// An item's form, with its binary fields decoded.
pub enum ItemForm<'a> {
    Pkcs12 {
        keystore: Vec<u8>,
        sealed_password: Vec<u8>,
    },
    Pkcs8Encrypted {
        certificate: &'a str,
        encrypted_key: &'a str,
        sealed_password: Vec<u8>,
    },
    Pkcs8Sealed {
        certificate: &'a str,
        sealed_key: Vec<u8>,
    },
}

impl ImportItem {
    /// The item's form; `Err` names what is wrong, for a 400 at upload.
    pub fn form(&self) -> Result<ItemForm<'_>, String> {
        let b64 = |name: &str, value: &str| {
            B64.decode(value.trim())
                .map_err(|_| format!("`{name}` is not valid base64"))
        };
        match (
            &self.pkcs12_keystore,
            &self.dek_encrypted_password,
            &self.certificate,
            &self.password_encrypted_private_key,
            &self.dek_encrypted_private_key,
        ) {
            (Some(keystore), Some(password), None, None, None) => Ok(ItemForm::Pkcs12 {
                keystore: b64("pkcs12Keystore", keystore)?,
                sealed_password: b64("dekEncryptedPassword", password)?,
            }),
            (None, Some(password), Some(certificate), Some(key), None) => Ok(ItemForm::Pkcs8Encrypted {
                certificate,
                encrypted_key: key,
                sealed_password: b64("dekEncryptedPassword", password)?,
            }),
            (None, None, Some(certificate), None, Some(key)) => Ok(ItemForm::Pkcs8Sealed {
                certificate,
                sealed_key: b64("dekEncryptedPrivateKey", key)?,
            }),
            _ => Err("expected {pkcs12Keystore, dekEncryptedPassword}, \
                 {certificate, passwordEncryptedPrivateKey, dekEncryptedPassword} or \
                 {certificate, dekEncryptedPrivateKey}"
                .to_string()),
        }
    }
}

impl KeystoreImportRequest {
    pub fn parse(body: &[u8]) -> Result<Self, AppError> {
        let request: KeystoreImportRequest = serde_json::from_slice(body).map_err(|e| {
            AppError::invalid(format!("the body is not a valid keystore import request: {e}"))
        })?;
        let count = request.import_information.len();
        if !(1..=MAX_BATCH_ITEMS).contains(&count) {
            return Err(AppError::invalid(format!(
                "`importInformation` must hold 1 to {MAX_BATCH_ITEMS} items; it holds {count}"
            )));
        }
        for (i, item) in request.import_information.iter().enumerate() {
            item.form()
                .map_err(|e| AppError::invalid(format!("importInformation[{i}]: {e}")))?;
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_counts_forms_and_base64() {
        let item = r#"{"pkcs12Keystore":"AAEC","dekEncryptedPassword":"AAEC"}"#;
        let body = |items: &str| {
            format!(r#"{{"edgeInstanceId":"e","encryptionKeyId":"k","importInformation":[{items}]}}"#)
        };
        assert!(KeystoreImportRequest::parse(body(item).as_bytes()).is_ok());
        let too_many = vec![item; 101].join(",");
        let e = KeystoreImportRequest::parse(body(&too_many).as_bytes()).unwrap_err();
        assert!(e.to_string().contains("1 to 100"), "{e}");
        assert!(KeystoreImportRequest::parse(body("").as_bytes()).is_err());
        let e = KeystoreImportRequest::parse(
            body(r#"{"pkcs12Keystore":"!!","dekEncryptedPassword":"AAEC"}"#).as_bytes(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("importInformation[0]: `pkcs12Keystore` is not valid base64"),
            "{e}"
        );
        let e = KeystoreImportRequest::parse(body(r#"{"certificate":"x"}"#).as_bytes()).unwrap_err();
        assert!(e.to_string().contains("expected"), "{e}");
        let e = KeystoreImportRequest::parse(br#"{"edgeInstanceId":1}"#).unwrap_err();
        assert!(e.to_string().contains("invalid type"), "{e}");
        let e = KeystoreImportRequest::parse(
            body(r#"{"pkcs12Keystore":"AAEC","dekEncryptedPassword":"AAEC","pkcs12Password":"x"}"#)
                .as_bytes(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `pkcs12Password`"), "{e}");
        let extra = r#"{"edgeInstanceId":"e","encryptionKeyId":"k","importInformation":[],"tags":[]}"#;
        let e = KeystoreImportRequest::parse(extra.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("unknown field `tags`"), "{e}");
        // Clients that send every field, unused ones as null, still work.
        let nulls = r#"{"pkcs12Keystore":"AAEC","dekEncryptedPassword":"AAEC","certificate":null,"passwordEncryptedPrivateKey":null,"dekEncryptedPrivateKey":null}"#;
        assert!(KeystoreImportRequest::parse(body(nulls).as_bytes()).is_ok());
    }
}
