//! The HTTP Lambda functions and the routes each serves (`template.yaml` wires the same).

use certport_core::http::Route;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    CertificateImportUpload,
    CertificateImportStatus,
    EnrollmentProfiles,
    KeystoreImportUpload,
    KeystoreImportStatus,
    /// Edge instances, their encryption keys, and trusted CA certificates.
    KeystoreAdmin,
    /// The inventory's read routes (no key material).
    InventoryReads,
    /// Private-key export: the only function that may decrypt a stored key.
    CertificateExport,
}

impl Function {
    pub const ALL: [Function; 8] = [
        Function::CertificateImportUpload,
        Function::CertificateImportStatus,
        Function::EnrollmentProfiles,
        Function::KeystoreImportUpload,
        Function::KeystoreImportStatus,
        Function::KeystoreAdmin,
        Function::InventoryReads,
        Function::CertificateExport,
    ];

    /// The function serving `route`.
    pub fn serving(route: &Route) -> Function {
        match route {
            Route::CreateProfile | Route::GetProfile | Route::SetSourceFieldsMapping => {
                Function::EnrollmentProfiles
            }
            Route::UploadCertificateImport | Route::CertificateUploadUrl => Function::CertificateImportUpload,
            Route::GetCertificateImport | Route::ListCertificateImportFailures => {
                Function::CertificateImportStatus
            }
            Route::UploadKeystoreImport | Route::KeystoreUploadUrl => Function::KeystoreImportUpload,
            Route::GetKeystoreImport => Function::KeystoreImportStatus,
            Route::ListEdgeInstances
            | Route::GetEncryptionKey
            | Route::AddTrustedCa
            | Route::ListTrustedCas => Function::KeystoreAdmin,
            Route::SearchCertificates
            | Route::GetCertificate
            | Route::GetCertificateContents
            | Route::GetCertificateRequest
            | Route::RequestCertificate
            | Route::ListAuditEvents
            | Route::ListDevices
            | Route::GetDevice
            | Route::ListDeviceCertificates => Function::InventoryReads,
            Route::ExportKeystore => Function::CertificateExport,
        }
    }

    pub fn serves(self, route: &Route) -> bool {
        Function::serving(route) == self
    }

    /// Its binary (and crate) name, as `template.yaml` builds it.
    pub fn binary(self) -> &'static str {
        match self {
            Function::CertificateImportUpload => "certificate-import-upload",
            Function::CertificateImportStatus => "certificate-import-status",
            Function::EnrollmentProfiles => "enrollment-profiles",
            Function::KeystoreImportUpload => "keystore-import-upload",
            Function::KeystoreImportStatus => "keystore-import-status",
            Function::KeystoreAdmin => "keystore-admin",
            Function::InventoryReads => "inventory-reads",
            Function::CertificateExport => "certificate-export",
        }
    }
}
