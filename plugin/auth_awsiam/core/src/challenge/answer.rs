//! The client plugin's answer to a challenge, of one of the kinds the challenge offered:
//!
//! - `sigv4`: a token (`token.rs`) that also signs the challenge's nonce, the audience and
//!   the TLS channel, in the `x-auth-awsiam-nonce`, `x-auth-awsiam-audience` and
//!   `x-auth-awsiam-channel` headers;
//! - `jwt`: an AWS-issued JWT minted for the challenge's `jwt-audience`, whose request tags
//!   carry the same three values (`tags.rs`).
//!
//! Wire form, version 2: `awsiamc2.` then base64url (no padding) of fields joined by '\n',
//! the kind first. `sigv4`: the seven fields of a token in the token's order, then the
//! nonce, the audience and the channel binding (`channel.rs`; empty when the connection is
//! not TLS). `jwt`: the JWT in compact form, one field (what binds it is inside it, signed
//! by its issuer). A later format gets a new prefix, never a reinterpretation; version 1
//! (`awsiamc1.`, no channel) is refused by name.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::AnswerKind;
use crate::error::{Reason, Refusal, refuse};
use crate::jwt;
use crate::token::{self, Binding, Token};

/// Format version prefix of an answer.
pub const ANSWER_PREFIX: &str = "awsiamc2.";
/// The prefix of the format before this one.
const VERSION_1_PREFIX: &str = "awsiamc1.";
/// Hard limit on the encoded answer, checked before anything is decoded: room for the
/// largest JWT the server reads (`jwt::compact::MAX_JWT_LEN`; a caller with many principal
/// tags gets a large one) behind the kind, in base64url. A `sigv4` answer is far smaller.
pub const MAX_ANSWER_LEN: usize =
    ANSWER_PREFIX.len() + (JWT_KIND_FIELD_LEN + jwt::compact::MAX_JWT_LEN).div_ceil(3) * 4;
/// `jwt\n`: the kind field of a JWT answer and its separator.
const JWT_KIND_FIELD_LEN: usize = 4;
/// Fields in a `sigv4` payload: the kind, the token's seven, nonce, audience, channel.
pub const SIGV4_FIELD_COUNT: usize = 1 + token::FIELD_COUNT + 3;
/// Fields in a `jwt` payload: the kind and the JWT.
pub const JWT_FIELD_COUNT: usize = 2;

/// A decoded answer. Nothing in it is believed yet: a `sigv4` answer is verified by STS,
/// a `jwt` one by its issuer's signature (`login.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A token with its binding (always `Some` once decoded); boxed, as it is ten times
    /// the size of the other kind.
    SigV4(Box<Token>),
    /// A JWT in compact form (syntax unchecked: `jwt::verify` reads it).
    Jwt(String),
}

impl Answer {
    pub fn kind(&self) -> AnswerKind {
        match self {
            Answer::SigV4(_) => AnswerKind::SigV4,
            Answer::Jwt(_) => AnswerKind::Jwt,
        }
    }

    /// The wire form; `None` for a `sigv4` token without binding.
    pub fn encode(&self) -> Option<String> {
        match self {
            Answer::SigV4(token) => encode(token),
            Answer::Jwt(jwt) => Some(encode_jwt(jwt)),
        }
    }
}

fn wire(fields: &[&str]) -> String {
    format!(
        "{ANSWER_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(fields.join("\n"))
    )
}

/// The wire form of a bound token (a `sigv4` answer); `None` if the token has no binding.
pub fn encode(token: &Token) -> Option<String> {
    let b = token.binding.as_ref()?;
    let mut fields = vec![AnswerKind::SigV4.name()];
    fields.extend(token.fields());
    fields.push(&b.nonce);
    fields.push(&b.audience);
    fields.push(b.channel.as_deref().unwrap_or(""));
    Some(wire(&fields))
}

/// The wire form of a `jwt` answer.
pub fn encode_jwt(jwt: &str) -> String {
    wire(&[AnswerKind::Jwt.name(), jwt])
}

fn field_error(detail: impl Into<String>) -> Refusal {
    refuse(Reason::TokenField, detail)
}

/// Parses and checks the packet the client plugin sent. Nothing here touches the network.
pub fn decode(raw: &[u8]) -> Result<Answer, Refusal> {
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
        } else if raw.starts_with(VERSION_1_PREFIX.as_bytes()) {
            format!(
                "the client's auth_awsiam_client plugin is older than this server's and sends version 1 answers, which are not bound to the TLS channel: install the client plugin of the server's release (it sends {ANSWER_PREFIX})"
            )
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
    match AnswerKind::from_name(fields[0]) {
        Some(AnswerKind::SigV4) => decode_sigv4(&fields).map(|t| Answer::SigV4(Box::new(t))),
        Some(AnswerKind::Jwt) => decode_jwt(&fields).map(Answer::Jwt),
        None => Err(refuse(
            Reason::TokenVersion,
            format!(
                "the answer is of a kind this server does not know (it knows {})",
                super::names(&AnswerKind::ALL)
            ),
        )),
    }
}

