//! The checks that need the settings, all before any network I/O, in a fixed order:
//! transport, target (host allowlist and region scope), signed headers, server ID,
//! freshness. What passes yields the `Target` the exchange sends to.

use std::time::SystemTime;

use super::freshness;
use super::hosts::{official_host, partition_of_region, unknown_region_of};
use crate::config::Config;
use crate::error::{Reason, Refusal, refuse};
use crate::request::{
    AUDIENCE_HEADER, CHANNEL_HEADER, DATE_HEADER, HOST_HEADER, NONCE_HEADER, SERVER_ID_HEADER,
    SESSION_TOKEN_HEADER, TEMPLATE_HEADERS,
};
use crate::syntax::shown;
use crate::token::Token;

/// Where a token's request is sent, and what its answer must fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `scheme://authority/`
    pub url: String,
    pub region: String,
    pub partition: String,
}

/// Host allowlist and region scope: where the request may go.
pub fn resolve_target(token: &Token, cfg: &Config) -> Result<Target, Refusal> {
    let target = if let Some((region, partition)) = official_host(&token.host) {
        // Official hosts are always called over https, whatever else is configured.
        Target {
            url: format!("https://{}/", token.host),
            region,
            partition: partition.to_string(),
        }
    } else if let Some(ep) = cfg
        .endpoint
        .as_ref()
        .filter(|ep| ep.authority == token.host)
    {
        let region = cfg.effective_region().to_string();
        Target {
            url: ep.url(),
            partition: partition_of_region(&region).to_string(),
            region,
        }
    } else {
        let configured = match &cfg.endpoint {
            Some(ep) => format!("the configured endpoint is '{}'", ep.authority),
            None => "no endpoint is configured".to_string(),
        };
        let why = match unknown_region_of(&token.host) {
            Some(region) => format!(
                "names region {}, which this build does not know as an AWS region (set auth_awsiam_sts_endpoint to reach a newer region)",
                shown(region)
            ),
            None => "is not an official STS host".to_string(),
        };
        return Err(refuse(
            Reason::HostNotAllowed,
            format!(
                "token is signed for host {}, which {why} ({configured})",
                shown(&token.host)
            ),
        ));
    };
    if token.region() != target.region {
        return Err(refuse(
            Reason::ScopeMismatch,
            format!(
                "token is signed for region {} but host {} is in region '{}'",
                shown(token.region()),
                shown(&token.host),
                target.region
            ),
        ));
    }
    Ok(target)
}

