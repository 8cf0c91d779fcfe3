//! What `import-certificates` finds in the paths it is given: certificate files (PEM
//! bundles, DER), found by name or under directories, and what it leaves out and why.
//! Nothing is left out silently: files that hold no certificate are listed, and so are
//! the CA certificates that came along with the certificates they issued (a chain
//! bundle, or a directory holding the CA too), which are not devices.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use certport_core::parsing::pem::{all_blocks, certificate_blocks, PemError};
use certport_core::parsing::{certificate_details, chain_role};
use sha2::{Digest, Sha256};

use super::api::ClientError;

/// What to send of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Send {
    /// The file as it is on disk: PEM, including any block the service will report as
    /// malformed.
    AsIs,
    /// These of its certificates (by position), written as PEM: a DER file, or a bundle
    /// some CA certificates were left out of.
    Certificates(Vec<usize>),
}

#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<(PathBuf, Send)>,
    /// Files under the directories given that hold no certificate.
    pub skipped: Vec<PathBuf>,
    /// CA certificates left out, by file and position in it.
    pub left_out: Vec<(PathBuf, usize)>,
    /// Files whose private key blocks were left out (never sent).
    pub keys_left_out: Vec<PathBuf>,
}

/// Extensions read when met under a directory; other files are listed as skipped.
const READ_IN_DIRECTORIES: [&str; 5] = ["pem", "crt", "cer", "der", "txt"];

/// The certificates of `bytes`: its PEM certificate blocks, or the file itself when it
/// is one DER certificate; `None` when it holds neither.
pub fn certificates_in(bytes: &[u8]) -> Option<Vec<Result<Vec<u8>, PemError>>> {
    let blocks = certificate_blocks(bytes);
    if !blocks.is_empty() {
        return Some(blocks);
    }
    certificate_details(bytes).ok().map(|_| vec![Ok(bytes.to_vec())])
}

/// One certificate read in the first pass: who it is and who issued it (hashed names).
struct Seen {
    subject: [u8; 32],
    issuer: [u8; 32],
    certificate_authority: bool,
}

/// Finds the certificate files of `paths` (files named, and files under directories),
/// and decides what to send of each: CA certificates that issued another certificate of
/// the upload are left out unless `include_ca`. A `.zip` or `.xml` is the caller's.
pub fn survey(paths: &[PathBuf], include_ca: bool) -> Result<Found, ClientError> {
    let mut found = Found::default();
    let mut candidates: Vec<(PathBuf, Vec<Option<Seen>>, bool, bool)> = Vec::new();
    let mut issuers: HashSet<[u8; 32]> = HashSet::new();
    for (path, named) in files_of(paths, &mut found.skipped)? {
        let bytes = std::fs::read(&path).map_err(|e| cannot_read(&path, e))?;
        let Some(certificates) = certificates_in(&bytes) else {
            if named {
                return Err(ClientError::Input(format!(
                    "{} holds no certificate (PEM or DER)",
                    path.display()
                )));
            }
            found.skipped.push(path);
            continue;
        };
        let pem = !certificate_blocks(&bytes).is_empty();
        // A key beside its certificate (a server's combined PEM) is never sent: only the
        // certificates of such a file are.
        let holds_key = pem && all_blocks(&bytes).iter().any(|b| b.label.contains("PRIVATE KEY"));
        drop(bytes);
        let seen: Vec<Option<Seen>> = certificates
            .iter()
            .map(|der| {
                let role = chain_role(der.as_ref().ok()?).ok()?;
                Some(Seen {
                    subject: Sha256::digest(&role.subject).into(),
                    issuer: Sha256::digest(&role.issuer).into(),
                    certificate_authority: role.certificate_authority,
                })
            })
            .collect();
        for certificate in seen.iter().flatten() {
            if certificate.issuer != certificate.subject {
                issuers.insert(certificate.issuer);
            }
        }
        candidates.push((path, seen, pem, holds_key));
    }
    for (path, seen, pem, holds_key) in candidates {
        let issued_others = |s: &Option<Seen>| {
            s.as_ref()
                .is_some_and(|s| s.certificate_authority && issuers.contains(&s.subject))
        };
        let left_out: Vec<usize> = if include_ca {
            Vec::new()
        } else {
            (0..seen.len()).filter(|&i| issued_others(&seen[i])).collect()
        };
        // A bundle with a malformed block goes as it is: the service says which one (but
        // one holding a key is rewritten, and a malformed block is then refused here).
        let malformed = seen.iter().any(Option::is_none) && !holds_key;
        if holds_key {
            found.keys_left_out.push(path.clone());
        }
        let send = if (left_out.is_empty() && !holds_key) || (pem && malformed) {
            if pem {
                Send::AsIs
            } else {
                Send::Certificates(vec![0])
            }
        } else {
            Send::Certificates((0..seen.len()).filter(|i| !left_out.contains(i)).collect())
        };
        if !(pem && malformed) {
            found.left_out.extend(left_out.iter().map(|&i| (path.clone(), i)));
        }
        if send != Send::Certificates(Vec::new()) {
            found.files.push((path, send));
        }
    }
    Ok(found)
}

