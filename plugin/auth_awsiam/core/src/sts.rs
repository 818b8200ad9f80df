//! Checks that need the settings (all before any network I/O), then the STS call itself
//! and the reading of its answer.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{LazyLock, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use quick_xml::events::Event;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::config::Config;
use crate::error::{Reason, Refusal, refuse};
use crate::identity::{Principal, parse_arn};
use crate::metrics;
use crate::request::{
    AUDIENCE_HEADER, DATE_HEADER, HOST_HEADER, NONCE_HEADER, SERVER_ID_HEADER,
    SESSION_TOKEN_HEADER, TEMPLATE_HEADERS, rebuild,
};
use crate::syntax;
use crate::token::Token;

/// How far in the future a signing time may be (client clock skew).
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(300);
/// Largest STS answer read; a GetCallerIdentity answer is well under 1 KiB.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024;
pub const ACCEPT: &str = "application/xml";
/// The global endpoint, which signs in us-east-1.
pub const GLOBAL_HOST: &str = "sts.amazonaws.com";
pub const GLOBAL_REGION: &str = "us-east-1";
/// Longest STS error code kept for the log detail.
const MAX_ERROR_CODE_LEN: usize = 64;
/// STS error codes that mean "slow down" rather than "broken".
const THROTTLING_CODES: [&str; 5] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
];
const USER_AGENT: &str = concat!("auth_awsiam/", env!("CARGO_PKG_VERSION"));

/// Where a token's request is sent, and what its answer must fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `scheme://authority/`
    pub url: String,
    pub region: String,
    pub partition: String,
}

/// A verified STS answer: who signed the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub arn: String,
    pub user_id: String,
    pub principal: Principal,
}

/// The partition a region belongs to.
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

fn is_isolated(region: &str) -> bool {
    partition_of_region(region).starts_with("aws-iso")
}

/// Region and partition of an official STS host name, if it is one.
pub fn official_host(host: &str) -> Option<(String, &'static str)> {
    if host == GLOBAL_HOST {
        return Some((GLOBAL_REGION.to_string(), "aws"));
    }
    if let Some(region) = host
        .strip_suffix(".amazonaws.com.cn")
        .and_then(|r| r.strip_prefix("sts."))
    {
        return (syntax::is_region(region) && region.starts_with("cn-"))
            .then(|| (region.to_string(), "aws-cn"));
    }
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".api.aws"))?;
    let region = rest
        .strip_prefix("sts.")
        .or_else(|| rest.strip_prefix("sts-fips."))?;
    let ok = syntax::is_region(region) && !region.starts_with("cn-") && !is_isolated(region);
    ok.then(|| (region.to_string(), partition_of_region(region)))
}

