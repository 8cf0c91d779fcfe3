//! The routes of both APIs, as one table: method, path template, and which route it is.
//! The router registers each route's handler from it; deployment (which Lambda serves
//! which route) is not decided here.

use http::Method;

use crate::domain::Scope;

/// A route of either API (its path parameters are its handler's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    CreateProfile,
    GetProfile,
    SetSourceFieldsMapping,
    UploadCertificateImport,
    /// An upload URL for a zip too large for a request body.
    CertificateUploadUrl,
    GetCertificateImport,
    /// A certificate import's failures, a page at a time.
    ListCertificateImportFailures,
    UploadKeystoreImport,
    /// An upload URL for a batch too large for a request body.
    KeystoreUploadUrl,
    GetKeystoreImport,
    ListEdgeInstances,
    GetEncryptionKey,
    AddTrustedCa,
    ListTrustedCas,
    SearchCertificates,
    GetCertificate,
    GetCertificateContents,
    /// The certificate with its private key, under the caller's passphrases.
    ExportKeystore,
    /// The request an imported certificate answers to (vcert's retrieval reads it).
    GetCertificateRequest,
    /// Issuing a certificate, which certport cannot do: a 400 saying what to do instead.
    RequestCertificate,
    ListAuditEvents,
    ListDevices,
    GetDevice,
    /// The certificates devices hold.
    ListDeviceCertificates,
}

/// Every route: method, path template (`{name}` matches one non-empty segment), route.
pub const ROUTES: &[(&str, &str, Route)] = &[
    ("POST", "/iot/api/v1/enrollment-profile", Route::CreateProfile),
    ("GET", "/iot/api/v1/enrollment-profile/{id}", Route::GetProfile),
    (
        "POST",
        "/iot/api/v1/enrollment-profile/{id}/source-fields-mapping",
        Route::SetSourceFieldsMapping,
    ),
    (
        "POST",
        "/iot/api/v1/certificate-import/{enrollment_profile_id}",
        Route::UploadCertificateImport,
    ),
    (
        "POST",
        "/iot/api/v1/certificate-import/{enrollment_profile_id}/upload-url",
        Route::CertificateUploadUrl,
    ),
    (
        "GET",
        "/iot/api/v1/certificate-import/job/{job_id}",
        Route::GetCertificateImport,
    ),
    (
        "GET",
        "/iot/api/v1/certificate-import/job/{job_id}/failures",
        Route::ListCertificateImportFailures,
    ),
    (
        "POST",
        "/outagedetection/v1/certificates/imports",
        Route::UploadKeystoreImport,
    ),
    (
        "POST",
        "/outagedetection/v1/certificates/imports/upload-url",
        Route::KeystoreUploadUrl,
    ),
    (
        "GET",
        "/outagedetection/v1/certificates/imports/{id}",
        Route::GetKeystoreImport,
    ),
    ("GET", "/v1/edgeinstances", Route::ListEdgeInstances),
    ("GET", "/v1/edgeencryptionkeys/{id}", Route::GetEncryptionKey),
    ("GET", "/v1/trustedcacertificates", Route::ListTrustedCas),
    ("POST", "/v1/trustedcacertificates", Route::AddTrustedCa),
    (
        "POST",
        "/outagedetection/v1/certificatesearch",
        Route::SearchCertificates,
    ),
    (
        "GET",
        "/outagedetection/v1/certificates/{id}",
        Route::GetCertificate,
    ),
    (
        "GET",
        "/outagedetection/v1/certificates/{id}/contents",
        Route::GetCertificateContents,
    ),
    (
        "POST",
        "/outagedetection/v1/certificates/{id}/keystore",
        Route::ExportKeystore,
    ),
    (
        "GET",
        "/outagedetection/v1/certificaterequests/{id}",
        Route::GetCertificateRequest,
    ),
    (
        "POST",
        "/outagedetection/v1/certificaterequests",
        Route::RequestCertificate,
    ),
    ("GET", "/v1/auditevents", Route::ListAuditEvents),
    ("GET", "/iot/api/v2/device", Route::ListDevices),
    ("GET", "/iot/api/v2/device/{id}", Route::GetDevice),
    ("GET", "/iot/api/v1/certificate", Route::ListDeviceCertificates),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    /// The path exists; `allow` lists its methods (the `Allow` header).
    MethodNotAllowed {
        allow: String,
    },
}

