//! Minting an AWS-issued JWT (client side): `sts:GetWebIdentityToken` with credentials the
//! caller loaded through the project's chain (`credentials`), at the regional STS endpoint
//! of the region or a configured one. Used by the token tool (`--jwt`), and meant for the
//! client plugin.
//!
//! The call goes through aws-sdk-sts (already in the tree: aws-config's AssumeRole and web
//! identity providers use it), which signs, retries and parses the awsQuery answer as the
//! AWS CLI does. Its 1.124 model has `Audience`, `SigningAlgorithm`, `DurationSeconds` and
//! `Tags`, not `SubjectMode` (documented in one revision of the API page only, in no SDK
//! model); so no `SubjectMode` here: such tokens cannot be minted by this module, the AWS
//! CLI or the SDKs until AWS publishes it in the model.
//!
//! The request is checked against the model's limits before any call, so a bad audience or
//! tag is a precise local error, not an STS round trip. A failure is one sentence naming
//! what to do; none holds the token, a key or a signature.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::get_web_identity_token::GetWebIdentityTokenError;
use aws_sdk_sts::types::Tag;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::aws_error::{self, Attempt, Cause};
use crate::credentials::host_of;
use crate::sts::hosts::official_host_for_region;
use crate::syntax;

/// The model's limits (botocore/aws-sdk-sts `GetWebIdentityToken`).
pub const MAX_AUDIENCES: usize = 10;
pub const MAX_AUDIENCE_LEN: usize = 1000;
pub const MIN_DURATION_SECS: u32 = 60;
pub const MAX_DURATION_SECS: u32 = 3600;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_KEY_LEN: usize = 128;
pub const MAX_TAG_VALUE_LEN: usize = 256;
/// The global endpoint: "The GetWebIdentityToken API is not available on the STS Global
/// endpoint" (AWS STS API Reference).
pub const GLOBAL_STS_HOST: &str = "sts.amazonaws.com";
/// Longest excerpt of an input shown in an error.
const MAX_SHOWN: usize = 64;
/// STS answers in well under a second: an endpoint that accepts the connection and never
/// answers must not hang the tool or a client program. One attempt, then the whole call
/// with the SDK's retries.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// As aws-config's default (the SDKs' 3.1 s).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// The JWS algorithms AWS offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningAlgorithm {
    Rs256,
    Es384,
}

impl SigningAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            SigningAlgorithm::Rs256 => "RS256",
            SigningAlgorithm::Es384 => "ES384",
        }
    }
}

/// What to ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// The `aud` claim: 1 to 10 audiences (the server's `auth_awsiam_jwt_audience`).
    pub audiences: Vec<String>,
    pub algorithm: SigningAlgorithm,
    /// `exp - iat`; `None`: STS's default, 300 s.
    pub duration_secs: Option<u32>,
    /// Request tags (`request_tags` claim), in order: the caller's own words, which a
    /// server must never authorize on. Need `sts:TagGetWebIdentityToken`.
    pub tags: Vec<(String, String)>,
}

/// Where the call goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The signing region.
    pub region: String,
    /// An STS endpoint URL (`https://host[:port]`); `None`: the regional endpoint of
    /// `region` (`https://sts.REGION.amazonaws.com`, or the partition's form).
    pub endpoint: Option<String>,
    /// The settings the endpoint came from, for messages (e.g. `--endpoint`).
    pub endpoint_settings: String,
}

impl Target {
    pub fn url(&self) -> String {
        match &self.endpoint {
            Some(u) => u.clone(),
            None => format!("https://{}", official_host_for_region(&self.region)),
        }
    }
}

/// A minted token. `Debug` never shows it.
pub struct Minted {
    /// The compact JWS (three base64url parts): a bearer credential until `expiration`.
    pub token: String,
    pub expiration: Option<SystemTime>,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted")
            .field("token", &"** redacted **")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Why minting failed: a request refused before any call (bad input), or the call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MintError {
    Invalid(String),
    Failed(String),
}

impl MintError {
    pub fn message(&self) -> &str {
        match self {
            MintError::Invalid(m) | MintError::Failed(m) => m,
        }
    }
}

/// The tag pattern of the model, `[\p{L}\p{Z}\p{N}_.:/=+\-@]`.
fn tag_char(c: char) -> bool {
    let separator = matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    );
    c.is_alphabetic() || c.is_numeric() || separator || "_.:/=+-@".contains(c)
}

