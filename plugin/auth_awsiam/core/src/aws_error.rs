//! One sentence for a failure of aws-config or the AWS SDK (loading credentials, calling
//! AssumeRole): what failed, which host, and what to check. The SDK's own texts are chains
//! such as `dispatch failure: io error: client error (Connect): dns error: ...` or a
//! `Debug`-like `Error { code: "ValidationError", ... }`; they name neither the host nor a
//! fix. Never holds a secret: the SDK errors carry none, and STS's messages are quoted and
//! bounded.

use std::error::Error;

use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::error::ErrorMetadata;

use crate::syntax;

/// Longest excerpt of an STS message or of an unrecognised cause: a whole sentence with
/// its hint must fit the client plugin's 400-byte error buffer.
const MAX_SHOWN: usize = 160;

/// What was being done when it failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// E.g. `cannot assume role arn:aws:iam::123456789012:role/AppRole`.
    pub action: String,
    /// The host called, when the failure is a call to a known host.
    pub host: Option<String>,
    /// The settings that choose that host, e.g. `--endpoint or AWS_ENDPOINT_URL_STS`.
    pub endpoint_settings: String,
}

/// Why it failed, recognised from the error chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens at the host and port.
    Refused,
    /// No answer within the SDK's timeouts.
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    Tls(String),
    /// Another connection failure.
    Connect(String),
    /// The service answered with an error code.
    Service { code: String, message: String },
    /// Anything else (a profile that cannot be used, an expired SSO session...).
    Other(String),
}

/// Recognises the cause of `e` from its source chain.
pub fn cause(e: &(dyn Error + 'static)) -> Cause {
    let mut connector = false;
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(meta) = err.downcast_ref::<ErrorMetadata>() {
            return Cause::Service {
                code: meta.code().unwrap_or("UnknownError").to_string(),
                message: meta.message().unwrap_or("").to_string(),
            };
        }
        if let Some(c) = err.downcast_ref::<ConnectorError>() {
            if c.is_timeout() {
                return Cause::Timeout;
            }
            connector = true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Cause::Refused,
                std::io::ErrorKind::TimedOut => return Cause::Timeout,
                _ => {}
            }
        }
        if err.downcast_ref::<rustls::Error>().is_some() {
            return Cause::Tls(err.to_string());
        }
        let text = err.to_string();
        if text.starts_with("dns error") {
            return Cause::Dns;
        }
        if connector && err.source().is_none() {
            return Cause::Connect(text);
        }
        next = err.source();
    }
    Cause::Other(describe(e))
}

/// An error and its sources as text, each cause once (aws-config's `Debug` forms are long
/// and repeat themselves).
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// What to check for an error code of STS.
fn hint_for(code: &str) -> &'static str {
    match code {
        "ValidationError" => {
            "check the role ARN (arn:aws:iam::ACCOUNT:role/NAME) and the session name (2 to 64 characters of A-Z a-z 0-9 +=,.@-)"
        }
        "AccessDenied" => {
            "check that the role's trust policy lets your identity (aws sts get-caller-identity) assume it"
        }
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "IncompleteSignature"
        | "InvalidAccessKeyId" => {
            "check your AWS credentials (aws sts get-caller-identity) and that they belong to this STS endpoint's partition"
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            "your credentials or clock are out of date: refresh them (aws sso login, or new keys) and check the system clock"
        }
        "RegionDisabledException" => {
            "activate STS in that region for your account, or use another region"
        }
        _ => "check the request against the STS documentation for that code",
    }
}

/// The sentence for `cause` during `attempt`.
pub fn sentence(attempt: &Attempt, cause: &Cause) -> String {
    let action = &attempt.action;
    let settings = &attempt.endpoint_settings;
    let Some(host) = attempt.host.as_deref() else {
        // A source other than STS (SSO, credential_process, instance metadata...).
        const CHECK: &str = "check the profile's credential source (SSO, credential_process, web identity, instance metadata) and the network";
        return match cause {
            Cause::Service { code, message } => {
                format!("{action}: {code}: {}", aws_message(message))
            }
            Cause::Dns => format!("{action}: a host name does not resolve; {CHECK}"),
            Cause::Refused => format!("{action}: a connection was refused; {CHECK}"),
            Cause::Timeout => format!("{action}: a call timed out; {CHECK}"),
            Cause::Tls(d) | Cause::Connect(d) => format!("{action}: {}; {CHECK}", aws_message(d)),
            Cause::Other(d) => format!("{action}: {}", aws_message(d)),
        };
    };
    match cause {
        Cause::Dns => format!(
            "{action}: the host name {host} does not resolve; check {settings} and this machine's DNS"
        ),
        Cause::Refused => format!(
            "{action}: {host} refused the connection; check {settings} and that the endpoint is up"
        ),
        Cause::Timeout => format!(
            "{action}: {host} did not answer in time; check the network path to it (proxy, firewall, VPC endpoint)"
        ),
        Cause::Tls(d) => format!(
            "{action}: the TLS handshake with {host} failed ({}); check that it presents a certificate this machine trusts",
            aws_message(d)
        ),
        Cause::Connect(d) => format!(
            "{action}: cannot connect to {host} ({}); check {settings} and the network",
            aws_message(d)
        ),
        Cause::Service { code, message } => format!(
            "{action}: STS at {host} answered {code}: {}; {}",
            aws_message(message),
            hint_for(code)
        ),
        Cause::Other(d) => format!("{action}: {}", aws_message(d)),
    }
}

/// The sentence for error `e` during `attempt`.
pub fn explain(attempt: &Attempt, e: &(dyn Error + 'static)) -> String {
    sentence(attempt, &cause(e))
}

/// A message of AWS's own (an error's Message), as a sentence of ours quotes it: plain when it
/// is short and printable, else quoted and cut.
pub fn aws_message(text: &str) -> String {
    let t = text.trim().trim_end_matches('.');
    if t.len() <= MAX_SHOWN && !t.contains(char::is_control) {
        t.to_string()
    } else {
        syntax::quoted(t, MAX_SHOWN)
    }
}

#[cfg(test)]
mod tests;
