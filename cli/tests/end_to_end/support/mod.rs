//! The real `certport serve` binary on a fresh data directory and an ephemeral port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub mod digicert;
pub mod venafi;

pub struct Server {
    child: Child,
    pub base: String,
    /// The HTTPS base URL, and the local CA that issued its certificate.
    pub tls_base: String,
    pub ca_file: PathBuf,
    pub api_key: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_server(data_dir: &Path) -> (Server, Vec<String>) {
    start_server_with(data_dir, &[], &[])
}

/// The server with extra `serve` options and environment variables.
pub fn start_server_with(data_dir: &Path, options: &[&str], env: &[(&str, &str)]) -> (Server, Vec<String>) {
    let mut command = serve_command(data_dir);
    command
        .args(options)
        .stderr(Stdio::null())
        .envs(env.iter().copied());
    spawn_server(data_dir, command)
}

/// The server with every log level on, its log (stderr) written to `log`.
pub fn start_server_logging_to(data_dir: &Path, log: std::fs::File) -> (Server, Vec<String>) {
    let mut command = serve_command(data_dir);
    command.env("RUST_LOG", "trace").stderr(log);
    spawn_server(data_dir, command)
}

/// `certport serve` on `data_dir`, both listeners on free loopback ports.
pub fn serve_command(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_certport"));
    command
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--tls-addr",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data_dir);
    command
}

fn spawn_server(data_dir: &Path, mut command: Command) -> (Server, Vec<String>) {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("start certport serve");
    let mut printed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        printed.push(line.clone());
        if let Some(addr) = line.strip_prefix("certport listening on ") {
            break addr.to_string();
        }
    };
    // What the server prints later goes somewhere.
    std::thread::spawn(move || lines.for_each(drop));
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(data_dir.join("credentials.json")).unwrap()).unwrap();
    let api_key = credentials["api_key"].as_str().unwrap().to_string();
    let tls_base = credentials["tls_url"].as_str().unwrap().to_string();
    let ca_file = data_dir.join("tls/ca.pem");
    (
        Server {
            child,
            base,
            tls_base,
            ca_file,
            api_key,
        },
        printed,
    )
}

impl Server {
    /// A GET with another API key: the status and the JSON body.
    pub async fn call_with_key(&self, client: &reqwest::Client, api_key: &str, path: &str) -> (u16, Value) {
        let response = client
            .get(self.url(path))
            .header("tppl-api-key", api_key)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A JSON request with the API key (in API B's header, which every route takes):
    /// the status and the JSON body.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = client
            .request(method, self.url(path))
            .header("tppl-api-key", &self.api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Runs `certport admin --output json <args>` on a local data directory: its JSON output.
pub fn local_admin(data_dir: &Path, args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(["admin", "--output", "json"])
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("CERTPORT_TABLE")
        .output()
        .expect("run certport admin");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?}: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap()
}