impl TokenRequest {
    /// The model's limits, and no tag key twice (case-insensitively, as AWS treats session
    /// tag keys): a repeated key would repeat a JSON key in the token, which the plugin
    /// refuses.
    pub fn check(&self) -> Result<(), String> {
        let n = self.audiences.len();
        if n == 0 || n > MAX_AUDIENCES {
            return Err(format!(
                "{n} audiences: a token names 1 to {MAX_AUDIENCES} audiences"
            ));
        }
        for a in &self.audiences {
            let len = a.chars().count();
            if len == 0 || len > MAX_AUDIENCE_LEN {
                return Err(format!(
                    "audience {} has {len} characters: 1 to {MAX_AUDIENCE_LEN} are allowed",
                    syntax::quoted(a, MAX_SHOWN)
                ));
            }
        }
        if let Some(d) = self.duration_secs
            && !(MIN_DURATION_SECS..=MAX_DURATION_SECS).contains(&d)
        {
            return Err(format!(
                "duration {d} s: {MIN_DURATION_SECS} to {MAX_DURATION_SECS} seconds are allowed"
            ));
        }
        if self.tags.len() > MAX_TAGS {
            return Err(format!(
                "{} tags: at most {MAX_TAGS} are allowed",
                self.tags.len()
            ));
        }
        const CHARS: &str = "letters, digits, spaces and _.:/=+-@";
        for (i, (k, v)) in self.tags.iter().enumerate() {
            let klen = k.chars().count();
            if klen == 0 || klen > MAX_TAG_KEY_LEN || !k.chars().all(tag_char) {
                return Err(format!(
                    "tag key {}: 1 to {MAX_TAG_KEY_LEN} {CHARS}",
                    syntax::quoted(k, MAX_SHOWN)
                ));
            }
            if v.chars().count() > MAX_TAG_VALUE_LEN || !v.chars().all(tag_char) {
                return Err(format!(
                    "value of tag {}: at most {MAX_TAG_VALUE_LEN} {CHARS}",
                    syntax::quoted(k, MAX_SHOWN)
                ));
            }
            if self.tags[..i]
                .iter()
                .any(|(other, _)| other.to_lowercase() == k.to_lowercase())
            {
                return Err(format!(
                    "tag key {} given twice (tag keys are case-insensitive)",
                    syntax::quoted(k, MAX_SHOWN)
                ));
            }
        }
        Ok(())
    }

    fn audience_shown(&self) -> String {
        let shown: Vec<String> = self
            .audiences
            .iter()
            .map(|a| syntax::quoted(a, MAX_SHOWN))
            .collect();
        shown.join(", ")
    }
}

