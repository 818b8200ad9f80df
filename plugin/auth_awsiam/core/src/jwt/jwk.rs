//! An issuer's JSON Web Key Set (RFC 7517) turned into the keys a JWT is checked with,
//! parsed once per fetch (aws-lc-rs's pre-parsed keys), and the signature check itself.
//!
//! The algorithm is bound to the key type here, never taken from the key set alone: RS256
//! needs `kty: RSA` (2048 to 8192 bits, e = 65537), ES384 needs `kty: EC` on `P-384`. AWS's
//! RSA keys carry no `alg` member (jwt-facts.md 3.3); when a key does carry one, it must
//! be the algorithm its type gives.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::compact::{Alg, MAX_KID_LEN};
use super::json;
use crate::syntax::quoted;

/// Largest key set read, in bytes. AWS's is about 1 KB (one RSA-2048 and one P-384 key);
/// `MAX_KEYS` keys of 8192 bits would be about 24 KB. Past this the set is refused and
/// the last good one kept.
pub const MAX_JWKS_LEN: usize = 64 * 1024;
/// Most keys in a set. AWS publishes one per algorithm, two per algorithm during a
/// rotation (jwt-facts.md 3.3); 16 leaves room for overlapping rotations while bounding
/// what one fetch costs to parse.
pub const MAX_KEYS: usize = 16;
/// RSA modulus sizes accepted: aws-lc-rs's RSA_PKCS1_2048_8192_SHA256 range. Below 2048
/// bits a key is too weak; above 8192 it only makes verification expensive.
pub const MIN_RSA_BITS: usize = 2048;
pub const MAX_RSA_BITS: usize = 8192;
/// The only RSA public exponent accepted: 65537 (AWS's `AQAB`). Other exponents are legal
/// RSA but no AWS key uses one, and e = 3 invites old padding mistakes.
const RSA_EXPONENT: [u8; 3] = [1, 0, 1];
/// Bytes of a P-384 coordinate, and of an ES384 signature (`R || S`, RFC 7518 §3.4).
const P384_COORDINATE_LEN: usize = 48;
pub const ES384_SIGNATURE_LEN: usize = 2 * P384_COORDINATE_LEN;
/// Longest excerpt of a key member (`kty`, `crv`, `alg`, `use`) shown in a message.
const MAX_SHOWN_VALUE: usize = 32;

/// One public key of an issuer, ready to verify with.
pub struct Key {
    pub kid: String,
    pub alg: Alg,
    public: ParsedPublicKey,
    /// The exact length of a signature by this key: the modulus length for RSA.
    signature_len: usize,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({} {})", self.kid, self.alg.name())
    }
}

/// Why a signature did not verify: its length, or the check itself.
#[derive(Debug, PartialEq, Eq)]
pub enum BadSignature {
    Length { got: usize, want: usize },
    Invalid,
}

impl Key {
    /// An RS256 key from its modulus and exponent (big-endian, leading zeros allowed).
    pub fn rsa(kid: &str, n: &[u8], e: &[u8]) -> Result<Key, String> {
        let n = without_leading_zeros(n);
        let e = without_leading_zeros(e);
        let bits = n
            .first()
            .map_or(0, |b| (n.len() - 1) * 8 + 8 - b.leading_zeros() as usize);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(format!(
                "an RSA key of {bits} bits (accepted: {MIN_RSA_BITS} to {MAX_RSA_BITS})"
            ));
        }
        if e != RSA_EXPONENT {
            return Err("an RSA key whose exponent is not 65537".into());
        }
        let public = RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|e| format!("an RSA key aws-lc refuses ({e})"))?;
        Ok(Key {
            kid: kid.to_string(),
            alg: Alg::Rs256,
            public,
            signature_len: n.len(),
        })
    }

    /// An ES384 key from its affine coordinates (48 bytes each).
    pub fn ec384(kid: &str, x: &[u8], y: &[u8]) -> Result<Key, String> {
        if x.len() != P384_COORDINATE_LEN || y.len() != P384_COORDINATE_LEN {
            return Err(format!(
                "a P-384 key whose coordinates are not {P384_COORDINATE_LEN} bytes"
            ));
        }
        // The uncompressed point (SEC 1 §2.3.3); aws-lc checks it is on the curve.
        let point = [&[4u8][..], x, y].concat();
        let public = ParsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, point)
            .map_err(|e| format!("a P-384 key aws-lc refuses ({e})"))?;
        Ok(Key {
            kid: kid.to_string(),
            alg: Alg::Es384,
            public,
            signature_len: ES384_SIGNATURE_LEN,
        })
    }

    /// Checks `signature` over `message` (the JWT's signing input).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        if signature.len() != self.signature_len {
            return Err(BadSignature::Length {
                got: signature.len(),
                want: self.signature_len,
            });
        }
        self.public
            .verify_sig(message, signature)
            .map_err(|_| BadSignature::Invalid)
    }
}

