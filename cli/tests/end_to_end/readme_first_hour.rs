//! The README's "First hour", run as written: its `sh` blocks in order, in one shell,
//! from a fresh directory where `certport serve` runs, with `certport` on the PATH as the
//! README says to put it, and the tools the blocks assume checked first.

use std::path::Path;
use std::process::Command;

use crate::support::start_server;

/// The `sh` blocks of the README section `heading`, joined in order.
fn shell_blocks(readme: &str, heading: &str) -> String {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("no `## {heading}` in the README"));
    let mut script = String::new();
    let mut in_block = false;
    for line in section.lines() {
        match (in_block, line.trim_end()) {
            (false, "```sh") => in_block = true,
            (true, "```") => in_block = false,
            (true, line) => {
                script.push_str(line);
                script.push('\n');
            }
            _ => {}
        }
    }
    script
}

/// Fails at once, naming what is missing, when a tool the README assumes is not here.
const TOOLS_FIRST: &str = r#"set -euo pipefail
for tool in certport curl jq openssl python3; do
  command -v "$tool" >/dev/null || { echo "the README's first hour needs $tool on the PATH" >&2; exit 97; }
done
python3 -c 'import vcert' || { echo "the README's first hour needs python3 with vcert" >&2; exit 97; }
"#;

#[test]
fn the_first_hour_runs_as_written_against_serve() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let script = shell_blocks(&readme, "First hour");
    assert!(script.contains("certport import-keystores"), "{script}");
    let work = tempfile::tempdir().unwrap();
    let (_server, _) = start_server(&work.path().join(".certport"));
    let binary = Path::new(env!("CARGO_BIN_EXE_certport")).parent().unwrap();
    let vcert = certport_tests::python::vcert_python();
    let path = std::env::join_paths(
        [binary, vcert.parent().unwrap()]
            .into_iter()
            .map(Path::to_path_buf)
            .chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
    )
    .unwrap();
    let run = Command::new("bash")
        .arg("-c")
        .arg(format!("{TOOLS_FIRST}{script}"))
        .current_dir(work.path())
        .env("PATH", path)
        .env_remove("CERTPORT_API_KEY")
        .env_remove("CERTPORT_ENDPOINT")
        .env_remove("CERTPORT_DATA_DIR")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
    );
    assert!(run.status.success(), "{stdout}\n{stderr}");
    for says in [
        "COMPLETED SUCCESS — 1 certificate, 0 failed",
        "\"result\": \"SUCCESS\"",
        "IMPORTED",
        "-----BEGIN CERTIFICATE-----",
        "the export opens",
        "CN=server.example.com with 1 chain certificate(s) and a key",
        "(ci), scopes import:",
    ] {
        assert!(stdout.contains(says), "expected {says:?} in:\n{stdout}\n{stderr}");
    }
}