/// The parameters of `path` if it matches `template`, and how many literal segments
/// matched (more is more specific: `imports/upload-url` beats `imports/{id}`).
pub(super) fn matches<'a>(template: &str, path: &[&'a str]) -> Option<(Vec<&'a str>, usize)> {
    let template: Vec<&str> = template.split('/').skip(1).collect();
    if template.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    let mut literals = 0;
    for (want, got) in template.iter().zip(path) {
        if got.is_empty() {
            return None;
        }
        if want.starts_with('{') {
            params.push(*got);
        } else if want == got {
            literals += 1;
        } else {
            return None;
        }
    }
    Some((params, literals))
}

impl Route {
    /// The scopes that admit a caller to this route: its key needs one of them.
    pub fn scopes(self) -> &'static [Scope] {
        use Route::*;
        match self {
            CreateProfile | SetSourceFieldsMapping | AddTrustedCa => &[Scope::Manage],
            GetProfile => &[Scope::Import, Scope::Manage],
            UploadCertificateImport
            | CertificateUploadUrl
            | GetCertificateImport
            | ListCertificateImportFailures
            | UploadKeystoreImport
            | KeystoreUploadUrl
            | GetKeystoreImport => &[Scope::Import],
            // Both seal passphrases to the DEK these name.
            ListEdgeInstances | GetEncryptionKey => &[Scope::Import, Scope::Export],
            ListTrustedCas => &[Scope::Read, Scope::Manage],
            SearchCertificates
            | GetCertificate
            | GetCertificateContents
            | GetCertificateRequest
            | ListDevices
            | GetDevice
            | ListDeviceCertificates => &[Scope::Read],
            ExportKeystore => &[Scope::Export],
            // Only says what to do instead: any key may hear it.
            RequestCertificate => &Scope::ALL,
            ListAuditEvents => &[Scope::Admin],
        }
    }

    /// The route `method` and `path` name; a trailing `/` is ignored.
    pub fn resolve(method: &Method, path: &str) -> Result<Route, RouteError> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let candidates: Vec<(&str, Route, usize)> = ROUTES
            .iter()
            .filter_map(|(m, template, route)| {
                matches(template, &segments).map(|(_, literals)| (*m, *route, literals))
            })
            .collect();
        let Some(most_specific) = candidates.iter().map(|c| c.2).max() else {
            return Err(RouteError::NotFound);
        };
        let candidates: Vec<_> = candidates.into_iter().filter(|c| c.2 == most_specific).collect();
        match candidates.iter().find(|c| c.0 == method.as_str()) {
            Some((_, route, _)) => Ok(*route),
            None => {
                let allow: Vec<&str> = candidates.iter().map(|c| c.0).collect();
                Err(RouteError::MethodNotAllowed {
                    allow: allow.join(", "),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(method: Method, path: &str) -> Result<Route, RouteError> {
        Route::resolve(&method, path)
    }

    #[test]
    fn every_template_resolves_with_its_method() {
        for (method, template, route) in ROUTES {
            let path = template.replace('{', "x-").replace('}', "");
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            assert_eq!(resolve(method, &path), Ok(*route), "{template}");
        }
    }

    #[test]
    fn parameters_match_any_segment_and_a_trailing_slash_is_ignored() {
        assert_eq!(
            resolve(Method::POST, "/iot/api/v1/certificate-import/p1"),
            Ok(Route::UploadCertificateImport)
        );
        assert_eq!(
            resolve(Method::GET, "/iot/api/v1/certificate-import/job/j1/"),
            Ok(Route::GetCertificateImport)
        );
    }

    #[test]
    fn a_known_path_with_another_method_lists_the_allowed_ones() {
        assert_eq!(
            resolve(Method::GET, "/iot/api/v1/certificate-import/p1"),
            Err(RouteError::MethodNotAllowed { allow: "POST".into() })
        );
        assert_eq!(
            resolve(Method::DELETE, "/v1/trustedcacertificates/"),
            Err(RouteError::MethodNotAllowed {
                allow: "GET, POST".into()
            })
        );
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        assert_eq!(
            resolve(
                Method::POST,
                "/outagedetection/v1/certificates/imports/upload-url"
            ),
            Ok(Route::KeystoreUploadUrl)
        );
        assert!(matches!(
            resolve(Method::GET, "/outagedetection/v1/certificates/imports/upload-url"),
            Err(RouteError::MethodNotAllowed { .. })
        ));
    }

    #[test]
    fn unknown_paths_and_empty_segments_are_not_found() {
        assert_eq!(resolve(Method::GET, "/nope"), Err(RouteError::NotFound));
        assert_eq!(
            resolve(Method::GET, "/iot/api/v1/enrollment-profile//x"),
            Err(RouteError::NotFound)
        );
    }
}
