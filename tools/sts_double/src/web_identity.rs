//! `sts:GetWebIdentityToken` as AWS documents it (facts §1–2): the awsQuery parameters
//! checked against the model's limits, the caller's identity from its access key
//! (`callers`), the emulated refusals of IAM and the account (`options::Policy`), and a
//! JWT signed by the issuer's current key, in STS's XML answer.
//!
//! Where AWS is silent the double chooses, and docs/token-cli.rst says so: an unknown
//! `SigningAlgorithm`, a repeated tag key (case-insensitively, as for session tags) and an
//! unknown `SubjectMode` are `ValidationError`s; the payload limit is
//! `DEFAULT_MAX_PAYLOAD_BYTES` unless `--max-payload-bytes` says otherwise;
//! `SubjectMode=OriginIdentity` puts the caller's `--origin-subject` in `sub` (the caller's
//! ARN when it has none); `jti` is the request ID, as observed on a real token.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::callers::{Caller, OuPath};
use crate::fault::{Fault, escape};
use crate::http::Request;
use crate::keys::{self, Algorithm};
use crate::modes::Answer;
use crate::query;
use crate::timefmt;

pub const MAX_AUDIENCES: usize = 10;
pub const MAX_AUDIENCE_LEN: usize = 1000;
pub const MIN_DURATION: i64 = 60;
pub const MAX_DURATION: i64 = 3600;
/// "If not specified, the default duration is 300 seconds."
pub const DEFAULT_DURATION: i64 = 300;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_KEY_LEN: usize = 128;
pub const MAX_TAG_VALUE_LEN: usize = 256;
/// Ours (AWS documents none): above any token without request tags (about 1 KB of
/// payload) and below 50 tags of full length (about 20 KB).
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 16 * 1024;
/// The claim namespace of AWS's own claims.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/";
const ORIGIN_IDENTITY: &str = "OriginIdentity";

/// A checked request.
#[derive(Debug, PartialEq, Eq)]
pub struct Params {
    pub audiences: Vec<String>,
    pub algorithm: Algorithm,
    pub duration: i64,
    pub tags: Vec<(String, String)>,
    pub origin_subject: bool,
}

fn invalid(what: &str) -> Fault {
    Fault::sender(
        400,
        "ValidationError",
        &format!("1 validation error detected: {what}"),
    )
}

/// `Value 'X' at 'member' failed to satisfy constraint: RULE`, AWS's wording.
fn constraint(value: Option<&str>, member: &str, rule: &str) -> Fault {
    let shown = value.map_or("null".to_string(), |v| format!("'{v}'"));
    invalid(&format!(
        "Value {shown} at '{member}' failed to satisfy constraint: {rule}"
    ))
}

/// The members of list `prefix` (`Audience.member.N`, `Tags.member.N.Key`), by index.
fn members<'a>(
    params: &'a [(String, String)],
    prefix: &str,
    suffix: &str,
) -> BTreeMap<usize, &'a str> {
    params
        .iter()
        .filter_map(|(k, v)| {
            let n = k.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok()?;
            Some((n, v.as_str()))
        })
        .collect()
}

/// The tag pattern `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
fn tag_char(c: char) -> bool {
    let separator = matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    );
    c.is_alphabetic() || c.is_numeric() || separator || "_.:/=+-@".contains(c)
}

