use http::Method;

/// The Lambda functions, each owning a set of routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    CertificateImportUpload,
    CertificateImportStatus,
    EnrollmentProfiles,
    KeystoreImportUpload,
    KeystoreImportStatus,
    /// Edge instances, their encryption keys, and trusted CA certificates.
    KeystoreAdmin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    CreateProfile,
    GetProfile { id: String },
    SetSourceFieldsMapping { id: String },
    UploadCertificateImport { profile_id: String },
    GetCertificateImport { job_id: String },
    UploadKeystoreImport,
    GetKeystoreImport { id: String },
    ListEdgeInstances,
    GetEncryptionKey { id: String },
    AddTrustedCa,
    ListTrustedCas,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    MethodNotAllowed,
}

impl Route {
    pub fn resolve(method: &Method, path: &str) -> Result<Route, RouteError> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let id = |s: &str| s.to_string();
        let (route, allowed) = match segments.as_slice() {
            ["outagedetection", "v1", "certificates", "imports"] => {
                (Route::UploadKeystoreImport, Method::POST)
            }
            ["outagedetection", "v1", "certificates", "imports", i] => {
                (Route::GetKeystoreImport { id: id(i) }, Method::GET)
            }
            ["v1", "edgeinstances"] => (Route::ListEdgeInstances, Method::GET),
            ["v1", "edgeencryptionkeys", k] => (Route::GetEncryptionKey { id: id(k) }, Method::GET),
            ["v1", "trustedcacertificates"] if *method == Method::POST => (Route::AddTrustedCa, Method::POST),
            ["v1", "trustedcacertificates"] => (Route::ListTrustedCas, Method::GET),
            ["iot", "api", "v1", "enrollment-profile"] => (Route::CreateProfile, Method::POST),
            ["iot", "api", "v1", "enrollment-profile", p] => (Route::GetProfile { id: id(p) }, Method::GET),
            ["iot", "api", "v1", "enrollment-profile", p, "source-fields-mapping"] => {
                (Route::SetSourceFieldsMapping { id: id(p) }, Method::POST)
            }
            ["iot", "api", "v1", "certificate-import", "job", j] => {
                (Route::GetCertificateImport { job_id: id(j) }, Method::GET)
            }
            ["iot", "api", "v1", "certificate-import", p] => {
                (Route::UploadCertificateImport { profile_id: id(p) }, Method::POST)
            }
            _ => return Err(RouteError::NotFound),
        };
        if *method == allowed {
            Ok(route)
        } else {
            Err(RouteError::MethodNotAllowed)
        }
    }

    pub fn owner(&self) -> Function {
        match self {
            Route::CreateProfile | Route::GetProfile { .. } | Route::SetSourceFieldsMapping { .. } => {
                Function::EnrollmentProfiles
            }
            Route::UploadCertificateImport { .. } => Function::CertificateImportUpload,
            Route::GetCertificateImport { .. } => Function::CertificateImportStatus,
            Route::UploadKeystoreImport => Function::KeystoreImportUpload,
            Route::GetKeystoreImport { .. } => Function::KeystoreImportStatus,
            Route::ListEdgeInstances
            | Route::GetEncryptionKey { .. }
            | Route::AddTrustedCa
            | Route::ListTrustedCas => Function::KeystoreAdmin,
        }
    }

    pub fn error_style(&self) -> super::error::ErrorStyle {
        match self.owner() {
            Function::KeystoreImportUpload | Function::KeystoreImportStatus | Function::KeystoreAdmin => {
                super::error::ErrorStyle::Venafi
            }
            _ => super::error::ErrorStyle::DigiCert,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_route_and_its_owner() {
        let r = Route::resolve(&Method::POST, "/iot/api/v1/certificate-import/p1").unwrap();
        assert_eq!(
            r,
            Route::UploadCertificateImport {
                profile_id: "p1".into()
            }
        );
        assert_eq!(r.owner(), Function::CertificateImportUpload);
        let r = Route::resolve(&Method::GET, "/iot/api/v1/certificate-import/job/j1/").unwrap();
        assert_eq!(r.owner(), Function::CertificateImportStatus);
        assert_eq!(
            Route::resolve(
                &Method::POST,
                "/iot/api/v1/enrollment-profile/p/source-fields-mapping"
            ),
            Ok(Route::SetSourceFieldsMapping { id: "p".into() })
        );
        assert_eq!(
            Route::resolve(&Method::GET, "/iot/api/v1/certificate-import/p1"),
            Err(RouteError::MethodNotAllowed)
        );
        assert_eq!(Route::resolve(&Method::GET, "/nope"), Err(RouteError::NotFound));
        assert_eq!(
            Route::resolve(&Method::POST, "/v1/trustedcacertificates"),
            Ok(Route::AddTrustedCa)
        );
        assert_eq!(
            Route::resolve(&Method::GET, "/v1/trustedcacertificates/"),
            Ok(Route::ListTrustedCas)
        );
        assert_eq!(
            Route::resolve(&Method::DELETE, "/v1/trustedcacertificates"),
            Err(RouteError::MethodNotAllowed)
        );
        let r = Route::resolve(&Method::GET, "/outagedetection/v1/certificates/imports/j").unwrap();
        assert_eq!(r.owner(), Function::KeystoreImportStatus);
        assert_eq!(r.error_style(), crate::http::ErrorStyle::Venafi);
        assert_eq!(
            Route::resolve(&Method::GET, "/iot/api/v1/enrollment-profile//x"),
            Err(RouteError::NotFound)
        );
    }
}
