//! What an item's key derivations may cost, counted before each one runs: a keystore
//! asks for as many as it likes (a MAC, every encrypted safe, every shrouded key), each
//! with the parameters it likes. PBKDF2 and the PKCS#12 KDF cost their iterations;
//! scrypt costs `N·r·p` (about the same time as as many PBKDF2 iterations) and needs
//! `128·r·N` bytes. An item past its budget fails before the derivation that would pass
//! it, whatever the password.

use der::{Decode, Encode};
use pkcs5::pbes2;
use zeroize::Zeroizing;

use super::{KeystoreError, Pkcs12Limits};

pub struct KdfBudget {
    limits: Pkcs12Limits,
    spent: u64,
}

impl KdfBudget {
    pub fn new(limits: &Pkcs12Limits) -> KdfBudget {
        KdfBudget {
            limits: *limits,
            spent: 0,
        }
    }

    /// A derivation of `iterations` (PBKDF2, the PKCS#12 KDF): each at most the
    /// per-derivation limit, all of them at most the item's budget.
    pub fn iterations(&mut self, iterations: u64) -> Result<(), KeystoreError> {
        if iterations > self.limits.max_iterations {
            return Err(KeystoreError::TooManyIterations {
                found: iterations,
                max: self.limits.max_iterations,
            });
        }
        self.spend(iterations)
    }

    /// An scrypt derivation: its memory and its work within the limits.
    pub fn scrypt(&mut self, n: u64, r: u64, p: u64) -> Result<(), KeystoreError> {
        let memory = n.checked_mul(r).and_then(|x| x.checked_mul(128));
        if memory.is_none_or(|m| m > self.limits.max_scrypt_memory) || p > MAX_SCRYPT_PARALLELISM {
            return Err(KeystoreError::ScryptTooCostly {
                n,
                r,
                p,
                max_memory: self.limits.max_scrypt_memory,
            });
        }
        self.spend(n.saturating_mul(r).saturating_mul(p))
    }

    fn spend(&mut self, work: u64) -> Result<(), KeystoreError> {
        let spent = self.spent.saturating_add(work);
        if spent > self.limits.max_kdf_work {
            return Err(KeystoreError::TooMuchWork {
                needed: spent,
                max: self.limits.max_kdf_work,
            });
        }
        self.spent = spent;
        Ok(())
    }
}

/// More lanes than this is no keystore a tool made.
const MAX_SCRYPT_PARALLELISM: u64 = 16;

const PBES2: &str = "1.2.840.113549.1.5.13";

/// Decrypts PBES2 content (PBKDF2 or scrypt, an AES or 3DES CBC cipher) with `password`
/// (its UTF-8 bytes), once its derivation fits `budget`; names what it cannot use.
pub fn pbes2_decrypt(
    algorithm: &cms::cert::x509::spki::AlgorithmIdentifierOwned,
    password: &[u8],
    data: &[u8],
    budget: &mut KdfBudget,
) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
    if algorithm.oid.to_string() != PBES2 {
        return Err(KeystoreError::UnsupportedEncryption {
            oid: algorithm.oid.to_string(),
            what: "encryption scheme",
        });
    }
    let params = algorithm
        .parameters
        .as_ref()
        .ok_or_else(|| KeystoreError::malformed("PBES2 parameters", "absent"))?
        .to_der()
        .map_err(|e| KeystoreError::malformed("PBES2 parameters", e))?;
    // The derivation's cost is read (as wide as a file can write it) and paid for before
    // anything else: the library's own types would refuse large values as malformed.
    charge(&params, budget)?;
    let params = pbes2::Parameters::from_der(&params).map_err(|e| named_unsupported(&params, e))?;
    params
        .decrypt(password, data)
        .map(Zeroizing::new)
        .map_err(|e| match e {
            pkcs5::Error::DecryptFailed => KeystoreError::WrongPassword,
            other => KeystoreError::malformed("PBES2 content", other),
        })
}

const PBKDF2: &str = "1.2.840.113549.1.5.12";
const SCRYPT: &str = "1.3.6.1.4.1.11591.4.11";

#[derive(der::Sequence)]
struct RawPbes2 {
    kdf: cms::cert::x509::spki::AlgorithmIdentifierOwned,
    _scheme: cms::cert::x509::spki::AlgorithmIdentifierOwned,
}

#[derive(der::Sequence)]
struct RawPbkdf2 {
    _salt: der::asn1::OctetString,
    iterations: der::asn1::Uint,
    #[asn1(optional = "true")]
    _key_length: Option<der::asn1::Uint>,
    #[asn1(optional = "true")]
    _prf: Option<cms::cert::x509::spki::AlgorithmIdentifierOwned>,
}

#[derive(der::Sequence)]
struct RawScrypt {
    _salt: der::asn1::OctetString,
    n: der::asn1::Uint,
    r: der::asn1::Uint,
    p: der::asn1::Uint,
    #[asn1(optional = "true")]
    _key_length: Option<der::asn1::Uint>,
}

/// A DER INTEGER as u64, `u64::MAX` when larger (it is then over every limit anyway).
fn wide(value: &der::asn1::Uint) -> u64 {
    let bytes = value.as_bytes();
    if bytes.len() > 8 {
        return u64::MAX;
    }
    bytes.iter().fold(0, |n, b| (n << 8) | u64::from(*b))
}

