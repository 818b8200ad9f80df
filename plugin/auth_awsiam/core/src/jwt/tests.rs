//! `verify` end to end on tokens signed here with real keys: AWS-shaped good tokens, the
//! hostile corpus of issue 24 (each refused with its own reason, no token or signature in
//! any detail), and properties on arbitrary input.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PSS_SHA256};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::test_keys::{EC, EcTestKey, RSA, RSA_2, b64, ec_jwk, jwks, mint, rsa_jwk};
use super::*;
use crate::identity::Kind;

const ISS: &str = "https://a1ebc705-cd4d-42b4-93b5-96e93acfb431.tokens.sts.global.api.aws";
const AUD: &str = "mysql://db1.example.com";
const ROLE: &str = "arn:aws:iam::123456789012:role/DataProcessingRole";
const NOW: u64 = 1_776_751_400;
const RS: &str = r#"{"kid":"RSA_0","typ":"JWT","alg":"RS256"}"#;
const ES: &str = r#"{"kid":"EC384_0","typ":"JWT","alg":"ES384"}"#;

/// A fixed key source: the issuer's keys, or none at all (`Unavailable`).
struct Fixed(Option<HashMap<String, Arc<Key>>>);

impl KeySource for Fixed {
    fn key(&self, issuer: &Issuer, kid: &str) -> Result<Arc<Key>, KeyMissing> {
        assert_eq!(issuer.url(), ISS, "only configured issuers are asked");
        match &self.0 {
            None => Err(KeyMissing::Unavailable("never fetched".into())),
            Some(keys) => keys
                .get(kid)
                .cloned()
                .ok_or_else(|| KeyMissing::Unknown("no such kid".into())),
        }
    }
}

fn keys() -> Fixed {
    let set =
        jwk::parse_key_set(jwks(&[rsa_jwk("RSA_0", &RSA), ec_jwk("EC384_0", &EC)]).as_bytes())
            .unwrap();
    Fixed(Some(
        set.keys.into_iter().map(|k| (k.kid.clone(), k)).collect(),
    ))
}