/// The official regional host for a region (what clients and the server sign for by
/// default).
pub fn official_host_for_region(region: &str) -> String {
    if region.starts_with("cn-") {
        format!("sts.{region}.amazonaws.com.cn")
    } else {
        format!("sts.{region}.amazonaws.com")
    }
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
        return Err(refuse(
            Reason::HostNotAllowed,
            format!(
                "token is signed for host '{}', which is not an official STS host ({configured})",
                token.host
            ),
        ));
    };
    if token.region() != target.region {
        return Err(refuse(
            Reason::ScopeMismatch,
            format!(
                "token is signed for region '{}' but host '{}' is in region '{}'",
                token.region(),
                token.host,
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
            format!("the token signs header '{extra}', which the server does not send"),
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

fn check_server_id(token: &Token, cfg: &Config) -> Result<(), Refusal> {
    let Some(want) = &cfg.server_id else {
        return Ok(());
    };
    match &token.server_id {
        None => Err(refuse(
            Reason::ServerIdMissing,
            format!(
                "this server requires server id '{want}' and the token carries none (mint it with --server-id {want})"
            ),
        )),
        Some(got) if got != want => Err(refuse(
            Reason::ServerIdMismatch,
            format!("the token is for server id '{got}', this server is '{want}'"),
        )),
        Some(_) => Ok(()),
    }
}

fn check_freshness(token: &Token, cfg: &Config, now: SystemTime) -> Result<(), Refusal> {
    let signed = token.signing_time();
    match now.duration_since(signed) {
        Ok(age) if age > cfg.token_max_age => Err(refuse(
            Reason::TokenExpired,
            format!(
                "the token was signed at {} ({} s ago); the limit is {} s",
                token.amz_date,
                age.as_secs(),
                cfg.token_max_age.as_secs()
            ),
        )),
        Ok(_) => Ok(()),
        Err(ahead) if ahead.duration() > MAX_FUTURE_SKEW => Err(refuse(
            Reason::TokenFromFuture,
            format!(
                "the token was signed at {}, {} s in the future (client clock wrong?)",
                token.amz_date,
                ahead.duration().as_secs()
            ),
        )),
        Err(_) => Ok(()),
    }
}

/// Every check that needs no network I/O, in a fixed order. Returns where to send the
/// request.
pub fn precheck(
    token: &Token,
    cfg: &Config,
    secure_transport: bool,
    now: SystemTime,
) -> Result<Target, Refusal> {
    if cfg.require_secure_transport && !secure_transport {
        return Err(refuse(
            Reason::InsecureTransport,
            "the token was sent over an unencrypted connection; use TLS or a local socket (or set auth_awsiam_require_secure_transport=OFF)",
        ));
    }
    let target = resolve_target(token, cfg)?;
    check_signed_headers(token)?;
    check_server_id(token, cfg)?;
    check_freshness(token, cfg, now)?;
    Ok(target)
}

/// How much of the token's freshness window is left at `now`.
pub fn freshness_left(token: &Token, cfg: &Config, now: SystemTime) -> Duration {
    let expires = token.signing_time() + cfg.token_max_age;
    expires.duration_since(now).unwrap_or(Duration::ZERO)
}

/// Name lookups still running, each in a thread of ours. ureq's own resolver leaves a
/// timed-out lookup's thread behind, detached: it would run plugin code after the plugin
/// stopped (and after mysqld unloaded the library). Ours are joined at plugin stop.
static LOOKUPS: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// ureq's default resolver run in a tracked thread, bounded by the request's timeout.
#[derive(Debug)]
struct JoinedResolver;

impl Resolver for JoinedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        // An IP literal (a loopback endpoint, say) needs no lookup, hence no thread.
        if uri.host().is_some_and(|h| {
            h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok()
        }) {
            return DefaultResolver::default().resolve(uri, config, NextTimeout::default());
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let (uri, config) = (uri.clone(), config.clone());
        let handle = thread::Builder::new()
            .name("auth_awsiam_dns".into())
            .spawn(move || {
                // No timeout here: the lookup runs synchronously in this thread.
                let _ = tx.send(DefaultResolver::default().resolve(
                    &uri,
                    &config,
                    NextTimeout::default(),
                ));
            })?;
        {
            let mut running = LOOKUPS.lock().unwrap_or_else(|e| e.into_inner());
            let (done, still): (Vec<_>, Vec<_>) =
                running.drain(..).partition(JoinHandle::is_finished);
            *running = still;
            running.push(handle);
            drop(running);
            for h in done {
                let _ = h.join();
            }
        }
        match rx.recv_timeout(*timeout.after) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(ureq::Error::Timeout(timeout.reason)),
            Err(RecvTimeoutError::Disconnected) => Err(ureq::Error::HostNotFound),
        }
    }
}

/// Waits for every name lookup still running (plugin stop). Bounded by the system
/// resolver's own timeouts.
pub fn join_lookups() {
    let running = std::mem::take(&mut *LOOKUPS.lock().unwrap_or_else(|e| e.into_inner()));
    for h in running {
        let _ = h.join();
    }
}

/// One shared agent per timeout pair: keeps TLS sessions and connections to STS warm.
static AGENT: LazyLock<Mutex<Option<(Duration, Duration, ureq::Agent)>>> =
    LazyLock::new(|| Mutex::new(None));

fn agent(cfg: &Config) -> ureq::Agent {
    let mut guard = AGENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((c, t, a)) = guard.as_ref()
        && *c == cfg.connect_timeout
        && *t == cfg.sts_timeout
    {
        return a.clone();
    }
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(cfg.connect_timeout))
        .timeout_global(Some(cfg.sts_timeout))
        // A redirect is answered as a response and refused: never follow one.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        // Only STS is ever called, directly: no proxy from the server's environment.
        .proxy(None)
        .accept(ACCEPT)
        .user_agent(USER_AGENT)
        .tls_config(tls)
        .build();
    let agent = ureq::Agent::with_parts(config, DefaultConnector::default(), JoinedResolver);
    *guard = Some((cfg.connect_timeout, cfg.sts_timeout, agent.clone()));
    agent
}

/// Drops the shared agent and its pooled connections (plugin stop).
pub fn reset_agent() {
    *AGENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

fn unreachable(target: &Target, e: &ureq::Error, cfg: &Config) -> Refusal {
    let detail = match e {
        ureq::Error::Timeout(_) => format!(
            "STS at {} did not answer in time (connect timeout {} s, total {} s)",
            target.url,
            cfg.connect_timeout.as_secs(),
            cfg.sts_timeout.as_secs()
        ),
        other => format!("cannot reach STS at {}: {other}", target.url),
    };
    refuse(Reason::StsUnreachable, detail)
}

fn bad_response(target: &Target, what: impl std::fmt::Display) -> Refusal {
    refuse(
        Reason::StsBadResponse,
        format!("STS at {} {what}", target.url),
    )
}

/// Sends the rebuilt request and reads the answer. Counts the exchange.
pub fn call(target: &Target, token: &Token, cfg: &Config) -> Result<Verified, Refusal> {
    metrics::COUNTERS.add_sts_request();
    let started = std::time::Instant::now();
    let result = exchange(target, token, cfg);
    metrics::COUNTERS.add_sts_time(started.elapsed());
    if result.is_err() {
        metrics::COUNTERS.add_sts_error();
    }
    result
}

fn exchange(target: &Target, token: &Token, cfg: &Config) -> Result<Verified, Refusal> {
    let rebuilt = rebuild(token);
    let mut req = agent(cfg).post(&target.url);
    for (name, value) in &rebuilt.headers {
        req = req.header(*name, value.as_str());
    }
    let mut resp = match req.send(rebuilt.body) {
        Ok(r) => r,
        Err(e @ ureq::Error::Protocol(_)) => {
            return Err(bad_response(
                target,
                format_args!("answered something that is not HTTP: {e}"),
            ));
        }
        Err(e) => return Err(unreachable(target, &e, cfg)),
    };
    let status = resp.status().as_u16();
    if (300..400).contains(&status) {
        return Err(bad_response(
            target,
            format_args!("answered with a redirect (HTTP {status}); redirects are not followed"),
        ));
    }
    let body = match resp
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
    {
        Ok(b) => b,
        Err(ureq::Error::BodyExceedsLimit(_)) => {
            return Err(bad_response(
                target,
                format_args!("answered more than {MAX_RESPONSE_BYTES} bytes"),
            ));
        }
        Err(e @ ureq::Error::Timeout(_)) => return Err(unreachable(target, &e, cfg)),
        Err(e) => {
            return Err(bad_response(
                target,
                format_args!("answer could not be read: {e}"),
            ));
        }
    };
    if status == 200 {
        return verified_from(target, &body);
    }
    Err(error_refusal(target, status, &body))
}

fn error_refusal(target: &Target, status: u16, body: &str) -> Refusal {
    // Only the error code is kept: the message may echo request material.
    let code = parse_error_code(body);
    let shown = code.as_deref().unwrap_or("none");
    let detail = format!(
        "STS at {} answered HTTP {status}, error code {shown}",
        target.url
    );
    let throttled = status == 429
        || code
            .as_deref()
            .is_some_and(|c| THROTTLING_CODES.contains(&c));
    let reason = if throttled {
        Reason::StsThrottled
    } else if status >= 500 || code.as_deref() == Some("ServiceUnavailable") {
        Reason::StsUnreachable
    } else if (400..500).contains(&status) {
        Reason::StsRejected
    } else {
        Reason::StsBadResponse
    };
    refuse(reason, detail)
}

fn verified_from(target: &Target, body: &str) -> Result<Verified, Refusal> {
    const RESULT: [&str; 2] = ["GetCallerIdentityResponse", "GetCallerIdentityResult"];
    let fields = parse_xml(body, &RESULT, &["Arn", "UserId", "Account"]).map_err(|why| {
        bad_response(
            target,
            format_args!("answered 200 with an unreadable body ({why})"),
        )
    })?;
    let [arn, user_id, account] = fields;
    let (Some(arn), Some(account)) = (arn, account) else {
        return Err(bad_response(target, "answered 200 without Arn and Account"));
    };
    let principal = parse_arn(&arn)?;
    if principal.account != account {
        return Err(bad_response(
            target,
            format_args!(
                "answered Account {} which differs from the ARN's account {}",
                sanitize(&account),
                principal.account
            ),
        ));
    }
    if principal.partition != target.partition {
        return Err(bad_response(
            target,
            format_args!(
                "answered an ARN in partition '{}' but the host is in partition '{}'",
                principal.partition, target.partition
            ),
        ));
    }
    Ok(Verified {
        arn,
        user_id: user_id.unwrap_or_default(),
        principal,
    })
}

fn sanitize(s: &str) -> String {
    crate::syntax::quotable(s, MAX_ERROR_CODE_LEN, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')
    })
}

/// The error code of an `ErrorResponse/Error/Code` document, cleaned for the log.
fn parse_error_code(body: &str) -> Option<String> {
    let [code] = parse_xml(body, &["ErrorResponse", "Error"], &["Code"]).ok()?;
    code.filter(|c| !c.is_empty()).map(|c| sanitize(&c))
}

/// Reads the text of the leaf elements `leaves` directly under the element path `parents`
/// (local names, namespaces ignored). A leaf seen twice is an error: an ambiguous answer is
/// not trusted.
fn parse_xml<const N: usize>(
    body: &str,
    parents: &[&str],
    leaves: &[&str; N],
) -> Result<[Option<String>; N], String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut stack: Vec<String> = Vec::new();
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    // Index of the leaf being read, with its raw (still escaped) text.
    let mut current: Option<(usize, String)> = None;
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| format!("XML error: {e}"))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    if saw_root || name != parents[0] {
                        return Err(format!("unexpected root element <{}>", sanitize(&name)));
                    }
                    saw_root = true;
                }
                stack.push(name);
                if stack.len() == parents.len() + 1
                    && stack[..parents.len()] == *parents
                    && let Some(i) = leaves.iter().position(|l| *l == stack[parents.len()])
                {
                    if found[i].is_some() {
                        return Err(format!("element {} repeated", leaves[i]));
                    }
                    current = Some((i, String::new()));
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    return Err("empty root element".into());
                }
                if stack[..] == *parents
                    && let Some(i) = leaves.iter().position(|l| *l == name)
                {
                    if found[i].is_some() {
                        return Err(format!("element {} repeated", leaves[i]));
                    }
                    found[i] = Some(String::new());
                }
            }
            Event::End(_) => {
                if let Some((i, raw)) = current.take() {
                    let text = quick_xml::escape::unescape(&raw)
                        .map_err(|e| format!("bad escape: {e}"))?;
                    found[i] = Some(text.trim().to_string());
                }
                stack.pop();
            }
            Event::Text(t) => {
                if let Some((_, raw)) = current.as_mut() {
                    raw.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, raw)) = current.as_mut() {
                    raw.push('&');
                    raw.push_str(r.as_ref());
                    raw.push(';');
                }
            }
            Event::CData(c) => {
                if let Some((_, raw)) = current.as_mut() {
                    raw.push_str(&quick_xml::escape::escape(c.as_ref()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err("no XML document".into());
    }
    if !stack.is_empty() {
        return Err("truncated XML".into());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_endpoint;
    use crate::identity::Kind;
    use crate::request::{AUTHORIZATION_HEADER, sign};
    use crate::testutil::{error_xml, fake_sts, http, success_xml};
    use crate::token::tests::sample;
    use aws_credential_types::Credentials;
    use std::net::TcpListener;
    use std::time::{Instant, UNIX_EPOCH};

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
    fn name_lookups_are_joined_at_stop() {
        // "localhost" is a name (looked up, from /etc/hosts: no network).
        let uri: ureq::http::Uri = "http://localhost:9/".parse().unwrap();
        let config = ureq::Agent::config_builder().build();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::Exact(Duration::ZERO),
            ..NextTimeout::default()
        };
        // Whether or not the lookup beat the zero timeout, its thread is ours to join.
        let _ = JoinedResolver.resolve(&uri, &config, timeout);
        // Other tests may add lookups of their own meanwhile: follow ours by thread id.
        let ours: Vec<_> = LOOKUPS
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.thread().name() == Some("auth_awsiam_dns"))
            .map(|h| h.thread().id())
            .collect();
        assert!(!ours.is_empty(), "the lookup thread is tracked");
        join_lookups();
        let left = LOOKUPS.lock().unwrap();
        assert!(!left.iter().any(|h| ours.contains(&h.thread().id())));
        drop(left);
        // A lookup that finishes in time answers normally.
        let got = JoinedResolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert!(got.iter().any(|a| a.ip().is_loopback() && a.port() == 9));
        join_lookups();
    }

    #[test]
    fn ip_literals_need_no_lookup_thread() {
        let config = ureq::Agent::config_builder().build();
        for (uri, want) in [
            ("http://127.0.0.1:4566/", "127.0.0.1:4566"),
            ("http://[::1]:4566/", "[::1]:4566"),
        ] {
            let uri: ureq::http::Uri = uri.parse().unwrap();
            let got = JoinedResolver
                .resolve(&uri, &config, NextTimeout::default())
                .unwrap();
            assert_eq!(got[0].to_string(), want);
        }
    }

    #[test]
    fn official_hosts() {
        let cases = [
            ("sts.amazonaws.com", Some(("us-east-1", "aws"))),
            ("sts.eu-west-1.amazonaws.com", Some(("eu-west-1", "aws"))),
            (
                "sts-fips.us-east-2.amazonaws.com",
                Some(("us-east-2", "aws")),
            ),
            (
                "sts.cn-north-1.amazonaws.com.cn",
                Some(("cn-north-1", "aws-cn")),
            ),
            (
                "sts.us-gov-west-1.amazonaws.com",
                Some(("us-gov-west-1", "aws-us-gov")),
            ),
            ("sts.us-east-1.api.aws", Some(("us-east-1", "aws"))),
            ("sts.cn-north-1.amazonaws.com", None),
            ("sts.eu-west-1.amazonaws.com.cn", None),
            ("sts.amazonaws.com:443", None),
            ("sts.evil.com", None),
            ("evil.sts.us-east-1.amazonaws.com", None),
            ("sts.us-east-1.amazonaws.com.evil.com", None),
            ("sts.us-iso-east-1.amazonaws.com", None),
            ("s3.us-east-1.amazonaws.com", None),
        ];
        for (host, want) in cases {
            let got = official_host(host);
            assert_eq!(got.as_ref().map(|(r, p)| (r.as_str(), *p)), want, "{host}");
        }
        assert_eq!(
            official_host_for_region("cn-north-1"),
            "sts.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            official_host_for_region("eu-west-1"),
            "sts.eu-west-1.amazonaws.com"
        );
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
        assert_eq!(
            reason_of(precheck(&t, &cfg(), true, now_of(&t))),
            Reason::HostNotAllowed
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

    #[test]
    fn official_hosts_always_use_https() {
        let t = plain_token("sts.eu-west-1.amazonaws.com", "eu-west-1");
        let target = precheck(&t, &cfg(), true, now_of(&t)).unwrap();
        assert_eq!(target.url, "https://sts.eu-west-1.amazonaws.com/");
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
        // A server without an id accepts a token bound to one (STS checks the signature).
        assert!(precheck(&t2, &cfg(), true, now_of(&t2)).is_ok());
    }

    #[test]
    fn freshness() {
        let t = plain_token("sts.amazonaws.com", "us-east-1");
        let signed = t.signing_time();
        let c = cfg();
        assert!(precheck(&t, &c, true, signed + Duration::from_secs(900)).is_ok());
        assert_eq!(
            reason_of(precheck(&t, &c, true, signed + Duration::from_secs(901))),
            Reason::TokenExpired
        );
        assert!(precheck(&t, &c, true, signed - Duration::from_secs(300)).is_ok());
        assert_eq!(
            reason_of(precheck(&t, &c, true, signed - Duration::from_secs(301))),
            Reason::TokenFromFuture
        );
        assert_eq!(
            freshness_left(&t, &c, signed + Duration::from_secs(100)),
            Duration::from_secs(800)
        );
        assert_eq!(
            freshness_left(&t, &c, signed + Duration::from_secs(1000)),
            Duration::ZERO
        );
    }

    #[test]
    fn xml_success_and_errors() {
        let target = Target {
            url: "https://sts.amazonaws.com/".into(),
            region: "us-east-1".into(),
            partition: "aws".into(),
        };
        let ok = success_xml(
            "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
            "123456789012",
        );
        let v = verified_from(&target, &ok).unwrap();
        assert_eq!(v.principal.account, "123456789012");
        assert_eq!(v.user_id, "AROAEXAMPLE:s1");
        // Entities are resolved.
        let amp = ok.replace("s1</Arn>", "s&#49;</Arn>");
        assert_eq!(verified_from(&target, &amp).unwrap().arn, v.arn);
        let cases = [
            ("", Reason::StsBadResponse),
            ("hello", Reason::StsBadResponse),
            ("<Other/>", Reason::StsBadResponse),
            (
                &ok.replace("<Account>123456789012", "<Account>210987654321"),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace("arn:aws:", "arn:aws-cn:"),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace("</Arn>", "</Arn><Arn>arn:aws:iam::123456789012:root</Arn>"),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace("assumed-role/AppRole/s1", "role/AppRole"),
                Reason::CallerUnsupported,
            ),
            (&ok[..ok.len() - 30], Reason::StsBadResponse),
        ];
        for (body, want) in cases {
            assert_eq!(
                verified_from(&target, body).unwrap_err().reason,
                want,
                "{body}"
            );
        }
        let err = error_xml("SignatureDoesNotMatch", "secret-ish message text");
        let r = error_refusal(&target, 403, &err);
        assert_eq!(r.reason, Reason::StsRejected);
        assert!(r.detail.contains("SignatureDoesNotMatch") && !r.detail.contains("secret-ish"));
        assert_eq!(
            error_refusal(&target, 400, &error_xml("Throttling", "x")).reason,
            Reason::StsThrottled
        );
        assert_eq!(
            error_refusal(&target, 503, &error_xml("ServiceUnavailable", "x")).reason,
            Reason::StsUnreachable
        );
        assert_eq!(
            error_refusal(&target, 500, "garbage").reason,
            Reason::StsUnreachable
        );
        assert_eq!(error_refusal(&target, 429, "").reason, Reason::StsThrottled);
        assert_eq!(
            error_refusal(&target, 404, "<html>").reason,
            Reason::StsRejected
        );
        assert_eq!(
            error_refusal(&target, 204, "").reason,
            Reason::StsBadResponse
        );
        let odd = error_xml("Bad<Code>&amp;\"x", "m");
        assert!(!error_refusal(&target, 400, &odd).detail.contains('"'));
    }

    fn creds() -> Credentials {
        Credentials::new(
            "123456789012",
            "secretsecret",
            Some("c2Vzc2lvbg==".into()),
            None,
            "test",
        )
    }

    fn setup(addr: &str) -> (Config, Token, Target) {
        let mut c = cfg();
        c.endpoint = parse_endpoint(&format!("http://{addr}")).unwrap();
        c.sts_timeout = Duration::from_secs(1);
        c.connect_timeout = Duration::from_secs(1);
        c.server_id = Some("db1".into());
        let t = sign(addr, "us-east-1", Some("db1"), &creds(), SystemTime::now()).unwrap();
        let target = precheck(&t, &c, true, SystemTime::now()).unwrap();
        (c, t, target)
    }

    #[test]
    fn sends_exactly_the_template_and_reads_the_answer() {
        let (addr, handle) = fake_sts(1, |_| {
            Some(http(
                "200 OK",
                &success_xml(
                    "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
                    "123456789012",
                ),
            ))
        });
        let (c, t, target) = setup(&addr);
        let v = call(&target, &t, &c).unwrap();
        assert_eq!(
            v.principal.kind,
            Kind::AssumedRole {
                role: "AppRole".into(),
                session: "s1".into()
            }
        );
        let seen = handle.join().unwrap();
        let r = &seen[0];
        assert_eq!(r.request_line, "POST / HTTP/1.1");
        assert_eq!(r.body, crate::request::BODY);
        let get = |n: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("host").as_deref(), Some(addr.as_str()));
        assert_eq!(get("accept").as_deref(), Some(ACCEPT));
        assert_eq!(
            get("content-type").as_deref(),
            Some(crate::request::CONTENT_TYPE)
        );
        assert_eq!(
            get(AUTHORIZATION_HEADER),
            Some(crate::request::authorization(&t))
        );
        assert_eq!(get(SERVER_ID_HEADER).as_deref(), Some("db1"));
        assert_eq!(get(SESSION_TOKEN_HEADER).as_deref(), Some("c2Vzc2lvbg=="));
        // Recompute the signature from what arrived on the wire, as STS would.
        let identity: aws_smithy_runtime_api::client::identity::Identity = creds().into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("sts")
            .time(t.signing_time())
            .settings(aws_sigv4::http_request::SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signed: Vec<(&str, &str)> = t
            .signed_header_names()
            .map(|n| {
                (
                    n,
                    r.headers
                        .iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.as_str())
                        .unwrap(),
                )
            })
            .collect();
        let req = aws_sigv4::http_request::SignableRequest::new(
            "POST",
            format!("http://{addr}/"),
            signed.into_iter(),
            aws_sigv4::http_request::SignableBody::Bytes(r.body.as_bytes()),
        )
        .unwrap();
        let (_, sig) = aws_sigv4::http_request::sign(req, &params)
            .unwrap()
            .into_parts();
        assert_eq!(sig, t.signature);
    }

    #[test]
    fn hang_times_out() {
        let (addr, handle) = fake_sts(1, |_| None);
        let (c, t, target) = setup(&addr);
        let started = Instant::now();
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsUnreachable, "{e}");
        assert!(e.detail.contains("did not answer in time"), "{}", e.detail);
        assert!(started.elapsed() < Duration::from_millis(2500));
        handle.join().unwrap();
    }

    #[test]
    fn garbage_is_a_bad_response() {
        let (addr, handle) = fake_sts(1, |_| Some(b"this is not http\r\n\r\n".to_vec()));
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsBadResponse, "{e}");
        handle.join().unwrap();
    }

    #[test]
    fn garbage_body_with_200() {
        let (addr, handle) = fake_sts(1, |_| Some(http("200 OK", "<html>hello</html>")));
        let (c, t, target) = setup(&addr);
        assert_eq!(
            call(&target, &t, &c).unwrap_err().reason,
            Reason::StsBadResponse
        );
        handle.join().unwrap();
    }

    #[test]
    fn redirect_is_not_followed() {
        let (addr, handle) = fake_sts(1, |_| {
            Some(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec())
        });
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsBadResponse);
        assert!(e.detail.contains("redirect"), "{}", e.detail);
        assert_eq!(handle.join().unwrap().len(), 1);
    }

    #[test]
    fn oversized_body_is_refused() {
        let (addr, handle) = fake_sts(1, |_| {
            let big = format!(
                "<GetCallerIdentityResponse>{}</GetCallerIdentityResponse>",
                " ".repeat(100 * 1024)
            );
            Some(http("200 OK", &big))
        });
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsBadResponse);
        assert!(e.detail.contains("more than 65536 bytes"), "{}", e.detail);
        handle.join().unwrap();
    }

    #[test]
    fn error_xml_is_rejected_with_its_code_only() {
        let (addr, handle) = fake_sts(1, |_| {
            Some(http(
                "403 Forbidden",
                &error_xml(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match",
                ),
            ))
        });
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsRejected);
        assert!(e.detail.contains("SignatureDoesNotMatch"));
        assert!(!e.detail.contains("calculated"));
        handle.join().unwrap();
    }

    #[test]
    fn connection_refused_is_unreachable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let (c, t, target) = setup(&addr);
        assert_eq!(
            call(&target, &t, &c).unwrap_err().reason,
            Reason::StsUnreachable
        );
    }

    #[test]
    fn counts_requests_and_errors() {
        let before = metrics::COUNTERS.snapshot();
        let (addr, handle) = fake_sts(1, |_| Some(http("500 Internal Server Error", "")));
        let (c, t, target) = setup(&addr);
        assert_eq!(
            call(&target, &t, &c).unwrap_err().reason,
            Reason::StsUnreachable
        );
        handle.join().unwrap();
        let after = metrics::COUNTERS.snapshot();
        assert!(after.sts_requests > before.sts_requests);
        assert!(after.sts_errors > before.sts_errors);
    }

    #[test]
    fn signing_time_is_checked_before_io() {
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
