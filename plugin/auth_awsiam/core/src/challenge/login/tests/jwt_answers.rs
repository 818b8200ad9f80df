//! `jwt` answers: a JWT signed here with a real key, its request tags binding it to a
//! challenge, verified with no STS call (the STS endpoint is a port nothing listens on);
//! each refusal with its reason, the same reason a `sigv4` answer gets for the same fault.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use serde_json::{Value, json};

use super::*;
use crate::challenge::tags::{AUDIENCE_TAG, CHANNEL_TAG, NONCE_TAG};
use crate::jwt::test_keys::{RSA, RSA_2, jwks, mint, rsa_jwk};
use crate::jwt::{Issuer, Key, KeyMissing, KeySource, jwk};

const ISS: &str = "http://127.0.0.1:4599";
const AUD: &str = "mysql://db1.example.com";
const ROLE: &str = "arn:aws:iam::123456789012:role/team/AppRole";
const HEADER: &str = r#"{"kid":"RSA_0","typ":"JWT","alg":"RS256"}"#;
const THIS_SERVER: &str = "127.0.0.1:3306";

/// The issuer's keys, as the key cache would give them.
struct Fixed(HashMap<String, Arc<Key>>);

impl KeySource for Fixed {
    fn key(&self, issuer: &Issuer, kid: &str) -> Result<Arc<Key>, KeyMissing> {
        assert_eq!(issuer.url(), ISS, "only configured issuers are asked");
        self.0
            .get(kid)
            .cloned()
            .ok_or_else(|| KeyMissing::Unknown("no such kid".into()))
    }
}

fn keys() -> Fixed {
    let set = jwk::parse_key_set(jwks(&[rsa_jwk("RSA_0", &RSA)]).as_bytes()).unwrap();
    Fixed(set.keys.into_iter().map(|k| (k.kid.clone(), k)).collect())
}

