//! `certport serve`: every route of the API on 127.0.0.1, over HTTP and HTTPS, on
//! embedded storage.

/// A line on standard output for whoever started the server; a reader that went away
/// (`certport serve | head -1`) must not stop it, so write errors are ignored.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod credentials;
mod data_dir_lock;
mod local_tls;
mod local_uploads;
mod tls_listener;
mod upload_dispatcher;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, State};
use axum::serve::IncomingStream;
use certport_core::app::{Deps, KeyServices, Limits};
use certport_core::http::{without_trailing_slash, SourceIp};
use certport_embedded::{FsObjectStore, LocalKeyService, SqliteStore};
use futures_util::StreamExt;
use tokio::net::TcpListener;
use tower::ServiceExt;

pub(crate) use credentials::write_private;
pub use credentials::Credentials;
pub use data_dir_lock::{DataDirLock, LockError};
pub use local_tls::LocalTlsFiles;

use local_uploads::LocalUploadUrls;
use tls_listener::TlsListener;
use upload_dispatcher::NotifyingObjectStore;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on with HTTP (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", env = "CERTPORT_ADDR")]
    pub addr: SocketAddr,
    /// Address to listen on with HTTPS (port 0 picks a free port); its certificate comes
    /// from a local CA made at first start (`<data-dir>/tls/ca.pem`) unless --tls-cert is given.
    #[arg(long, default_value = "127.0.0.1:8443", env = "CERTPORT_TLS_ADDR")]
    pub tls_addr: SocketAddr,
    /// Your own certificate chain (PEM, server certificate first) for HTTPS.
    #[arg(long, env = "CERTPORT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "CERTPORT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds an unfinished job may go without progress before it is failed (its upload never arrived, ...).
    #[arg(long, default_value_t = 2 * 60 * 60, env = "CERTPORT_JOB_DEADLINE_SECS")]
    pub job_deadline_secs: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024, env = "CERTPORT_MAX_BODY_BYTES")]
    pub max_body_bytes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Limit(String),
    #[error("cannot use data directory {0}: {1}")]
    DataDir(PathBuf, String),
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error(transparent)]
    Tls(#[from] local_tls::TlsError),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("server stopped: {0}")]
    Server(std::io::Error),
}

pub async fn run(args: ServeArgs, dir: &Path) -> Result<(), ServeError> {
    let data_dir_error = |e: &dyn std::fmt::Display| ServeError::DataDir(dir.to_path_buf(), e.to_string());
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        job_deadline: std::time::Duration::from_secs(args.job_deadline_secs.max(1)),
        // The rest as on Lambda: defaults, or the CERTPORT_* limit variables.
        ..Limits::from_env(|name| std::env::var(name).ok()).map_err(|e| ServeError::Limit(e.to_string()))?
    };
    std::fs::create_dir_all(dir).map_err(|e| data_dir_error(&e))?;
    let _lock = DataDirLock::acquire(dir)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => local_tls::server_config(cert, key)?,
        _ => {
            let files = LocalTlsFiles::in_dir(dir);
            let (cert, key) = files.ensure()?;
            local_tls::server_config(cert, key)?
        }
    };
    let store = Arc::new(SqliteStore::open(&dir.join("records.db")).map_err(|e| data_dir_error(&e))?);
    let keys = Arc::new(
        LocalKeyService::open_or_create(&dir.join("local-kms.key")).map_err(|e| data_dir_error(&e))?,
    );
    let listener = bind(args.addr).await?;
    let tls_listener = bind(args.tls_addr).await?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Listen(args.addr, e))?;
    let tls_listener =
        TlsListener::new(tls_listener, tls).map_err(|e| ServeError::Listen(args.tls_addr, e))?;
    let tls_local =
        axum::serve::Listener::local_addr(&tls_listener).map_err(|e| ServeError::Listen(args.tls_addr, e))?;
    let (url, tls_url) = (format!("http://{local}"), format!("https://{tls_local}"));
    let files = Arc::new(FsObjectStore::open(dir.join("objects")).map_err(|e| data_dir_error(&e))?);
    let (objects, created) = NotifyingObjectStore::new(files);
    let notifier = objects.notifier();
    let uploads = Arc::new(LocalUploadUrls::new(Arc::new(objects), url.clone()));
    let deps = Deps {
        objects: uploads.clone(),
        tenants: store.clone(),
        jobs: store.clone(),
        inventory: store,
        keys: KeyServices {
            dek: keys.clone(),
            data: keys,
        },
        limits,
        // One machine: a large upload is one run (it streams, and uses every core).
        shards: None,
    };
    credentials::ensure(&deps, dir, url.clone(), tls_url.clone())
        .await
        .map_err(|e| data_dir_error(&e))?;
    tokio::spawn(upload_dispatcher::run(deps.clone(), created));
    upload_dispatcher::resume(&deps, notifier).await;
    tokio::spawn(upload_dispatcher::sweep(deps.clone()));

    say!("certport listening on {url}");
    match &args.tls_cert {
        Some(cert) => say!("certport listening on {tls_url} (certificate {})", cert.display()),
        None => say!(
            "certport listening on {tls_url} (trust {} to verify it)",
            LocalTlsFiles::in_dir(dir).ca.display()
        ),
    }
    say!(
        "credentials and addresses in {}",
        Credentials::path(dir).display()
    );
    let api = certport_core::http::router(deps, |_| true);
    let app = axum::Router::new()
        .fallback(route)
        .with_state(Arc::new(ServerState {
            api,
            openapi: certport_core::http::openapi::yaml(),
            uploads,
        }));
    let http = axum::serve(
        listener,
        app.clone().into_make_service_with_connect_info::<Peer>(),
    );
    let https = axum::serve(tls_listener, app.into_make_service_with_connect_info::<Peer>());
    tokio::select! {
        stopped = http => stopped.map_err(ServeError::Server),
        stopped = https => stopped.map_err(ServeError::Server),
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Listen(addr, e))
}

