use http::Method;

/// The Lambda functions, each owning a set of routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    CertificateImportUpload,
    CertificateImportStatus,
    EnrollmentProfiles,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    CreateProfile,
    GetProfile { id: String },
    SetSourceFieldsMapping { id: String },
    UploadCertificateImport { profile_id: String },
    GetCertificateImport { job_id: String },
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
            Route::resolve(&Method::GET, "/iot/api/v1/enrollment-profile//x"),
            Err(RouteError::NotFound)
        );
    }
}
