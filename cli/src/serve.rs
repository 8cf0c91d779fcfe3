//! `certport serve`: every route of the API on 127.0.0.1, on embedded storage.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use certport_core::app::{create_edge_instance, create_tenant_with_key, Deps, KeyServices, Limits};
use certport_core::http::handle;
use certport_embedded::{FsObjectStore, LocalKeyService, SqliteStore};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::local_uploads::{self, LocalUploadUrls};
use crate::upload_dispatcher::{self, NotifyingObjectStore};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", env = "CERTPORT_ADDR")]
    pub addr: SocketAddr,
    /// Where records, uploads and the local key live.
    #[arg(long, default_value = "./.certport", env = "CERTPORT_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Seconds a job may stay unfinished before it is failed (upload never arrived, ...).
    #[arg(long, default_value_t = 2 * 60 * 60, env = "CERTPORT_JOB_DEADLINE_SECS")]
    pub job_deadline_secs: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024, env = "CERTPORT_MAX_BODY_BYTES")]
    pub max_body_bytes: usize,
}

/// `DATA_DIR/credentials.json`, written on first start.
#[derive(Debug, Serialize, Deserialize)]
pub struct Credentials {
    pub tenant_id: String,
    pub api_key: String,
    /// The edge instance clients name in keystore imports, and its DEK.
    #[serde(default)]
    pub edge_instance_id: Option<String>,
    #[serde(default)]
    pub encryption_key_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Limit(String),
    #[error("cannot use data directory {0}: {1}")]
    DataDir(PathBuf, String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("server stopped: {0}")]
    Server(std::io::Error),
}

pub async fn run(args: ServeArgs) -> Result<(), ServeError> {
    let dir = &args.data_dir;
    let data_dir_error = |e: &dyn std::fmt::Display| ServeError::DataDir(dir.clone(), e.to_string());
    std::fs::create_dir_all(dir).map_err(|e| data_dir_error(&e))?;
    let store = Arc::new(SqliteStore::open(&dir.join("records.db")).map_err(|e| data_dir_error(&e))?);
    let keys = Arc::new(
        LocalKeyService::open_or_create(&dir.join("local-kms.key")).map_err(|e| data_dir_error(&e))?,
    );
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| ServeError::Listen(args.addr, e))?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Listen(args.addr, e))?;
    let files = Arc::new(FsObjectStore::open(dir.join("objects")).map_err(|e| data_dir_error(&e))?);
    let (objects, created) = NotifyingObjectStore::new(files);
    let uploads = Arc::new(LocalUploadUrls::new(Arc::new(objects), format!("http://{local}")));
    let deps = Deps {
        objects: uploads.clone(),
        tenants: store.clone(),
        jobs: store.clone(),
        inventory: store,
        keys: KeyServices {
            dek: keys.clone(),
            data: keys,
        },
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            job_deadline: std::time::Duration::from_secs(args.job_deadline_secs.max(1)),
            // The rest as on Lambda: defaults, or the CERTPORT_* limit variables.
            ..Limits::from_env(|name| std::env::var(name).ok())
                .map_err(|e| ServeError::Limit(e.to_string()))?
        },
        // One machine: a large upload is one run (it streams, and uses every core).
        shards: None,
    };
    ensure_credentials(&deps, dir)
        .await
        .map_err(|e| data_dir_error(&e))?;
    tokio::spawn(upload_dispatcher::run(deps.clone(), created));
    tokio::spawn(upload_dispatcher::sweep(deps.clone()));

    println!("certport listening on http://{local}");
    let app = axum::Router::new()
        .fallback(route)
        .with_state(Arc::new(ServerState { deps, uploads }))
        .into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await.map_err(ServeError::Server)
}