pub fn parse(params: &[(String, String)]) -> Result<Params, Fault> {
    let audiences: Vec<String> = members(params, "Audience.member.", "")
        .into_values()
        .map(str::to_string)
        .collect();
    if audiences.is_empty() {
        return Err(constraint(None, "audience", "Member must not be null"));
    }
    if audiences.len() > MAX_AUDIENCES {
        return Err(constraint(
            Some(&format!("{} audiences", audiences.len())),
            "audience",
            "Member must have length less than or equal to 10",
        ));
    }
    for a in &audiences {
        let n = a.chars().count();
        if n == 0 || n > MAX_AUDIENCE_LEN {
            return Err(constraint(
                Some(a),
                "audience.member",
                "Member must have length between 1 and 1000",
            ));
        }
    }
    let alg = query::param(params, "SigningAlgorithm");
    let algorithm = match alg {
        None => {
            return Err(constraint(
                None,
                "signingAlgorithm",
                "Member must not be null",
            ));
        }
        Some(a) if a.chars().count() != 5 => {
            return Err(constraint(
                Some(a),
                "signingAlgorithm",
                "Member must have length 5",
            ));
        }
        Some(a) => Algorithm::from_name(a).ok_or_else(|| {
            constraint(
                Some(a),
                "signingAlgorithm",
                "Member must be one of RS256, ES384",
            )
        })?,
    };
    let duration = match query::param(params, "DurationSeconds") {
        None => DEFAULT_DURATION,
        Some(d) => match d.parse::<i64>() {
            Ok(n) if (MIN_DURATION..=MAX_DURATION).contains(&n) => n,
            _ => {
                return Err(constraint(
                    Some(d),
                    "durationSeconds",
                    "Member must be a number between 60 and 3600",
                ));
            }
        },
    };
    let keys = members(params, "Tags.member.", ".Key");
    let values = members(params, "Tags.member.", ".Value");
    if keys.len().max(values.len()) > MAX_TAGS {
        return Err(constraint(
            Some(&format!("{} tags", keys.len())),
            "tags",
            "Member must have length less than or equal to 50",
        ));
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    for n in keys
        .keys()
        .chain(values.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let key = keys.get(n).copied();
        let value = values.get(n).copied();
        let Some(key) = key else {
            return Err(constraint(
                None,
                "tags.member.key",
                "Member must not be null",
            ));
        };
        let Some(value) = value else {
            return Err(constraint(
                None,
                "tags.member.value",
                "Member must not be null",
            ));
        };
        let key_len = key.chars().count();
        if key_len == 0 || key_len > MAX_TAG_KEY_LEN || !key.chars().all(tag_char) {
            return Err(constraint(
                Some(key),
                "tags.member.key",
                "Member must have length between 1 and 128 and match [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            ));
        }
        if value.chars().count() > MAX_TAG_VALUE_LEN || !value.chars().all(tag_char) {
            return Err(constraint(
                Some(value),
                "tags.member.value",
                "Member must have length at most 256 and match [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            ));
        }
        if tags
            .iter()
            .any(|(k, _)| k.to_lowercase() == key.to_lowercase())
        {
            return Err(invalid(&format!(
                "Duplicate tag keys found: '{key}' (tag keys are case-insensitive)"
            )));
        }
        tags.push((key.to_string(), value.to_string()));
    }
    let origin_subject = match query::param(params, "SubjectMode") {
        None => false,
        Some(ORIGIN_IDENTITY) => true,
        Some(other) => {
            return Err(constraint(
                Some(other),
                "subjectMode",
                "Member must be OriginIdentity",
            ));
        }
    };
    Ok(Params {
        audiences,
        algorithm,
        duration,
        tags,
        origin_subject,
    })
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn json_object(pairs: &[(String, String)]) -> String {
    let members: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", json(k), json(v)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// The payload, members in the order of a real token (facts 2.3).
pub fn payload(
    iss: &str,
    caller: &Caller,
    p: &Params,
    region: &str,
    iat: u64,
    jti: &str,
) -> String {
    let aud = match &p.audiences[..] {
        [one] => json(one),
        many => format!(
            "[{}]",
            many.iter().map(|a| json(a)).collect::<Vec<_>>().join(",")
        ),
    };
    let profile = &caller.profile;
    let sub = match (&profile.origin_subject, p.origin_subject) {
        (Some(origin), true) => origin.as_str(),
        _ => caller.principal.as_str(),
    };
    let mut ns = vec![
        format!("\"aws_account\":{}", json(&caller.account)),
        format!("\"source_region\":{}", json(region)),
    ];
    if let Some(org) = &profile.org_id {
        ns.push(format!("\"org_id\":{}", json(org)));
    }
    match &profile.ou {
        Some(OuPath::Text(path)) => ns.push(format!("\"ou_path\":{}", json(path))),
        Some(OuPath::List(paths)) => ns.push(format!(
            "\"ou_path\":[{}]",
            paths.iter().map(|o| json(o)).collect::<Vec<_>>().join(",")
        )),
        None => {}
    }
    ns.push(format!("\"principal_id\":{}", json(&caller.principal)));
    if !profile.principal_tags.is_empty() {
        ns.push(format!(
            "\"principal_tags\":{}",
            json_object(&profile.principal_tags)
        ));
    }
    if !p.tags.is_empty() {
        ns.push(format!("\"request_tags\":{}", json_object(&p.tags)));
    }
    format!(
        "{{\"aud\":{aud},\"sub\":{},\"iss\":{},\"iat\":{iat},\"exp\":{},\"jti\":{},{}:{{{}}}}}",
        json(sub),
        json(iss),
        iat + p.duration as u64,
        json(jti),
        json(NAMESPACE),
        ns.join(",")
    )
}

/// The answer to a GetWebIdentityToken request: status and XML body.
pub fn answer(request: &Request, params: &[(String, String)], answer: &Answer) -> (u16, String) {
    let request_id = timefmt::uuid();
    match mint(request, params, answer, &request_id) {
        Ok(body) => (200, body),
        Err(f) => {
            eprintln!("sts_double: GetWebIdentityToken refused: {}", f.code);
            (f.status, f.xml(&request_id))
        }
    }
}

fn mint(
    request: &Request,
    params: &[(String, String)],
    answer: &Answer,
    request_id: &str,
) -> Result<String, Fault> {
    let credential = query::credential(request.header("authorization"))?;
    let p = parse(params)?;
    let caller = answer.callers.resolve(&credential.key_id);
    let policy = &answer.policy;
    let denied = |action: &str| {
        Fault::sender(
            403,
            "AccessDenied",
            &format!(
                "User: {} is not authorized to perform: {action} because no identity-based \
                 policy allows the {action} action",
                caller.session_arn
            ),
        )
    };
    if p.audiences
        .iter()
        .any(|a| policy.denied_audiences.contains(a))
    {
        return Err(denied("sts:GetWebIdentityToken"));
    }
    if !p.tags.is_empty() && policy.deny_tagging {
        return Err(denied("sts:TagGetWebIdentityToken"));
    }
    if policy.federation_disabled.contains(&caller.account) {
        return Err(Fault::sender(
            403,
            "OutboundWebIdentityFederationDisabledException",
            "The outbound web identity federation feature is not enabled for this account. \
             To use this feature, you must first enable it through the AWS Management Console or API.",
        ));
    }
    let issuer = &answer.issuer;
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let payload = payload(
        &issuer.url,
        &caller,
        &p,
        &credential.region,
        iat,
        request_id,
    );
    let limit = policy
        .max_payload_bytes
        .unwrap_or(DEFAULT_MAX_PAYLOAD_BYTES);
    if payload.len() > limit {
        return Err(Fault::sender(
            400,
            "JWTPayloadSizeExceededException",
            "The requested token payload size exceeds the maximum allowed size. Reduce the \
             number of request tags included in the GetWebIdentityToken API call to reduce \
             the token payload size.",
        ));
    }
    let internal = |e: String| Fault::receiver(500, "InternalFailure", &e);
    let set = issuer.signing_set().map_err(internal)?;
    let kid = set.kid(p.algorithm);
    let header = format!(
        "{{\"kid\":{},\"typ\":\"JWT\",\"alg\":\"{}\"}}",
        json(&kid),
        p.algorithm.name()
    );
    let token = keys::jws(&header, &payload, &set, p.algorithm).map_err(internal)?;
    eprintln!(
        "sts_double: GetWebIdentityToken for {} ({}, {kid}, {} s, {} audience(s), {} tag(s))",
        caller.principal,
        p.algorithm.name(),
        p.duration,
        p.audiences.len(),
        p.tags.len()
    );
    Ok(format!(
        "<GetWebIdentityTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  \
         <GetWebIdentityTokenResult>\n    <WebIdentityToken>{}</WebIdentityToken>\n    \
         <Expiration>{}</Expiration>\n  </GetWebIdentityTokenResult>\n  <ResponseMetadata>\n    \
         <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n\
         </GetWebIdentityTokenResponse>\n",
        escape(&token),
        timefmt::rfc3339_millis(iat + p.duration as u64)
    ))
}

#[cfg(test)]
mod tests;
