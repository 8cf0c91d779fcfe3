//! The OpenAPI document of both APIs, generated: every operation from the route table (an
//! exhaustive match, so a new route cannot go undocumented) and every body's schema from
//! its type in `contract` (utoipa). `openapi.yaml` at the repository's root is this
//! document, committed; a test fails when they differ (`certport openapi` writes it).

use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi;
use utoipa::{PartialSchema, ToSchema};

use super::contract::{api_a, api_b, errors};
use super::{Route, ROUTES};

/// The document, as YAML.
pub fn yaml() -> String {
    document().to_yaml().unwrap_or_default()
}

pub fn document() -> OpenApi {
    serde_json::from_value(json_document()).unwrap_or_default()
}

/// Which API a route belongs to: its tag, and the shape of its errors.
#[derive(Clone, Copy)]
enum Api {
    DigiCert,
    Venafi,
}

impl Api {
    fn of(route: Route) -> Api {
        let template = ROUTES
            .iter()
            .find(|(_, _, r)| *r == route)
            .map_or("", |(_, template, _)| *template);
        if template.starts_with("/outagedetection/") || template.starts_with("/v1/") {
            Api::Venafi
        } else {
            Api::DigiCert
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Api::DigiCert => "DigiCert",
            Api::Venafi => "Venafi",
        }
    }
}

/// The error responses of an operation, by status.
fn errors(api: Api, statuses: &[u16]) -> Map<String, Value> {
    statuses
        .iter()
        .map(|status| {
            let name = match status {
                400 => "BadRequest",
                401 => "Unauthorized",
                404 => "NotFound",
                409 => "Conflict",
                412 => "Precondition",
                413 => "TooLarge",
                429 => "Busy",
                _ => "Unavailable",
            };
            let reference = format!("#/components/responses/{}{name}", api.prefix());
            (status.to_string(), json!({"$ref": reference}))
        })
        .collect()
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn path_parameter(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}})
}

fn query_parameter(name: &str, schema: Value, description: Option<&str>) -> Value {
    let mut parameter = json!({"name": name, "in": "query", "required": false, "schema": schema});
    if let (Some(description), Some(object)) = (description, parameter.as_object_mut()) {
        object.insert("description".into(), json!(description));
    }
    parameter
}

fn link(operation: &str, parameter: &str, from: &str) -> Value {
    json!({"operationId": operation, "parameters": {parameter: format!("$response.body#{from}")}})
}