/// A server offering jwt answers first, whose STS nobody answers: a login that reached
/// STS would fail with `sts_unreachable`.
fn config() -> Config {
    Config {
        endpoint: parse_endpoint("http://127.0.0.1:9").unwrap(),
        jwt_issuers: vec![Issuer::parse(ISS).unwrap()],
        jwt_audience: Some(AUD.into()),
        allowed_accounts: vec![ACCT.into()],
        challenge: ChallengeSettings {
            answers: vec![AnswerKind::Jwt, AnswerKind::SigV4],
            ..ChallengeSettings::default()
        },
        ..Config::default()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// What the client plugin mints through GetWebIdentityToken for challenge `c`: the tags
/// of `binding` (over this server's TLS channel), then `edit`ed.
fn token(c: &Challenge, binding: &Binding, edit: impl FnOnce(&mut Value)) -> String {
    let t = now();
    let tags: serde_json::Map<String, Value> = tags::for_binding(binding)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut payload = json!({
        "aud": c.jwt_audience.clone().unwrap(),
        "sub": ROLE,
        "iss": ISS,
        "iat": t - 5,
        "exp": t + 55,
        "jti": "c9c99a1c-5763-4db3-87c4-b96d4749b0d0",
        "https://sts.amazonaws.com/": {
            "aws_account": ACCT,
            "principal_id": ROLE,
            "request_tags": tags,
        },
    });
    edit(&mut payload);
    mint(HEADER, &payload.to_string(), |m| RSA.sign(m))
}

fn bound(c: &Challenge) -> Binding {
    Binding {
        nonce: c.nonce.clone(),
        audience: THIS_SERVER.into(),
        channel: Some(OUR_CHANNEL.into()),
    }
}

fn request_tags(p: &mut Value) -> &mut serde_json::Map<String, Value> {
    p["https://sts.amazonaws.com/"]["request_tags"]
        .as_object_mut()
        .unwrap()
}

/// One login with `answer` to challenge `c`, over this server's TLS channel (or `channel`).
fn attempt(
    cfg: &Config,
    c: &Challenge,
    answer: &[u8],
    channel: Option<&str>,
) -> Result<Admitted, Denied> {
    let keys = keys();
    let ctx = Context {
        issued: c,
        waited: Duration::from_millis(5),
        local: local(),
        host_name: Some("db-host"),
        channel,
        keys: &keys,
    };
    verify(
        &login(Some(answer)),
        &ctx,
        cfg,
        SystemTime::now(),
        &server_is_acct,
    )
}

fn answer_of(jwt: &str) -> Vec<u8> {
    answer::encode_jwt(jwt).into_bytes()
}

#[test]
fn the_challenge_offers_jwt_with_this_servers_audience() {
    let c = issue(&login(None), &config()).unwrap();
    assert_eq!(c.answers, vec![AnswerKind::Jwt, AnswerKind::SigV4]);
    assert_eq!(c.jwt_audience.as_deref(), Some(AUD));
    assert_eq!(Challenge::decode(&c.encode()).unwrap(), c);
    // The default offers sigv4 alone, and no audience.
    let c = issue(&login(None), &Config::default()).unwrap();
    assert_eq!((c.answers, c.jwt_audience), (vec![AnswerKind::SigV4], None));
}

#[test]
fn offering_jwt_without_its_settings_refuses_at_once() {
    let no_issuer = Config {
        jwt_issuers: Vec::new(),
        ..config()
    };
    let r = issue(&login(None), &no_issuer).unwrap_err();
    assert_eq!(r.reason, Reason::JwtIssuer);
    assert!(
        r.detail.contains("set auth_awsiam_jwt_issuers"),
        "{}",
        r.detail
    );
    let no_audience = Config {
        jwt_audience: None,
        ..config()
    };
    let r = issue(&login(None), &no_audience).unwrap_err();
    assert_eq!(r.reason, Reason::JwtAudience);
    assert!(
        r.detail.contains("set auth_awsiam_jwt_audience"),
        "{}",
        r.detail
    );
    assert!(r.detail.contains("'jwt,sigv4'"), "{}", r.detail);
    for unfit in [
        "a,b".to_string(),
        "a".repeat(challenge::MAX_JWT_AUDIENCE_LEN + 1),
    ] {
        let cfg = Config {
            jwt_audience: Some(unfit),
            ..config()
        };
        let r = issue(&login(None), &cfg).unwrap_err();
        assert_eq!(r.reason, Reason::JwtAudience);
        assert!(r.detail.contains("at most 255"), "{}", r.detail);
    }
    // Without jwt in the offer, the JWT settings do not matter.
    let sigv4 = Config {
        jwt_issuers: Vec::new(),
        jwt_audience: None,
        challenge: ChallengeSettings::default(),
        ..config()
    };
    assert!(issue(&login(None), &sigv4).is_ok());
}

#[test]
fn a_jwt_answer_logs_in_with_no_sts_call() {
    let cfg = config();
    let c = issue(&login(None), &cfg).unwrap();
    let jwt = token(&c, &bound(&c), |_| {});
    let before = CORE_COUNTERS.snapshot();
    let id = attempt(&cfg, &c, &answer_of(&jwt), Some(OUR_CHANNEL)).unwrap();
    assert_eq!(id.caller.arn, ROLE);
    assert_eq!(id.mapped, None);
    let after = CORE_COUNTERS.snapshot();
    assert!(after.jwt_verified > before.jwt_verified);
    // Over the local socket: no channel, and the name localhost.
    let socket = Binding {
        audience: "localhost".into(),
        channel: None,
        ..bound(&c)
    };
    let jwt = token(&c, &socket, |_| {});
    let keys = keys();
    let ctx = Context {
        issued: &c,
        waited: Duration::from_millis(5),
        local: None,
        host_name: Some("db-host"),
        channel: None,
        keys: &keys,
    };
    let answer = answer_of(&jwt);
    let id = verify(
        &login(Some(&answer)),
        &ctx,
        &cfg,
        SystemTime::now(),
        &server_is_acct,
    );
    assert_eq!(id.unwrap().caller.arn, ROLE);
}

#[test]
fn a_captured_answer_is_refused_on_another_connection() {
    let cfg = config();
    let c = issue(&login(None), &cfg).unwrap();
    let captured = answer_of(&token(&c, &bound(&c), |_| {}));
    assert!(attempt(&cfg, &c, &captured, Some(OUR_CHANNEL)).is_ok());
    // Another connection: another challenge, another nonce.
    let other = issue(&login(None), &cfg).unwrap();
    let (r, seen) = attempt(&cfg, &other, &captured, Some(OUR_CHANNEL)).unwrap_err();
    assert_eq!(r.reason, Reason::ChallengeMismatch);
    assert!(r.detail.contains("another challenge"), "{}", r.detail);
    // Whose token was replayed is in the log line.
    assert!(matches!(seen, Seen::Caller(c) if c.arn == ROLE));
}

/// Each binding fault of a jwt answer gets the reason a sigv4 answer gets for it.
#[test]
fn the_request_tags_must_bind_it_to_this_connection() {
    let cfg = config();
    let c = issue(&login(None), &cfg).unwrap();
    let refused = |jwt: &str, channel: Option<&str>| {
        let (r, seen) = attempt(&cfg, &c, &answer_of(jwt), channel).unwrap_err();
        assert!(matches!(seen, Seen::Caller(_)), "verified first: {r}");
        r
    };
    // A JWT minted without a nonce (a password JWT), or for another nonce.
    let plain = token(&c, &bound(&c), |p| {
        request_tags(p).clear();
    });
    let r = refused(&plain, Some(OUR_CHANNEL));
    assert_eq!(r.reason, Reason::ChallengeMismatch);
    assert!(
        r.detail.contains("no request tag auth-awsiam-nonce"),
        "{}",
        r.detail
    );
    let foreign = Binding {
        nonce: challenge::new_nonce().unwrap(),
        ..bound(&c)
    };
    let r = refused(&token(&c, &foreign, |_| {}), Some(OUR_CHANNEL));
    assert_eq!(r.reason, Reason::ChallengeMismatch);
    // Minted for the server the client dialed, which is not this one; or for no name.
    let elsewhere = Binding {
        audience: "evil.example.com:3306".into(),
        ..bound(&c)
    };
    let r = refused(&token(&c, &elsewhere, |_| {}), Some(OUR_CHANNEL));
    assert_eq!(r.reason, Reason::AudienceMismatch);
    assert!(r.detail.contains("evil.example.com:3306"), "{}", r.detail);
    let unnamed = token(&c, &bound(&c), |p| {
        request_tags(p).remove(AUDIENCE_TAG);
    });
    assert_eq!(
        refused(&unnamed, Some(OUR_CHANNEL)).reason,
        Reason::AudienceMismatch
    );
    let odd = token(&c, &bound(&c), |p| {
        request_tags(p).insert(AUDIENCE_TAG.into(), "db one".into());
    });
    let r = refused(&odd, Some(OUR_CHANNEL));
    assert_eq!(r.reason, Reason::AudienceMismatch);
    assert!(
        r.detail.contains("'db one' is not a host[:port]"),
        "{}",
        r.detail
    );
    // Through a relay that showed the client its own certificate; minted with no channel
    // while this connection is TLS; bound to a channel while this one is not.
    let relayed = Binding {
        channel: Some(RELAY_CHANNEL.into()),
        ..bound(&c)
    };
    let r = refused(&token(&c, &relayed, |_| {}), Some(OUR_CHANNEL));
    assert_eq!(r.reason, Reason::ChannelBinding);
    assert!(r.detail.contains("another TLS certificate"), "{}", r.detail);
    let unbound = token(&c, &bound(&c), |p| {
        request_tags(p).remove(CHANNEL_TAG);
    });
    assert_eq!(
        refused(&unbound, Some(OUR_CHANNEL)).reason,
        Reason::ChannelBinding
    );
    let good = token(&c, &bound(&c), |_| {});
    assert_eq!(refused(&good, None).reason, Reason::ChannelBinding);
    // Behind a router that terminates TLS (the binding off), the relayed one passes.
    let off = Config {
        challenge: ChallengeSettings {
            channel_binding: false,
            ..cfg.challenge.clone()
        },
        ..cfg.clone()
    };
    let answer = answer_of(&token(&c, &relayed, |_| {}));
    assert!(attempt(&off, &c, &answer, Some(OUR_CHANNEL)).is_ok());
    // The nonce tag is read as the nonce, not as any tag of that value.
    let moved = token(&c, &bound(&c), |p| {
        let tags = request_tags(p);
        let nonce = tags.remove(NONCE_TAG).unwrap();
        tags.insert("job-id".into(), nonce);
    });
    assert_eq!(
        refused(&moved, Some(OUR_CHANNEL)).reason,
        Reason::ChallengeMismatch
    );
}

/// The JWT itself is checked first, with the reasons of a JWT password.
#[test]
fn the_jwt_is_verified_before_its_tags_are_read() {
    let cfg = config();
    let c = issue(&login(None), &cfg).unwrap();
    let reason_of = |jwt: &str| attempt(&cfg, &c, &answer_of(jwt), Some(OUR_CHANNEL));
    let forged = {
        let good = token(&c, &bound(&c), |_| {});
        let (input, _) = good.rsplit_once('.').unwrap();
        let sig = RSA_2.sign(input.as_bytes());
        format!("{input}.{}", crate::jwt::test_keys::b64(sig))
    };
    let cases = [
        (forged, Reason::JwtSignature),
        (
            token(&c, &bound(&c), |p| p["aud"] = json!("mysql://db2")),
            Reason::JwtAudience,
        ),
        (
            token(&c, &bound(&c), |p| {
                p["iat"] = json!(now() - 400);
                p["exp"] = json!(now() - 100);
            }),
            Reason::JwtExpired,
        ),
        (
            token(&c, &bound(&c), |p| {
                p["iss"] = json!("http://127.0.0.1:4598")
            }),
            Reason::JwtIssuer,
        ),
    ];
    for (jwt, want) in cases {
        let (r, seen) = reason_of(&jwt).unwrap_err();
        assert_eq!(r.reason, want, "{r}");
        assert_eq!(seen, Seen::Nothing, "nothing believed of an unverified JWT");
    }
    // The policy after: a role of another name is not AppRole.
    let other = token(&c, &bound(&c), |p| {
        p["sub"] = json!("arn:aws:iam::123456789012:role/Ops");
    });
    assert_eq!(reason(reason_of(&other)), Reason::RoleMismatch);
}

#[test]
fn only_a_kind_the_challenge_offered_is_taken() {
    let cfg = config();
    let sigv4_only = Config {
        challenge: ChallengeSettings::default(),
        ..cfg.clone()
    };
    let c = issue(&login(None), &sigv4_only).unwrap();
    // A JWT good in every other way (the DBA switched the setting after this challenge).
    let mut as_if = c.clone();
    as_if.jwt_audience = Some(AUD.into());
    let jwt = token(&as_if, &bound(&c), |_| {});
    let (r, _) = attempt(&cfg, &c, &answer_of(&jwt), Some(OUR_CHANNEL)).unwrap_err();
    assert_eq!(r.reason, Reason::TokenVersion);
    assert!(r.detail.contains("offered sigv4"), "{}", r.detail);
    // And a sigv4 answer to a challenge that offers jwt only.
    let jwt_only = Config {
        challenge: ChallengeSettings {
            answers: vec![AnswerKind::Jwt],
            ..ChallengeSettings::default()
        },
        ..cfg.clone()
    };
    let c = issue(&login(None), &jwt_only).unwrap();
    let sigv4 = answer_for(&c, &c.nonce, THIS_SERVER);
    let (r, _) = attempt(&jwt_only, &c, &sigv4, Some(OUR_CHANNEL)).unwrap_err();
    assert_eq!(r.reason, Reason::TokenVersion);
    assert!(r.detail.contains("offered jwt"), "{}", r.detail);
}
