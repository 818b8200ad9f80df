//! The JWT settings as a DBA writes them: the issuers trusted (auth_awsiam_jwt_issuers: an
//! AWS token-issuer host, or a test issuer on loopback) and this server's audience
//! (auth_awsiam_jwt_audience). A leaf, so that the settings (`config`) can hold them
//! without reaching the key cache (`jwt::issuers`) that fetches the issuers' keys.

use crate::syntax::{self, is_loopback_host, quoted, shown};

/// Most issuers in auth_awsiam_jwt_issuers: one per partition an organization spans, and
/// room for a test issuer.
pub const MAX_ISSUERS: usize = 8;
/// Longest auth_awsiam_jwt_audience: AWS's own limit on one audience of
/// `sts:GetWebIdentityToken`.
pub const MAX_AUDIENCE_LEN: usize = 1000;

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

/// Issuer URLs separated by commas; empty: none (no JWT login). Repeats are dropped.
pub fn parse_issuers(value: &str) -> Result<Vec<Issuer>, String> {
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<&str> = value.split(',').collect();
    if items.len() > MAX_ISSUERS {
        return Err(format!(
            "{} issuers given, the limit is {MAX_ISSUERS}",
            items.len()
        ));
    }
    let mut issuers: Vec<Issuer> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let issuer = Issuer::parse(item).map_err(|e| format!("item {}: {e}", i + 1))?;
        if !issuers.contains(&issuer) {
            issuers.push(issuer);
        }
    }
    Ok(issuers)
}

/// One audience, as `aws sts get-web-identity-token --audience` takes it: printable ASCII
/// without spaces (AWS sets no pattern; a DBA's value is a URI or a name), at most
/// `MAX_AUDIENCE_LEN` characters. Empty: none.
pub fn parse_audience(value: &str) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() > MAX_AUDIENCE_LEN {
        return Err(format!(
            "the JWT audience is {} characters; the limit is {MAX_AUDIENCE_LEN}",
            value.len()
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "the JWT audience {} must be printable ASCII without spaces, such as mysql://db1.example.com",
            shown(value)
        ));
    }
    Ok(Some(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS: &str = "https://7d3a1f0e-3c2b-4d5e-8f90-a1b2c3d4e5f6.tokens.sts.global.api.aws";

    #[test]
    fn issuer_lists() {
        assert_eq!(parse_issuers(" "), Ok(vec![]));
        let two = parse_issuers(&format!("{AWS}, http://127.0.0.1:4599,{AWS}/")).unwrap();
        let urls: Vec<&str> = two.iter().map(Issuer::url).collect();
        assert_eq!(
            urls,
            [AWS, "http://127.0.0.1:4599"],
            "trimmed, repeats dropped"
        );
        let err = parse_issuers(&format!("{AWS},https://example.com")).unwrap_err();
        assert!(
            err.starts_with("item 2: issuer 'https://example.com'"),
            "{err}"
        );
        let many = ["http://127.0.0.1:1"; MAX_ISSUERS + 1].join(",");
        assert_eq!(
            parse_issuers(&many),
            Err(format!("9 issuers given, the limit is {MAX_ISSUERS}"))
        );
        assert!(parse_issuers(&["http://127.0.0.1:1"; MAX_ISSUERS].join(",")).is_ok());
    }

    #[test]
    fn an_issuer_host_must_begin_with_a_real_uuid() {
        // Shaped like one but not one: hex groups of the wrong lengths, or the right lengths
        // with a letter past f. Only AWS's own hosts are trusted without a loopback address.
        for id in [
            "7d3a1f0e3-c2b-4d5e-8f90-a1b2c3d4e5f6",
            "7d3a1f0g-3c2b-4d5e-8f90-a1b2c3d4e5f6",
        ] {
            let e = Issuer::parse(&format!("https://{id}.tokens.sts.global.api.aws")).unwrap_err();
            assert!(e.contains("is not an AWS token issuer"), "{id}: {e}");
        }
        assert!(Issuer::parse(AWS).is_ok());
    }

    #[test]
    fn audiences() {
        assert_eq!(parse_audience(""), Ok(None));
        assert_eq!(
            parse_audience(" mysql://db1.example.com:3306 "),
            Ok(Some("mysql://db1.example.com:3306".into()))
        );
        for bad in ["two words", "tab\there", "caf\u{e9}"] {
            let err = parse_audience(bad).unwrap_err();
            assert!(err.contains("printable ASCII"), "{bad}: {err}");
        }
        assert!(parse_audience(&"a".repeat(MAX_AUDIENCE_LEN)).is_ok());
        assert_eq!(
            parse_audience(&"a".repeat(MAX_AUDIENCE_LEN + 1)),
            Err("the JWT audience is 1001 characters; the limit is 1000".into())
        );
    }
}