/// First start: a tenant, an API key and an edge instance with its DEK, printed and
/// saved to `credentials.json` (a data directory from before edge instances gains one).
async fn ensure_credentials(deps: &Deps, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let path = dir.join("credentials.json");
    let mut credentials = if path.exists() {
        let existing: Credentials = serde_json::from_slice(&std::fs::read(&path)?)?;
        println!("tenant {} (API key in {})", existing.tenant_id, path.display());
        existing
    } else {
        let created = create_tenant_with_key(deps.tenants.as_ref(), "local").await?;
        let credentials = Credentials {
            tenant_id: created.tenant.id.clone(),
            api_key: created.api_key.expose().to_string(),
            edge_instance_id: None,
            encryption_key_id: None,
        };
        println!("created tenant {}", credentials.tenant_id);
        println!(
            "API key (send as x-api-key or tppl-api-key): {}",
            credentials.api_key
        );
        credentials
    };
    if credentials.edge_instance_id.is_none() {
        let (edge, key) = create_edge_instance(
            deps.tenants.as_ref(),
            deps.keys.dek.as_ref(),
            &credentials.tenant_id,
            "local",
        )
        .await?;
        println!("edge instance {} with encryption key {}", edge.id, key.id);
        credentials.edge_instance_id = Some(edge.id);
        credentials.encryption_key_id = Some(key.id);
        write_private(&path, &serde_json::to_vec_pretty(&credentials)?)?;
        println!("saved to {}", path.display());
    }
    Ok(())
}

/// Writes a file only its owner can read, replacing it atomically.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let partial = path.with_extension("json.partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&partial)?.write_all(contents)?;
    std::fs::rename(partial, path)
}

/// The API's OpenAPI document, served at `/openapi.yaml` without a key.
pub const OPENAPI_YAML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml"));

struct ServerState {
    deps: Deps,
    uploads: Arc<LocalUploadUrls>,
}

async fn route(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: http::Request<Body>,
) -> http::Response<Body> {
    let deps = &state.deps;
    if request.uri().path() == "/openapi.yaml" && request.method() == http::Method::GET {
        return http::Response::builder()
            .header(http::header::CONTENT_TYPE, "application/yaml")
            .body(Body::from(OPENAPI_YAML))
            .unwrap_or_default();
    }
    if request.uri().path().starts_with(local_uploads::PATH_PREFIX) && request.method() == http::Method::PUT {
        return local_upload(&state, request).await;
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, deps.limits.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => {
            let error = certport_core::app::AppError::PayloadTooLarge(deps.limits.max_body_bytes);
            return certport_core::http::error_response(&error).map(Body::from);
        }
    };
    let request = http::Request::from_parts(parts, body);
    handle(deps, |_| true, request, Some(peer.ip().to_string()))
        .await
        .map(Body::from)
}

/// A PUT to an upload URL: stored (and so processed) only if the URL holds for it.
async fn local_upload(state: &ServerState, request: http::Request<Body>) -> http::Response<Body> {
    let refuse = |status: u16, message: &str| {
        http::Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({"errors": [{"code": "upload_refused", "message": message}]}).to_string(),
            ))
            .unwrap_or_default()
    };
    let (parts, body) = request.into_parts();
    let header = |name: http::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let attempt = local_uploads::UploadAttempt {
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        content_type: header(http::header::CONTENT_TYPE).unwrap_or_default(),
        declared_len: header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
        now_unix: chrono::Utc::now().timestamp(),
    };
    let upload = match state.uploads.check(&attempt) {
        Ok(upload) => upload,
        Err(refused) => return refuse(403, &refused.to_string()),
    };
    // Streamed to the store as it arrives: a 1 GiB upload never sits in memory.
    let wrong_size = Arc::new(AtomicBool::new(false));
    let chunks = body
        .into_data_stream()
        .map(|chunk| chunk.map_err(std::io::Error::other));
    let body = local_uploads::exact_length(chunks, upload.size, wrong_size.clone());
    match state.deps.objects.put_stream(&upload.key, body).await {
        Ok(()) => http::Response::builder()
            .status(200)
            .body(Body::empty())
            .unwrap_or_default(),
        Err(_) if wrong_size.load(Ordering::Relaxed) => refuse(
            403,
            &local_uploads::UploadRefused::WrongSize(upload.size).to_string(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "storing an upload failed");
            refuse(503, "the upload could not be stored; try again")
        }
    }
}
