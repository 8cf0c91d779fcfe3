//! DSA (FIPS 186), which the key library does not do: the public key a private key
//! implies, and signature verification, on big integers. Old PKI (NIST PKITS, older
//! government and banking CAs) still has DSA keys and chains. Only FIPS 186's sizes are
//! taken, so the arithmetic is bounded: a crafted 64-Kbit modulus would cost minutes.

use der::asn1::UintRef;
use der::{Decode, Encode};
use num_bigint::BigUint;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256};

pub const DSA: &str = "1.2.840.10040.4.1";

#[derive(der::Sequence)]
struct DssParms<'a> {
    p: UintRef<'a>,
    q: UintRef<'a>,
    g: UintRef<'a>,
}

#[derive(der::Sequence)]
struct DsaSignature<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// The domain parameters p, q, g.
pub struct DsaParams {
    p: BigUint,
    q: BigUint,
    g: BigUint,
}

impl DsaParams {
    /// From the DER of an AlgorithmIdentifier's parameters (Dss-Parms).
    pub fn from_der(der: &[u8]) -> Option<DsaParams> {
        let parms = DssParms::from_der(der).ok()?;
        let int = |u: UintRef<'_>| BigUint::from_bytes_be(u.as_bytes());
        let params = DsaParams {
            p: int(parms.p),
            q: int(parms.q),
            g: int(parms.g),
        };
        // FIPS 186-4's (L, N) pairs; and a generator that is not degenerate.
        let sizes = (params.p.bits(), params.q.bits());
        (FIPS_186_SIZES.contains(&sizes) && params.g > BigUint::from(1u8) && params.g < params.p)
            .then_some(params)
    }

    /// The public key y = g^x mod p of private key `x` (the DER INTEGER of a PKCS#8 DSA
    /// key), encoded as a certificate's subjectPublicKey carries it: a DER INTEGER.
    pub fn public_key_of(&self, x_der: &[u8]) -> Option<Vec<u8>> {
        let x = BigUint::from_bytes_be(UintRef::from_der(x_der).ok()?.as_bytes());
        // A private key is 0 < x < q.
        if x == BigUint::from(0u8) || x >= self.q {
            return None;
        }
        let y = self.g.modpow(&x, &self.p);
        UintRef::new(&y.to_bytes_be()).ok()?.to_der().ok()
    }

    /// Whether `signature` (DER r, s) over `message` verifies with public key `y_der`
    /// (a DER INTEGER) and the hash `hash_oid` names.
    pub fn verify(&self, y_der: &[u8], hash_oid: &str, message: &[u8], signature: &[u8]) -> bool {
        let (Ok(y), Ok(sig)) = (UintRef::from_der(y_der), DsaSignature::from_der(signature)) else {
            return false;
        };
        let digest = match hash_oid {
            SHA1_WITH_DSA => Sha1::digest(message).to_vec(),
            SHA224_WITH_DSA => Sha224::digest(message).to_vec(),
            SHA256_WITH_DSA => Sha256::digest(message).to_vec(),
            _ => return false,
        };
        let (r, s) = (
            BigUint::from_bytes_be(sig.r.as_bytes()),
            BigUint::from_bytes_be(sig.s.as_bytes()),
        );
        let zero = BigUint::from(0u8);
        if r == zero || s == zero || r >= self.q || s >= self.q {
            return false;
        }
        // The leftmost min(N, outlen) bits of the digest, N the bit length of q.
        let n = self.q.bits();
        let mut z = BigUint::from_bytes_be(&digest);
        let outlen = (digest.len() * 8) as u64;
        if outlen > n {
            z >>= outlen - n;
        }
        let Some(w) = s.modinv(&self.q) else {
            return false;
        };
        let u1 = (&z * &w) % &self.q;
        let u2 = (&r * &w) % &self.q;
        let y = BigUint::from_bytes_be(y.as_bytes());
        if y <= BigUint::from(1u8) || y >= self.p {
            return false;
        }
        let v = ((self.g.modpow(&u1, &self.p) * y.modpow(&u2, &self.p)) % &self.p) % &self.q;
        v == r
    }
}

/// (bits of p, bits of q): FIPS 186-4, section 4.2.
const FIPS_186_SIZES: [(u64, u64); 4] = [(1024, 160), (2048, 224), (2048, 256), (3072, 256)];

pub const SHA1_WITH_DSA: &str = "1.2.840.10040.4.3";
pub const SHA224_WITH_DSA: &str = "2.16.840.1.101.3.4.3.1";
pub const SHA256_WITH_DSA: &str = "2.16.840.1.101.3.4.3.2";