/// Every file to look at, and whether it was named (rather than found in a directory).
fn files_of(paths: &[PathBuf], skipped: &mut Vec<PathBuf>) -> Result<Vec<(PathBuf, bool)>, ClientError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut under = Vec::new();
            walk(path, &mut under)
                .map_err(|e| ClientError::Input(format!("cannot list {}: {e}", path.display())))?;
            under.sort();
            for file in under {
                let readable = file
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| READ_IN_DIRECTORIES.contains(&e.to_ascii_lowercase().as_str()));
                if readable {
                    files.push((file, false));
                } else {
                    skipped.push(file);
                }
            }
        } else {
            files.push((path.clone(), true));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), found)?;
        } else {
            found.push(entry.path());
        }
    }
    Ok(())
}

pub fn cannot_read(path: &Path, e: std::io::Error) -> ClientError {
    ClientError::Input(format!("cannot read {}: {e}", path.display()))
}

/// Says on standard error what was left out, so nothing is left out silently.
pub fn tell(found: &Found) {
    if !found.skipped.is_empty() {
        let names: Vec<String> = found.skipped.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "skipped {} file{} holding no certificate: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
    }
    if !found.keys_left_out.is_empty() {
        let names: Vec<String> = found
            .keys_left_out
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "left out the private keys in {} (only certificates are sent)",
            names.join(", ")
        );
    }
    if !found.left_out.is_empty() {
        let places: Vec<String> = found
            .left_out
            .iter()
            .map(|(path, index)| format!("{} #{index}", path.display()))
            .collect();
        eprintln!(
            "left out {} CA certificate{} that issued others in this upload ({}); --include-ca imports them as devices too",
            places.len(),
            if places.len() == 1 { "" } else { "s" },
            places.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CA and a certificate it issued, and a self-signed CA that issued nothing: PEM.
    fn chain() -> (String, String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(rcgen::DnType::CommonName, "Meters CA");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let mut leaf = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        leaf.distinguished_name.push(rcgen::DnType::CommonName, "meter-1");
        let leaf = leaf
            .signed_by(&rcgen::KeyPair::generate().unwrap(), &issuer)
            .unwrap();
        let lone_key = rcgen::KeyPair::generate().unwrap();
        let mut lone = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        lone.distinguished_name.push(rcgen::DnType::CommonName, "meter-2");
        lone.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        (
            ca_cert.pem(),
            leaf.pem(),
            lone.self_signed(&lone_key).unwrap().pem(),
        )
    }

    #[test]
    fn a_directory_leaves_out_the_ca_that_issued_its_certificates_and_lists_what_it_skipped() {
        let (ca, leaf, lone) = chain();
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, contents: &[u8]| std::fs::write(dir.path().join(name), contents).unwrap();
        write("ca.pem", ca.as_bytes());
        write("fullchain.pem", format!("{leaf}{ca}").as_bytes());
        write("lone.der", &certport_core::testing::certs::der_of(&lone));
        write("device.key", b"-----BEGIN PRIVATE KEY-----\n");
        write(
            "combined.pem",
            format!("{leaf}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").as_bytes(),
        );
        write("notes.txt", b"nothing here");
        let found = survey(&[dir.path().to_path_buf()], false).unwrap();
        let path = |name: &str| dir.path().join(name);
        assert_eq!(
            found.files,
            [
                (path("combined.pem"), Send::Certificates(vec![0])),
                (path("fullchain.pem"), Send::Certificates(vec![0])),
                (path("lone.der"), Send::Certificates(vec![0])),
            ]
        );
        assert_eq!(found.keys_left_out, [path("combined.pem")]);
        assert_eq!(found.left_out, [(path("ca.pem"), 0), (path("fullchain.pem"), 1)]);
        assert_eq!(found.skipped, [path("device.key"), path("notes.txt")]);
        let everything = survey(&[dir.path().to_path_buf()], true).unwrap();
        assert_eq!(everything.files.len(), 4);
        assert!(everything.left_out.is_empty());
    }

    #[test]
    fn a_file_named_that_holds_no_certificate_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "not a certificate").unwrap();
        let refused = survey(&[notes], false).unwrap_err().to_string();
        assert!(refused.contains("notes.txt holds no certificate"), "{refused}");
    }
}
