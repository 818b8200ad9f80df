//! The claims of an AWS-issued JWT (jwt-facts.md 2): read with their types from the payload
//! before the signature is checked (a claim of the wrong type is a malformed token), and
//! checked after it: audience, time, lifetime, subject.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::JwtSettings;
use super::json;
use crate::error::{Reason, Refusal, refuse};
use crate::identity::{self, Caller, Claims};
use crate::syntax::{quoted, shown};

/// The object under which AWS puts its own claims (account, organization, tags).
pub const AWS_NAMESPACE: &str = "https://sts.amazonaws.com/";
/// Largest NumericDate accepted: 9999-12-31T23:59:59Z. Larger ones are no real time, and
/// would overflow `SystemTime` arithmetic on some platforms.
pub const MAX_NUMERIC_DATE: u64 = 253_402_300_799;
/// Most audiences of a token named in a detail (AWS allows 10).
const MAX_SHOWN_AUDIENCES: usize = 3;

/// What a token claims. After `jwt::verify` succeeds, `issuer`, `audiences`, `subject` and
/// `account` have been checked; before, an absent one is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsClaims {
    /// `iss`.
    pub issuer: String,
    /// `aud`: a single string is read as a list of one.
    pub audiences: Vec<String>,
    /// `sub`: the ARN of an IAM role (for a role session, the role) or user.
    pub subject: String,
    pub issued_at: SystemTime,
    pub expires: SystemTime,
    pub not_before: Option<SystemTime>,
    /// `jti`.
    pub token_id: Option<String>,
    /// `aws_account`: the account of `sub`, once checked.
    pub account: String,
    pub source_region: Option<String>,
    pub org_id: Option<String>,
    /// `ou_path`: AWS's docs show a string, real tokens an array (jwt-facts.md 2.3).
    pub ou_paths: Vec<String>,
    pub principal_id: Option<String>,
    /// Set by IAM (or by whoever tagged the session, see jwt-facts.md 2.6).
    pub principal_tags: BTreeMap<String, String>,
    /// Chosen by the caller in its own request: must never authorize anything.
    pub request_tags: BTreeMap<String, String>,
}

fn malformed(detail: String) -> Refusal {
    refuse(Reason::JwtMalformed, detail)
}

fn string(map: &Map<String, Value>, name: &str) -> Result<Option<String>, Refusal> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(malformed(format!("the claim {name} is {}", json::kind(v)))),
    }
}

/// A string, or an array of strings (RFC 7519's `aud`; AWS's `ou_path`).
fn strings(map: &Map<String, Value>, name: &str) -> Result<Vec<String>, Refusal> {
    let not = |what: &str| malformed(format!("the claim {name} is {what}"));
    match map.get(name) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(not(&format!("an array holding {}", json::kind(other)))),
            })
            .collect(),
        Some(v) => Err(not(json::kind(v))),
    }
}

/// A NumericDate: whole seconds since the epoch. A float, a negative number or a string
/// is refused rather than rounded: AWS writes integers.
fn date(map: &Map<String, Value>, name: &str) -> Result<Option<SystemTime>, Refusal> {
    let Some(v) = map.get(name) else {
        return Ok(None);
    };
    match v.as_u64() {
        Some(s) if s <= MAX_NUMERIC_DATE => Ok(Some(UNIX_EPOCH + Duration::from_secs(s))),
        Some(_) => Err(malformed(format!("the claim {name} is past the year 9999"))),
        None => Err(malformed(format!(
            "the claim {name} is not a whole number of seconds (it is {})",
            json::kind(v)
        ))),
    }
}

fn tags(map: &Map<String, Value>, name: &str) -> Result<BTreeMap<String, String>, Refusal> {
    match map.get(name) {
        None => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(malformed(format!(
                    "the claim {name} holds {}, not only strings",
                    json::kind(other)
                ))),
            })
            .collect(),
        Some(v) => Err(malformed(format!("the claim {name} is {}", json::kind(v)))),
    }
}

/// Reads the claims with their types. Unknown claims are ignored; `exp` and `iat` are
/// required (every AWS token has both, and the lifetime cap needs both).
pub fn read(payload: &Map<String, Value>) -> Result<AwsClaims, Refusal> {
    let required = |name: &str| {
        date(payload, name)?.ok_or_else(|| malformed(format!("the token has no {name} claim")))
    };
    let empty = Map::new();
    let ns = match payload.get(AWS_NAMESPACE) {
        None => &empty,
        Some(Value::Object(m)) => m,
        Some(v) => {
            return Err(malformed(format!(
                "the claim {AWS_NAMESPACE} is {}",
                json::kind(v)
            )));
        }
    };
    Ok(AwsClaims {
        issuer: string(payload, "iss")?.unwrap_or_default(),
        audiences: strings(payload, "aud")?,
        subject: string(payload, "sub")?.unwrap_or_default(),
        issued_at: required("iat")?,
        expires: required("exp")?,
        not_before: date(payload, "nbf")?,
        token_id: string(payload, "jti")?,
        account: string(ns, "aws_account")?.unwrap_or_default(),
        source_region: string(ns, "source_region")?,
        org_id: string(ns, "org_id")?,
        ou_paths: strings(ns, "ou_path")?,
        principal_id: string(ns, "principal_id")?,
        principal_tags: tags(ns, "principal_tags")?,
        request_tags: tags(ns, "request_tags")?,
    })
}

