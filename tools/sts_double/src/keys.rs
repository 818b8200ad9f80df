//! The issuer's signing keys, made with aws-lc-rs (the library the plugin verifies with):
//! one RSA-2048 key for RS256 and one P-384 key for ES384 per generation, named like
//! AWS's (`RSA_0`, `EC384_0`; a rotation publishes `RSA_1`, `EC384_1`). Generation 0 is
//! made at start; later ones, and the unpublished set a test signs with to present a kid
//! the JWKS does not have, when first asked for. Nothing is ever written to disk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The label of the key set that no JWKS ever lists.
pub const UNPUBLISHED: &str = "unpublished";

/// A JWS algorithm GetWebIdentityToken offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Es384,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es384 => "ES384",
        }
    }

    pub fn from_name(name: &str) -> Option<Algorithm> {
        [Algorithm::Rs256, Algorithm::Es384]
            .into_iter()
            .find(|a| a.name() == name)
    }

    /// The kid prefix AWS uses for the key type.
    fn kid_prefix(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RSA_",
            Algorithm::Es384 => "EC384_",
        }
    }
}

/// base64url without padding (RFC 7515 §2).
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One RSA and one P-384 key, with the label their kids end in.
pub struct KeySet {
    label: String,
    rsa: RsaKeyPair,
    ec: EcdsaKeyPair,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySet({})", self.label)
    }
}

impl KeySet {
    fn generate(label: &str) -> Result<KeySet, String> {
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| "cannot generate an RSA-2048 key".to_string())?;
        let ec = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
            .map_err(|_| "cannot generate a P-384 key".to_string())?;
        Ok(KeySet {
            label: label.to_string(),
            rsa,
            ec,
        })
    }

    pub fn kid(&self, alg: Algorithm) -> String {
        format!("{}{}", alg.kid_prefix(), self.label)
    }

    /// The JWS signature of `input` (RS256: RSASSA-PKCS1-v1_5 with SHA-256, the modulus
    /// length; ES384: the 96-byte R||S of RFC 7518 §3.4).
    pub fn sign(&self, alg: Algorithm, input: &[u8]) -> Result<Vec<u8>, String> {
        let rng = SystemRandom::new();
        match alg {
            Algorithm::Rs256 => {
                let mut sig = vec![0; self.rsa.public_modulus_len()];
                self.rsa
                    .sign(&RSA_PKCS1_SHA256, &rng, input, &mut sig)
                    .map_err(|_| "RSA signing failed".to_string())?;
                Ok(sig)
            }
            Algorithm::Es384 => self
                .ec
                .sign(&rng, input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "ECDSA signing failed".to_string()),
        }
    }

    /// The two JWKs, shaped like AWS's (facts 3.3): members in alphabetical order, the RSA
    /// key without `alg`, the EC key with `alg`, `crv` and `use`.
    pub fn jwks_members(&self) -> [String; 2] {
        let public = self.rsa.public_key();
        let rsa = format!(
            "{{\"e\":\"{}\",\"kid\":\"{}\",\"kty\":\"RSA\",\"n\":\"{}\",\"use\":\"sig\"}}",
            b64url(public.exponent().big_endian_without_leading_zero()),
            self.kid(Algorithm::Rs256),
            b64url(public.modulus().big_endian_without_leading_zero()),
        );
        // Uncompressed point: 0x04, then X and Y, 48 bytes each.
        let point = self.ec.public_key().as_ref();
        let (x, y) = point[1..].split_at(point.len() / 2);
        let ec = format!(
            "{{\"alg\":\"ES384\",\"crv\":\"P-384\",\"kid\":\"{}\",\"kty\":\"EC\",\"use\":\"sig\",\
             \"x\":\"{}\",\"y\":\"{}\"}}",
            self.kid(Algorithm::Es384),
            b64url(x),
            b64url(y)
        );
        [rsa, ec]
    }
}

/// Every key set made so far, by label.
#[derive(Debug)]
pub struct Keys {
    sets: Mutex<HashMap<String, Arc<KeySet>>>,
}

