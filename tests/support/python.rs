//! The Python of the test virtualenv (moto, PyNaCl, cryptography), for checks made with
//! the real libraries clients use.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// `CERTPORT_TEST_PYTHON`, or `.build/venv` as `scripts/test` makes it.
pub fn test_python() -> PathBuf {
    if let Some(python) = std::env::var_os("CERTPORT_TEST_PYTHON") {
        return python.into();
    }
    let venv = crate::fixtures::repo_root().join(".build/venv/bin/python");
    assert!(
        venv.exists(),
        "no test virtualenv at {}: run ./scripts/test (it installs it)",
        venv.display()
    );
    venv
}

/// The Python of `.build/vcert-venv`, which holds Venafi's vcert SDK (`scripts/test`
/// installs it apart: vcert pins versions the other tools do not allow).
pub fn vcert_python() -> PathBuf {
    let venv = crate::fixtures::repo_root().join(".build/vcert-venv/bin/python");
    assert!(
        venv.exists(),
        "no vcert virtualenv at {}: run ./scripts/test (it installs it)",
        venv.display()
    );
    venv
}

/// Runs `script` with `request` as JSON on its standard input: the JSON it prints.
pub fn run_json(script: &str, request: &Value) -> Value {
    run_json_with(&test_python(), script, request)
}

/// `run_json` on the given Python.
pub fn run_json_with(python: &std::path::Path, script: &str, request: &Value) -> Value {
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the test virtualenv's python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Python check failed (its error is above)"
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