fn without_leading_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

/// The usable keys of a key set, and why each other key was left out (for the log).
#[derive(Debug, Default)]
pub struct KeySet {
    pub keys: Vec<Arc<Key>>,
    pub skipped: Vec<String>,
}

impl KeySet {
    pub fn get(&self, kid: &str) -> Option<&Arc<Key>> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

/// Reads a key set. A key of a type, curve or use we do not verify with is skipped (a set
/// may hold keys for others); a set that is not JSON, too big, repeats a `kid` (which key
/// would be meant?) or has no usable key is refused whole, so the cache keeps the last
/// good one.
pub fn parse_key_set(bytes: &[u8]) -> Result<KeySet, String> {
    if bytes.len() > MAX_JWKS_LEN {
        return Err(format!(
            "the key set is {} bytes; the limit is {MAX_JWKS_LEN}",
            bytes.len()
        ));
    }
    let set = json::parse_object(bytes).map_err(|why| format!("the key set: {why}"))?;
    let Some(Value::Array(entries)) = set.get("keys") else {
        return Err("the key set has no keys array".into());
    };
    if entries.len() > MAX_KEYS {
        return Err(format!(
            "the key set has {} keys; the limit is {MAX_KEYS}",
            entries.len()
        ));
    }
    let mut kids = HashSet::new();
    let mut out = KeySet::default();
    for (i, entry) in entries.iter().enumerate() {
        let Value::Object(jwk) = entry else {
            out.skipped
                .push(format!("key {i} is {}", json::kind(entry)));
            continue;
        };
        let Some(Value::String(kid)) = jwk.get("kid") else {
            out.skipped.push(format!("key {i} has no kid"));
            continue;
        };
        if !kids.insert(kid.as_str()) {
            return Err(format!(
                "the key set has kid {} twice",
                quoted(kid, MAX_KID_LEN)
            ));
        }
        match parse_key(kid, jwk) {
            Ok(key) => out.keys.push(Arc::new(key)),
            Err(why) => out
                .skipped
                .push(format!("key {}: {why}", quoted(kid, MAX_KID_LEN))),
        }
    }
    if out.keys.is_empty() {
        return Err(format!(
            "the key set has no usable key ({})",
            if out.skipped.is_empty() {
                "it is empty".to_string()
            } else {
                out.skipped.join("; ")
            }
        ));
    }
    Ok(out)
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!("{name} is {}", json::kind(v))),
    }
}

fn bytes_member(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let s = member(jwk, name)?.ok_or_else(|| format!("no {name}"))?;
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| format!("{name} is not base64url"))
}