/// The client's address, whichever listener it came through.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

struct ServerState {
    /// Both APIs, every route.
    api: axum::Router,
    /// Their OpenAPI document, served at `/openapi.yaml` without a key.
    openapi: String,
    uploads: Arc<LocalUploadUrls>,
}

async fn route(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    request: http::Request<Body>,
) -> http::Response<Body> {
    let get = request.method() == http::Method::GET;
    if get && request.uri().path() == "/openapi.yaml" {
        return http::Response::builder()
            .header(http::header::CONTENT_TYPE, "application/yaml")
            .body(Body::from(state.openapi.clone()))
            .unwrap_or_default();
    }
    if get && request.uri().path() == "/" {
        // Someone pointed a browser or curl at the server: where the API is described.
        let index = serde_json::json!({
            "service": "certport",
            "version": env!("CARGO_PKG_VERSION"),
            "openapi": "/openapi.yaml",
        });
        return http::Response::builder()
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::from(index.to_string()))
            .unwrap_or_default();
    }
    if request.uri().path().starts_with(local_uploads::PATH_PREFIX) && request.method() == http::Method::PUT {
        return local_upload(&state, request).await;
    }
    let mut request = without_trailing_slash(request);
    request
        .extensions_mut()
        .insert(SourceIp(Some(peer.ip().to_string())));
    match state.api.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
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
        if_none_match: header(http::header::IF_NONE_MATCH),
        now_unix: chrono::Utc::now().timestamp(),
    };
    let upload = match state.uploads.check(&attempt) {
        Ok(upload) => upload,
        Err(refused) => return refuse(403, &refused.to_string()),
    };
    let _arriving = match state.uploads.claim(&upload.key).await {
        Ok(claim) => claim,
        Err(refused) => return refuse(412, &refused.to_string()),
    };
    // Streamed to the store as it arrives: a 1 GiB upload never sits in memory.
    let wrong_size = Arc::new(AtomicBool::new(false));
    let chunks = body
        .into_data_stream()
        .map(|chunk| chunk.map_err(std::io::Error::other));
    let body = local_uploads::exact_length(chunks, upload.size, wrong_size.clone());
    match certport_core::ports::ObjectStore::put_stream(state.uploads.as_ref(), &upload.key, body).await {
        Ok(()) => http::Response::builder()
            .status(200)
            .body(Body::empty())
            .unwrap_or_default(),
        Err(_) if wrong_size.load(Ordering::Relaxed) => refuse(
            403,
            &local_uploads::UploadRefused::WrongSize(upload.size).to_string(),
        ),
        Err(e) => {
            tracing::error!(error = %e.chain(), "storing an upload failed");
            refuse(503, "the upload could not be stored; try again")
        }
    }
}
