//! A `certport serve` set up for API B: its edge instance and DEK, the keystore corpus's
//! root CA trusted, and helpers to seal, import and poll.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use certport_tests::python::run_json;
use serde_json::{json, Value};
use tempfile::TempDir;

use super::{start_server_logging_to, Server};

pub fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/keystores")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn corpus_text(name: &str) -> String {
    String::from_utf8(corpus(name)).unwrap()
}

/// Seals each plaintext to `public_key` with PyNaCl's SealedBox (libsodium crypto_box_seal).
pub fn seal_with_pynacl(public_key: &str, plaintexts: &[Vec<u8>]) -> Vec<String> {
    const SCRIPT: &str = "import base64, json, sys\n\
        from nacl.public import PublicKey, SealedBox\n\
        request = json.load(sys.stdin)\n\
        box = SealedBox(PublicKey(base64.b64decode(request['key'])))\n\
        print(json.dumps([base64.b64encode(box.encrypt(base64.b64decode(p))).decode() for p in request['plaintexts']]))\n";
    let request = json!({"key": public_key, "plaintexts": plaintexts.iter().map(|p| B64.encode(p)).collect::<Vec<_>>()});
    serde_json::from_value(run_json(SCRIPT, &request)).unwrap()
}

impl Server {
    /// Submits a batch and polls until it leaves PROCESSING; the deadline only guards a hang.
    pub async fn import(&self, client: &reqwest::Client, batch: Value) -> Value {
        let (status, created) = self
            .call(
                client,
                reqwest::Method::POST,
                "/outagedetection/v1/certificates/imports",
                Some(batch),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        assert!(created["creationDate"].as_str().unwrap().ends_with('Z'));
        let path = format!(
            "/outagedetection/v1/certificates/imports/{}",
            created["id"].as_str().unwrap()
        );
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (status, job) = self.call(client, reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "{job}");
            if job["status"] != "PROCESSING" {
                return job;
            }
            assert!(Instant::now() < deadline, "job still processing: {job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A server on a fresh data directory (trace-level log kept), its edge instance and DEK,
/// with the corpus's root CA trusted.
pub struct Fixture {
    pub server: Server,
    pub client: reqwest::Client,
    pub edge_id: String,
    pub key_id: String,
    pub tenant_id: String,
    /// Base64 of the DEK's X25519 public key.
    pub public_key: String,
    pub data_dir: TempDir,
    pub log_path: PathBuf,
    _log_dir: TempDir,
}

impl Fixture {
    pub async fn start() -> Fixture {
        let data_dir = tempfile::tempdir().unwrap();
        let log_dir = tempfile::tempdir().unwrap();
        let log_path = log_dir.path().join("serve.log");
        let (server, printed) =
            start_server_logging_to(data_dir.path(), std::fs::File::create(&log_path).unwrap());
        assert!(
            printed.iter().any(|l| l.starts_with("edge instance ")),
            "{printed:?}"
        );
        let credentials: Value =
            serde_json::from_slice(&std::fs::read(data_dir.path().join("credentials.json")).unwrap())
                .unwrap();
        let text = |name: &str| credentials[name].as_str().unwrap().to_string();
        let client = certport_tests::http_client();
        let (key_id, edge_id, tenant_id) = (
            text("encryption_key_id"),
            text("edge_instance_id"),
            text("tenant_id"),
        );
        let (_, dek) = server
            .call(&client, GET, &format!("/v1/edgeencryptionkeys/{key_id}"), None)
            .await;
        let public_key = dek["key"].as_str().unwrap().to_string();
        let fixture = Fixture {
            server,
            client,
            edge_id,
            key_id,
            tenant_id,
            public_key,
            data_dir,
            log_path,
            _log_dir: log_dir,
        };
        let (status, ca) = fixture.trust(&corpus_text("trusted-root.pem")).await;
        assert_eq!(status, 201, "{ca}");
        fixture
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.server.call(&self.client, method, path, body).await
    }

    pub async fn trust(&self, certificate: &str) -> (u16, Value) {
        let body = json!({"certificate": certificate});
        self.call(POST, "/v1/trustedcacertificates", Some(body)).await
    }

    pub fn batch(&self, items: Vec<Value>) -> Value {
        json!({"edgeInstanceId": self.edge_id, "encryptionKeyId": self.key_id, "importInformation": items})
    }

    pub async fn import(&self, items: Vec<Value>) -> Value {
        self.server.import(&self.client, self.batch(items)).await
    }

    pub fn seal(&self, plaintexts: &[Vec<u8>]) -> Vec<String> {
        seal_with_pynacl(&self.public_key, plaintexts)
    }

    /// A P-256 keystore of the corpus, with its password sealed to the DEK.
    pub fn p256_item(&self) -> Value {
        let sealed = &self.seal(&[b"changeit".to_vec()])[0];
        json!({"pkcs12Keystore": B64.encode(corpus("openssl3-default-p256-chain.p12")), "dekEncryptedPassword": sealed})
    }
}

pub const GET: reqwest::Method = reqwest::Method::GET;
pub const POST: reqwest::Method = reqwest::Method::POST;

/// A certificate the fixture imported with its key.
pub struct Imported {
    /// SHA-1, upper-case hex.
    pub fingerprint: String,
    pub leaf: Vec<u8>,
}

impl Fixture {
    /// The corpus's P-256 keystore imported (IMPORTED).
    pub async fn import_one_keystore(&self) -> Imported {
        let job = self.import(vec![self.p256_item()]).await;
        let result = &job["results"][0];
        assert_eq!(result["status"], "IMPORTED", "{job}");
        Imported {
            fingerprint: result["fingerprint"].as_str().unwrap().to_string(),
            leaf: B64.decode(result["certificateBytes"].as_str().unwrap()).unwrap(),
        }
    }
}
