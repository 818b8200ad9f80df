//! The client plugin's answer to a challenge: a token (`token.rs`) that also signs the
//! challenge's nonce and the audience, in the `x-auth-awsiam-nonce` and
//! `x-auth-awsiam-audience` headers.
//!
//! Wire form: `awsiamc1.` then base64url (no padding) of nine fields joined by '\n': the
//! seven fields of a token, in the token's order, then the nonce and the audience. A later
//! format gets a new prefix, never a reinterpretation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::challenge;
use crate::error::{Reason, Refusal, refuse};
use crate::syntax;
use crate::token::{self, Binding, Token};

/// Format version prefix of an answer.
pub const ANSWER_PREFIX: &str = "awsiamc1.";
/// Hard limit on the encoded answer, checked before anything is decoded.
pub const MAX_ANSWER_LEN: usize = token::MAX_TOKEN_LEN + 512;
/// Fields in the payload: the token's seven, the nonce, the audience.
pub const ANSWER_FIELD_COUNT: usize = token::FIELD_COUNT + 2;

/// Checks a binding's syntax; the signer and the decoder both apply it.
pub fn check_binding(b: &Binding) -> Result<(), String> {
    if !challenge::is_nonce(&b.nonce) {
        return Err("the nonce is not 32 bytes of base64url".into());
    }
    if !syntax::is_authority(&b.audience) {
        return Err(format!(
            "the audience {} is not a lowercase host[:port]",
            syntax::quoted(&b.audience, 64)
        ));
    }
    Ok(())
}

/// The wire form of a bound token; `None` if the token has no binding.
pub fn encode(token: &Token) -> Option<String> {
    let b = token.binding.as_ref()?;
    let mut fields = token.fields().to_vec();
    fields.push(&b.nonce);
    fields.push(&b.audience);
    Some(format!(
        "{ANSWER_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(fields.join("\n"))
    ))
}

fn field_error(detail: impl Into<String>) -> Refusal {
    refuse(Reason::TokenField, detail)
}

