//! Tolerant PEM bundle scanning: any number of CERTIFICATE blocks, CRLF or LF,
//! indentation, and arbitrary text (even non-UTF-8) between and around blocks.

use base64::Engine;

const LABELS: [&str; 2] = ["CERTIFICATE", "X509 CERTIFICATE"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    #[error("the PEM block starting at line {line} has no matching END line")]
    Unterminated { line: usize },
    #[error("the PEM block starting at line {line} is not valid base64")]
    BadBase64 { line: usize },
}

/// The DER bodies of every certificate block in `text`, in order.
pub fn certificate_blocks(text: &[u8]) -> Vec<Result<Vec<u8>, PemError>> {
    scan(text, |label| LABELS.contains(&label))
        .into_iter()
        .map(|block| block.body.map(|mut der| std::mem::take(&mut *der)))
        .collect()
}

/// How many certificate blocks `text` holds, without decoding them: only the lines
/// holding a BEGIN marker are looked at (found with `memmem`, not line by line).
pub fn count_certificate_blocks(text: &[u8]) -> usize {
    memchr::memmem::find_iter(text, b"-----BEGIN ")
        .filter(|&at| {
            let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
            begin_label(trim(&text[start..end])).is_some()
        })
        .count()
}

/// The lines of `text`, split at LF as `split` would, found with `memchr`.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        Some(match memchr::memchr(b'\n', current) {
            Some(i) => {
                rest = Some(&current[i + 1..]);
                &current[..i]
            }
            None => {
                rest = None;
                current
            }
        })
    })
}

/// One PEM block of any label; the body is zeroized on drop (it may be a private key).
pub struct PemBlock {
    pub label: String,
    pub body: Result<zeroize::Zeroizing<Vec<u8>>, PemError>,
}

/// Every PEM block in `text`, whatever its label, in order.
pub fn all_blocks(text: &[u8]) -> Vec<PemBlock> {
    scan(text, |_| true)
}

/// Blocks whose BEGIN label `accept`s; other BEGIN lines are text like any other.
fn scan(text: &[u8], accept: impl Fn(&str) -> bool) -> Vec<PemBlock> {
    let mut out = Vec::new();
    let mut lines = lines(text).enumerate();
    while let Some((n, raw)) = lines.next() {
        let Some(label) = trim(raw)
            .strip_prefix(b"-----BEGIN ")
            .and_then(|rest| rest.strip_suffix(b"-----"))
            .and_then(|label| std::str::from_utf8(label).ok())
            .filter(|label| accept(label))
        else {
            continue;
        };
        let start_line = n + 1;
        // A certificate's base64 is about 1 to 2 KiB: one allocation, mostly.
        let mut body = zeroize::Zeroizing::new(Vec::with_capacity(2048));
        let mut terminated = false;
        for (_, raw) in lines.by_ref() {
            let line = trim(raw);
            if line.starts_with(b"-----END ") {
                terminated = line == format!("-----END {label}-----").as_bytes();
                break;
            }
            if line.iter().any(u8::is_ascii_whitespace) {
                body.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
            } else {
                body.extend_from_slice(line);
            }
        }
        out.push(PemBlock {
            label: label.to_string(),
            body: if !terminated {
                Err(PemError::Unterminated { line: start_line })
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(body.as_slice())
                    .map(zeroize::Zeroizing::new)
                    .map_err(|_| PemError::BadBase64 { line: start_line })
            },
        });
    }
    out
}

fn begin_label(line: &[u8]) -> Option<&'static str> {
    let rest = line.strip_prefix(b"-----BEGIN ")?;
    LABELS
        .into_iter()
        .find(|label| rest.strip_prefix(label.as_bytes()) == Some(b"-----".as_slice()))
}

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "-----BEGIN CERTIFICATE-----\nAAEC\nAwQ=\n-----END CERTIFICATE-----\n";

    #[test]
    fn finds_blocks_among_text_and_crlf() {
        let mut text = b"Subject: whatever\r\n".to_vec();
        text.extend(ONE.replace('\n', "\r\n").bytes());
        text.extend(b"\r\nsome text \xFF\xFE not utf-8\n  ");
        text.extend(ONE.replace("CERTIFICATE", "X509 CERTIFICATE").bytes());
        let blocks = certificate_blocks(&text);
        assert_eq!(blocks, vec![Ok(vec![0, 1, 2, 3, 4]), Ok(vec![0, 1, 2, 3, 4])]);
        assert_eq!(count_certificate_blocks(&text), 2);
    }

    #[test]
    fn a_begin_marker_inside_a_line_of_text_starts_no_block() {
        let text = format!("see -----BEGIN CERTIFICATE----- below\n{ONE}");
        assert_eq!(certificate_blocks(text.as_bytes()).len(), 1);
        assert_eq!(count_certificate_blocks(text.as_bytes()), 1);
    }

    #[test]
    fn whitespace_inside_base64_lines_is_skipped() {
        let text = "-----BEGIN CERTIFICATE-----\nAA EC\tAwQ=\r\n-----END CERTIFICATE-----";
        assert_eq!(certificate_blocks(text.as_bytes()), vec![Ok(vec![0, 1, 2, 3, 4])]);
    }

    #[test]
    fn ignores_other_block_types() {
        let text = "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n";
        assert!(certificate_blocks(text.as_bytes()).is_empty());
        assert_eq!(count_certificate_blocks(text.as_bytes()), 0);
    }

    #[test]
    fn reports_bad_base64_and_unterminated_blocks() {
        let text = "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAEC\n";
        assert_eq!(
            certificate_blocks(text.as_bytes()),
            vec![
                Err(PemError::BadBase64 { line: 1 }),
                Err(PemError::Unterminated { line: 4 })
            ]
        );
    }
}
