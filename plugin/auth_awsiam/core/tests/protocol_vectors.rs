//! The protocol's test vectors (docs/protocol.rst): fixed credentials, times, nonces and
//! certificates, and the exact bytes each format must come out as. Every implementation
//! of the client side reads `testdata/protocol-vectors.json` in its tests; this is the
//! Rust core's reader: its one signer and its encoders must produce exactly these bytes,
//! and its decoders must read them back. `tools/protocol_vectors.py` checks the same
//! file with botocore's SigV4 signer, an implementation that is not ours.
//!
//! `AUTH_AWSIAM_BLESS_VECTORS=1 cargo test --test protocol_vectors` writes the file from
//! the cases below instead of checking it (after a deliberate change of a format).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use auth_awsiam_core::challenge::answer::{self, Answer};
use auth_awsiam_core::challenge::{AnswerKind, Challenge};
use auth_awsiam_core::channel;
use auth_awsiam_core::request;
use auth_awsiam_core::token::{Binding, Token};
use aws_credential_types::Credentials;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// 2026-12-06T12:00:00Z.
const TIME_UNIX: u64 = 1_796_558_400;
const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
/// AWS's documentation example secret: not a key of anyone.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";
/// 32 bytes 0x00..0x1f, base64url without padding.
const NONCE: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

fn file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/protocol-vectors.json")
}

fn certificate_der() -> Vec<u8> {
    let pem = include_str!("../testdata/channel_cert.pem");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).unwrap()
}

fn credentials(session: bool) -> Credentials {
    Credentials::new(
        ACCESS_KEY_ID,
        SECRET,
        session.then(|| SESSION_TOKEN.to_string()),
        None,
        "vectors",
    )
}

fn time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(TIME_UNIX)
}

/// One signing case: a name, the session token or not, host, region, server ID.
struct Case {
    name: &'static str,
    session: bool,
    host: &'static str,
    region: &'static str,
    server_id: Option<&'static str>,
}

const TOKENS: [Case; 3] = [
    Case {
        name: "long-term key, official regional host",
        session: false,
        host: "sts.eu-west-1.amazonaws.com",
        region: "eu-west-1",
        server_id: None,
    },
    Case {
        name: "session credentials and a server ID",
        session: true,
        host: "sts.us-east-1.amazonaws.com",
        region: "us-east-1",
        server_id: Some("db1.example.com"),
    },
    Case {
        name: "a configured endpoint with a port",
        session: true,
        host: "127.0.0.1:4566",
        region: "us-east-1",
        server_id: None,
    },
];

fn inputs(c: &Case) -> Value {
    json!({
        "name": c.name,
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET,
        "session_token": c.session.then_some(SESSION_TOKEN),
        "time": "2026-12-06T12:00:00Z",
        "host": c.host,
        "region": c.region,
        "server_id": c.server_id,
    })
}

fn token_vector(c: &Case) -> Value {
    let token = request::sign(
        c.host,
        c.region,
        c.server_id,
        &credentials(c.session),
        time(),
    )
    .expect("signs");
    let mut v = inputs(c);
    let o = v.as_object_mut().unwrap();
    o.insert("signed_headers".into(), json!(token.signed_headers));
    o.insert("signature".into(), json!(token.signature));
    o.insert("token".into(), json!(token.encode()));
    v
}

/// Over TLS (the certificate's channel binding signed) and over a socket (none).
fn answer_vector(c: &Case, tls: bool) -> Value {
    let channel = tls.then(|| channel::tls_server_end_point(&certificate_der()).unwrap());
    let binding = Binding {
        nonce: NONCE.into(),
        audience: "db1.example.com:3306".into(),
        channel: channel.clone(),
    };
    let token = request::sign_bound(
        c.host,
        c.region,
        c.server_id,
        Some(&binding),
        &credentials(c.session),
        time(),
    )
    .expect("signs");
    let mut v = inputs(c);
    let o = v.as_object_mut().unwrap();
    o.insert("nonce".into(), json!(binding.nonce));
    o.insert("audience".into(), json!(binding.audience));
    o.insert("channel".into(), json!(channel));
    o.insert("signed_headers".into(), json!(token.signed_headers));
    o.insert("signature".into(), json!(token.signature));
    o.insert("answer".into(), json!(answer::encode(&token).unwrap()));
    v
}