fn parse_key(kid: &str, jwk: &Map<String, Value>) -> Result<Key, String> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err(format!("a kid of {} bytes (1 to {MAX_KID_LEN})", kid.len()));
    }
    if let Some(u) = member(jwk, "use")?
        && u != "sig"
    {
        return Err(format!("use {} is not sig", quoted(u, MAX_SHOWN_VALUE)));
    }
    let key = match member(jwk, "kty")? {
        Some("RSA") => Key::rsa(kid, &bytes_member(jwk, "n")?, &bytes_member(jwk, "e")?)?,
        Some("EC") => match member(jwk, "crv")? {
            Some("P-384") => Key::ec384(kid, &bytes_member(jwk, "x")?, &bytes_member(jwk, "y")?)?,
            Some(c) => return Err(format!("curve {} is not P-384", quoted(c, MAX_SHOWN_VALUE))),
            None => return Err("an EC key with no crv".into()),
        },
        Some(t) => {
            return Err(format!(
                "kty {} is not RSA or EC",
                quoted(t, MAX_SHOWN_VALUE)
            ));
        }
        None => return Err("no kty".into()),
    };
    if let Some(a) = member(jwk, "alg")?
        && a != key.alg.name()
    {
        return Err(format!(
            "alg {} does not fit a key of its type ({})",
            quoted(a, MAX_SHOWN_VALUE),
            key.alg.name()
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::super::test_keys::{EC, RSA, b64, ec_jwk, jwks, rsa_jwk};
    use super::*;

    #[test]
    fn aws_shaped_sets_are_read() {
        // AWS's shape (jwt-facts.md 3.3): RSA without alg, EC with alg, crv and use.
        let set = parse_key_set(jwks(&[rsa_jwk("RSA_0", &RSA), ec_jwk("EC384_0", &EC)]).as_bytes())
            .unwrap();
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.get("RSA_0").unwrap().alg, Alg::Rs256);
        assert_eq!(set.get("EC384_0").unwrap().alg, Alg::Es384);
        assert!(set.get("RSA_1").is_none());
        assert!(set.skipped.is_empty());
    }

    #[test]
    fn keys_we_cannot_use_are_skipped_with_a_reason() {
        let set = parse_key_set(
            jwks(&[
                rsa_jwk("RSA_0", &RSA),
                r#"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"AA"}"#.into(),
                r#"{"kty":"EC","crv":"P-256","kid":"p256","x":"AA","y":"AA"}"#.into(),
                r#"{"kty":"RSA","kid":"enc","use":"enc","n":"AA","e":"AQAB"}"#.into(),
                r#"{"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"}"#.into(),
                r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#.into(),
                rsa_jwk("RSA_0_as_RS512", &RSA).replace("\"kty\"", "\"alg\":\"RS512\",\"kty\""),
                format!(
                    r#"{{"kty":"RSA","kid":"e3","n":"{}","e":"Aw"}}"#,
                    b64(&RSA.n)
                ),
                r#""not an object""#.into(),
            ])
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(set.keys.len(), 1);
        let why = set.skipped.join("\n");
        for want in [
            "'ed': kty 'OKP' is not RSA or EC",
            "'p256': curve 'P-256' is not P-384",
            "'enc': use 'enc' is not sig",
            "'small': an RSA key of 17 bits",
            "key 5 has no kid",
            "'RSA_0_as_RS512': alg 'RS512' does not fit a key of its type (RS256)",
            "'e3': an RSA key whose exponent is not 65537",
            "key 8 is a string",
        ] {
            assert!(why.contains(want), "{want} in:\n{why}");
        }
    }

    #[test]
    fn a_key_whose_kid_no_token_can_name_is_skipped() {
        // A token's kid is 1 to MAX_KID_LEN bytes (compact.rs): a key with an empty or
        // longer kid could never be chosen, so it is skipped, and said why, whatever the
        // rest of it; its neighbours, one at each end of the range, are kept.
        let longest = "k".repeat(MAX_KID_LEN);
        let too_long = "k".repeat(MAX_KID_LEN + 1);
        let set = parse_key_set(
            jwks(&[
                rsa_jwk("", &RSA),
                rsa_jwk(&too_long, &RSA),
                ec_jwk("e", &EC),
                ec_jwk(&longest, &EC),
            ])
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(set.keys.len(), 2);
        assert!(set.get("e").is_some() && set.get(&longest).is_some());
        let why = set.skipped.join("\n");
        assert!(why.contains("a kid of 0 bytes (1 to 128)"), "{why}");
        assert!(why.contains("a kid of 129 bytes (1 to 128)"), "{why}");
    }

    #[test]
    fn bad_sets_are_refused_whole() {
        let two = jwks(&[rsa_jwk("k", &RSA), ec_jwk("k", &EC)]);
        assert!(
            parse_key_set(two.as_bytes())
                .unwrap_err()
                .contains("kid 'k' twice")
        );
        let many: Vec<String> = (0..=MAX_KEYS)
            .map(|i| ec_jwk(&format!("k{i}"), &EC))
            .collect();
        assert!(
            parse_key_set(jwks(&many).as_bytes())
                .unwrap_err()
                .contains("17 keys")
        );
        let big = format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(MAX_JWKS_LEN));
        assert!(
            parse_key_set(big.as_bytes())
                .unwrap_err()
                .contains("bytes; the limit")
        );
        assert!(
            parse_key_set(b"{\"keys\":[]}")
                .unwrap_err()
                .contains("it is empty")
        );
        assert!(parse_key_set(b"{}").unwrap_err().contains("no keys array"));
        assert!(
            parse_key_set(b"<html>")
                .unwrap_err()
                .starts_with("the key set:")
        );
        let only_bad = jwks(&[r#"{"kty":"oct","kid":"h","k":"AA"}"#.into()]);
        assert!(
            parse_key_set(only_bad.as_bytes())
                .unwrap_err()
                .contains("kty 'oct'")
        );
    }

    #[test]
    fn a_set_right_at_its_limits_is_read() {
        let full: Vec<String> = (0..MAX_KEYS)
            .map(|i| ec_jwk(&format!("k{i}"), &EC))
            .collect();
        assert_eq!(
            parse_key_set(jwks(&full).as_bytes()).unwrap().keys.len(),
            MAX_KEYS
        );
        let padded = |pad: &str| format!(r#"{{"keys":[{}],"pad":"{pad}"}}"#, ec_jwk("k", &EC));
        let at_limit = padded(&"x".repeat(MAX_JWKS_LEN - padded("").len()));
        assert_eq!(at_limit.len(), MAX_JWKS_LEN);
        assert!(parse_key_set(at_limit.as_bytes()).is_ok());
    }

    #[test]
    fn a_keys_debug_form_names_its_kid_and_algorithm() {
        // KeySet's derived Debug (a test failure, a refusal's {:?}) shows its keys this way:
        // what a reader needs, not aws-lc's parsed key.
        let set = parse_key_set(jwks(&[ec_jwk("EC384_0", &EC)]).as_bytes()).unwrap();
        assert_eq!(format!("{:?}", set.keys[0]), "Key(EC384_0 ES384)");
    }

    #[test]
    fn a_p384_coordinate_of_the_wrong_length_is_refused_for_its_length() {
        let (x, y) = EC.xy();
        // One coordinate short, either one; and a real point cut in the wrong place, which
        // aws-lc would take (it sees only the 97 bytes of the point).
        for (x, y) in [
            (&x[1..], &y[..]),
            (&x[..], &y[1..]),
            (
                &x[..P384_COORDINATE_LEN - 1],
                &[&x[P384_COORDINATE_LEN - 1..], &y[..]].concat()[..],
            ),
        ] {
            let e = Key::ec384("k", x, y).unwrap_err();
            assert_eq!(
                e,
                format!("a P-384 key whose coordinates are not {P384_COORDINATE_LEN} bytes")
            );
        }
    }

    #[test]
    fn ec_points_must_be_on_the_curve() {
        let e = Key::ec384("k", &[1; 48], &[2; 48]).unwrap_err();
        assert!(e.contains("aws-lc refuses"), "{e}");
        assert!(Key::ec384("k", &[1; 47], &[2; 48]).is_err());
    }

    #[test]
    fn signature_length_is_checked_before_the_signature() {
        let key = parse_key_set(jwks(&[ec_jwk("k", &EC)]).as_bytes()).unwrap();
        let key = key.get("k").unwrap();
        assert_eq!(
            key.verify(b"m", &[0; 95]),
            Err(BadSignature::Length { got: 95, want: 96 })
        );
        assert_eq!(key.verify(b"m", &[0; 96]), Err(BadSignature::Invalid));
        let sig = EC.sign(b"m");
        assert_eq!(key.verify(b"m", &sig), Ok(()));
        assert_eq!(key.verify(b"n", &sig), Err(BadSignature::Invalid));
    }
}
