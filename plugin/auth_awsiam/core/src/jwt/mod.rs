//! AWS-issued JWTs (IAM outbound identity federation, `sts:GetWebIdentityToken`), verified
//! entirely here: no STS call on a login. The one entry is [`verify`]; [`looks_like_jwt`]
//! tells a JWT from the plugin's own tokens.
//!
//! `compact` takes the token apart (size, base64url, strict JSON from `json`, the header),
//! `claims` reads and checks the claims, `jwk` turns an issuer's key set into keys and
//! checks signatures, `issuers` keeps every configured issuer's keys (fetched ahead of need,
//! refreshed on a schedule and, bounded, on an unknown `kid`).
//!
//! The checks run in this order, each with its own reason: `jwt_malformed`,
//! `jwt_algorithm`, `jwt_issuer`, `jwt_key_unknown` (or `jwt_keys_unavailable`),
//! `jwt_signature`, `jwt_audience`, `jwt_expired` / `jwt_not_yet_valid`, `jwt_lifetime`,
//! `jwt_subject`. Everything before the signature only decides whether a signature check
//! is worth doing; nothing in the payload is believed until it passed.

pub mod claims;
pub mod compact;
pub mod issuers;
pub mod json;
pub mod jwk;

#[cfg(test)]
pub(crate) mod test_keys;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use claims::AwsClaims;
pub use issuers::Issuer;
pub use jwk::Key;

use crate::error::{Reason, Refusal, refuse};
use crate::identity::Caller;
use crate::syntax::quoted;

/// The JWT settings (system variables, read by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtSettings {
    /// The issuers the DBA trusts; `iss` must be one of them, byte for byte.
    pub issuers: Vec<Issuer>,
    /// This server's audience; `None` refuses every JWT.
    pub audience: Option<String>,
    /// The longest lifetime (`exp - iat`) accepted.
    pub max_age: Duration,
    /// How far ahead of our clock `iat` and `nbf` may be.
    pub clock_skew: Duration,
}

/// A JWT that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// `arn` is `sub`, its principal an IAM role or user.
    pub caller: Caller,
    pub claims: AwsClaims,
    /// `exp`: how long a verified token may be cached.
    pub expires: SystemTime,
}

/// Why a key source has no key for a `kid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMissing {
    /// The issuer's keys are known, and none has this `kid` (after the refresh allowed).
    Unknown(String),
    /// The issuer's keys were never fetched and cannot be fetched now.
    Unavailable(String),
}

/// Where `verify` gets an issuer's keys: the cache in `issuers` for logins, a fixed set in
/// tests and fuzzing.
pub trait KeySource {
    /// The key with this `kid` of this issuer (one `verify` accepted as configured).
    fn key(&self, issuer: &Issuer, kid: &str) -> Result<Arc<Key>, KeyMissing>;
}

/// Whether `raw` has the shape of a JOSE token (how a login tells one from an `awsiam1.`
/// token): it starts with `eyJ` (base64url of `{"`, a JSON header) and has a dot. Any
/// number of dots: a JWE (five parts) or a cut JWT must reach `verify`, which refuses it
/// as `jwt_malformed` saying what it is, not be read as a garbled `awsiam1.` token. Cheap,
/// and decides nothing: `verify` checks all of it.
pub fn looks_like_jwt(raw: &[u8]) -> bool {
    raw.starts_with(b"eyJ") && raw.contains(&b'.')
}

/// Verifies an AWS-issued JWT at `now` against the settings and the issuers' keys. The
/// refusal's detail never holds the token, its signature or its payload.
pub fn verify(
    raw: &[u8],
    settings: &JwtSettings,
    keys: &dyn KeySource,
    now: SystemTime,
) -> Result<Verified, Refusal> {
    let token = compact::parse(raw)?;
    let claims = claims::read(&token.payload)?;
    let issuer = find_issuer(&claims.issuer, settings)?;
    let kid = &token.header.kid;
    let key = keys.key(issuer, kid).map_err(|missing| match missing {
        KeyMissing::Unknown(why) => refuse(Reason::JwtKeyUnknown, why),
        KeyMissing::Unavailable(why) => refuse(Reason::JwtKeysUnavailable, why),
    })?;
    // The key's type, not the token, decides the algorithm: an RSA public key must never
    // serve as an HMAC secret, an EC key never for RS256.
    if key.alg != token.header.alg {
        return Err(refuse(
            Reason::JwtKeyUnknown,
            format!(
                "the issuer's key {} is an {} key; the token says {}",
                quoted(kid, compact::MAX_KID_LEN),
                key.alg.name(),
                token.header.alg.name()
            ),
        ));
    }
    key.verify(token.signing_input, &token.signature)
        .map_err(|bad| {
            refuse(
                Reason::JwtSignature,
                match bad {
                    jwk::BadSignature::Length { got, want } => format!(
                        "the signature is {got} bytes; key {} makes {} signatures of {want}",
                        quoted(kid, compact::MAX_KID_LEN),
                        key.alg.name()
                    ),
                    jwk::BadSignature::Invalid => format!(
                        "the signature does not verify with the issuer's key {}",
                        quoted(kid, compact::MAX_KID_LEN)
                    ),
                },
            )
        })?;
    claims::check_audience(&claims, settings)?;
    claims::check_times(&claims, settings, now)?;
    let caller = claims::check_subject(&claims)?;
    Ok(Verified {
        caller,
        expires: claims.expires,
        claims,
    })
}

/// Longest excerpt of an unknown `iss` shown.
const MAX_SHOWN_ISSUER: usize = 128;

fn find_issuer<'a>(iss: &str, settings: &'a JwtSettings) -> Result<&'a Issuer, Refusal> {
    if iss.is_empty() {
        return Err(refuse(Reason::JwtIssuer, "the token has no iss"));
    }
    settings
        .issuers
        .iter()
        .find(|i| i.url() == iss)
        .ok_or_else(|| {
            let iss = quoted(iss, MAX_SHOWN_ISSUER);
            refuse(
                Reason::JwtIssuer,
                match settings.issuers.len() {
                    0 => format!(
                        "iss {iss}: no JWT issuer is trusted (auth_awsiam_jwt_issuers is empty)"
                    ),
                    n => format!("iss {iss} is not one of the {n} trusted issuer(s)"),
                },
            )
        })
}
