//! The client commands end to end: the real `certport` binary against a real
//! `certport serve`, their tables, JSON and exit statuses.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{start_server_with, Server};
use certport_core::testing::certs::{self_signed, KeyType};
use certport_core::testing::zip_of;
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts the exit status and a piece of the printed output.
    fn expect(&self, code: i32, says: &str) -> &Run {
        assert_eq!(self.code, code, "{}{}", self.stdout, self.stderr);
        assert!(
            self.stdout.contains(says),
            "expected {says:?} in:\n{}",
            self.stdout
        );
        self
    }

    /// The job id of a table report (`job <id>: ...`).
    fn job_id(&self) -> String {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with("job "))
            .expect("a job line");
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .trim_end_matches(':')
            .to_string()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

fn certport(server: &Server, cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(args)
        .args(["--endpoint", &server.base])
        .env("CERTPORT_API_KEY", &server.api_key)
        .current_dir(cwd)
        .output()
        .expect("run certport");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/keystores")
        .join(name)
}

/// A server on a fresh data directory, and a working directory for the commands.
struct Cli {
    server: Server,
    data_dir: tempfile::TempDir,
    work: tempfile::TempDir,
}

impl Cli {
    fn start() -> Cli {
        Cli::start_with(&[])
    }

    /// A server with these environment variables (limits).
    fn start_with(env: &[(&str, &str)]) -> Cli {
        let data_dir = tempfile::tempdir().unwrap();
        let (server, _) = start_server_with(data_dir.path(), &[], env);
        Cli {
            server,
            data_dir,
            work: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        certport(&self.server, self.work.path(), args)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        let path = self.work.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn create_profile(&self, name: &str) -> String {
        let created = self.run(&["profiles", "create", "--name", name, "--output", "json"]);
        assert_eq!(created.code, 0, "{}", created.stderr);
        created.json()["id"].as_str().unwrap().to_string()
    }

    /// A profile mapped from a PEM sample: common name and locality.
    fn pem_profile(&self) -> String {
        let profile = self.create_profile("meters");
        self.write(
            "sample.pem",
            self_signed(KeyType::EcP256, "/CN=sample-1/L=Oslo", None).pem,
        );
        let map = [
            "--map",
            "device_identifier=subject.common_name",
            "--map",
            "site=subject.locality",
        ];
        let mapped = self.run(&[&["profiles", "map", &profile, "--sample", "sample.pem"][..], &map].concat());
        assert_eq!(mapped.code, 0, "{}", mapped.stderr);
        assert!(
            mapped.stdout.contains("sample device_identifier  sample-1"),
            "{}",
            mapped.stdout
        );
        assert!(mapped.stdout.contains("PEM"), "{}", mapped.stdout);
        profile
    }

    /// `certs/`: a bundle of two, a nested .crt, a broken file and a text file.
    fn write_certificate_directory(&self) {
        let bundle = format!(
            "{}{}",
            self_signed(KeyType::EcP256, "/CN=m-1/L=Oslo", None).pem,
            self_signed(KeyType::Rsa2048, "/CN=m-2/L=Bergen", None).pem
        );
        self.write("certs/bundle.pem", bundle);
        self.write(
            "certs/nested/m-3.crt",
            self_signed(KeyType::Ed25519, "/CN=m-3", None).pem,
        );
        self.write(
            "certs/bad.pem",
            "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
        );
        self.write("certs/notes.txt", "ignored");
    }

    fn edge_instance(&self) -> String {
        let credentials: Value =
            serde_json::from_slice(&std::fs::read(self.data_dir.path().join("credentials.json")).unwrap())
                .unwrap();
        credentials["edge_instance_id"].as_str().unwrap().to_string()
    }

    /// The corpus root trusted, and `password` holding the corpus password.
    fn ready_for_keystores(&self) -> String {
        let root = corpus("trusted-root.pem");
        let added = self.run(&["trusted-ca", "add", root.to_str().unwrap()]);
        assert_eq!(added.code, 0, "{}", added.stderr);
        self.write("password", "changeit\n");
        self.edge_instance()
    }

    fn import_keystores(&self, edge: &str, extra: &[&str]) -> Run {
        let args = [
            "import-keystores",
            "--edge-instance",
            edge,
            "--password-file",
            "password",
        ];
        self.run(&[&args[..], extra].concat())
    }
}

#[test]
fn an_unmapped_profile_is_refused_saying_what_to_do() {
    let cli = Cli::start();
    let profile = cli.create_profile("meters");
    cli.write("one.pem", self_signed(KeyType::EcP256, "/CN=m-0", None).pem);
    let early = cli.run(&["import-certificates", "--profile", &profile, "one.pem"]);
    assert_eq!(early.code, 1);
    assert!(early.stderr.contains("certport profiles map"), "{}", early.stderr);
}

#[test]
fn a_directory_imports_recursively_and_a_failure_exits_3_naming_the_file() {
    let cli = Cli::start();
    let profile = cli.pem_profile();
    cli.write_certificate_directory();
    let partial = cli.run(&["import-certificates", "--profile", &profile, "certs"]);
    partial.expect(3, "COMPLETED PARTIAL_SUCCESS — 4 certificates, 1 failed");
    assert!(
        partial.stdout.contains("bad.pem") && partial.stdout.contains("MALFORMED_CERTIFICATE"),
        "{}",
        partial.stdout
    );
    let read = cli.run(&["jobs", "get", &partial.job_id(), "--output", "json"]);
    assert_eq!(read.code, 3);
    assert_eq!(read.json()["id"], partial.job_id().as_str());
}

#[test]
fn certificates_already_imported_do_not_fail_the_exit_status() {
    let cli = Cli::start();
    let profile = cli.pem_profile();
    cli.write_certificate_directory();
    cli.run(&["import-certificates", "--profile", &profile, "certs"]);
    let args = [
        "import-certificates",
        "--profile",
        &profile,
        "certs/bundle.pem",
        "certs/nested",
        "--output",
        "json",
    ];
    let again = cli.run(&args);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let job = again.json();
    assert_eq!(
        (
            job["total_certificates"].as_u64(),
            job["failed_certificates"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert!(job["status_message"].as_str().unwrap().contains("DUPLICATE"));
}

#[test]
fn an_xml_profile_gets_an_xml_document_built_from_pem_files() {
    let cli = Cli::start();
    let profile = cli.create_profile("xml meters");
    let sample = self_signed(KeyType::EcP256, "/CN=x-sample", None);
    let b64: String = sample.pem.lines().filter(|l| !l.starts_with("-----")).collect();
    cli.write(
        "sample.xml",
        format!("<certificates><certificate><pem>{b64}</pem></certificate></certificates>"),
    );
    let map = [
        "profiles",
        "map",
        &profile,
        "--sample",
        "sample.xml",
        "--map",
        "device_identifier=subject.common_name",
    ];
    let mapped = cli.run(&map);
    assert_eq!(mapped.code, 0, "{}", mapped.stderr);
    let pems = [
        self_signed(KeyType::EcP384, "/CN=x-1", None).pem,
        self_signed(KeyType::EcP256, "/CN=x-2", None).pem,
    ];
    cli.write("x.pem", pems.concat());
    let xml = cli.run(&["import-certificates", "--profile", &profile, "x.pem"]);
    xml.expect(0, "COMPLETED SUCCESS — 2 certificates, 0 failed");
}

#[test]
fn an_import_at_the_tenants_job_limit_waits_as_asked_then_goes_through() {
    let cli = Cli::start_with(&[("CERTPORT_MAX_OPEN_JOBS", "1")]);
    let profile = cli.pem_profile();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = certport_tests::http_client();
    // An upload URL's job holds the tenant's only place until its upload arrives.
    let zip = zip_of(&[(
        "a.pem",
        self_signed(KeyType::EcP256, "/CN=first", None).pem.as_bytes(),
    )]);
    let first = runtime.block_on(
        cli.server
            .upload_url(&client, &profile, "first.zip", zip.len() as u64),
    );
    cli.write("m.pem", self_signed(KeyType::EcP256, "/CN=waiting", None).pem);
    let mut waiting = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(["import-certificates", "--profile", &profile, "m.pem"])
        .args(["--endpoint", &cli.server.base])
        .env("CERTPORT_API_KEY", &cli.server.api_key)
        .current_dir(cli.work.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap()).lines();
    let told = stderr.find(|line| line.as_ref().unwrap().contains("trying again in 10 s"));
    assert!(told.is_some(), "the client says it waits");
    let put = client
        .put(first["upload"]["url"].as_str().unwrap())
        .header("content-type", "application/zip")
        .header("if-none-match", "*")
        .body(zip);
    let put = runtime.block_on(put.send());
    assert_eq!(put.unwrap().status(), 200);
    let output = waiting.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("COMPLETED SUCCESS — 1 certificate"), "{stdout}");
}

#[test]
fn a_file_larger_than_a_request_body_goes_through_an_upload_url() {
    let cli = Cli::start();
    let profile = cli.pem_profile();
    // Over 6 MB; random text around the PEM block keeps the zip from compressing below that.
    let mut noise = vec![0u8; 7 * 1024 * 1024];
    rand_bytes(&mut noise);
    let noise: String = noise
        .chunks(48)
        .map(|chunk| format!("{}\n", hex_encode(chunk)))
        .collect();
    cli.write(
        "big.pem",
        format!("{noise}{}", self_signed(KeyType::EcP256, "/CN=m-big", None).pem),
    );
    let big = cli.run(&["import-certificates", "--profile", &profile, "big.pem"]);
    big.expect(0, "COMPLETED SUCCESS — 1 certificate, 0 failed");
    let job = cli
        .run(&["jobs", "get", &big.job_id(), "--output", "json"])
        .json();
    assert!(job["original_size"].as_u64().unwrap() > 6 * 1024 * 1024, "{job}");
}

#[test]
fn a_ready_zip_is_sent_as_it_is_directly_and_through_an_upload_url() {
    let cli = Cli::start();
    let profile = cli.pem_profile();
    let pems = [
        self_signed(KeyType::EcP256, "/CN=z-1", None).pem,
        self_signed(KeyType::EcP256, "/CN=z-2", None).pem,
    ];
    let zip = zip_of(&[("a.pem", pems[0].as_bytes()), ("b.pem", pems[1].as_bytes())]);
    cli.write("ready.zip", &zip);
    for mode in ["direct", "url"] {
        let args = [
            "import-certificates",
            "--profile",
            &profile,
            "--upload",
            mode,
            "ready.zip",
        ];
        let run = cli.run(&args);
        // The second run finds both certificates imported by the first.
        let says = if mode == "direct" {
            "SUCCESS — 2 certificates, 0 failed"
        } else {
            "2 failed"
        };
        run.expect(0, says);
        let job = cli
            .run(&["jobs", "get", &run.job_id(), "--output", "json"])
            .json();
        assert_eq!(job["original_size"], zip.len(), "{mode}: {job}");
        assert_eq!(job["original_file_name"], "ready.zip", "{mode}: {job}");
    }
}

#[test]
fn a_wrong_key_is_refused_with_the_services_message() {
    let cli = Cli::start();
    let args = [
        "profiles",
        "get",
        "any",
        "--endpoint",
        &cli.server.base,
        "--api-key",
        "cpk_wrong",
    ];
    let refused = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("answered 401"));
}

#[test]
fn trusted_cas_are_added_and_listed() {
    let cli = Cli::start();
    let root = corpus("trusted-root.pem");
    let added = cli.run(&["trusted-ca", "add", root.to_str().unwrap()]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(added.stdout.contains("certport test root"), "{}", added.stdout);
    let again = cli.run(&["trusted-ca", "add", root.to_str().unwrap()]);
    assert_eq!(
        again.code, 0,
        "trusted already is not a failure: {}",
        again.stderr
    );
    assert!(again.stderr.contains("already trusted"), "{}", again.stderr);
    assert!(again.stdout.contains("certport test root"), "{}", again.stdout);
    let listed = cli.run(&["trusted-ca", "list", "--output", "json"]);
    assert_eq!(
        listed.json()["trustedCaCertificates"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn keystores_are_sealed_locally_and_reported_a_row_per_item() {
    let cli = Cli::start();
    let edge = cli.ready_for_keystores();
    let files = [
        corpus("openssl3-default-p256-chain.p12"),
        corpus("cryptography-mismatch-p256.p12"),
        corpus("openssl3-nonascii-p256-chain.p12"),
    ];
    let files: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let run = cli.import_keystores(&edge, &files);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let rows: Vec<&str> = run.stdout.lines().filter(|l| l.contains(".p12")).collect();
    assert_eq!(rows.len(), 3, "{}", run.stdout);
    assert!(
        rows[0].contains("openssl3-default-p256-chain.p12") && rows[0].contains("IMPORTED"),
        "{}",
        run.stdout
    );
    assert!(rows[1].contains("KEY_MISMATCH"), "{}", run.stdout);
    assert!(rows[2].contains("WRONG_PASSWORD"), "{}", run.stdout);
    // `jobs get` finds keystore jobs too.
    let read = cli.run(&["jobs", "get", &run.job_id()]);
    assert_eq!(read.code, 3, "{}", read.stderr);
    assert!(
        read.stdout.contains("item 2") && read.stdout.contains("KEY_MISMATCH"),
        "{}",
        read.stdout
    );
}

#[test]
fn more_than_100_keystores_go_in_two_batches() {
    let cli = Cli::start();
    let edge = cli.ready_for_keystores();
    let good = corpus("openssl3-default-p256-chain.p12");
    let many: Vec<String> = (0..101)
        .map(|i| {
            let path = cli.work.path().join(format!("copy-{i}.p12"));
            std::fs::copy(&good, &path).unwrap();
            path.to_string_lossy().into_owned()
        })
        .collect();
    let mut args = vec!["--output", "json"];
    args.extend(many.iter().map(String::as_str));
    let batched = cli.import_keystores(&edge, &args);
    assert_eq!(batched.code, 0, "{}", batched.stderr);
    let jobs = batched.json();
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["results"].as_array().unwrap().len(), 100);
    assert_eq!(jobs[0]["results"][0]["status"], "IMPORTED");
    assert_eq!(jobs[1]["results"][0]["status"], "SKIPPED");
}

#[test]
fn keystores_go_through_an_upload_url_on_request() {
    let cli = Cli::start();
    let edge = cli.ready_for_keystores();
    let good = corpus("openssl3-default-p256-chain.p12");
    let via_url = cli.import_keystores(&edge, &["--upload", "url", good.to_str().unwrap()]);
    assert_eq!(via_url.code, 0, "{}{}", via_url.stdout, via_url.stderr);
    assert!(via_url.stdout.contains("IMPORTED"), "{}", via_url.stdout);
}

#[test]
fn an_unknown_edge_instance_is_refused_naming_the_ones_there_are() {
    let cli = Cli::start();
    let edge = cli.ready_for_keystores();
    let good = corpus("openssl3-default-p256-chain.p12");
    let unknown = cli.import_keystores("nope", &[good.to_str().unwrap()]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains(&edge),
        "names the edge instances there are: {}",
        unknown.stderr
    );
}

#[test]
fn an_imported_keystore_is_found_read_and_exported_to_a_private_file() {
    let cli = Cli::start();
    let edge = cli.ready_for_keystores();
    let keystore = corpus("openssl3-default-p256-chain.p12");
    cli.import_keystores(&edge, &[keystore.to_str().unwrap()])
        .expect(0, "IMPORTED");
    let found = cli.run(&[
        "certificates",
        "search",
        "--name",
        "leaf-p256",
        "--output",
        "json",
    ]);
    assert_eq!(found.code, 0, "{}", found.stderr);
    let id = found.json()["certificates"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    cli.run(&["certificates", "search", "--name", "leaf-p256"])
        .expect(0, "1 found");
    cli.run(&["certificates", "get", &id]).expect(0, "leaf-p256");
    cli.write("passphrase", "export me, please\n");
    let out = cli.work.path().join("leaf.p12");
    let export = [
        "certificates",
        "export",
        &id,
        "--format",
        "pkcs12",
        "--passphrase-file",
        "passphrase",
        "--out",
        out.to_str().unwrap(),
    ];
    cli.run(&export).expect(0, "mode 0600");
    let again = cli.run(&export);
    assert_eq!(again.code, 1, "an existing file is kept: {}", again.stdout);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    cli.run(&[&export[..], &["--force"]].concat())
        .expect(0, "mode 0600");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    const SCRIPT: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives.serialization import pkcs12
request = json.load(sys.stdin)
p12 = pkcs12.load_pkcs12(base64.b64decode(request["p12"]), b"export me, please")
print(json.dumps({"key": p12.key is not None, "cn": p12.cert.certificate.subject.rfc4514_string()}))
"#;
    let p12 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        std::fs::read(&out).unwrap(),
    );
    let opened = certport_tests::python::run_json(SCRIPT, &serde_json::json!({"p12": p12}));
    assert_eq!(opened["key"], true, "{opened}");
}

#[test]
fn devices_list_and_read_in_a_table() {
    let cli = Cli::start();
    let profile = cli.pem_profile();
    cli.write_certificate_directory();
    cli.run(&["import-certificates", "--profile", &profile, "certs"]);
    let listed = cli.run(&["devices", "list", "--limit", "2"]);
    listed.expect(0, "2 of 3 (from 0)");
    let json = cli
        .run(&["devices", "list", "--identifier", "m-3", "--output", "json"])
        .json();
    let id = json["records"][0]["id"].as_str().unwrap().to_string();
    cli.run(&["devices", "get", &id]).expect(0, "m-3");
    let missing = cli.run(&[
        "certificates",
        "export",
        json["records"][0]["certificate"]["id"].as_str().unwrap(),
        "--passphrase-file",
        "nope",
        "--out",
        "x",
    ]);
    assert_eq!(missing.code, 1, "{}", missing.stdout);
    assert!(missing.stderr.contains("no private key"), "{}", missing.stderr);
}

fn rand_bytes(buf: &mut [u8]) {
    // xorshift: incompressible enough for deflate, no extra dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in buf {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A CA (PEM), a device certificate it issued (PEM) and another (DER).
fn ca_and_devices() -> (String, String, Vec<u8>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(rcgen::DnType::CommonName, "Meters CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let device = |cn: &str| {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
        params
            .signed_by(&rcgen::KeyPair::generate().unwrap(), &issuer)
            .unwrap()
    };
    (ca_pem, device("m-ca-1").pem(), device("m-ca-2").der().to_vec())
}

#[test]
fn a_directory_imports_its_devices_not_the_ca_that_issued_them_and_says_what_it_left_out() {
    let cli = Cli::start();
    let profile = cli.pem_profile();
    let (ca, device, der) = ca_and_devices();
    cli.write("chain/ca.pem", &ca);
    cli.write("chain/m-ca-1-fullchain.pem", format!("{device}{ca}"));
    cli.write("chain/m-ca-2.cer", der);
    cli.write("chain/m-ca-1.key", "-----BEGIN PRIVATE KEY-----\n");
    let imported = cli.run(&["import-certificates", "--profile", &profile, "chain"]);
    imported.expect(0, "COMPLETED SUCCESS — 2 certificates, 0 failed");
    assert!(
        imported.stderr.contains("skipped 1 file") && imported.stderr.contains("m-ca-1.key"),
        "{}",
        imported.stderr
    );
    assert!(
        imported.stderr.contains("left out 2 CA certificates"),
        "{}",
        imported.stderr
    );
    let devices = cli.run(&["devices", "list", "--output", "json"]);
    assert_eq!(devices.json()["total"], 2, "{}", devices.stdout);
}

#[test]
fn a_der_certificate_named_on_the_command_line_imports_and_a_text_file_is_refused_by_name() {
    let cli = Cli::start();
    let profile = cli.pem_profile();
    let (_, _, der) = ca_and_devices();
    cli.write("device.cer", der);
    cli.run(&["import-certificates", "--profile", &profile, "device.cer"])
        .expect(0, "1 certificate, 0 failed");
    cli.write("notes.txt", "not a certificate");
    let refused = cli.run(&["import-certificates", "--profile", &profile, "notes.txt"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("notes.txt holds no certificate"),
        "{}",
        refused.stderr
    );
}

#[test]
fn first_hour_mistakes_get_exit_statuses_and_messages_that_say_what_to_do() {
    let cli = Cli::start();
    // `profiles create` prints the id alone, for `P=$(certport profiles create ...)`.
    let created = cli.run(&["profiles", "create", "--name", "meters"]);
    let id = created.stdout.trim();
    assert!(uuid_like(id), "{}", created.stdout);
    // A mistaken --map is a usage error.
    cli.write("sample.pem", self_signed(KeyType::EcP256, "/CN=s", None).pem);
    let usage = cli.run(&["profiles", "map", id, "--sample", "sample.pem", "--map", "a:b"]);
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    assert!(usage.stderr.contains("TARGET=SOURCE"), "{}", usage.stderr);
    // An unknown job names neither API's not-found.
    let unknown = cli.run(&["jobs", "get", "00000000-0000-4000-8000-000000000000"]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no import job"), "{}", unknown.stderr);
    // Nothing listening: say so, and what to start.
    let down = Command::new(env!("CARGO_BIN_EXE_certport"))
        .args([
            "profiles",
            "get",
            id,
            "--endpoint",
            "http://127.0.0.1:1",
            "--api-key",
            "cpk_x",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert_eq!(down.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("certport serve"), "{stderr}");
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

#[tokio::test]
async fn a_secret_sealed_by_the_client_opens_a_keystore_in_a_plain_api_call() {
    let cli = Cli::start();
    let edge = cli.ready_for_keystores();
    // The encryption key is the data directory's, as `serve` recorded it.
    let data_dir = cli.data_dir.path().to_str().unwrap();
    let sealed = cli.run(&["seal", "--secret-file", "password", "--data-dir", data_dir]);
    assert_eq!(sealed.code, 0, "{}", sealed.stderr);
    let credentials: Value =
        serde_json::from_slice(&std::fs::read(cli.data_dir.path().join("credentials.json")).unwrap())
            .unwrap();
    let keystore = std::fs::read(corpus("openssl3-default-p256-chain.p12")).unwrap();
    let batch = serde_json::json!({
        "edgeInstanceId": edge,
        "encryptionKeyId": credentials["encryption_key_id"],
        "importInformation": [{
            "pkcs12Keystore": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, keystore),
            "dekEncryptedPassword": sealed.stdout.trim(),
        }],
    });
    let job = cli.server.import(&certport_tests::http_client(), batch).await;
    assert_eq!(job["results"][0]["status"], "IMPORTED", "{job}");
}

#[test]
fn a_job_with_many_failures_shows_the_first_and_lists_every_one_on_request() {
    let cli = Cli::start_with(&[("CERTPORT_STATUS_MAX_FAILURES", "2")]);
    let profile = cli.pem_profile();
    let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".repeat(5);
    cli.write("bad.pem", bad);
    let imported = cli.run(&["import-certificates", "--profile", &profile, "bad.pem"]);
    imported.expect(4, "5 certificates, 5 failed");
    assert!(
        imported
            .stdout
            .contains("the first 2 failures shown (in all: 5 MALFORMED_PEM)"),
        "{}",
        imported.stdout
    );
    let listed = cli.run(&["jobs", "failures", &imported.job_id()]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert_eq!(
        listed.stdout.matches("MALFORMED_PEM").count(),
        5,
        "{}",
        listed.stdout
    );
}