impl Keys {
    /// Makes generation 0.
    pub fn new() -> Result<Keys, String> {
        let keys = Keys {
            sets: Mutex::new(HashMap::new()),
        };
        keys.set("0")?;
        Ok(keys)
    }

    /// The set labelled `label`, made if new.
    pub fn set(&self, label: &str) -> Result<Arc<KeySet>, String> {
        let mut sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = sets.get(label) {
            return Ok(Arc::clone(s));
        }
        let made = Arc::new(KeySet::generate(label)?);
        sets.insert(label.to_string(), Arc::clone(&made));
        Ok(made)
    }
}

/// The algorithm and set label of a kid the double uses (`RSA_N`, `EC384_N`, or either
/// with the label `unpublished`); `None` for any other, so that no request can make the
/// double generate keys for labels of its choosing.
pub fn parse_kid(kid: &str) -> Option<(Algorithm, &str)> {
    [Algorithm::Rs256, Algorithm::Es384]
        .into_iter()
        .find_map(|alg| Some((alg, kid.strip_prefix(alg.kid_prefix())?)))
        .filter(|(_, label)| {
            *label == UNPUBLISHED
                || (!label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The compact JWS of `header` and `payload` (JSON texts, encoded exactly as given).
pub fn jws(header: &str, payload: &str, set: &KeySet, alg: Algorithm) -> Result<String, String> {
    let input = format!(
        "{}.{}",
        b64url(header.as_bytes()),
        b64url(payload.as_bytes())
    );
    let signature = set.sign(alg, input.as_bytes())?;
    Ok(format!("{input}.{}", b64url(&signature)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{
        ECDSA_P384_SHA384_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
        UnparsedPublicKey,
    };
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn member(json: &serde_json::Value, name: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(json[name].as_str().unwrap())
            .unwrap()
    }

    /// Signatures verify with the keys as the JWKS publishes them, as a verifier reads them.
    #[test]
    fn tokens_verify_with_the_published_keys() {
        let keys = Keys::new().unwrap();
        let set = keys.set("0").unwrap();
        let [rsa, ec] = set.jwks_members();
        let rsa: serde_json::Value = serde_json::from_str(&rsa).unwrap();
        let ec: serde_json::Value = serde_json::from_str(&ec).unwrap();
        assert_eq!(member(&rsa, "n").len(), 256, "RSA-2048");
        assert!(rsa.get("alg").is_none(), "AWS's RSA JWK has no alg");
        assert_eq!(
            (ec["alg"].as_str(), ec["crv"].as_str()),
            (Some("ES384"), Some("P-384"))
        );

        let token = jws("{\"alg\":\"RS256\"}", "{}", &set, Algorithm::Rs256).unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        RsaPublicKeyComponents {
            n: member(&rsa, "n"),
            e: member(&rsa, "e"),
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &sig)
        .unwrap();

        let token = jws("{\"alg\":\"ES384\"}", "{}", &set, Algorithm::Es384).unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        assert_eq!(sig.len(), 96, "R||S");
        let mut point = vec![4u8];
        point.extend(member(&ec, "x"));
        point.extend(member(&ec, "y"));
        UnparsedPublicKey::new(&ECDSA_P384_SHA384_FIXED, &point)
            .verify(input.as_bytes(), &sig)
            .unwrap();
    }

    #[test]
    fn kids_name_their_set_and_algorithm() {
        let keys = Keys::new().unwrap();
        let one = keys.set("1").unwrap();
        assert_eq!(one.kid(Algorithm::Es384), "EC384_1");
        assert!(Arc::ptr_eq(&one, &keys.set("1").unwrap()), "made once");
        assert_eq!(parse_kid("EC384_1"), Some((Algorithm::Es384, "1")));
        assert_eq!(
            parse_kid("RSA_unpublished"),
            Some((Algorithm::Rs256, UNPUBLISHED))
        );
        for other in ["RSA_", "RSA_x", "EC256_0", "0", "RSA_0 ", "rsa_0"] {
            assert_eq!(parse_kid(other), None, "{other}");
        }
    }
}
