//! The JWT reader (jwt::verify) on arbitrary bytes, with a fixed key source (two public
//! keys, RS256 and ES384, whose private halves were thrown away). The first byte picks the
//! input: a token (verify), a payload (the claims, read and checked as if signed: the part
//! a fuzzer cannot reach through a signature), or an issuer's key set. Nothing may panic,
//! and a refusal's detail stays short and never depends on the token's signature.
#![no_main]

use std::sync::{Arc, LazyLock};
use std::time::{Duration, UNIX_EPOCH};

use auth_awsiam_core::jwt::{
    Issuer, JwtSettings, Key, KeyMissing, KeySource, claims, json, jwk, verify,
};
use libfuzzer_sys::fuzz_target;

const JWKS: &str = r#"{"keys":[{"e":"AQAB","kid":"RSA_0","kty":"RSA","n":"t_VKny_x8RPIZNUJkVf18ooLHAAeLz4K3IBQvrwaR06Jn9oDFOny8LAKlnIC2gC2klPQklp7tP6WfOGp7jJwG4kgjUcp3U__-7ojMbgaZmP_H4HGOvBgkOsCzoGhv3As95dn4HrPOIFL5wuVHNphdPSZ5ONs7m6g5bzfdomkmIhBPgFcH8HTWenRtiX8OTX7C23A5uwjPzwlaJWY9lNcxd2ZM7BUonJkwAESb7xKV2-gu1n5xhU0_5cdK5s8JwiyTE_O9rCZ33qfOltdr3RK4DzEXCzd-TtAyWMfV5b1QDNGDbEfYuFZQQ1sJBLaH2EXkZeih_8h5TgJDoJLbeAwuQ","use":"sig"},{"alg":"ES384","crv":"P-384","kid":"EC384_0","kty":"EC","use":"sig","x":"RLWpH6y76iaHPCBRcWI3d7J2nDbFIxTjP3PJPIv2BfGVqMLKuxuUXwbp6KBWZvVD","y":"TTlXqkGA4jtx5FxdXd1x93nUHEAM7ciPrtWuMR3vzeq2NdoBnJQmHyigVQ5u4lRE"}]}"#;
const ISSUER: &str = "https://a1ebc705-cd4d-42b4-93b5-96e93acfb431.tokens.sts.global.api.aws";
const NOW: u64 = 1_776_751_400;
/// Longest refusal detail expected (the longest quote a detail makes is a few hundred).
const MAX_DETAIL: usize = 1024;

struct Fixed(jwk::KeySet);

impl KeySource for Fixed {
    fn key(&self, issuer: &Issuer, kid: &str) -> Result<Arc<Key>, KeyMissing> {
        assert_eq!(issuer.url(), ISSUER, "only a configured issuer is asked for keys");
        self.0
            .get(kid)
            .cloned()
            .ok_or_else(|| KeyMissing::Unknown("no such kid".into()))
    }
}

static KEYS: LazyLock<Fixed> =
    LazyLock::new(|| Fixed(jwk::parse_key_set(JWKS.as_bytes()).expect("the fixed key set")));
static SETTINGS: LazyLock<JwtSettings> = LazyLock::new(|| JwtSettings {
    issuers: vec![Issuer::parse(ISSUER).expect("the issuer")],
    audience: Some("mysql://db1.example.com".into()),
    max_age: Duration::from_secs(900),
    clock_skew: Duration::from_secs(300),
});

fuzz_target!(|data: &[u8]| {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    let now = UNIX_EPOCH + Duration::from_secs(NOW);
    match which % 3 {
        0 => {
            let refusal = verify(raw, &SETTINGS, &*KEYS, now)
                .expect_err("nobody holds the fixed keys' private halves");
            assert!(refusal.detail.len() < MAX_DETAIL, "a long detail");
            // The detail never depends on what a well-formed signature says: the same token
            // with its signature's characters but the last (which alone decides, among
            // base64url characters, whether it decodes) made 'A' is refused with the same
            // words. A signature with a character outside base64url is refused for that,
            // which blanking would hide, so it is left out.
            let base64url = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
            if let Some(dot) = raw.iter().rposition(|&b| b == b'.')
                && raw.len() - dot > 2
                && raw[dot + 1..].iter().all(base64url)
            {
                let mut blanked = raw.to_vec();
                let last = blanked.len() - 1;
                blanked[dot + 1..last].fill(b'A');
                let again = verify(&blanked, &SETTINGS, &*KEYS, now).expect_err("still no key");
                assert_eq!(refusal, again, "a detail that depends on the signature");
            }
        }
        1 => {
            let Ok(payload) = json::parse_object(raw) else {
                return;
            };
            if let Ok(c) = claims::read(&payload) {
                let _ = claims::check_audience(&c, &SETTINGS);
                let _ = claims::check_times(&c, &SETTINGS, now);
                if let Ok(caller) = claims::check_subject(&c) {
                    assert_eq!(caller.principal.account, c.account);
                    assert_eq!(caller.principal.arn(), c.subject, "sub prints back to itself");
                }
            }
        }
        _ => {
            if let Ok(set) = jwk::parse_key_set(raw) {
                assert!(!set.keys.is_empty() && set.keys.len() <= jwk::MAX_KEYS);
            }
        }
    }
});
