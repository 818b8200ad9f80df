//! The URL rule of a trusted JWT issuer: an AWS token-issuer host, or a test issuer on
//! loopback. A leaf, so that the settings (`config`) can hold issuers without reaching the
//! key cache (`jwt::issuers`) that fetches their keys.

use crate::syntax::{self, is_loopback_host, quoted};

/// An AWS issuer host is `<uuid>.tokens.sts.global.<domain>`. `api.aws` is the documented
/// one (partition aws); the others are the dual-stack DNS suffixes of the other partitions
/// (botocore's partitions.json), where AWS is silent: a DBA of those partitions names the
/// issuer URL `aws iam get-outbound-web-identity-federation-info` gives.
const ISSUER_HOST_INFIX: &str = ".tokens.sts.global.";
const ISSUER_DOMAINS: [&str; 7] = [
    "api.aws",
    "api.amazonwebservices.com.cn",
    "api.amazonwebservices.eu",
    "api.aws.ic.gov",
    "api.aws.scloud",
    "api.cloud-aws.adc-e.uk",
    "api.aws.hci.ic.gov",
];

/// A trusted issuer: `https://<uuid>.tokens.sts.global.api.aws` (no path, port or trailing
/// slash: exactly a token's `iss`), or a test issuer on loopback.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Issuer {
    url: String,
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

fn is_issuer_host(host: &str) -> bool {
    host.split_once(ISSUER_HOST_INFIX)
        .is_some_and(|(id, domain)| is_uuid(id) && ISSUER_DOMAINS.contains(&domain))
}

impl Issuer {
    /// Reads an issuer URL as a DBA writes it (case and one trailing slash forgiven: the
    /// stored form is the exact `iss` AWS writes). The error quotes the value.
    pub fn parse(value: &str) -> Result<Issuer, String> {
        let value = value.trim();
        // Not quoted: user information may hold a password.
        if value.contains('@') {
            return Err("an issuer URL must not contain user information".into());
        }
        let shown = quoted(value, syntax::MAX_HOST_LEN);
        let lower = value.to_ascii_lowercase();
        let (https, rest) = match (
            lower.strip_prefix("https://"),
            lower.strip_prefix("http://"),
        ) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => return Err(format!("issuer {shown} must start with https://")),
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(format!(
                "issuer {shown} must have no path, query or fragment (https://HOST, as in the tokens' iss)"
            ));
        }
        if !syntax::is_authority(authority) {
            return Err(format!("issuer {shown} has an invalid host or port"));
        }
        let (host, port) = syntax::split_authority(authority);
        if !is_loopback_host(host) {
            if !https {
                return Err(format!(
                    "issuer {shown}: http:// is allowed only for loopback addresses; use https://"
                ));
            }
            if port.is_some() || !is_issuer_host(host) {
                return Err(format!(
                    "issuer {shown} is not an AWS token issuer (https://<id>.tokens.sts.global.api.aws) nor a loopback address"
                ));
            }
        }
        let scheme = if https { "https" } else { "http" };
        Ok(Issuer {
            url: format!("{scheme}://{authority}"),
        })
    }

    /// The URL exactly as a token's `iss` must be.
    pub fn url(&self) -> &str {
        &self.url
    }
}