/// Our audience must be one of the token's. No audience configured refuses every token:
/// accepting any audience would accept tokens minted for any other service.
pub fn check_audience(claims: &AwsClaims, settings: &JwtSettings) -> Result<(), Refusal> {
    let Some(ours) = &settings.audience else {
        return Err(refuse(
            Reason::JwtAudience,
            "no JWT audience is configured on this server (set auth_awsiam_jwt_audience): every JWT is refused",
        ));
    };
    if claims.audiences.iter().any(|a| a == ours) {
        return Ok(());
    }
    let theirs: Vec<String> = claims
        .audiences
        .iter()
        .take(MAX_SHOWN_AUDIENCES)
        .map(|a| shown(a))
        .collect();
    Err(refuse(
        Reason::JwtAudience,
        if theirs.is_empty() {
            format!(
                "the token has no aud; this server's audience is {}",
                shown(ours)
            )
        } else {
            format!(
                "the token is for {}{}, not for this server's audience {}",
                theirs.join(", "),
                if claims.audiences.len() > MAX_SHOWN_AUDIENCES {
                    ", ..."
                } else {
                    ""
                },
                shown(ours)
            )
        },
    ))
}

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

/// exp (no leeway), nbf and iat (at most `clock_skew` ahead of our clock), then the
/// lifetime cap.
///
/// Why no leeway on `exp`: the skew exists for an issuer's clock running ahead of ours, as
/// for tokens today (sts/freshness.rs), never to make a token live past its end; a leeway
/// on exp would stretch every 5-minute token by the whole skew.
pub fn check_times(
    claims: &AwsClaims,
    settings: &JwtSettings,
    now: SystemTime,
) -> Result<(), Refusal> {
    if let Ok(ago) = now.duration_since(claims.expires) {
        return Err(refuse(
            Reason::JwtExpired,
            format!("the token expired {} s ago", secs(ago)),
        ));
    }
    for (name, at) in [("nbf", claims.not_before), ("iat", Some(claims.issued_at))] {
        if let Some(ahead) = at.and_then(|t| t.duration_since(now).ok())
            && ahead > settings.clock_skew
        {
            return Err(refuse(
                Reason::JwtNotYetValid,
                format!(
                    "the token's {name} is {} s in the future (more than the {} s of clock skew allowed)",
                    secs(ahead),
                    secs(settings.clock_skew)
                ),
            ));
        }
    }
    let Ok(lifetime) = claims.expires.duration_since(claims.issued_at) else {
        return Err(refuse(
            Reason::JwtLifetime,
            "the token's exp is before its iat",
        ));
    };
    if lifetime > settings.max_age {
        return Err(refuse(
            Reason::JwtLifetime,
            format!(
                "the token lives {} s (exp - iat); auth_awsiam_token_max_age allows {} s",
                secs(lifetime),
                secs(settings.max_age)
            ),
        ));
    }
    Ok(())
}

/// `sub` must be an IAM role or user ARN, and AWS's account claim the account in it.
pub fn check_subject(claims: &AwsClaims) -> Result<Caller, Refusal> {
    let subject = |detail: String| refuse(Reason::JwtSubject, detail);
    if claims.subject.is_empty() {
        return Err(subject("the token has no sub".into()));
    }
    let principal = identity::parse_subject(&claims.subject)
        .map_err(|why| subject(format!("sub {} is refused: {why}", shown(&claims.subject))))?;
    if claims.account.is_empty() {
        return Err(subject(format!(
            "the token has no aws_account claim under {AWS_NAMESPACE}"
        )));
    }
    if claims.account != principal.account {
        return Err(subject(format!(
            "aws_account {} is not the account of sub {}",
            quoted(&claims.account, 16),
            shown(&claims.subject)
        )));
    }
    Ok(Caller {
        arn: claims.subject.clone(),
        // STS's unique ID is not in a JWT (principal_id holds the ARN), nor is a key.
        user_id: String::new(),
        access_key_id: String::new(),
        principal,
        // What IAM set, for the policy; never the request tags (the caller's own words).
        claims: Some(Box::new(Claims {
            org_id: claims.org_id.clone(),
            ou_paths: claims.ou_paths.clone(),
            principal_tags: claims.principal_tags.clone(),
        })),
    })
}