/// The sentence for a failed call, from what went wrong (`cause`) and what was asked.
pub fn explain(cause: &Cause, request: &TokenRequest, target: &Target) -> String {
    let host = host_of(&target.url());
    let audience = request.audience_shown();
    let action = format!("cannot get a web identity token for audience {audience}");
    let Cause::Service { code, message } = cause else {
        let attempt = Attempt {
            action,
            host: Some(host),
            endpoint_settings: target.endpoint_settings.clone(),
        };
        return aws_error::sentence(&attempt, cause);
    };
    let said = format!("{action}: STS at {host} answered {code}");
    let hint = match code.as_str() {
        "OutboundWebIdentityFederationDisabledException" => {
            "outbound identity federation is not enabled in the caller's AWS account: enable it \
             once with 'aws iam enable-outbound-web-identity-federation' (or IAM console, \
             Account settings)"
                .to_string()
        }
        "AccessDenied"
            if !request.tags.is_empty() && message.contains("TagGetWebIdentityToken") =>
        {
            "tags need their own permission: the caller's identity policy must also allow \
             sts:TagGetWebIdentityToken (or mint without tags)"
                .to_string()
        }
        "AccessDenied" => format!(
            "the caller's identity policy must allow sts:GetWebIdentityToken with the condition \
             sts:IdentityTokenAudience naming {audience} (and allow this sts:DurationSeconds and \
             sts:SigningAlgorithm {} if it restricts them; an SCP or permission boundary may deny it too)",
            request.algorithm.name()
        ),
        "JWTPayloadSizeExceededException" => {
            "the token would be larger than STS allows: ask for fewer or shorter tags".to_string()
        }
        "SessionDurationEscalationException" => {
            "the token would outlive the caller's session credentials: ask for a shorter \
             duration, or renew the session first"
                .to_string()
        }
        "ValidationError" => format!(
            "{}; check the audiences (1 to {MAX_AUDIENCES}, each 1 to {MAX_AUDIENCE_LEN} \
             characters), the duration ({MIN_DURATION_SECS} to {MAX_DURATION_SECS} s) and the tags",
            aws_error::aws_message(message)
        ),
        _ => {
            let attempt = Attempt {
                action,
                host: Some(host),
                endpoint_settings: target.endpoint_settings.clone(),
            };
            return aws_error::sentence(&attempt, cause);
        }
    };
    format!("{said}: {hint}")
}

/// What went wrong in a call: STS's error code, or the transport's failure.
pub fn cause_of<R: std::fmt::Debug + 'static>(e: &SdkError<GetWebIdentityTokenError, R>) -> Cause {
    match e {
        SdkError::ServiceError(s) => Cause::Service {
            code: s.err().code().unwrap_or("UnknownError").to_string(),
            message: s.err().message().unwrap_or("").to_string(),
        },
        // The operation timeouts above (the connector's own are found in the chain).
        SdkError::TimeoutError(_) => Cause::Timeout,
        other => aws_error::cause(other),
    }
}

/// Three non-empty base64url parts (RFC 7515 §7.1): ASCII letters, digits, `-`, `_`.
pub fn is_compact_jws(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Calls GetWebIdentityToken as `credentials` at `target`, with the HTTP client, timeouts
/// and retries of `sdk` (from `credentials::load`).
pub async fn mint(
    sdk: &SdkConfig,
    credentials: Credentials,
    target: &Target,
    request: &TokenRequest,
) -> Result<Minted, MintError> {
    request.check().map_err(MintError::Invalid)?;
    let url = target.url();
    if host_of(&url).eq_ignore_ascii_case(GLOBAL_STS_HOST) {
        return Err(MintError::Invalid(format!(
            "GetWebIdentityToken is not available on the global STS endpoint {GLOBAL_STS_HOST}: \
             use a regional endpoint such as https://{} (from {})",
            official_host_for_region(&target.region),
            target.endpoint_settings
        )));
    }
    let config = aws_sdk_sts::config::Builder::from(sdk)
        .region(Region::new(target.region.clone()))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .endpoint_url(url)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
        .build();
    let client = aws_sdk_sts::Client::from_conf(config);
    let mut call = client
        .get_web_identity_token()
        .set_audience(Some(request.audiences.clone()))
        .signing_algorithm(request.algorithm.name())
        .set_duration_seconds(request.duration_secs.map(|d| d as i32));
    for (k, v) in &request.tags {
        let tag = Tag::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| MintError::Invalid(format!("bad tag: {e}")))?;
        call = call.tags(tag);
    }
    let output = call
        .send()
        .await
        .map_err(|e| MintError::Failed(explain(&cause_of(&e), request, target)))?;
    // Checked, because callers print it or write it into a MySQL option file unquoted.
    let token = output
        .web_identity_token()
        .filter(|t| is_compact_jws(t))
        .ok_or_else(|| {
            MintError::Failed(format!(
                "STS at {} answered GetWebIdentityToken without a token in JWS compact form",
                host_of(&target.url())
            ))
        })?
        .to_string();
    let expiration = output
        .expiration()
        .and_then(|d| SystemTime::try_from(*d).ok());
    Ok(Minted { token, expiration })
}

#[cfg(test)]
mod tests;