/// Pays for the key derivation PBES2 `params` ask for (PBKDF2 or scrypt); other
/// derivations are named by `pbes2_decrypt`.
fn charge(params: &[u8], budget: &mut KdfBudget) -> Result<(), KeystoreError> {
    let raw = RawPbes2::from_der(params).map_err(|e| KeystoreError::malformed("PBES2 parameters", e))?;
    let kdf_params = || {
        raw.kdf
            .parameters
            .as_ref()
            .ok_or_else(|| KeystoreError::malformed("key derivation parameters", "absent"))?
            .to_der()
            .map_err(|e| KeystoreError::malformed("key derivation parameters", e))
    };
    match raw.kdf.oid.to_string().as_str() {
        PBKDF2 => {
            let p = RawPbkdf2::from_der(&kdf_params()?)
                .map_err(|e| KeystoreError::malformed("PBKDF2 parameters", e))?;
            budget.iterations(wide(&p.iterations))
        }
        SCRYPT => {
            let p = RawScrypt::from_der(&kdf_params()?)
                .map_err(|e| KeystoreError::malformed("scrypt parameters", e))?;
            budget.scrypt(wide(&p.n), wide(&p.r), wide(&p.p))
        }
        _ => Ok(()),
    }
}

/// PBES2 parameters the library cannot read: the key derivation, PRF or cipher OID it
/// does not know, named (else the decoding error).
fn named_unsupported(params: &[u8], error: der::Error) -> KeystoreError {
    #[derive(der::Sequence)]
    struct Raw {
        kdf: cms::cert::x509::spki::AlgorithmIdentifierOwned,
        scheme: cms::cert::x509::spki::AlgorithmIdentifierOwned,
    }
    const KDFS: [&str; 2] = ["1.2.840.113549.1.5.12", "1.3.6.1.4.1.11591.4.11"];
    const CIPHERS: [&str; 4] = [
        "2.16.840.1.101.3.4.1.2",
        "2.16.840.1.101.3.4.1.22",
        "2.16.840.1.101.3.4.1.42",
        "1.2.840.113549.3.7",
    ];
    let Ok(raw) = Raw::from_der(params) else {
        return KeystoreError::malformed("PBES2 parameters", error);
    };
    let (kdf, scheme) = (raw.kdf.oid.to_string(), raw.scheme.oid.to_string());
    if !KDFS.contains(&kdf.as_str()) {
        KeystoreError::UnsupportedEncryption {
            oid: kdf,
            what: "PBES2 key derivation",
        }
    } else if !CIPHERS.contains(&scheme.as_str()) {
        KeystoreError::UnsupportedEncryption {
            oid: scheme,
            what: "PBES2 cipher",
        }
    } else {
        // A PBKDF2 whose pseudo-random function is not an HMAC-SHA the library knows.
        let prf = raw.kdf.parameters.and_then(|p| p.to_der().ok()).and_then(|der| {
            #[derive(der::Sequence)]
            struct Pbkdf2 {
                _salt: der::asn1::OctetString,
                _iterations: u64,
                #[asn1(optional = "true")]
                _key_length: Option<u32>,
                #[asn1(optional = "true")]
                prf: Option<cms::cert::x509::spki::AlgorithmIdentifierOwned>,
            }
            Pbkdf2::from_der(&der).ok()?.prf
        });
        match prf {
            Some(prf) => KeystoreError::UnsupportedEncryption {
                oid: prf.oid.to_string(),
                what: "PBKDF2 pseudo-random function",
            },
            None => KeystoreError::malformed("PBES2 parameters", error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Pkcs12Limits {
        Pkcs12Limits {
            max_iterations: 1000,
            max_kdf_work: 2500,
            max_scrypt_memory: 1 << 20,
            ..Pkcs12Limits::default()
        }
    }

    #[test]
    fn derivations_are_refused_past_their_own_limit_and_past_the_items_budget() {
        let mut budget = KdfBudget::new(&limits());
        assert!(matches!(
            budget.iterations(1001),
            Err(KeystoreError::TooManyIterations {
                found: 1001,
                max: 1000
            })
        ));
        budget.iterations(1000).unwrap();
        budget.iterations(1000).unwrap();
        assert!(matches!(
            budget.iterations(1000),
            Err(KeystoreError::TooMuchWork {
                needed: 3000,
                max: 2500
            })
        ));
        budget.iterations(500).unwrap();
    }

    #[test]
    fn scrypt_is_held_to_its_memory_parallelism_and_work() {
        let mut budget = KdfBudget::new(&limits());
        for (n, r, p) in [(1u64 << 40, 8, 1), (1 << 10, 8, 1 << 20), (u64::MAX, u64::MAX, 1)] {
            assert!(
                matches!(budget.scrypt(n, r, p), Err(KeystoreError::ScryptTooCostly { .. })),
                "{n} {r} {p}"
            );
        }
        // 128 KiB of memory, within; 2048 of work, within the budget once.
        budget.scrypt(128, 8, 2).unwrap();
        assert!(matches!(
            budget.scrypt(128, 8, 2),
            Err(KeystoreError::TooMuchWork { .. })
        ));
    }
}
