//! Orders a keystore's certificates into a path from the leaf to one of the tenant's
//! trusted CA certificates, checking every signature and validity period on the way.

use x509_parser::certificate::X509Certificate;
use x509_parser::time::ASN1Time;

use super::signature::issued_by;
use super::KeystoreError;

/// Longest path accepted (leaf + intermediates).
const MAX_DEPTH: usize = 10;

/// The path leaf-first: the leaf, then each issuer taken from `certificates`, up to the
/// first one issued by (or equal to) a trusted CA. Certificates off the path are dropped.
pub fn order_trusted_chain(
    leaf_index: usize,
    certificates: &[Vec<u8>],
    trusted_cas: &[Vec<u8>],
    now_unix: i64,
) -> Result<Vec<Vec<u8>>, KeystoreError> {
    let parsed = certificates
        .iter()
        .map(|der| parse(der))
        .collect::<Result<Vec<_>, _>>()?;
    // Trusted CAs were validated when added; one that no longer parses simply never matches.
    let anchors: Vec<(&[u8], X509Certificate<'_>)> = trusted_cas
        .iter()
        .filter_map(|der| parse(der).ok().map(|c| (der.as_slice(), c)))
        .collect();
    let now = ASN1Time::from_timestamp(now_unix).map_err(|e| KeystoreError::malformed("clock", e))?;

    if leaf_index >= parsed.len() {
        return Err(KeystoreError::malformed("keystore", "leaf index out of range"));
    }
    let mut path = vec![leaf_index];
    loop {
        let current = &parsed[*path.last().unwrap_or(&leaf_index)];
        check_validity(current, &now)?;
        let current_der = &certificates[*path.last().unwrap_or(&leaf_index)];
        let anchored = anchors.iter().any(|(der, ca)| {
            *der == current_der.as_slice() || (same_name(current, ca) && issued_by(current, ca))
        });
        if anchored {
            return Ok(path.iter().map(|&i| certificates[i].clone()).collect());
        }
        if path.len() >= MAX_DEPTH {
            return Err(KeystoreError::ChainNotTrusted(format!(
                "no trusted CA within {MAX_DEPTH} certificates of the leaf"
            )));
        }
        let next = parsed.iter().enumerate().position(|(i, candidate)| {
            !path.contains(&i)
                && candidate.subject().as_raw() == current.issuer().as_raw()
                && issued_by(current, candidate)
        });
        match next {
            Some(i) => path.push(i),
            None => {
                return Err(KeystoreError::ChainNotTrusted(format!(
                    "it ends at a certificate issued by \"{}\", which is not among this tenant's trusted CA \
                     certificates; add that CA with POST /v1/trustedcacertificates (or include the missing \
                     intermediate certificates in the keystore)",
                    current.issuer()
                )));
            }
        }
    }
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, KeystoreError> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c)
        .map_err(|e| KeystoreError::malformed("certificate", e))
}

fn same_name(subject: &X509Certificate<'_>, ca: &X509Certificate<'_>) -> bool {
    subject.issuer().as_raw() == ca.subject().as_raw()
}

fn check_validity(cert: &X509Certificate<'_>, now: &ASN1Time) -> Result<(), KeystoreError> {
    let validity = cert.validity();
    if *now > validity.not_after {
        return Err(KeystoreError::Expired(format!(
            "the certificate \"{}\" expired on {}",
            cert.subject(),
            validity.not_after
        )));
    }
    if *now < validity.not_before {
        return Err(KeystoreError::Expired(format!(
            "the certificate \"{}\" is not valid before {}",
            cert.subject(),
            validity.not_before
        )));
    }
    Ok(())
}

/// The trusted CA certificate that issued `last` (the end of a stored chain), when the
/// chain stops short of it: what completes the chain up to its root.
pub fn trust_anchor<'a>(last: &[u8], trusted_cas: &'a [Vec<u8>]) -> Option<&'a [u8]> {
    let last_der = last;
    let last = parse(last).ok()?;
    if last.subject().as_raw() == last.issuer().as_raw() {
        return None;
    }
    trusted_cas.iter().map(Vec::as_slice).find(|der| {
        *der != last_der
            && parse(der)
                .is_ok_and(|ca| ca.subject().as_raw() == last.issuer().as_raw() && issued_by(&last, &ca))
    })
}
