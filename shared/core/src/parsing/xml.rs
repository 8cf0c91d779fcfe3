//! The XML upload format:
//! `<certificates><certificate><pem>base64 DER</pem></certificate>...</certificates>`.
//! DOCTYPEs (and so entity declarations and external references) are refused, never expanded.

use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;

const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("the XML file declares a DOCTYPE; DTDs and entities are not accepted, remove the DOCTYPE")]
    DocType,
    #[error("the XML file is not well-formed near byte {position}: {detail}")]
    Malformed { position: u64, detail: String },
    #[error("the XML root element must be <certificates>, found <{0}>")]
    WrongRoot(String),
    #[error("the XML file nests elements deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlCertificateError {
    #[error("<certificate> element has no <pem> child")]
    MissingPem,
    #[error("the <pem> content is not valid base64")]
    BadBase64,
    #[error("the <pem> content holds an entity reference `&{0};`; only character references are allowed")]
    EntityReference(String),
}

/// The DER of each `<certificate>`, in document order.
pub fn certificates(xml: &[u8]) -> Result<Vec<Result<Vec<u8>, XmlCertificateError>>, XmlError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut items = Vec::new();
    // The <pem> text of the <certificate> being read, once seen.
    let mut current: Option<Result<Option<Vec<u8>>, XmlCertificateError>> = None;

    loop {
        let event = reader.read_event().map_err(|e| XmlError::Malformed {
            position: reader.error_position(),
            detail: e.to_string(),
        })?;
        match event {
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Start(start) => {
                let name = start.local_name().into_inner().as_bytes().to_vec();
                if stack.is_empty() && name != b"certificates" {
                    return Err(XmlError::WrongRoot(lossy(&name)));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                if stack.len() == 1 && name == b"certificate" {
                    current = Some(Ok(None));
                }
                if in_pem(&stack, &name) {
                    if let Some(Ok(pem @ None)) = current.as_mut() {
                        *pem = Some(Vec::new());
                    }
                }
                stack.push(name);
            }
            Event::Empty(start) => {
                let name = start.local_name().into_inner().as_bytes().to_vec();
                if stack.is_empty() {
                    if name != b"certificates" {
                        return Err(XmlError::WrongRoot(lossy(&name)));
                    }
                } else if stack.len() == 1 && name == b"certificate" {
                    items.push(Err(XmlCertificateError::MissingPem));
                }
            }
            Event::Text(text) => append_pem_text(&stack, &mut current, text.as_bytes()),
            Event::CData(text) => append_pem_text(&stack, &mut current, text.as_bytes()),
            Event::GeneralRef(reference) => {
                if is_pem(&stack) {
                    let whitespace = matches!(reference.resolve_char_ref(), Ok(Some(c)) if c.is_whitespace());
                    if whitespace {
                        append_pem_text(&stack, &mut current, b"");
                    } else {
                        if let Some(cur @ Ok(_)) = current.as_mut() {
                            *cur = Err(XmlCertificateError::EntityReference(lossy(reference.as_bytes())));
                        }
                    }
                }
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if stack.len() == 1 && name == b"certificate" {
                    if let Some(cur) = current.take() {
                        items.push(cur.and_then(|pem| decode_pem(pem.as_deref())));
                    }
                }
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    return Err(XmlError::Malformed {
                        position: xml.len() as u64,
                        detail: format!("the file ends before <{}> is closed", lossy(open)),
                    });
                }
                break;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    Ok(items)
}

fn in_pem(stack: &[Vec<u8>], name: &[u8]) -> bool {
    stack.len() == 2 && stack[1] == b"certificate" && name == b"pem"
}

fn is_pem(stack: &[Vec<u8>]) -> bool {
    stack.len() == 3 && stack[1] == b"certificate" && stack[2] == b"pem"
}

fn append_pem_text(
    stack: &[Vec<u8>],
    current: &mut Option<Result<Option<Vec<u8>>, XmlCertificateError>>,
    text: &[u8],
) {
    if is_pem(stack) {
        if let Some(Ok(Some(pem))) = current.as_mut() {
            // Text pieces are trimmed and split by references: keep them on separate lines.
            pem.push(b'\n');
            pem.extend_from_slice(text);
        }
    }
}

/// Base64 DER, tolerating line breaks and a PEM header/footer around it.
fn decode_pem(pem: Option<&[u8]>) -> Result<Vec<u8>, XmlCertificateError> {
    let pem = pem.ok_or(XmlCertificateError::MissingPem)?;
    let body: Vec<u8> = pem
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.starts_with(b"-----"))
        .flat_map(|line| line.iter().copied().filter(|b| !b.is_ascii_whitespace()))
        .collect();
    if body.is_empty() {
        return Err(XmlCertificateError::MissingPem);
    }
    base64::engine::general_purpose::STANDARD
        .decode(&body)
        .map_err(|_| XmlCertificateError::BadBase64)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_line_pems_in_order() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<certificates>
  <certificate><pem>AAEC</pem></certificate>
  <!-- a comment -->
  <certificate><pem>
    -----BEGIN CERTIFICATE-----&#13;
    AwQF
    -----END CERTIFICATE-----
  </pem></certificate>
  <certificate><pem><![CDATA[BgcI]]></pem></certificate>
</certificates>"#;
        assert_eq!(
            certificates(xml).unwrap(),
            vec![Ok(vec![0, 1, 2]), Ok(vec![3, 4, 5]), Ok(vec![6, 7, 8])]
        );
    }

    #[test]
    fn per_certificate_errors_do_not_stop_the_rest() {
        let xml = b"<certificates><certificate/><certificate><name>x</name></certificate>\
            <certificate><pem>!!</pem></certificate><certificate><pem>&foo;</pem></certificate>\
            <certificate><pem>AAEC</pem></certificate></certificates>";
        assert_eq!(
            certificates(xml).unwrap(),
            vec![
                Err(XmlCertificateError::MissingPem),
                Err(XmlCertificateError::MissingPem),
                Err(XmlCertificateError::BadBase64),
                Err(XmlCertificateError::EntityReference("foo".into())),
                Ok(vec![0, 1, 2]),
            ]
        );
    }

    #[test]
    fn refuses_doctype_entities_and_bad_documents() {
        let billion_laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><certificates><certificate><pem>&lol2;</pem></certificate></certificates>"#;
        assert_eq!(certificates(billion_laughs), Err(XmlError::DocType));
        assert!(matches!(
            certificates(b"<certificates><certificate>"),
            Err(XmlError::Malformed { .. })
        ));
        assert_eq!(
            certificates(b"<devices/>"),
            Err(XmlError::WrongRoot("devices".into()))
        );
        let deep = format!("<certificates>{}", "<a>".repeat(100));
        assert_eq!(certificates(deep.as_bytes()), Err(XmlError::TooDeep));
        assert_eq!(certificates(b"<certificates/>"), Ok(vec![]));
    }
}