fn challenge_vector(offer_jwt: bool) -> Value {
    let challenge = Challenge {
        nonce: NONCE.into(),
        sts_host: "sts.eu-west-1.amazonaws.com".into(),
        region: "eu-west-1".into(),
        server_id: offer_jwt.then(|| "db1.example.com".to_string()),
        timeout: Duration::from_secs(30),
        answers: if offer_jwt {
            vec![AnswerKind::Jwt, AnswerKind::SigV4]
        } else {
            vec![AnswerKind::SigV4]
        },
        jwt_audience: offer_jwt.then(|| "mysql://db1.example.com".to_string()),
    };
    json!({
        "nonce": challenge.nonce,
        "sts_host": challenge.sts_host,
        "region": challenge.region,
        "server_id": challenge.server_id,
        "timeout_seconds": challenge.timeout.as_secs(),
        "answers": challenge.answers.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "jwt_audience": challenge.jwt_audience,
        "text": String::from_utf8(challenge.encode()).unwrap(),
    })
}

/// A JWT's shape only (the answer format does not read it).
const JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

fn all() -> Value {
    json!({
        "about": "Test vectors of the auth_awsiam protocol (docs/protocol.rst). Made by plugin/auth_awsiam/core/tests/protocol_vectors.rs and checked there and by tools/protocol_vectors.py (botocore). The credentials are AWS's documentation examples.",
        "tokens": TOKENS.iter().map(token_vector).collect::<Vec<_>>(),
        "sigv4_answers": [answer_vector(&TOKENS[1], true), answer_vector(&TOKENS[0], false)],
        "jwt_answers": [{"jwt": JWT, "answer": answer::encode_jwt(JWT)}],
        "channel_bindings": [{
            "certificate": "channel_cert.pem",
            "signature_algorithm": "ecdsa-with-SHA256",
            "hash": "sha256",
            "value": channel::tls_server_end_point(&certificate_der()).unwrap(),
        }],
        "challenges": [challenge_vector(false), challenge_vector(true)],
    })
}

fn written() -> Value {
    let text = std::fs::read_to_string(file()).expect("testdata/protocol-vectors.json");
    serde_json::from_str(&text).expect("the vectors are JSON")
}

#[test]
fn every_format_comes_out_as_the_vectors_say() {
    let made = all();
    if std::env::var_os("AUTH_AWSIAM_BLESS_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&made).unwrap() + "\n";
        std::fs::write(file(), text).unwrap();
        return;
    }
    let file = written();
    for section in [
        "tokens",
        "sigv4_answers",
        "jwt_answers",
        "channel_bindings",
        "challenges",
    ] {
        assert_eq!(made[section], file[section], "section {section}");
    }
}

#[test]
fn every_vector_decodes_to_its_inputs() {
    let file = written();
    for v in file["tokens"].as_array().unwrap() {
        let t = Token::decode(v["token"].as_str().unwrap().as_bytes()).expect("decodes");
        assert_eq!(t.host, v["host"].as_str().unwrap());
        assert_eq!(t.signature, v["signature"].as_str().unwrap());
        assert_eq!(t.server_id.as_deref(), v["server_id"].as_str());
        assert_eq!(t.session_token.as_deref(), v["session_token"].as_str());
    }
    for v in file["sigv4_answers"].as_array().unwrap() {
        let Answer::SigV4(t) = answer::decode(v["answer"].as_str().unwrap().as_bytes()).unwrap()
        else {
            panic!("not a sigv4 answer");
        };
        let b = t.binding.expect("bound");
        assert_eq!(b.nonce, v["nonce"].as_str().unwrap());
        assert_eq!(b.audience, v["audience"].as_str().unwrap());
        assert_eq!(b.channel.as_deref(), v["channel"].as_str());
    }
    for v in file["jwt_answers"].as_array().unwrap() {
        let a = answer::decode(v["answer"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!(a, Answer::Jwt(v["jwt"].as_str().unwrap().to_string()));
    }
    for v in file["challenges"].as_array().unwrap() {
        let c = Challenge::decode(v["text"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!(c.nonce, v["nonce"].as_str().unwrap());
        assert_eq!(c.jwt_audience.as_deref(), v["jwt_audience"].as_str());
    }
}