fn decode_sigv4(fields: &[&str]) -> Result<Token, Refusal> {
    let Ok(fields) = <[&str; SIGV4_FIELD_COUNT]>::try_from(fields) else {
        return Err(field_error(format!(
            "sigv4 answer has {} fields, expected {SIGV4_FIELD_COUNT}",
            fields.len()
        )));
    };
    let [_, a, b, c, d, e, f, g, nonce, audience, channel] = fields;
    let mut token = Token::from_fields([a, b, c, d, e, f, g])?;
    let binding = Binding {
        nonce: nonce.to_string(),
        audience: audience.to_string(),
        channel: (!channel.is_empty()).then(|| channel.to_string()),
    };
    binding.check().map_err(field_error)?;
    token.binding = Some(binding);
    Ok(token)
}

fn decode_jwt(fields: &[&str]) -> Result<String, Refusal> {
    let Ok([_, jwt]) = <[&str; JWT_FIELD_COUNT]>::try_from(fields) else {
        return Err(field_error(format!(
            "jwt answer has {} fields, expected {JWT_FIELD_COUNT}",
            fields.len()
        )));
    };
    if !jwt::looks_like_jwt(jwt.as_bytes()) {
        return Err(refuse(
            Reason::JwtMalformed,
            "the jwt answer does not hold a JWT in compact form",
        ));
    }
    Ok(jwt.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge;
    use crate::request::{AUDIENCE_HEADER, CHANNEL_HEADER, NONCE_HEADER, rebuild, sign_bound};
    use crate::token::tests::sample;
    use aws_credential_types::Credentials;
    use proptest::prelude::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// A channel binding value of the right form (the hash of 32 zero bytes' worth).
    pub(crate) fn channel_value() -> String {
        format!("tls-server-end-point:{}", "A".repeat(43))
    }

    fn binding() -> Binding {
        Binding {
            nonce: challenge::new_nonce().unwrap(),
            audience: "db1.example.com:3306".into(),
            channel: Some(channel_value()),
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

    fn sigv4(raw: &[u8]) -> Token {
        match decode(raw).unwrap() {
            Answer::SigV4(t) => *t,
            other => panic!("not a sigv4 answer: {other:?}"),
        }
    }

    /// The limit docs/protocol.rst states, and that it is exact: a JWT of the largest size
    /// the server reads fits; one byte over the limit is refused before decoding.
    #[test]
    fn the_answer_size_limit() {
        assert_eq!(MAX_ANSWER_LEN, 21861);
        let largest = encode_jwt(&"x".repeat(jwt::compact::MAX_JWT_LEN));
        assert!(largest.len() <= MAX_ANSWER_LEN, "{}", largest.len());
        let over = format!(
            "{ANSWER_PREFIX}{}",
            "A".repeat(MAX_ANSWER_LEN + 1 - ANSWER_PREFIX.len())
        );
        let r = decode(over.as_bytes()).unwrap_err();
        assert_eq!(r.reason, Reason::TokenTooLarge, "{}", r.detail);
        // Exactly at the limit is read (and refused later, for what it holds).
        let at = &over[..MAX_ANSWER_LEN];
        let r = decode(at.as_bytes()).unwrap_err();
        assert_ne!(r.reason, Reason::TokenTooLarge, "{}", r.detail);
    }

    #[test]
    fn round_trip_with_and_without_channel() {
        let t = bound();
        let wire = encode(&t).unwrap();
        assert!(wire.starts_with("awsiamc2."));
        assert_eq!(sigv4(wire.as_bytes()), t);
        let mut with_nul = wire.into_bytes();
        with_nul.push(0);
        assert_eq!(sigv4(&with_nul), t);
        let mut socket = bound();
        socket.binding.as_mut().unwrap().channel = None;
        let wire = encode(&socket).unwrap();
        assert_eq!(sigv4(wire.as_bytes()), socket);
        assert_eq!(
            Answer::SigV4(Box::new(socket.clone())).encode(),
            Some(wire),
            "one wire form"
        );
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
        let v1 = decode(b"awsiamc1.abc").unwrap_err();
        assert_eq!(v1.reason, Reason::TokenVersion);
        assert!(v1.detail.contains("version 1"), "{}", v1.detail);
        assert_eq!(reason(b"awsiamc3.abc"), Reason::TokenVersion);
        assert_eq!(reason(b"hunter2"), Reason::TokenVersion);
        assert_eq!(reason(b"awsiamc2.not base64!"), Reason::TokenEncoding);
        let not_utf8 = format!("{ANSWER_PREFIX}{}", URL_SAFE_NO_PAD.encode([0xff, 0xfe]));
        assert_eq!(reason(not_utf8.as_bytes()), Reason::TokenEncoding);
        let t = bound();
        let b = t.binding.clone().unwrap();
        let fields = |kind: &str, nonce: &str, audience: &str, channel: &str| {
            let mut f = vec![kind];
            f.extend(t.fields());
            f.extend([nonce, audience, channel]);
            with_payload(&f.join("\n"))
        };
        let channel = b.channel.clone().unwrap();
        assert!(decode(&fields("sigv4", &b.nonce, &b.audience, &channel)).is_ok());
        assert!(decode(&fields("sigv4", &b.nonce, &b.audience, "")).is_ok());
        // A kind nobody knows; a sigv4 answer's fields under the jwt kind.
        assert_eq!(
            reason(&fields("password", &b.nonce, &b.audience, &channel)),
            Reason::TokenVersion
        );
        assert_eq!(
            reason(&fields("jwt", &b.nonce, &b.audience, &channel)),
            Reason::TokenField
        );
        assert_eq!(reason(&with_payload("")), Reason::TokenVersion);
        assert_eq!(
            reason(&fields("sigv4", "short", &b.audience, &channel)),
            Reason::TokenField
        );
        assert_eq!(
            reason(&fields("sigv4", &b.nonce, "", &channel)),
            Reason::TokenField
        );
        assert_eq!(
            reason(&fields("sigv4", &b.nonce, "DB1:3306", &channel)),
            Reason::TokenField
        );
        assert_eq!(
            reason(&fields("sigv4", &b.nonce, "db1:99999", &channel)),
            Reason::TokenField
        );
        assert_eq!(
            reason(&fields("sigv4", &b.nonce, &b.audience, "tls-unique:AAAA")),
            Reason::TokenField
        );
        // Ten fields: a version 1 payload (no channel) behind the version 2 prefix.
        let mut ten = vec!["sigv4"];
        ten.extend(t.fields());
        ten.extend([b.nonce.as_str(), b.audience.as_str()]);
        assert_eq!(reason(&with_payload(&ten.join("\n"))), Reason::TokenField);
        // The token fields are checked as in a cleartext token.
        let mut bad = t.clone();
        bad.signature = "x".into();
        assert_eq!(reason(encode(&bad).unwrap().as_bytes()), Reason::TokenField);
    }

    /// A JWT's shape (nothing here verifies it: `login.rs` does).
    const JWT: &str = "eyJraWQiOiJSU0FfMCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

    #[test]
    fn jwt_answers_round_trip() {
        let wire = encode_jwt(JWT);
        assert!(wire.starts_with(ANSWER_PREFIX));
        let payload = URL_SAFE_NO_PAD
            .decode(&wire[ANSWER_PREFIX.len()..])
            .unwrap();
        assert_eq!(
            payload,
            format!("jwt\n{JWT}").as_bytes(),
            "the kind, then the JWT"
        );
        let answer = decode(wire.as_bytes()).unwrap();
        assert_eq!(answer, Answer::Jwt(JWT.into()));
        assert_eq!(answer.kind(), AnswerKind::Jwt);
        assert_eq!(answer.encode(), Some(wire.clone()));
        let mut with_nul = wire.into_bytes();
        with_nul.push(0);
        assert_eq!(decode(&with_nul).unwrap(), Answer::Jwt(JWT.into()));
    }

    #[test]
    fn jwt_answer_refusals() {
        // Not a JWT's shape, or more than one field.
        assert_eq!(reason(&with_payload("jwt\nhunter2")), Reason::JwtMalformed);
        assert_eq!(reason(&with_payload("jwt\n")), Reason::JwtMalformed);
        assert_eq!(reason(&with_payload("jwt")), Reason::TokenField);
        assert_eq!(
            reason(&with_payload(&format!("jwt\n{JWT}\nextra"))),
            Reason::TokenField
        );
        // The largest JWT the server reads fits an answer; one byte more is refused
        // before it is decoded.
        let largest = format!(
            "eyJ{}.e.s",
            "A".repeat(crate::jwt::compact::MAX_JWT_LEN - 7)
        );
        assert_eq!(largest.len(), crate::jwt::compact::MAX_JWT_LEN);
        let wire = encode_jwt(&largest);
        assert!(
            wire.len() <= MAX_ANSWER_LEN,
            "{} > {MAX_ANSWER_LEN}",
            wire.len()
        );
        assert_eq!(decode(wire.as_bytes()).unwrap(), Answer::Jwt(largest));
        assert_eq!(
            reason(&vec![b'A'; MAX_ANSWER_LEN + 1]),
            Reason::TokenTooLarge
        );
    }

    fn creds() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "secret", None, None, "test")
    }

    fn time() -> std::time::SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_323_045)
    }

    #[test]
    fn the_signer_signs_the_binding_and_the_request_carries_it() {
        let b = binding();
        let t = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&b),
            &creds(),
            time(),
        )
        .unwrap();
        assert_eq!(
            t.signed_headers,
            "content-type;host;x-amz-date;x-auth-awsiam-audience;x-auth-awsiam-channel;x-auth-awsiam-nonce"
        );
        assert_eq!(t.binding.as_ref(), Some(&b));
        let decoded = sigv4(encode(&t).unwrap().as_bytes());
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
        assert_eq!(value(CHANNEL_HEADER), b.channel.clone());
        // Another nonce, or another channel, gives another signature: both are signed.
        let other = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&binding()),
            &creds(),
            time(),
        )
        .unwrap();
        assert_ne!(other.signature, t.signature);
        let mut relayed = b.clone();
        relayed.channel = Some(format!("tls-server-end-point:{}A", "B".repeat(42)));
        let through_relay = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&relayed),
            &creds(),
            time(),
        )
        .unwrap();
        assert_ne!(through_relay.signature, t.signature);
        // Over a local socket there is no channel: nothing is signed for it.
        let mut socket = b.clone();
        socket.channel = None;
        let t = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&socket),
            &creds(),
            time(),
        )
        .unwrap();
        assert!(!t.signed_headers.contains(CHANNEL_HEADER));
        assert_eq!(value_in(&rebuild(&t), CHANNEL_HEADER), None);
    }

    fn value_in(r: &crate::request::Rebuilt, name: &str) -> Option<String> {
        r.headers
            .iter()
            .find(|(h, _)| *h == name)
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn the_signer_refuses_a_bad_binding() {
        let mut b = binding();
        b.nonce = "short".into();
        let e = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&b),
            &creds(),
            time(),
        )
        .unwrap_err();
        assert!(e.0.contains("nonce"), "{e}");
        let mut b = binding();
        b.channel = Some("tls-server-end-point:xyz".into());
        let e = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&b),
            &creds(),
            time(),
        )
        .unwrap_err();
        assert!(e.0.contains("channel"), "{e}");
    }

    #[test]
    fn binding_headers_are_signed_exactly_when_carried() {
        use crate::config::{Config, parse_endpoint};
        use crate::sts::precheck::precheck;
        let cfg = Config {
            endpoint: parse_endpoint("http://127.0.0.1:4566").unwrap(),
            ..Config::default()
        };
        let now = std::time::SystemTime::now();
        let t = sign_bound(
            "127.0.0.1:4566",
            "us-east-1",
            None,
            Some(&binding()),
            &creds(),
            now,
        )
        .unwrap();
        assert!(precheck(&t, &cfg, true, now).is_ok());
        // Carried but not signed: STS would never see it checked.
        for dropped in [NONCE_HEADER, CHANNEL_HEADER] {
            let mut unsigned = t.clone();
            unsigned.signed_headers = t
                .signed_headers
                .split(';')
                .filter(|h| *h != dropped)
                .collect::<Vec<_>>()
                .join(";");
            assert_eq!(
                precheck(&unsigned, &cfg, true, now).unwrap_err().reason,
                Reason::HeaderNotSigned,
                "{dropped}"
            );
        }
        // Signed but not carried (a cleartext token naming the challenge headers, or an
        // answer that dropped its channel).
        let mut not_carried = t.clone();
        not_carried.binding = None;
        assert_eq!(
            precheck(&not_carried, &cfg, true, now).unwrap_err().reason,
            Reason::TokenField
        );
        let mut no_channel = t.clone();
        no_channel.binding.as_mut().unwrap().channel = None;
        assert_eq!(
            precheck(&no_channel, &cfg, true, now).unwrap_err().reason,
            Reason::TokenField
        );
    }

    proptest! {
        #[test]
        fn decode_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..10_000)) {
            let _ = decode(&raw);
        }

        #[test]
        fn decode_never_panics_on_jwt_fields(fields in proptest::collection::vec("[A-Za-z0-9._-]{0,60}", 0..4)) {
            let _ = decode(&with_payload(&format!("jwt\n{}", fields.join("\n"))));
        }

        #[test]
        fn decode_never_panics_on_eleven_fields(fields in proptest::collection::vec("\\PC{0,40}", 11)) {
            let _ = decode(&with_payload(&fields.join("\n")));
        }
    }
}