fn check_signed_headers(token: &Token) -> Result<(), Refusal> {
    let names: Vec<&str> = token.signed_header_names().collect();
    let signs = |h: &str| names.contains(&h);
    for required in [HOST_HEADER, DATE_HEADER] {
        if !signs(required) {
            return Err(refuse(
                Reason::HeaderNotSigned,
                format!("the token does not sign the {required} header"),
            ));
        }
    }
    if let Some(extra) = names.iter().find(|n| !TEMPLATE_HEADERS.contains(n)) {
        return Err(refuse(
            Reason::HeaderNotSupported,
            format!(
                "the token signs header {}, which the server does not send",
                shown(extra)
            ),
        ));
    }
    for (header, carried, what) in [
        (
            SESSION_TOKEN_HEADER,
            token.session_token.is_some(),
            "a session token",
        ),
        (SERVER_ID_HEADER, token.server_id.is_some(), "a server id"),
        (NONCE_HEADER, token.binding.is_some(), "a challenge nonce"),
        (AUDIENCE_HEADER, token.binding.is_some(), "an audience"),
        (
            CHANNEL_HEADER,
            token.binding.as_ref().is_some_and(|b| b.channel.is_some()),
            "a channel binding",
        ),
    ] {
        match (carried, signs(header)) {
            (true, false) => {
                return Err(refuse(
                    Reason::HeaderNotSigned,
                    format!("the token carries {what} but does not sign {header}"),
                ));
            }
            (false, true) => {
                return Err(refuse(
                    Reason::TokenField,
                    format!("the token signs {header} but carries no {what}"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A token bound to a server ID is good on that server only: a server with another ID, or
/// with none, refuses it. (Accepting it on a server without an ID would let a token minted
/// for db1 be replayed against every server that left the ID unset.)
fn check_server_id(token: &Token, cfg: &Config) -> Result<(), Refusal> {
    match (&cfg.server_id, &token.server_id) {
        (None, None) => Ok(()),
        (Some(want), Some(got)) if got == want => Ok(()),
        (Some(want), None) => Err(refuse(
            Reason::ServerIdMissing,
            format!(
                "this server requires server id '{want}' and the token carries none (mint it with --server-id {want})"
            ),
        )),
        (Some(want), Some(got)) => Err(refuse(
            Reason::ServerIdMismatch,
            format!(
                "the token is for server id {}, this server is '{want}'",
                shown(got)
            ),
        )),
        (None, Some(got)) => Err(refuse(
            Reason::ServerIdMismatch,
            format!(
                "the token is for server id {}, this server has none (auth_awsiam_server_id is empty; mint tokens without --server-id, or set it)",
                shown(got)
            ),
        )),
    }
}

/// A credential (a token or a JWT) that arrived in clear text is refused unless the DBA
/// allowed it: whoever saw it may use it until it expires.
pub fn check_transport(cfg: &Config, secure_transport: bool) -> Result<(), Refusal> {
    if cfg.require_secure_transport && !secure_transport {
        return Err(refuse(
            Reason::InsecureTransport,
            "the token was sent over an unencrypted connection; use TLS or a local socket (or set auth_awsiam_require_secure_transport=OFF)",
        ));
    }
    Ok(())
}

/// Every check that needs no network I/O, in a fixed order. Returns where to send the
/// request.
pub fn precheck(
    token: &Token,
    cfg: &Config,
    secure_transport: bool,
    now: SystemTime,
) -> Result<Target, Refusal> {
    check_transport(cfg, secure_transport)?;
    let target = resolve_target(token, cfg)?;
    check_signed_headers(token)?;
    check_server_id(token, cfg)?;
    freshness::check(token, cfg, now)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_endpoint;
    use crate::request::sign;
    use crate::token::tests::sample;
    use aws_credential_types::Credentials;
    use std::time::{Duration, UNIX_EPOCH};

    fn cfg() -> Config {
        Config::default()
    }

    fn now_of(t: &Token) -> SystemTime {
        t.signing_time() + Duration::from_secs(10)
    }

    fn reason_of(r: Result<Target, Refusal>) -> Reason {
        r.unwrap_err().reason
    }

    fn plain_token(host: &str, region: &str) -> Token {
        let mut t = sample();
        t.host = host.into();
        t.credential = format!("AKIDEXAMPLE/20260102/{region}/sts/aws4_request");
        t.signed_headers = "content-type;host;x-amz-date".into();
        t.server_id = None;
        t.session_token = None;
        t
    }

    #[test]
    fn insecure_transport() {
        let t = plain_token("sts.us-east-1.amazonaws.com", "us-east-1");
        assert_eq!(
            reason_of(precheck(&t, &cfg(), false, now_of(&t))),
            Reason::InsecureTransport
        );
        let mut c = cfg();
        c.require_secure_transport = false;
        assert!(precheck(&t, &c, false, now_of(&t)).is_ok());
    }

    #[test]
    fn host_not_allowed() {
        let t = plain_token("127.0.0.1:4566", "us-east-1");
        let e = precheck(&t, &cfg(), true, now_of(&t)).unwrap_err();
        assert_eq!(e.reason, Reason::HostNotAllowed);
        assert!(
            e.detail.contains("signed for host '127.0.0.1:4566'")
                && e.detail.contains("no endpoint is configured"),
            "{}",
            e.detail
        );
        let mut c = cfg();
        c.endpoint = parse_endpoint("http://127.0.0.1:4567").unwrap();
        assert_eq!(
            reason_of(precheck(&t, &c, true, now_of(&t))),
            Reason::HostNotAllowed
        );
        c.endpoint = parse_endpoint("http://127.0.0.1:4566").unwrap();
        let target = precheck(&t, &c, true, now_of(&t)).unwrap();
        assert_eq!(target.url, "http://127.0.0.1:4566/");
        assert_eq!(target.partition, "aws");
    }

    /// A configured endpoint serves the configured region, in that region's partition: the
    /// answer's ARN is held to it (a GovCloud endpoint answering an aws ARN is refused).
    #[test]
    fn configured_endpoint_takes_the_partition_of_its_region() {
        let mut c = cfg();
        c.endpoint = parse_endpoint("https://sts.example.internal").unwrap();
        for (region, partition) in [
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
        ] {
            c.region = region.into();
            let t = plain_token("sts.example.internal", region);
            let target = precheck(&t, &c, true, now_of(&t)).unwrap();
            assert_eq!(target.partition, partition, "{region}");
            assert_eq!(target.region, region);
            assert_eq!(target.url, "https://sts.example.internal/");
        }
    }

    #[test]
    fn made_up_regions_are_not_official() {
        let t = plain_token("sts.zz-fake-9.amazonaws.com", "zz-fake-9");
        let e = precheck(&t, &cfg(), true, now_of(&t)).unwrap_err();
        assert_eq!(e.reason, Reason::HostNotAllowed);
        assert!(e.detail.contains("does not know"), "{}", e.detail);
        // Unless it is the configured endpoint.
        let mut c = cfg();
        c.endpoint = parse_endpoint("https://sts.zz-fake-9.amazonaws.com").unwrap();
        c.region = "zz-fake-9".into();
        assert!(precheck(&t, &c, true, now_of(&t)).is_ok());
    }

    #[test]
    fn official_hosts_always_use_https() {
        let t = plain_token("sts.eu-west-1.amazonaws.com", "eu-west-1");
        let target = precheck(&t, &cfg(), true, now_of(&t)).unwrap();
        assert_eq!(target.url, "https://sts.eu-west-1.amazonaws.com/");
        // Whatever endpoint is configured, and in whatever region.
        let mut c = cfg();
        c.endpoint = parse_endpoint("http://127.0.0.1:4566").unwrap();
        c.region = "us-west-2".into();
        let target = precheck(&t, &c, true, now_of(&t)).unwrap();
        assert_eq!(target.url, "https://sts.eu-west-1.amazonaws.com/");
        assert_eq!(
            (target.region.as_str(), target.partition.as_str()),
            ("eu-west-1", "aws")
        );
    }

    #[test]
    fn scope_mismatch() {
        let t = plain_token("sts.eu-west-1.amazonaws.com", "us-east-1");
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::ScopeMismatch
        );
        let t = plain_token("sts.amazonaws.com", "eu-west-1");
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::ScopeMismatch
        );
        // Configured endpoint: the configured (or default) region.
        let mut c = cfg();
        c.endpoint = parse_endpoint("http://127.0.0.1:4566").unwrap();
        let t = plain_token("127.0.0.1:4566", "eu-west-1");
        assert_eq!(
            reason_of(precheck(&t, &c, true, now_of(&t))),
            Reason::ScopeMismatch
        );
        c.region = "eu-west-1".into();
        assert!(precheck(&t, &c, true, now_of(&t)).is_ok());
    }

    #[test]
    fn header_not_signed() {
        let mut t = plain_token("sts.amazonaws.com", "us-east-1");
        t.signed_headers = "content-type;x-amz-date".into();
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::HeaderNotSigned
        );
        t.signed_headers = "content-type;host".into();
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::HeaderNotSigned
        );
        let mut t = plain_token("sts.amazonaws.com", "us-east-1");
        t.session_token = Some("abc".into());
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::HeaderNotSigned
        );
        let mut t = plain_token("sts.amazonaws.com", "us-east-1");
        t.server_id = Some("db1".into());
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::HeaderNotSigned
        );
        let mut t = plain_token("sts.amazonaws.com", "us-east-1");
        t.signed_headers = "content-type;host;x-amz-date;x-amz-security-token".into();
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::TokenField
        );
    }

    #[test]
    fn header_not_supported() {
        let mut t = plain_token("sts.amazonaws.com", "us-east-1");
        t.signed_headers = "content-type;host;x-amz-date;x-forwarded-for".into();
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::HeaderNotSupported
        );
    }

    #[test]
    fn server_id_rules() {
        let mut c = cfg();
        c.server_id = Some("db1".into());
        let t = plain_token("sts.amazonaws.com", "us-east-1");
        assert_eq!(
            reason_of(precheck(&t, &c, true, now_of(&t))),
            Reason::ServerIdMissing
        );
        let mut t2 = t.clone();
        t2.server_id = Some("db2".into());
        t2.signed_headers = "content-type;host;x-amz-date;x-auth-awsiam-server-id".into();
        assert_eq!(
            reason_of(precheck(&t2, &c, true, now_of(&t2))),
            Reason::ServerIdMismatch
        );
        t2.server_id = Some("db1".into());
        assert!(precheck(&t2, &c, true, now_of(&t2)).is_ok());
        // A server without an id refuses a token bound to one: it is not for this server.
        let e = precheck(&t2, &cfg(), true, now_of(&t2)).unwrap_err();
        assert_eq!(e.reason, Reason::ServerIdMismatch);
        assert!(e.detail.contains("this server has none"), "{}", e.detail);
    }

    #[test]
    fn freshness() {
        let mut t = plain_token("sts.amazonaws.com", "us-east-1");
        t.signature = "f1".repeat(32);
        let signed = t.signing_time();
        let c = cfg();
        assert!(precheck(&t, &c, true, signed + Duration::from_secs(900)).is_ok());
        assert_eq!(
            reason_of(precheck(&t, &c, true, signed + Duration::from_secs(901))),
            Reason::TokenExpired
        );
        assert_eq!(
            reason_of(precheck(&t, &c, true, signed - Duration::from_secs(301))),
            Reason::TokenFromFuture
        );
        // The skew limit itself is allowed, and nothing is remembered before STS verified
        // the token (the first verification of a future-dated token is remembered by
        // `freshness::verified`, after STS).
        assert!(precheck(&t, &c, true, signed - Duration::from_secs(300)).is_ok());
        assert!(!freshness::remembers(&t));
    }

    #[test]
    fn signing_time_is_checked_before_io() {
        let creds = || Credentials::new("AKIDEXAMPLE", "secretsecret", None, None, "test");
        // An expired token never reaches the network: the endpoint is a closed port.
        let mut c = cfg();
        c.endpoint = parse_endpoint("http://127.0.0.1:9").unwrap();
        let t = sign(
            "127.0.0.1:9",
            "us-east-1",
            None,
            &creds(),
            UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
        .unwrap();
        assert_eq!(
            reason_of(precheck(&t, &c, true, SystemTime::now())),
            Reason::TokenExpired
        );
    }
}
