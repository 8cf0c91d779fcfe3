//! The routes of both APIs, as one table: method, path template, and how the route is
//! built from the path's parameters. Deployment (which Lambda serves which route) is not
//! decided here.

use http::Method;

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
    /// A certificate import's failures, a page at a time.
    ListCertificateImportFailures {
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
    SearchCertificates,
    GetCertificate {
        id: String,
    },
    GetCertificateContents {
        id: String,
    },
    /// The certificate with its private key, under the caller's passphrases.
    ExportKeystore {
        id: String,
    },
    /// The request an imported certificate answers to (vcert's retrieval reads it).
    GetCertificateRequest {
        id: String,
    },
    /// Issuing a certificate, which certport cannot do: a 400 saying what to do instead.
    RequestCertificate,
    ListAuditEvents,
    ListDevices,
    GetDevice {
        id: String,
    },
    /// The certificates devices hold.
    ListDeviceCertificates,
}

/// Builds a route from its path parameters, in template order.
type Build = fn(&[&str]) -> Route;

/// Every route: method, path template (`{name}` matches one non-empty segment), builder.
pub const ROUTES: &[(&str, &str, Build)] = &[
    ("POST", "/iot/api/v1/enrollment-profile", |_| Route::CreateProfile),
    ("GET", "/iot/api/v1/enrollment-profile/{id}", |p| {
        Route::GetProfile { id: p[0].into() }
    }),
    (
        "POST",
        "/iot/api/v1/enrollment-profile/{id}/source-fields-mapping",
        |p| Route::SetSourceFieldsMapping { id: p[0].into() },
    ),
    (
        "POST",
        "/iot/api/v1/certificate-import/{enrollment_profile_id}",
        |p| Route::UploadCertificateImport {
            profile_id: p[0].into(),
        },
    ),
    (
        "POST",
        "/iot/api/v1/certificate-import/{enrollment_profile_id}/upload-url",
        |p| Route::CertificateUploadUrl {
            profile_id: p[0].into(),
        },
    ),
    ("GET", "/iot/api/v1/certificate-import/job/{job_id}", |p| {
        Route::GetCertificateImport { job_id: p[0].into() }
    }),
    (
        "GET",
        "/iot/api/v1/certificate-import/job/{job_id}/failures",
        |p| Route::ListCertificateImportFailures { job_id: p[0].into() },
    ),
    ("POST", "/outagedetection/v1/certificates/imports", |_| {
        Route::UploadKeystoreImport
    }),
    (
        "POST",
        "/outagedetection/v1/certificates/imports/upload-url",
        |_| Route::KeystoreUploadUrl,
    ),
    ("GET", "/outagedetection/v1/certificates/imports/{id}", |p| {
        Route::GetKeystoreImport { id: p[0].into() }
    }),
    ("GET", "/v1/edgeinstances", |_| Route::ListEdgeInstances),
    ("GET", "/v1/edgeencryptionkeys/{id}", |p| {
        Route::GetEncryptionKey { id: p[0].into() }
    }),
    ("GET", "/v1/trustedcacertificates", |_| Route::ListTrustedCas),
    ("POST", "/v1/trustedcacertificates", |_| Route::AddTrustedCa),
    ("POST", "/outagedetection/v1/certificatesearch", |_| {
        Route::SearchCertificates
    }),
    ("GET", "/outagedetection/v1/certificates/{id}", |p| {
        Route::GetCertificate { id: p[0].into() }
    }),
    ("GET", "/outagedetection/v1/certificates/{id}/contents", |p| {
        Route::GetCertificateContents { id: p[0].into() }
    }),
    ("POST", "/outagedetection/v1/certificates/{id}/keystore", |p| {
        Route::ExportKeystore { id: p[0].into() }
    }),
    ("GET", "/outagedetection/v1/certificaterequests/{id}", |p| {
        Route::GetCertificateRequest { id: p[0].into() }
    }),
    ("POST", "/outagedetection/v1/certificaterequests", |_| {
        Route::RequestCertificate
    }),
    ("GET", "/v1/auditevents", |_| Route::ListAuditEvents),
    ("GET", "/iot/api/v2/device", |_| Route::ListDevices),
    ("GET", "/iot/api/v2/device/{id}", |p| Route::GetDevice {
        id: p[0].into(),
    }),
    ("GET", "/iot/api/v1/certificate", |_| {
        Route::ListDeviceCertificates
    }),
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
fn matches<'a>(template: &str, path: &[&'a str]) -> Option<(Vec<&'a str>, usize)> {
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
    /// The route `method` and `path` name; a trailing `/` is ignored.
    pub fn resolve(method: &Method, path: &str) -> Result<Route, RouteError> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let candidates: Vec<(&str, Build, Vec<&str>, usize)> = ROUTES
            .iter()
            .filter_map(|(m, template, build)| {
                matches(template, &segments).map(|(params, literals)| (*m, *build, params, literals))
            })
            .collect();
        let Some(most_specific) = candidates.iter().map(|c| c.3).max() else {
            return Err(RouteError::NotFound);
        };
        let candidates: Vec<_> = candidates.into_iter().filter(|c| c.3 == most_specific).collect();
        match candidates.iter().find(|c| c.0 == method.as_str()) {
            Some((_, build, params, _)) => Ok(build(params)),
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
    fn every_template_resolves_with_its_method_and_parameters() {
        for (method, template, build) in ROUTES {
            let path = template.replace('{', "x-").replace('}', "");
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let params: Vec<String> = template
                .split('/')
                .filter(|s| s.starts_with('{'))
                .map(|s| format!("x-{}", &s[1..s.len() - 1]))
                .collect();
            let params: Vec<&str> = params.iter().map(String::as_str).collect();
            assert_eq!(resolve(method, &path), Ok(build(&params)), "{template}");
        }
    }

    #[test]
    fn parameters_are_taken_from_the_path() {
        assert_eq!(
            resolve(Method::POST, "/iot/api/v1/certificate-import/p1"),
            Ok(Route::UploadCertificateImport {
                profile_id: "p1".into()
            })
        );
        assert_eq!(
            resolve(Method::GET, "/iot/api/v1/certificate-import/job/j1/"),
            Ok(Route::GetCertificateImport { job_id: "j1".into() })
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