fn settings() -> JwtSettings {
    JwtSettings {
        issuers: vec![Issuer::parse(ISS).unwrap()],
        audience: Some(AUD.into()),
        max_age: Duration::from_secs(900),
        clock_skew: Duration::from_secs(300),
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A payload shaped like the real token of jwt-facts.md 2.3 (key order aside), edited.
fn payload(edit: impl FnOnce(&mut Value)) -> String {
    let mut p = json!({
        "aud": AUD,
        "sub": ROLE,
        "iss": ISS,
        "iat": NOW - 100,
        "exp": NOW + 200,
        "jti": "c9c99a1c-5763-4db3-87c4-b96d4749b0d0",
        "https://sts.amazonaws.com/": {
            "aws_account": "123456789012",
            "source_region": "eu-north-1",
            "org_id": "o-0x3t8umolz",
            "ou_path": ["o-0x3t8umolz/r-zc5j/ou-zc5j-11111111/"],
            "principal_id": ROLE,
            "principal_tags": {"db-access": "readonly", "team": "data"},
            "request_tags": {"nonce": "q8Vd2k"},
        },
    });
    edit(&mut p);
    p.to_string()
}

fn ns(p: &mut Value) -> &mut Value {
    &mut p["https://sts.amazonaws.com/"]
}

fn rs256(payload: &str) -> String {
    mint(RS, payload, |m| RSA.sign(m))
}

fn es384(payload: &str) -> String {
    mint(ES, payload, |m| EC.sign(m))
}

fn check_with(token: &str, settings: &JwtSettings, keys: &Fixed) -> Result<Verified, Refusal> {
    verify(token.as_bytes(), settings, keys, at(NOW))
}

fn check(token: &str) -> Result<Verified, Refusal> {
    check_with(token, &settings(), &keys())
}

/// The refusal of `token`, after checking its detail shows no part of the token but the
/// header (whose values, such as the alg or kid, a detail may name).
fn refusal(token: &str) -> Refusal {
    let r = check(token).expect_err(token);
    assert_clean(token, &r);
    r
}

fn assert_clean(token: &str, r: &Refusal) {
    assert!(r.detail.len() < 600, "{r}");
    for part in token.split('.').skip(1).filter(|p| p.len() > 8) {
        assert!(!r.detail.contains(part), "a token part in {r}");
    }
    assert!(!r.detail.contains(token), "{r}");
}

#[test]
fn good_tokens_verify() {
    for token in [rs256(&payload(|_| {})), es384(&payload(|_| {}))] {
        assert!(looks_like_jwt(token.as_bytes()));
        let v = check(&token).unwrap();
        assert_eq!(v.caller.arn, ROLE);
        assert_eq!(
            v.caller.principal.kind,
            Kind::Role {
                path: "/".into(),
                name: "DataProcessingRole".into()
            }
        );
        assert_eq!(v.caller.principal.account, "123456789012");
        assert_eq!(v.expires, at(NOW + 200));
        let c = &v.claims;
        assert_eq!(
            (c.issuer.as_str(), c.audiences.as_slice()),
            (ISS, &[AUD.to_string()][..])
        );
        assert_eq!(c.account, "123456789012");
        assert_eq!(c.org_id.as_deref(), Some("o-0x3t8umolz"));
        assert_eq!(c.ou_paths, ["o-0x3t8umolz/r-zc5j/ou-zc5j-11111111/"]);
        assert_eq!(c.principal_tags["db-access"], "readonly");
        assert_eq!(c.request_tags["nonce"], "q8Vd2k");
        assert_eq!(c.issued_at, at(NOW - 100));
    }
}

#[test]
fn a_token_right_at_the_clock_skew_and_the_max_age_is_accepted() {
    // The limits are inclusive: only past them is a token refused (the corpus below has
    // those refusals, one second past each).
    let s = settings();
    let (skew, max_age) = (s.clock_skew.as_secs(), s.max_age.as_secs());
    for (what, p) in [
        (
            "nbf as far ahead as the skew allows",
            payload(|p| {
                p["nbf"] = json!(NOW + skew);
                p["exp"] = json!(NOW + skew + 100);
            }),
        ),
        (
            "iat as far ahead as the skew allows",
            payload(|p| {
                p["iat"] = json!(NOW + skew);
                p["exp"] = json!(NOW + skew + 100);
            }),
        ),
        (
            "a lifetime of max_age",
            payload(|p| p["exp"] = json!(NOW - 100 + max_age)),
        ),
    ] {
        let token = rs256(&p);
        assert!(check(&token).is_ok(), "{what}: {:?}", check(&token));
    }
}

#[test]
fn claim_shapes_aws_documents_and_sends_both_verify() {
    // ou_path as a string (the docs) and as an array (real tokens).
    let v = check(&rs256(&payload(|p| {
        ns(p)["ou_path"] = json!("o-a/r-b/ou-c/")
    })))
    .unwrap();
    assert_eq!(v.claims.ou_paths, ["o-a/r-b/ou-c/"]);
    let v = check(&rs256(&payload(|p| {
        ns(p)["ou_path"] = json!(["o-a/", "o-b/"])
    })))
    .unwrap();
    assert_eq!(v.claims.ou_paths, ["o-a/", "o-b/"]);
    // aud as an array with ours among others.
    let v = check(&rs256(&payload(|p| {
        p["aud"] = json!(["https://other", AUD])
    })))
    .unwrap();
    assert_eq!(v.claims.audiences.len(), 2);
    // An IAM user, with a path; a role with a path; no namespace claims beyond the account.
    let user = "arn:aws:iam::123456789012:user/div/alice";
    let v = check(&es384(&payload(|p| p["sub"] = json!(user)))).unwrap();
    assert!(matches!(v.caller.principal.kind, Kind::User { .. }));
    let role = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/R";
    let v = check(&es384(&payload(|p| {
        p["sub"] = json!(role);
        *ns(p) = json!({"aws_account": "123456789012"});
    })))
    .unwrap();
    assert_eq!(v.caller.arn, role);
    assert!(v.claims.principal_tags.is_empty() && v.claims.ou_paths.is_empty());
    // nbf and iat within the clock skew.
    let v = check(&rs256(&payload(|p| {
        p["nbf"] = json!(NOW + 299);
        p["iat"] = json!(NOW + 299);
        p["exp"] = json!(NOW + 599);
    })));
    assert!(v.is_ok(), "{v:?}");
}

/// Signs the RS256 input with HMAC-SHA256 keyed with the issuer's public key bytes: the
/// classic algorithm confusion.
fn hs256_with_public_key(key_bytes: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key_bytes);
    mint(r#"{"kid":"RSA_0","alg":"HS256"}"#, &payload(|_| {}), |m| {
        hmac::sign(&key, m).as_ref().to_vec()
    })
}

