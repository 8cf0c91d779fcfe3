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
    GetProfile {
        id: String,
    },
    SetSourceFieldsMapping {
        id: String,
    },
    UploadCertificateImport {
        profile_id: String,
    },
    /// An upload URL for a zip too large for a request body.
    CertificateUploadUrl {
        profile_id: String,
    },
    GetCertificateImport {
        job_id: String,
    },
    UploadKeystoreImport,
    /// An upload URL for a batch too large for a request body.
    KeystoreUploadUrl,
    GetKeystoreImport {
        id: String,
    },
    ListEdgeInstances,
    GetEncryptionKey {
        id: String,
    },
    AddTrustedCa,
    ListTrustedCas,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    /// The path exists; `allow` lists its methods (the `Allow` header), `style` its error shape.
    MethodNotAllowed {
        allow: String,
        style: super::error::ErrorStyle,
    },
}

impl Route {
    pub fn resolve(method: &Method, path: &str) -> Result<Route, RouteError> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let id = |s: &str| s.to_string();
        let methods: Vec<(Method, Route)> = match segments.as_slice() {
            ["outagedetection", "v1", "certificates", "imports"] => {
                vec![(Method::POST, Route::UploadKeystoreImport)]
            }
            ["outagedetection", "v1", "certificates", "imports", i] => {
                // Import ids are UUIDs: `upload-url` is never one.
                if *i == "upload-url" {
                    vec![(Method::POST, Route::KeystoreUploadUrl)]
                } else {
                    vec![(Method::GET, Route::GetKeystoreImport { id: id(i) })]
                }
            }
            ["v1", "edgeinstances"] => vec![(Method::GET, Route::ListEdgeInstances)],
            ["v1", "edgeencryptionkeys", k] => vec![(Method::GET, Route::GetEncryptionKey { id: id(k) })],
            ["v1", "trustedcacertificates"] => vec![
                (Method::GET, Route::ListTrustedCas),
                (Method::POST, Route::AddTrustedCa),
            ],
            ["iot", "api", "v1", "enrollment-profile"] => vec![(Method::POST, Route::CreateProfile)],
            ["iot", "api", "v1", "enrollment-profile", p] => {
                vec![(Method::GET, Route::GetProfile { id: id(p) })]
            }
            ["iot", "api", "v1", "enrollment-profile", p, "source-fields-mapping"] => {
                vec![(Method::POST, Route::SetSourceFieldsMapping { id: id(p) })]
            }
            ["iot", "api", "v1", "certificate-import", "job", j] => {
                vec![(Method::GET, Route::GetCertificateImport { job_id: id(j) })]
            }
            ["iot", "api", "v1", "certificate-import", p] => {
                vec![(Method::POST, Route::UploadCertificateImport { profile_id: id(p) })]
            }
            ["iot", "api", "v1", "certificate-import", p, "upload-url"] => {
                vec![(Method::POST, Route::CertificateUploadUrl { profile_id: id(p) })]
            }
            _ => return Err(RouteError::NotFound),
        };
        let style = methods[0].1.error_style();
        let allow: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
        let allow = allow.join(", ");
        methods
            .into_iter()
            .find(|(m, _)| m == method)
            .map(|(_, route)| route)
            .ok_or(RouteError::MethodNotAllowed { allow, style })
    }

    pub fn owner(&self) -> Function {
        match self {
            Route::CreateProfile | Route::GetProfile { .. } | Route::SetSourceFieldsMapping { .. } => {
                Function::EnrollmentProfiles
            }
            Route::UploadCertificateImport { .. } | Route::CertificateUploadUrl { .. } => {
                Function::CertificateImportUpload
            }
            Route::GetCertificateImport { .. } => Function::CertificateImportStatus,
            Route::UploadKeystoreImport | Route::KeystoreUploadUrl => Function::KeystoreImportUpload,
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
            Err(RouteError::MethodNotAllowed {
                allow: "POST".into(),
                style: crate::http::ErrorStyle::DigiCert
            })
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
            Err(RouteError::MethodNotAllowed {
                allow: "GET, POST".into(),
                style: crate::http::ErrorStyle::Venafi
            })
        );
        assert_eq!(
            Route::resolve(&Method::POST, "/iot/api/v1/certificate-import/p1/upload-url")
                .unwrap()
                .owner(),
            Function::CertificateImportUpload
        );
        assert_eq!(
            Route::resolve(
                &Method::POST,
                "/outagedetection/v1/certificates/imports/upload-url"
            ),
            Ok(Route::KeystoreUploadUrl)
        );
        assert!(matches!(
            Route::resolve(
                &Method::GET,
                "/outagedetection/v1/certificates/imports/upload-url"
            ),
            Err(RouteError::MethodNotAllowed { .. })
        ));
        let r = Route::resolve(&Method::GET, "/outagedetection/v1/certificates/imports/j").unwrap();
        assert_eq!(r.owner(), Function::KeystoreImportStatus);
        assert_eq!(r.error_style(), crate::http::ErrorStyle::Venafi);
        assert_eq!(
            Route::resolve(&Method::GET, "/iot/api/v1/enrollment-profile//x"),
            Err(RouteError::NotFound)
        );
    }
}
