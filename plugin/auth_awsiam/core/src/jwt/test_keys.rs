//! Test keys and tokens: real RSA-2048 and P-384 keys made by aws-lc-rs once per test run
//! (never stored anywhere), their JWKs, and tokens signed with them.

use std::sync::LazyLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub struct RsaTestKey {
    pair: RsaKeyPair,
    pub n: Vec<u8>,
}

impl RsaTestKey {
    fn generate() -> Self {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key");
        let n = PublicKeyComponents::<Vec<u8>>::from(pair.public_key()).n;
        RsaTestKey { pair, n }
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.sign_with(&RSA_PKCS1_SHA256, msg)
    }

    /// Any RSA signature scheme (PS256 for the hostile corpus).
    pub fn sign_with(
        &self,
        scheme: &'static dyn aws_lc_rs::signature::RsaEncoding,
        msg: &[u8],
    ) -> Vec<u8> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(scheme, &SystemRandom::new(), msg, &mut sig)
            .expect("signed");
        sig
    }
}

pub struct EcTestKey {
    pair: EcdsaKeyPair,
}

impl EcTestKey {
    pub fn generate(alg: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm) -> Self {
        EcTestKey {
            pair: EcdsaKeyPair::generate(alg).expect("an EC key"),
        }
    }

    /// The affine coordinates (the public key is `04 || x || y`).
    pub fn xy(&self) -> (Vec<u8>, Vec<u8>) {
        let point = self.pair.public_key().as_ref();
        let half = (point.len() - 1) / 2;
        (point[1..=half].to_vec(), point[half + 1..].to_vec())
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), msg)
            .expect("signed")
            .as_ref()
            .to_vec()
    }
}

/// The issuer's keys, and a second RSA key (a rotation, or an attacker's own key).
pub static RSA: LazyLock<RsaTestKey> = LazyLock::new(RsaTestKey::generate);
pub static RSA_2: LazyLock<RsaTestKey> = LazyLock::new(RsaTestKey::generate);
pub static EC: LazyLock<EcTestKey> =
    LazyLock::new(|| EcTestKey::generate(&ECDSA_P384_SHA384_FIXED_SIGNING));

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An RSA JWK as AWS writes it: no `alg` (jwt-facts.md 3.3).
pub fn rsa_jwk(kid: &str, key: &RsaTestKey) -> String {
    format!(
        r#"{{"e":"AQAB","kid":"{kid}","kty":"RSA","n":"{}","use":"sig"}}"#,
        b64(&key.n)
    )
}

/// An EC JWK as AWS writes it: with `alg`, `crv` and `use`.
pub fn ec_jwk(kid: &str, key: &EcTestKey) -> String {
    let (x, y) = key.xy();
    format!(
        r#"{{"alg":"ES384","crv":"P-384","kid":"{kid}","kty":"EC","use":"sig","x":"{}","y":"{}"}}"#,
        b64(x),
        b64(y)
    )
}

pub fn jwks(keys: &[String]) -> String {
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

/// A compact JWT of this header and payload, signed by `sign` over the signing input.
pub fn mint(header: &str, payload: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64(sig))
}