#[test]
fn the_hostile_corpus_is_refused_each_with_its_reason() {
    let good = payload(|_| {});
    let p256 = EcTestKey::generate(&ECDSA_P256_SHA256_FIXED_SIGNING);
    let jwk_text = rsa_jwk("RSA_0", &RSA);
    let with_header = |h: &str| mint(h, &good, |m| RSA.sign(m));
    let with = |edit: fn(&mut Value)| rs256(&payload(edit));
    let huge = format!("{}.{}.{}", b64(RS), "A".repeat(1 << 20), b64("s"));
    let (hp, sig) = rs256(&good)
        .rsplit_once('.')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    let corpus: Vec<(&str, String, Reason, &str)> = vec![
        // The algorithm and header.
        (
            "alg none",
            format!("{}.{}.", b64(r#"{"kid":"RSA_0","alg":"none"}"#), b64(&good)),
            Reason::JwtAlgorithm,
            "alg 'none'",
        ),
        (
            "HS256 keyed with n",
            hs256_with_public_key(&RSA.n),
            Reason::JwtAlgorithm,
            "alg 'HS256'",
        ),
        (
            "HS256 keyed with the JWK",
            hs256_with_public_key(jwk_text.as_bytes()),
            Reason::JwtAlgorithm,
            "alg 'HS256'",
        ),
        (
            "ES256",
            mint(r#"{"kid":"EC384_0","alg":"ES256"}"#, &good, |m| {
                p256.sign(m)
            }),
            Reason::JwtAlgorithm,
            "alg 'ES256'",
        ),
        (
            "PS256",
            mint(r#"{"kid":"RSA_0","alg":"PS256"}"#, &good, |m| {
                RSA.sign_with(&RSA_PSS_SHA256, m)
            }),
            Reason::JwtAlgorithm,
            "alg 'PS256'",
        ),
        (
            "no kid",
            with_header(r#"{"alg":"RS256"}"#),
            Reason::JwtAlgorithm,
            "no kid",
        ),
        (
            "unknown kid",
            with_header(r#"{"alg":"RS256","kid":"RSA_7"}"#),
            Reason::JwtKeyUnknown,
            "no such kid",
        ),
        (
            "oversized kid",
            with_header(&format!(
                r#"{{"alg":"RS256","kid":"{}"}}"#,
                "K".repeat(4096)
            )),
            Reason::JwtAlgorithm,
            "kid is 4096 bytes",
        ),
        (
            "jku",
            with_header(r#"{"alg":"RS256","kid":"RSA_0","jku":"https://evil.example/jwks"}"#),
            Reason::JwtAlgorithm,
            "has jku",
        ),
        (
            "x5u",
            with_header(r#"{"alg":"RS256","kid":"RSA_0","x5u":"https://evil.example/c"}"#),
            Reason::JwtAlgorithm,
            "has x5u",
        ),
        (
            "jwk",
            with_header(&format!(
                r#"{{"alg":"RS256","kid":"RSA_0","jwk":{jwk_text}}}"#
            )),
            Reason::JwtAlgorithm,
            "has jwk",
        ),
        (
            "x5c",
            with_header(r#"{"alg":"RS256","kid":"RSA_0","x5c":["MIIB"]}"#),
            Reason::JwtAlgorithm,
            "has x5c",
        ),
        (
            "crit",
            with_header(r#"{"alg":"RS256","kid":"RSA_0","crit":["exp"],"exp":1}"#),
            Reason::JwtAlgorithm,
            "crit",
        ),
        (
            "EC key for RS256",
            with_header(r#"{"alg":"RS256","kid":"EC384_0"}"#),
            Reason::JwtKeyUnknown,
            "is an ES384 key; the token says RS256",
        ),
        (
            "RSA key for ES384",
            mint(r#"{"alg":"ES384","kid":"RSA_0"}"#, &good, |m| EC.sign(m)),
            Reason::JwtKeyUnknown,
            "is an RS256 key",
        ),
        // Repeated keys.
        (
            "duplicate alg",
            with_header(r#"{"alg":"RS256","kid":"RSA_0","alg":"RS256"}"#),
            Reason::JwtMalformed,
            "header: the key 'alg' is repeated",
        ),
        (
            "duplicate sub",
            rs256(&good.replacen("{", r#"{"sub":"arn:aws:iam::123456789012:role/Admin","#, 1)),
            Reason::JwtMalformed,
            "payload: the key 'sub' is repeated",
        ),
        (
            "duplicate tag",
            rs256(&good.replace(
                r#""principal_tags":{"#,
                r#""principal_tags":{"db-access":"admin","#,
            )),
            Reason::JwtMalformed,
            "the key 'db-access' is repeated",
        ),
        // Audience.
        (
            "aud of another",
            with(|p| p["aud"] = json!("https://other.example")),
            Reason::JwtAudience,
            "is for 'https://other.example'",
        ),
        (
            "aud array without ours",
            with(|p| p["aud"] = json!(["a", "b", "c", "d"])),
            Reason::JwtAudience,
            "'a', 'b', 'c', ..., not for",
        ),
        (
            "no aud",
            with(|p| {
                p.as_object_mut().unwrap().remove("aud");
            }),
            Reason::JwtAudience,
            "has no aud",
        ),
        (
            "aud a number",
            with(|p| p["aud"] = json!(1)),
            Reason::JwtMalformed,
            "aud is a number",
        ),
        // Issuer.
        (
            "another account's issuer",
            with(|p| {
                p["iss"] =
                    json!("https://a103a2cc-b461-473d-84fe-6c4f6d45af88.tokens.sts.global.api.aws")
            }),
            Reason::JwtIssuer,
            "is not one of the 1 trusted",
        ),
        (
            "iss over http",
            with(|p| p["iss"] = json!(ISS.replace("https", "http"))),
            Reason::JwtIssuer,
            "'http://",
        ),
        (
            "look-alike iss",
            with(|p| p["iss"] = json!(format!("{ISS}.evil.example"))),
            Reason::JwtIssuer,
            "evil.example",
        ),
        (
            "iss with a slash",
            with(|p| p["iss"] = json!(format!("{ISS}/"))),
            Reason::JwtIssuer,
            "trusted",
        ),
        (
            "no iss",
            with(|p| {
                p.as_object_mut().unwrap().remove("iss");
            }),
            Reason::JwtIssuer,
            "has no iss",
        ),
        // Time.
        (
            "expired",
            with(|p| {
                p["iat"] = json!(NOW - 400);
                p["exp"] = json!(NOW - 100);
            }),
            Reason::JwtExpired,
            "expired 100 s ago",
        ),
        (
            "expires now",
            with(|p| p["exp"] = json!(NOW)),
            Reason::JwtExpired,
            "expired 0 s ago",
        ),
        (
            "nbf ahead",
            with(|p| {
                p["nbf"] = json!(NOW + 301);
                p["exp"] = json!(NOW + 400);
            }),
            Reason::JwtNotYetValid,
            "nbf is 301 s in the future",
        ),
        (
            "iat ahead",
            with(|p| {
                p["iat"] = json!(NOW + 301);
                p["exp"] = json!(NOW + 600);
            }),
            Reason::JwtNotYetValid,
            "iat is 301 s in the future",
        ),
        (
            "lifetime over max_age",
            with(|p| {
                p["iat"] = json!(NOW - 100);
                p["exp"] = json!(NOW + 801);
            }),
            Reason::JwtLifetime,
            "lives 901 s",
        ),
        (
            "exp before iat",
            with(|p| {
                p["iat"] = json!(NOW + 100);
                p["exp"] = json!(NOW + 50);
            }),
            Reason::JwtLifetime,
            "exp is before its iat",
        ),
        (
            "exp a float",
            with(|p| p["exp"] = json!(1.5e9)),
            Reason::JwtMalformed,
            "exp is not a whole number",
        ),
        (
            "exp a string",
            with(|p| p["exp"] = json!("1776751600")),
            Reason::JwtMalformed,
            "exp is not a whole number",
        ),
        (
            "exp negative",
            with(|p| p["exp"] = json!(-1)),
            Reason::JwtMalformed,
            "exp is not a whole number",
        ),
        (
            "exp far away",
            with(|p| p["exp"] = json!(u64::MAX)),
            Reason::JwtMalformed,
            "past the year 9999",
        ),
        (
            "no exp",
            with(|p| {
                p.as_object_mut().unwrap().remove("exp");
            }),
            Reason::JwtMalformed,
            "no exp claim",
        ),
        // Form.
        ("1 MB", huge, Reason::JwtMalformed, "1048"),
        (
            "bad base64url",
            format!("{hp}.{}+/", &sig[2..]),
            Reason::JwtMalformed,
            "signature is not base64url",
        ),
        (
            "padded",
            format!("{hp}.{sig}=="),
            Reason::JwtMalformed,
            "signature is not base64url",
        ),
        (
            "JWE",
            format!("{}.a.b.c.d", b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#)),
            Reason::JwtMalformed,
            "JWE",
        ),
        (
            "nested JWS",
            mint(
                r#"{"alg":"RS256","kid":"RSA_0","cty":"JWT"}"#,
                &rs256(&good),
                |m| RSA.sign(m),
            ),
            Reason::JwtMalformed,
            "nested token",
        ),
        (
            "tags not strings",
            with(|p| ns(p)["principal_tags"]["n"] = json!(1)),
            Reason::JwtMalformed,
            "principal_tags holds a number",
        ),
        (
            "ou_path a number",
            with(|p| ns(p)["ou_path"] = json!(7)),
            Reason::JwtMalformed,
            "ou_path is a number",
        ),
        (
            "namespace a string",
            with(|p| *ns(p) = json!("x")),
            Reason::JwtMalformed,
            "is a string",
        ),
        // Signature.
        (
            "another key's signature",
            mint(RS, &good, |m| RSA_2.sign(m)),
            Reason::JwtSignature,
            "does not verify with the issuer's key 'RSA_0'",
        ),
        (
            "payload changed after signing",
            format!(
                "{}.{}.{sig}",
                b64(RS),
                b64(payload(
                    |p| p["sub"] = json!("arn:aws:iam::123456789012:role/Admin")
                ))
            ),
            Reason::JwtSignature,
            "does not verify",
        ),
        (
            "short ES384 signature",
            mint(ES, &good, |m| EC.sign(m)[..64].to_vec()),
            Reason::JwtSignature,
            "64 bytes; key 'EC384_0' makes ES384 signatures of 96",
        ),
        // Subject.
        (
            "sub not an ARN",
            with(|p| p["sub"] = json!("DataProcessingRole")),
            Reason::JwtSubject,
            "not an ARN",
        ),
        (
            "root",
            with(|p| p["sub"] = json!("arn:aws:iam::123456789012:root")),
            Reason::JwtSubject,
            "root user",
        ),
        (
            "assumed role",
            with(|p| p["sub"] = json!("arn:aws:sts::123456789012:assumed-role/R/s1")),
            Reason::JwtSubject,
            "assumed-role session",
        ),
        (
            "no sub",
            with(|p| {
                p.as_object_mut().unwrap().remove("sub");
            }),
            Reason::JwtSubject,
            "has no sub",
        ),
        (
            "no account",
            with(|p| {
                ns(p).as_object_mut().unwrap().remove("aws_account");
            }),
            Reason::JwtSubject,
            "no aws_account",
        ),
        (
            "no namespace",
            with(|p| {
                p.as_object_mut()
                    .unwrap()
                    .remove("https://sts.amazonaws.com/");
            }),
            Reason::JwtSubject,
            "no aws_account",
        ),
        (
            "account not sub's",
            with(|p| ns(p)["aws_account"] = json!("999999999999")),
            Reason::JwtSubject,
            "'999999999999' is not the account of sub",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (what, token, reason, want) in &corpus {
        let r = refusal(token);
        assert_eq!(r.reason, *reason, "{what}: {r}");
        assert!(r.detail.contains(want), "{what}: {r}");
        seen.insert(r.reason.name());
    }
    // Every JWT reason but jwt_keys_unavailable (below) is covered.
    assert_eq!(seen.len(), 10, "{seen:?}");
}

#[test]
fn configuration_refusals() {
    let token = rs256(&payload(|_| {}));
    let none = JwtSettings {
        audience: None,
        ..settings()
    };
    let r = check_with(&token, &none, &keys()).unwrap_err();
    assert_eq!(r.reason, Reason::JwtAudience);
    assert!(r.detail.contains("set auth_awsiam_jwt_audience"), "{r}");
    let r = check_with(&token, &settings(), &Fixed(None)).unwrap_err();
    assert_eq!(r.reason, Reason::JwtKeysUnavailable);
    assert_clean(&token, &r);
    let other = JwtSettings {
        issuers: vec![Issuer::parse("http://127.0.0.1:9").unwrap()],
        ..settings()
    };
    let r = check_with(&token, &other, &keys()).unwrap_err();
    assert_eq!(r.reason, Reason::JwtIssuer);
    assert!(
        r.detail.ends_with("is not one of the 1 trusted issuer(s)"),
        "{r}"
    );
    let untrusting = JwtSettings {
        issuers: Vec::new(),
        ..settings()
    };
    let r = check_with(&token, &untrusting, &keys()).unwrap_err();
    assert_eq!(r.reason, Reason::JwtIssuer);
    assert!(
        r.detail.ends_with("(auth_awsiam_jwt_issuers is empty)"),
        "{r}"
    );
}

#[test]
fn jwts_are_told_from_the_plugins_tokens() {
    // A JWS, a JWE and a cut JWT are all the JWT reader's to refuse.
    for raw in [
        &b"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"[..],
        b"eyJ.a.b.c.d",
        b"eyJ.abc",
    ] {
        assert!(looks_like_jwt(raw), "{}", String::from_utf8_lossy(raw));
    }
    for raw in [
        &b"awsiam1.eyJ.abc"[..],
        b"eyJhbGciOiJSUzI1NiJ9",
        b"",
        b"xeyJ.a.b",
    ] {
        assert!(!looks_like_jwt(raw), "{}", String::from_utf8_lossy(raw));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = verify(&raw, &settings(), &keys(), at(NOW));
    }

    #[test]
    fn arbitrary_parts_never_panic(parts in proptest::collection::vec("[A-Za-z0-9_=+/-]{0,64}", 0..7)) {
        let _ = verify(parts.join(".").as_bytes(), &settings(), &keys(), at(NOW));
    }

    /// Well-formed base64url of arbitrary JSON-ish text reaches the JSON and header checks.
    #[test]
    fn arbitrary_json_never_panics(header in "\\{(\"[a-z]{1,4}\":(\"[A-Z0-9_]{0,6}\"|[0-9]{1,3}|\\[\\]|\\{\\}),?){0,4}\\}",
                                   body in "\\{(\"[a-z:/.]{1,6}\":(\"[a-z0-9:/]{0,12}\"|-?[0-9]{1,12}|\\[\"a\"\\]|\\{\"k\":\"v\"\\}),?){0,8}\\}",
                                   sig in proptest::collection::vec(any::<u8>(), 0..300)) {
        let raw = format!("{}.{}.{}", b64(&header), b64(&body), b64(&sig));
        let _ = verify(raw.as_bytes(), &settings(), &keys(), at(NOW));
    }

    /// A refusal never depends on what the signature says: the same token with every
    /// signature character but the last (which alone decides whether it decodes) made 'A'
    /// is refused with the same words. (The fuzz target checks the same.)
    #[test]
    fn a_refusal_does_not_depend_on_the_signature(
        header in prop::sample::select(vec![
            RS,
            ES,
            r#"{"kid":"RSA_9","alg":"RS256"}"#,
            r#"{"kid":"EC384_0","alg":"RS256"}"#,
            r#"{"kid":"RSA_0","alg":"none"}"#,
        ]),
        aud in prop::sample::select(vec![AUD, "https://other"]),
        sig in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let token = mint(header, &payload(|p| p["aud"] = json!(aud)), |_| sig.clone());
        let (input, signature) = token.rsplit_once('.').unwrap();
        prop_assume!(signature.len() > 1);
        let blank = format!("{input}.{}{}", "A".repeat(signature.len() - 1), &signature[signature.len() - 1..]);
        let r = check(&token).unwrap_err();
        prop_assert_eq!(&r, &check(&blank).unwrap_err());
        assert_clean(&token, &r);
    }

    /// Any one byte of a good token changed: refused (never a different token accepted).
    #[test]
    fn a_changed_byte_is_refused(es in any::<bool>(), at_byte in any::<prop::sample::Index>(), to in any::<u8>()) {
        let token = if es { es384(&payload(|_| {})) } else { rs256(&payload(|_| {})) };
        let mut raw = token.into_bytes();
        let i = at_byte.index(raw.len());
        prop_assume!(raw[i] != to);
        raw[i] = to;
        prop_assert!(verify(&raw, &settings(), &keys(), at(NOW)).is_err());
    }
}
