//! Serial numbers are numbers. Records hold a certificate's serial as the hex of its DER
//! content octets (`00A0B0C0D5`: the sign byte kept); people type it as
//! `format(serial, "x")` (`a0b0c0d5`), as OpenSSL prints it (`A0:B0:C0:D5`), with or
//! without leading zeros. All of these name the same certificate.

/// The number `text` spells: upper-case hex without leading zeros (`0` for zero).
/// Separators (`:`, `-`, spaces) and a `0x` prefix are ignored; `None` when anything else
/// is not a hex digit.
pub fn canonical_serial(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut digits = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ':' | '-' | ' ' => {}
            c if c.is_ascii_hexdigit() => digits.push(c.to_ascii_uppercase()),
            _ => return None,
        }
    }
    let significant = digits.trim_start_matches('0');
    if digits.is_empty() {
        None
    } else if significant.is_empty() {
        Some("0".into())
    } else {
        Some(significant.to_string())
    }
}

/// The spellings a record may hold for the serial `text` names: its DER content octets
/// as a positive number (a `00` sign byte before a top bit that is set), and, when that
/// byte was added, the bytes alone too (the negative serials some CAs issued are stored
/// as they came). Empty when `text` is not a number.
pub fn stored_serials(text: &str) -> Vec<String> {
    let Some(canonical) = canonical_serial(text) else {
        return Vec::new();
    };
    let bytes = if canonical.len() % 2 == 1 {
        format!("0{canonical}")
    } else {
        canonical
    };
    if bytes.as_bytes()[0] >= b'8' {
        vec![format!("00{bytes}"), bytes]
    } else {
        vec![bytes]
    }
}

/// Whether two spellings name the same serial number.
pub fn same_serial(a: &str, b: &str) -> bool {
    match (canonical_serial(a), canonical_serial(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_number_is_one_serial() {
        for spelling in [
            "00A0B0C0D5",
            "a0b0c0d5",
            "A0:B0:C0:D5",
            "0xa0b0c0d5",
            " 0000a0b0c0d5 ",
        ] {
            assert_eq!(
                canonical_serial(spelling).as_deref(),
                Some("A0B0C0D5"),
                "{spelling}"
            );
        }
        assert!(same_serial("0A1B", "a1b"));
        assert!(!same_serial("0A1B", "A1B0"));
        assert_eq!(canonical_serial("00").as_deref(), Some("0"));
    }

    #[test]
    fn text_that_is_not_hex_is_no_serial() {
        for text in ["", "0x", "serial", "12g4", "-"] {
            assert_eq!(canonical_serial(text), None, "{text}");
            assert!(stored_serials(text).is_empty(), "{text}");
        }
        assert!(!same_serial("zz", "zz"));
    }

    #[test]
    fn stored_forms_are_der_content_octets() {
        assert_eq!(stored_serials("a0b0c0d5"), ["00A0B0C0D5", "A0B0C0D5"]);
        assert_eq!(stored_serials("00A0B0C0D5"), ["00A0B0C0D5", "A0B0C0D5"]);
        assert_eq!(stored_serials("a1b"), ["0A1B"]);
        assert_eq!(stored_serials("0"), ["00"]);
        assert_eq!(stored_serials("7f"), ["7F"]);
    }
}