/// Parses and checks the packet the client plugin sent. Nothing here touches the network.
pub fn decode(raw: &[u8]) -> Result<Token, Refusal> {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.is_empty() {
        return Err(refuse(
            Reason::TokenEmpty,
            "the client answered the challenge with an empty packet",
        ));
    }
    if raw.len() > MAX_ANSWER_LEN {
        return Err(refuse(
            Reason::TokenTooLarge,
            format!(
                "answer of {} bytes exceeds the limit of {MAX_ANSWER_LEN}",
                raw.len()
            ),
        ));
    }
    let Some(body) = raw.strip_prefix(ANSWER_PREFIX.as_bytes()) else {
        let detail = if raw.starts_with(token::TOKEN_PREFIX.as_bytes()) {
            "the client sent a cleartext token, not a challenge answer: this account uses auth_awsiam_challenge, which needs the auth_awsiam_client plugin".to_string()
        } else if raw.starts_with(b"awsiamc") {
            format!("unsupported answer format version (expected {ANSWER_PREFIX})")
        } else {
            "the client's answer is not an auth_awsiam_client answer".to_string()
        };
        return Err(refuse(Reason::TokenVersion, detail));
    };
    let payload = URL_SAFE_NO_PAD.decode(body).map_err(|_| {
        refuse(
            Reason::TokenEncoding,
            "answer body is not unpadded base64url",
        )
    })?;
    let payload = String::from_utf8(payload)
        .map_err(|_| refuse(Reason::TokenEncoding, "answer payload is not UTF-8"))?;
    let fields: Vec<&str> = payload.split('\n').collect();
    let Ok(fields) = <[&str; ANSWER_FIELD_COUNT]>::try_from(fields.as_slice()) else {
        return Err(field_error(format!(
            "answer has {} fields, expected {ANSWER_FIELD_COUNT}",
            fields.len()
        )));
    };
    let [a, b, c, d, e, f, g, nonce, audience] = fields;
    let mut token = Token::from_fields([a, b, c, d, e, f, g])?;
    let binding = Binding {
        nonce: nonce.to_string(),
        audience: audience.to_string(),
    };
    check_binding(&binding).map_err(field_error)?;
    token.binding = Some(binding);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{AUDIENCE_HEADER, NONCE_HEADER, rebuild, sign_bound};
    use crate::token::tests::sample;
    use aws_credential_types::Credentials;
    use proptest::prelude::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn binding() -> Binding {
        Binding {
            nonce: challenge::new_nonce().unwrap(),
            audience: "db1.example.com:3306".into(),
        }
    }

    fn bound() -> Token {
        let mut t = sample();
        t.binding = Some(binding());
        t
    }

    fn with_payload(payload: &str) -> Vec<u8> {
        format!("{ANSWER_PREFIX}{}", URL_SAFE_NO_PAD.encode(payload)).into_bytes()
    }

    fn reason(raw: &[u8]) -> Reason {
        decode(raw).unwrap_err().reason
    }

    #[test]
    fn round_trip() {
        let t = bound();
        let wire = encode(&t).unwrap();
        assert!(wire.starts_with("awsiamc1."));
        assert_eq!(decode(wire.as_bytes()).unwrap(), t);
        let mut with_nul = wire.into_bytes();
        with_nul.push(0);
        assert_eq!(decode(&with_nul).unwrap(), t);
    }

    #[test]
    fn only_bound_tokens_are_answers() {
        assert_eq!(encode(&sample()), None);
    }

    #[test]
    fn refusals_before_io() {
        assert_eq!(reason(b""), Reason::TokenEmpty);
        assert_eq!(reason(b"\0"), Reason::TokenEmpty);
        assert_eq!(
            reason(&vec![b'a'; MAX_ANSWER_LEN + 1]),
            Reason::TokenTooLarge
        );
        let cleartext = decode(sample().encode().as_bytes()).unwrap_err();
        assert_eq!(cleartext.reason, Reason::TokenVersion);
        assert!(cleartext.detail.contains("auth_awsiam_client"));
        assert_eq!(reason(b"awsiamc2.abc"), Reason::TokenVersion);
        assert_eq!(reason(b"hunter2"), Reason::TokenVersion);
        assert_eq!(reason(b"awsiamc1.not base64!"), Reason::TokenEncoding);
        let not_utf8 = format!("{ANSWER_PREFIX}{}", URL_SAFE_NO_PAD.encode([0xff, 0xfe]));
        assert_eq!(reason(not_utf8.as_bytes()), Reason::TokenEncoding);
        // Seven fields: a token's payload without the binding.
        assert_eq!(
            reason(&with_payload(&sample().fields().join("\n"))),
            Reason::TokenField
        );
        let t = bound();
        let b = t.binding.clone().unwrap();
        let fields = |nonce: &str, audience: &str| {
            let mut f = t.fields().to_vec();
            f.push(nonce);
            f.push(audience);
            with_payload(&f.join("\n"))
        };
        assert!(decode(&fields(&b.nonce, &b.audience)).is_ok());
        assert_eq!(reason(&fields("short", &b.audience)), Reason::TokenField);
        assert_eq!(reason(&fields(&b.nonce, "")), Reason::TokenField);
        assert_eq!(reason(&fields(&b.nonce, "DB1:3306")), Reason::TokenField);
        assert_eq!(reason(&fields(&b.nonce, "db1:99999")), Reason::TokenField);
        // The token fields are checked as in a cleartext token.
        let mut bad = t.clone();
        bad.signature = "x".into();
        assert_eq!(reason(encode(&bad).unwrap().as_bytes()), Reason::TokenField);
    }

    #[test]
    fn the_signer_signs_the_binding_and_the_request_carries_it() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let b = binding();
        let time = UNIX_EPOCH + Duration::from_secs(1_767_323_045);
        let t = sign_bound("127.0.0.1:4566", "us-east-1", None, Some(&b), &creds, time).unwrap();
        assert_eq!(
            t.signed_headers,
            "content-type;host;x-amz-date;x-auth-awsiam-audience;x-auth-awsiam-nonce"
        );
        assert_eq!(t.binding.as_ref(), Some(&b));
        let decoded = decode(encode(&t).unwrap().as_bytes()).unwrap();
        assert_eq!(decoded, t);
        let rebuilt = rebuild(&decoded);
        let value = |n: &str| {
            rebuilt
                .headers
                .iter()
                .find(|(h, _)| *h == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(value(NONCE_HEADER), Some(b.nonce.clone()));
        assert_eq!(value(AUDIENCE_HEADER), Some(b.audience.clone()));
        // Another nonce gives another signature: the nonce is really signed.
        let other = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&binding()),
            &creds,
            time,
        )
        .unwrap();
        assert_ne!(other.signature, t.signature);
    }

    #[test]
    fn the_signer_refuses_a_bad_binding() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let b = Binding {
            nonce: "short".into(),
            audience: "db1".into(),
        };
        let e = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&b),
            &creds,
            UNIX_EPOCH + Duration::from_secs(1_767_323_045),
        )
        .unwrap_err();
        assert!(e.0.contains("nonce"), "{e}");
    }

    #[test]
    fn nonce_and_audience_are_signed_exactly_when_carried() {
        use crate::config::{Config, parse_endpoint};
        use crate::sts::precheck::precheck;
        let cfg = Config {
            endpoint: parse_endpoint("http://127.0.0.1:4566").unwrap(),
            ..Config::default()
        };
        let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let now = std::time::SystemTime::now();
        let t = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&binding()),
            &creds,
            now,
        )
        .unwrap();
        assert!(precheck(&t, &cfg, true, now).is_ok());
        // Carried but not signed: STS would never see it checked.
        let mut unsigned = t.clone();
        unsigned.signed_headers = "content-type;host;x-amz-date;x-auth-awsiam-audience".into();
        assert_eq!(
            precheck(&unsigned, &cfg, true, now).unwrap_err().reason,
            Reason::HeaderNotSigned
        );
        // Signed but not carried (a cleartext token naming the challenge headers).
        let mut not_carried = t.clone();
        not_carried.binding = None;
        assert_eq!(
            precheck(&not_carried, &cfg, true, now).unwrap_err().reason,
            Reason::TokenField
        );
    }

    proptest! {
        #[test]
        fn decode_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..10_000)) {
            let _ = decode(&raw);
        }

        #[test]
        fn decode_never_panics_on_nine_fields(fields in proptest::collection::vec("\\PC{0,40}", 9)) {
            let _ = decode(&with_payload(&fields.join("\n")));
        }
    }
}