/// One operation: what it is, what it takes, what it answers.
struct Operation {
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
    parameters: Vec<Value>,
    body: Option<Value>,
    success: (u16, &'static str, Value),
    links: Value,
    errors: &'static [u16],
}

fn operation(route: Route) -> Operation {
    use Route::*;
    let id = || path_parameter("id");
    let paging = |default: u64| {
        vec![
            query_parameter(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": default}),
                None,
            ),
            query_parameter(
                "offset",
                json!({"type": "integer", "minimum": 0, "maximum": 100000, "default": 0}),
                None,
            ),
        ]
    };
    let none = || json!({});
    match route {
        CreateProfile => Operation {
            id: "createEnrollmentProfile",
            tag: "enrollment profiles",
            summary: "Creates an enrollment profile.",
            description: None,
            parameters: vec![],
            body: Some(json_content(schema_ref("NewEnrollmentProfile"))),
            success: (
                201,
                "The profile. Its format is set by its source fields mapping.",
                schema_ref("EnrollmentProfile"),
            ),
            links: json!({
                "GetProfile": link("getEnrollmentProfile", "id", "/id"),
                "SetMapping": link("setSourceFieldsMapping", "id", "/id"),
                "Import": link("uploadCertificateImport", "enrollment_profile_id", "/id"),
            }),
            errors: &[400, 401, 413, 503],
        },
        GetProfile => Operation {
            id: "getEnrollmentProfile",
            tag: "enrollment profiles",
            summary: "Reads an enrollment profile.",
            description: None,
            parameters: vec![id()],
            body: None,
            success: (200, "The profile.", schema_ref("EnrollmentProfile")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        SetSourceFieldsMapping => Operation {
            id: "setSourceFieldsMapping",
            tag: "enrollment profiles",
            summary: "Sets a profile's format and source fields mapping from a sample file.",
            description: Some(
                "The sample's extension (`.pem` or `.xml`) sets the format every import for this profile \
                 must use. The mapping is checked against the sample's first certificate; \
                 `device_identifier` is required.",
            ),
            parameters: vec![id()],
            body: Some(json!({"multipart/form-data": {"schema": {
                "type": "object",
                "required": ["file", "mapping"],
                "properties": {
                    "file": {"description": "A sample `.pem` or `.xml` file.", "type": "string", "contentMediaType": "application/octet-stream"},
                    "mapping": {"description": "JSON object `{target_field: source_field}`.", "type": "string", "contentMediaType": "application/json"},
                },
            }}})),
            success: (
                200,
                "The source fields found in the sample and the mapped values.",
                schema_ref("MappingPreview"),
            ),
            links: none(),
            errors: &[400, 401, 404, 413, 503],
        },
        UploadCertificateImport => Operation {
            id: "uploadCertificateImport",
            tag: "certificate import",
            summary: "Uploads a zip of `.pem` files or one `.xml` file for import.",
            description: None,
            parameters: vec![path_parameter("enrollment_profile_id")],
            body: Some(json!({"multipart/form-data": {"schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {
                    "description": "A `.zip` of `.pem` files or of one `.xml` file, in the profile's format.",
                    "type": "string",
                    "contentMediaType": "application/zip",
                }},
            }}})),
            success: (
                200,
                "The job, PENDING until the processor has run.",
                schema_ref("CertificateImportJob"),
            ),
            links: json!({"GetJob": link("getCertificateImport", "job_id", "/id")}),
            errors: &[400, 401, 404, 413, 429, 503],
        },
        CertificateUploadUrl => Operation {
            id: "requestCertificateUploadUrl",
            tag: "certificate import",
            summary: "Creates a job and a short-lived URL to PUT a zip too large for a request body.",
            description: Some(
                "PUT exactly `size` bytes to `upload.url` with `upload.headers`; the job is processed \
                 when the upload arrives, like a direct upload. The URL expires after 15 minutes.",
            ),
            parameters: vec![path_parameter("enrollment_profile_id")],
            body: Some(json_content(schema_ref("CertificateUploadUrlRequest"))),
            success: (
                200,
                "The job (PENDING, 0 certificates until processed) and where to upload.",
                schema_ref("CertificateUploadUrl"),
            ),
            links: json!({"GetJob": link("getCertificateImport", "job_id", "/id")}),
            errors: &[400, 401, 404, 413, 429, 503],
        },
        GetCertificateImport => Operation {
            id: "getCertificateImport",
            tag: "certificate import",
            summary: "Reads a certificate import job and its failures.",
            description: None,
            parameters: vec![path_parameter("job_id")],
            body: None,
            success: (200, "The job.", schema_ref("CertificateImportStatus")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        ListCertificateImportFailures => Operation {
            id: "listCertificateImportFailures",
            tag: "certificate import",
            summary: "Ours. A certificate import's failures, by position in the upload, a page at a time.",
            description: Some(
                "A job's status lists its first failures only (`more_failures` says when there are \
                 more); this route pages through all of them. Pass a page's `next` as `after` for the \
                 next page; `next` is null on the last.",
            ),
            parameters: vec![
                path_parameter("job_id"),
                query_parameter(
                    "limit",
                    json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
                    None,
                ),
                query_parameter("after", json!({"type": "integer", "minimum": 0}), None),
            ],
            body: None,
            success: (200, "One page of failures.", schema_ref("FailurePage")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        UploadKeystoreImport => Operation {
            id: "uploadKeystoreImport",
            tag: "keystore import",
            summary: "Submits 1 to 100 keystores or keys for import.",
            description: None,
            parameters: vec![],
            body: Some(json_content(schema_ref("KeystoreImportRequest"))),
            success: (
                201,
                "The job was created; read it until it leaves PROCESSING.",
                schema_ref("KeystoreImportCreated"),
            ),
            links: json!({"GetJob": link("getKeystoreImport", "id", "/id")}),
            errors: &[400, 401, 404, 412, 413, 429, 503],
        },
        KeystoreUploadUrl => Operation {
            id: "requestKeystoreUploadUrl",
            tag: "keystore import",
            summary: "Creates a job and a short-lived URL to PUT a batch too large for a request body.",
            description: Some(
                "PUT the batch (the JSON body `POST /outagedetection/v1/certificates/imports` takes, \
                 exactly `size` bytes) to `upload.url` with `upload.headers`. It is checked when it \
                 arrives: an invalid batch, or one naming another edge instance or key, ends the job \
                 FAILED. `results` stays empty until the batch has arrived.",
            ),
            parameters: vec![],
            body: Some(json_content(schema_ref("KeystoreUploadUrlRequest"))),
            success: (
                201,
                "The job and where to upload the batch.",
                schema_ref("KeystoreUploadUrl"),
            ),
            links: json!({"GetJob": link("getKeystoreImport", "id", "/id")}),
            errors: &[400, 401, 404, 412, 413, 429, 503],
        },
        GetKeystoreImport => Operation {
            id: "getKeystoreImport",
            tag: "keystore import",
            summary: "Reads a keystore import job; one result per submitted item, in order.",
            description: None,
            parameters: vec![id()],
            body: None,
            success: (200, "The job.", schema_ref("KeystoreImportStatus")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        ListEdgeInstances => Operation {
            id: "listEdgeInstances",
            tag: "keystore import",
            summary: "Lists the tenant's edge instances.",
            description: None,
            parameters: vec![],
            body: None,
            success: (200, "The edge instances.", schema_ref("EdgeInstances")),
            links: json!({"GetEncryptionKey": link("getEncryptionKey", "id", "/edgeInstances/0/encryptionKeyId")}),
            errors: &[401, 503],
        },
        GetEncryptionKey => Operation {
            id: "getEncryptionKey",
            tag: "keystore import",
            summary: "Reads a DEK's public key, to seal passwords and keys to.",
            description: None,
            parameters: vec![id()],
            body: None,
            success: (200, "The DEK.", schema_ref("EncryptionKey")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        AddTrustedCa => Operation {
            id: "addTrustedCa",
            tag: "keystore import",
            summary: "Trusts a CA certificate as the end of keystore chains.",
            description: None,
            parameters: vec![],
            body: Some(json_content(schema_ref("NewTrustedCa"))),
            success: (201, "The CA is trusted.", schema_ref("TrustedCaAdded")),
            links: none(),
            errors: &[400, 401, 409, 413, 503],
        },
        ListTrustedCas => Operation {
            id: "listTrustedCas",
            tag: "keystore import",
            summary: "Lists the tenant's trusted CA certificates.",
            description: None,
            parameters: vec![],
            body: None,
            success: (200, "The trusted CAs.", schema_ref("TrustedCas")),
            links: none(),
            errors: &[401, 503],
        },
        SearchCertificates => Operation {
            id: "searchCertificates",
            tag: "inventory",
            summary: "Searches the tenant's certificates with an expression; paged, counted.",
            description: None,
            parameters: vec![
                query_parameter(
                    "ownershipTree",
                    json!({"type": "string"}),
                    Some("Accepted and ignored."),
                ),
                query_parameter(
                    "excludeSupersededInstances",
                    json!({"type": "string"}),
                    Some("Accepted and ignored."),
                ),
            ],
            body: Some(json_content(schema_ref("CertificateSearch"))),
            success: (
                200,
                "Every match counted; one page of them.",
                schema_ref("CertificateSearchPage"),
            ),
            links: json!({
                "GetCertificate": link("getCertificate", "id", "/certificates/0/id"),
                "GetCertificateContents": link("getCertificateContents", "id", "/certificates/0/id"),
                "GetCertificateRequest": link("getCertificateRequest", "id", "/certificates/0/certificateRequestId"),
            }),
            errors: &[400, 401, 413, 503],
        },
        GetCertificate => Operation {
            id: "getCertificate",
            tag: "inventory",
            summary: "Reads one certificate of the inventory; `dekHash` only when its private key is held.",
            description: None,
            parameters: vec![id()],
            body: None,
            success: (200, "The certificate.", schema_ref("Certificate")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        GetCertificateContents => Operation {
            id: "getCertificateContents",
            tag: "inventory",
            summary: "The certificate as PEM (with its chain, in the order asked) or as DER (the leaf).",
            description: None,
            parameters: vec![
                id(),
                query_parameter(
                    "format",
                    json!({"type": "string", "enum": ["PEM", "DER"], "default": "PEM"}),
                    None,
                ),
                query_parameter(
                    "chainOrder",
                    json!({"type": "string", "enum": ["EE_FIRST", "ROOT_FIRST", "EE_ONLY"], "default": "EE_FIRST"}),
                    None,
                ),
            ],
            body: None,
            success: (
                200,
                "PEM blocks separated by one blank line, LF only; or the leaf's DER.",
                Value::Null,
            ),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        ExportKeystore => Operation {
            id: "exportKeystore",
            tag: "inventory",
            summary: "Exports the certificate with its private key, under the caller's passphrases.",
            description: Some(
                "Passphrases are base64 libsodium sealed boxes to the certificate's `dekHash` key. PEM \
                 answers a zip of `<name>.key` (PKCS#8 ENCRYPTED PRIVATE KEY, PBES2 PBKDF2-HMAC-SHA256 \
                 AES-256-CBC), `<name>.crt`, `<name>_root-first.pem` and `<name>_root-last.pem`; PKCS12 \
                 answers the raw .p12 (PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC) under the \
                 keystore passphrase, or the private-key passphrase when that is empty. Always \
                 `application/octet-stream`. Every export is an audit event.",
            ),
            parameters: vec![id()],
            body: Some(json_content(schema_ref("KeystoreExportRequest"))),
            success: (200, "The export.", Value::Null),
            links: none(),
            errors: &[400, 401, 404, 412, 503],
        },
        GetCertificateRequest => Operation {
            id: "getCertificateRequest",
            tag: "inventory",
            summary:
                "The certificate request an imported certificate answers to (its `certificateRequestId`).",
            description: Some(
                "Every certificate of the inventory has one, `ISSUED`, naming the certificate in \
                 `certificateIds`: clients that retrieve a certificate through its request (vcert's \
                 `retrieve_cert`) find it this way.",
            ),
            parameters: vec![id()],
            body: None,
            success: (200, "The request.", schema_ref("CertificateRequest")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        RequestCertificate => Operation {
            id: "requestCertificate",
            tag: "inventory",
            summary:
                "Always refused (400); certport has no certificate authority. Import the certificate instead.",
            description: None,
            parameters: vec![],
            body: Some(json_content(json!({"type": "object"}))),
            success: (0, "", Value::Null),
            links: none(),
            errors: &[400, 401, 413, 503],
        },
        ListAuditEvents => Operation {
            id: "listAuditEvents",
            tag: "inventory",
            summary: "The tenant's latest audit events (private-key exports), newest first.",
            description: None,
            parameters: vec![query_parameter(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
                None,
            )],
            body: None,
            success: (
                200,
                "The events; never a passphrase or key.",
                schema_ref("AuditEvents"),
            ),
            links: none(),
            errors: &[400, 401, 503],
        },
        ListDevices => {
            let mut parameters = paging(20);
            for name in ["device_identifier", "enrollment_profile_id"] {
                parameters.push(query_parameter(name, json!({"type": "string"}), None));
            }
            parameters.push(query_parameter(
                "created_from",
                json!({"type": "string"}),
                Some("YYYY-MM-DD or RFC 3339"),
            ));
            parameters.push(query_parameter(
                "created_to",
                json!({"type": "string"}),
                Some("YYYY-MM-DD (that whole day) or RFC 3339"),
            ));
            for name in ["updated_from", "updated_to"] {
                parameters.push(query_parameter(name, json!({"type": "string"}), None));
            }
            parameters.push(query_parameter(
                "upated_to",
                json!({"type": "string"}),
                Some("The documented misspelling of updated_to."),
            ));
            Operation {
                id: "listDevices",
                tag: "inventory",
                summary: "Lists the tenant's devices in creation order, with their certificates.",
                description: None,
                parameters,
                body: None,
                success: (
                    200,
                    "One page of the matching devices, and how many match.",
                    schema_ref("DevicePage"),
                ),
                links: json!({"GetDevice": link("getDevice", "id", "/records/0/id")}),
                errors: &[400, 401, 503],
            }
        }
        GetDevice => Operation {
            id: "getDevice",
            tag: "inventory",
            summary: "Reads one device.",
            description: None,
            parameters: vec![id()],
            body: None,
            success: (200, "The device.", schema_ref("Device")),
            links: none(),
            errors: &[400, 401, 404, 503],
        },
        ListDeviceCertificates => {
            let mut parameters = paging(20);
            for name in ["enrollment_profile_id", "common_name"] {
                parameters.push(query_parameter(name, json!({"type": "string"}), None));
            }
            parameters.push(query_parameter(
                "serial_number",
                json!({"type": "string"}),
                Some("Compared without case."),
            ));
            parameters.push(query_parameter(
                "status",
                json!({"type": "string", "enum": ["ISSUED", "EXPIRED"]}),
                None,
            ));
            Operation {
                id: "listDeviceCertificates",
                tag: "inventory",
                summary: "Lists the certificates devices hold (also at `/iot/api/v1/certificate/`).",
                description: None,
                parameters,
                body: None,
                success: (
                    200,
                    "One page of the matching certificates, and how many match.",
                    schema_ref("DeviceCertificatePage"),
                ),
                links: none(),
                errors: &[400, 401, 503],
            }
        }
    }
}

fn operation_json(route: Route) -> Value {
    let spec = operation(route);
    let api = Api::of(route);
    let mut responses = errors(api, spec.errors);
    responses.insert(
        "403".into(),
        json!({"$ref": format!("#/components/responses/{}Forbidden", api.prefix())}),
    );
    let (status, description, schema) = spec.success;
    if status != 0 {
        let content = match route {
            Route::GetCertificateContents => json!({
                "text/plain": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            }),
            Route::ExportKeystore => {
                json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
            }
            _ => json_content(schema),
        };
        let mut response = json!({"description": description, "content": content});
        if spec.links.as_object().is_some_and(|l| !l.is_empty()) {
            response["links"] = spec.links;
        }
        responses.insert(status.to_string(), response);
    }
    let mut body = json!({
        "tags": [spec.tag],
        "operationId": spec.id,
        "summary": spec.summary,
        "responses": responses,
        "x-scopes": route.scopes().iter().map(|s| s.name()).collect::<Vec<_>>(),
    });
    if let Some(description) = spec.description {
        body["description"] = json!(description);
    }
    if !spec.parameters.is_empty() {
        body["parameters"] = json!(spec.parameters);
    }
    if let Some(content) = spec.body {
        let required = !matches!(route, Route::SearchCertificates | Route::RequestCertificate);
        body["requestBody"] = json!({"required": required, "content": content});
    }
    body
}

/// Every schema `T` needs, by name.
fn schemas_of<T: ToSchema>(schemas: &mut Map<String, Value>) {
    let mut found = Vec::new();
    T::schemas(&mut found);
    found.push((T::name().into_owned(), T::schema()));
    for (name, schema) in found {
        schemas.insert(name, serde_json::to_value(schema).unwrap_or_default());
    }
}

fn named<T: PartialSchema>(schemas: &mut Map<String, Value>, name: &str) {
    schemas.insert(name.into(), serde_json::to_value(T::schema()).unwrap_or_default());
}

fn components() -> Value {
    let mut schemas = Map::new();
    schemas_of::<api_a::NewEnrollmentProfile>(&mut schemas);
    schemas_of::<api_a::EnrollmentProfile>(&mut schemas);
    schemas_of::<api_a::MappingPreview>(&mut schemas);
    schemas_of::<api_a::CertificateUploadUrlRequest>(&mut schemas);
    schemas_of::<api_a::CertificateImportJob>(&mut schemas);
    schemas_of::<api_a::CertificateUploadUrl>(&mut schemas);
    schemas_of::<api_a::CertificateImportStatus>(&mut schemas);
    schemas_of::<api_a::FailurePage>(&mut schemas);
    schemas_of::<api_a::Device>(&mut schemas);
    schemas_of::<api_a::DeviceCertificate>(&mut schemas);
    named::<api_a::Page<api_a::Device>>(&mut schemas, "DevicePage");
    named::<api_a::Page<api_a::DeviceCertificate>>(&mut schemas, "DeviceCertificatePage");
    schemas_of::<api_b::KeystoreImportRequest>(&mut schemas);
    schemas_of::<api_b::KeystoreImportCreated>(&mut schemas);
    schemas_of::<api_b::KeystoreUploadUrlRequest>(&mut schemas);
    schemas_of::<api_b::KeystoreUploadUrl>(&mut schemas);
    schemas_of::<api_b::KeystoreImportStatus>(&mut schemas);
    schemas_of::<api_b::EdgeInstances>(&mut schemas);
    schemas_of::<api_b::EncryptionKey>(&mut schemas);
    schemas_of::<api_b::NewTrustedCa>(&mut schemas);
    schemas_of::<api_b::TrustedCaAdded>(&mut schemas);
    schemas_of::<api_b::TrustedCas>(&mut schemas);
    schemas_of::<api_b::CertificateSearch>(&mut schemas);
    schemas_of::<api_b::CertificateSearchPage>(&mut schemas);
    schemas_of::<api_b::CertificateRequest>(&mut schemas);
    schemas_of::<api_b::KeystoreExportRequest>(&mut schemas);
    schemas_of::<api_b::AuditEvents>(&mut schemas);
    schemas_of::<errors::DigiCertError>(&mut schemas);
    schemas_of::<errors::VenafiError>(&mut schemas);
    let mut responses = Map::new();
    for (api, error) in [(Api::DigiCert, "DigiCertError"), (Api::Venafi, "VenafiError")] {
        let kinds = [
            (
                "BadRequest",
                "The request is invalid; the message says what to fix.",
            ),
            ("Unauthorized", "Missing, unknown or revoked API key."),
            (
                "Forbidden",
                "The API key lacks the scope this operation needs (its x-scopes); the message names it.",
            ),
            ("NotFound", "No such id for this tenant."),
            ("Conflict", "It exists already (this CA certificate is trusted)."),
            (
                "Precondition",
                "The ids exist but do not fit together (the encryption key is not the edge instance's).",
            ),
            ("TooLarge", "The body is larger than the configured limit."),
            ("Unavailable", "Storage is temporarily unavailable; try again."),
        ];
        for (kind, description) in kinds {
            let response = json!({"description": description, "content": json_content(schema_ref(error))});
            responses.insert(format!("{}{kind}", api.prefix()), response);
        }
        responses.insert(
            format!("{}Busy", api.prefix()),
            json!({
                "description": "The tenant is at its limit of unfinished import jobs (or keystore items in \
                                them); nothing was created. Retry after the seconds in Retry-After.",
                "headers": {"Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before retrying.",
                }},
                "content": json_content(schema_ref(error)),
            }),
        );
    }
    json!({
        "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "tpplApiKey": {"type": "apiKey", "in": "header", "name": "tppl-api-key"},
        },
        "responses": responses,
        "schemas": schemas,
    })
}

fn json_document() -> Value {
    let mut paths = Map::new();
    for (method, template, route) in ROUTES {
        let item = paths.entry(template.to_string()).or_insert_with(|| json!({}));
        item[method.to_lowercase()] = operation_json(*route);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "certport",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Imports X.509 certificates and PKCS#12 keystores into a tenant's inventory.",
            "description": "Two import APIs, compatible with existing clients:\n\n\
                - **API A** (DigiCert ONE IoT Trust Manager's certificate import): enrollment profiles, zips of \
                PEM or XML certificates, devices. Errors: `{\"errors\": [{\"code\": \"<string>\", \"message\": \"...\"}]}`.\n\
                - **API B** (Venafi TLS Protect Cloud's keystore import and inventory): edge instances and their \
                DEKs, trusted CA certificates, batches of PKCS#12 keystores or PKCS#8 keys whose passwords are \
                sealed to the DEK, the certificate inventory. Errors: \
                `{\"errors\": [{\"code\": <10000 + HTTP status>, \"message\": \"...\", \"args\": []}]}`.\n\n\
                Every route needs an API key, in `x-api-key` or `tppl-api-key`, with one of the scopes its \
                operation lists in `x-scopes` (`import`, `read`, `export`, `manage`, `admin`); a key without \
                them is answered 403. Ids of another tenant answer 404. Uploads are processed asynchronously: read the job until it leaves `PENDING` / \
                `PROCESSING`.\n",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "http://127.0.0.1:8080", "description": "certport serve (embedded storage)"}],
        "security": [{"apiKey": []}, {"tpplApiKey": []}],
        "tags": [
            {"name": "enrollment profiles", "description": "API A set-up (our admin API)."},
            {"name": "certificate import", "description": "API A."},
            {"name": "keystore import", "description": "API B."},
            {"name": "inventory", "description": "Reading the inventory back (devices: API A; certificates: API B)."},
        ],
        "paths": paths,
        "components": components(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed document is this one: regenerate it with `certport openapi >
    /// openapi.yaml` when the API changes.
    #[test]
    fn the_committed_openapi_yaml_is_the_generated_document() {
        let committed =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml")).unwrap();
        assert!(
            committed == yaml(),
            "openapi.yaml differs from the generated document: run `cargo run -p certport -- openapi > openapi.yaml`"
        );
    }

    /// Every operation names only schemas the document defines.
    #[test]
    fn every_reference_resolves() {
        let document = serde_json::to_value(document()).unwrap();
        let text = document.to_string();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = &reference[..reference.find('"').unwrap()];
            assert!(schemas.contains_key(name), "{name} is not defined");
        }
        let templates: std::collections::BTreeSet<&str> = ROUTES.iter().map(|(_, t, _)| *t).collect();
        assert_eq!(document["paths"].as_object().unwrap().len(), templates.len());
    }
}
