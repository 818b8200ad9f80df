//! One auth_awsiam_challenge login, start to end: the transport check and a fresh
//! challenge offering the kinds of answer configured; then the answer, of a kind offered,
//! checked against that challenge and this connection (time, nonce, audience, TLS
//! channel) and verified as its kind is: a `sigv4` answer as an auth_awsiam token
//! (`auth::verify_token`: STS, policy), a `jwt` answer by its issuer's signature first (its
//! binding is in its signed request tags), then the policy (`auth::admit`), with no STS
//! call; then one log line and the counters.
//!
//! The nonce lives only in this connection's challenge, so an answer is good for this
//! connection alone: no replay cache is needed, and none is kept. No answer is cached.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::{self as challenge, AnswerKind, Challenge};
use crate::abi::c_struct;
use crate::auth::{self, Admitted, Denied, Login, Seen, ServerAccounts};
use crate::challenge::answer::{self, Answer};
use crate::challenge::audience;
use crate::challenge::tags;
use crate::channel;
use crate::config::{self, Config};
use crate::error::{Reason, Refusal, refuse};
use crate::jwt;
use crate::metrics::COUNTERS as CORE_COUNTERS;
use crate::server_identity;
use crate::sts;
use crate::token::Binding;

c_struct! {
    /// Counters behind the `Auth_awsiam_challenge_*` status variables (`struct
    /// awsiam_challenge_counters`). Refusal reasons are counted with auth_awsiam's.
    #[derive(Debug, Default)]
    pub struct Counters = "awsiam_challenge_counters" {
        pub issued: AtomicU64,
        pub successes: AtomicU64,
        pub failures: AtomicU64,
    }
}

pub static COUNTERS: Counters = Counters {
    issued: AtomicU64::new(0),
    successes: AtomicU64::new(0),
    failures: AtomicU64::new(0),
};

/// Challenge plugin start: its counters afresh (its settings are auth_awsiam's, which the
/// shim applies next). Fails while auth_awsiam, which holds the settings and the log sink,
/// is not running.
pub fn init() -> Result<(), String> {
    if !crate::plugin::is_running() {
        return Err(NOT_RUNNING.into());
    }
    for c in [&COUNTERS.issued, &COUNTERS.successes, &COUNTERS.failures] {
        c.store(0, Ordering::Relaxed);
    }
    Ok(())
}

/// Why the challenge plugin cannot work, for the shim to log with its own handle.
pub const NOT_RUNNING: &str = "auth_awsiam_challenge needs the auth_awsiam plugin of the same library, which holds the settings: INSTALL PLUGIN auth_awsiam SONAME 'auth_awsiam.so'";

/// Monotonic microseconds of this process, for the issue time the shim keeps.
pub fn clock_us() -> u64 {
    static BASE: LazyLock<Instant> = LazyLock::new(Instant::now);
    u64::try_from(BASE.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The challenge for one connection, after the transport check: the token must not travel
/// in clear when auth_awsiam_require_secure_transport is ON, so no challenge is sent then.
pub fn issue(login: &Login, cfg: &Config) -> Result<Challenge, Refusal> {
    if cfg.require_secure_transport && !login.secure_transport {
        return Err(refuse(
            Reason::InsecureTransport,
            "the connection is neither TLS nor local, so no challenge was sent; connect with TLS (or set auth_awsiam_require_secure_transport=OFF)",
        ));
    }
    let jwt_audience = jwt_offer(cfg)?;
    let nonce = challenge::new_nonce().map_err(|e| refuse(Reason::Internal, e))?;
    let region = cfg.effective_region().to_string();
    let sts_host = match &cfg.endpoint {
        Some(ep) => ep.authority.clone(),
        None => sts::hosts::official_host_for_region(&region),
    };
    Ok(Challenge {
        nonce,
        sts_host,
        region,
        server_id: cfg.server_id.clone(),
        timeout: cfg.challenge.timeout,
        answers: cfg.challenge.answers.clone(),
        jwt_audience,
    })
}

/// The audience a `jwt` answer must be minted for, when the server offers that kind. A
/// server that offers it without the settings that verify it refuses every challenge at
/// once, and the log line names what to set: offering the other kinds alone would hide the
/// mistake until the day the DBA removes them.
fn jwt_offer(cfg: &Config) -> Result<Option<String>, Refusal> {
    if !cfg.challenge.answers.contains(&AnswerKind::Jwt) {
        return Ok(None);
    }
    let offered = format!(
        "auth_awsiam_challenge_answers offers jwt answers ('{}')",
        challenge::names(&cfg.challenge.answers)
    );
    if cfg.jwt_issuers.is_empty() {
        return Err(refuse(
            Reason::JwtIssuer,
            format!(
                "{offered}, but no issuer is trusted: set auth_awsiam_jwt_issuers to the callers' account issuers (or take jwt out of auth_awsiam_challenge_answers)"
            ),
        ));
    }
    let Some(audience) = &cfg.jwt_audience else {
        return Err(refuse(
            Reason::JwtAudience,
            format!(
                "{offered}, but this server has no JWT audience: set auth_awsiam_jwt_audience (or take jwt out of auth_awsiam_challenge_answers)"
            ),
        ));
    };
    if !challenge::is_jwt_audience(audience) {
        return Err(refuse(
            Reason::JwtAudience,
            format!(
                "{offered}, but a challenge carries a JWT audience of at most {} characters without commas, and auth_awsiam_jwt_audience has {}: choose a shorter one",
                challenge::MAX_JWT_AUDIENCE_LEN,
                audience.len()
            ),
        ));
    }
    Ok(Some(audience.clone()))
}

/// What the server knows about the answer besides the login.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The challenge this connection sent.
    pub issued: &'a Challenge,
    /// Time from sending the challenge to receiving the answer.
    pub waited: Duration,
    /// The address and port the connection reached; `None` over a local socket.
    pub local: Option<SocketAddr>,
    pub host_name: Option<&'a str>,
    /// The channel binding value of this connection (`channel.rs`): the hash of this
    /// server's TLS certificate; `None` when the connection is not TLS.
    pub channel: Option<&'a str>,
    /// Where the keys of `jwt` answers come from: the issuers' key cache (a fixed set in
    /// tests).
    pub keys: &'a dyn jwt::KeySource,
}

/// The decision alone: no logging, no outcome counters. `login.token` is the answer.
pub fn verify(
    login: &Login,
    ctx: &Context,
    cfg: &Config,
    now: SystemTime,
    server: ServerAccounts,
) -> Result<Admitted, Denied> {
    let deny = |r: Refusal| (r, Seen::Nothing);
    let raw = login.token.ok_or_else(|| {
        deny(refuse(
            Reason::NoAnswer,
            "the client sent no answer to the challenge: it lacks the auth_awsiam_client plugin or AWS credentials (the client's error says which)",
        ))
    })?;
    if ctx.waited > ctx.issued.timeout {
        return Err(deny(refuse(
            Reason::ChallengeExpired,
            format!(
                "the answer came {} ms after the challenge; the limit is {} s (auth_awsiam_challenge_timeout)",
                ctx.waited.as_millis(),
                ctx.issued.timeout.as_secs()
            ),
        )));
    }
    let answer = answer::decode(raw).map_err(deny)?;
    // The kinds this connection's challenge offered (a change of the setting since then
    // does not reach this login).
    if !ctx.issued.answers.contains(&answer.kind()) {
        return Err(deny(refuse(
            Reason::TokenVersion,
            format!(
                "the answer is of kind {}, but this connection's challenge offered {} (auth_awsiam_challenge_answers)",
                answer.kind().name(),
                challenge::names(&ctx.issued.answers)
            ),
        )));
    }
    match answer {
        Answer::SigV4(token) => {
            let Some(binding) = token.binding.as_ref() else {
                return Err(deny(refuse(
                    Reason::Internal,
                    "a decoded answer without binding",
                )));
            };
            check_binding(binding, ctx, cfg).map_err(deny)?;
            // One answer, one login: caching it would only keep memory busy.
            auth::verify_token(login, &token, cfg, now, server, None)
        }
        Answer::Jwt(jwt) => verify_jwt(login, &jwt, ctx, cfg, now, server),
    }
}

/// The nonce, the audience and (when required) the channel an answer is bound to, against
/// this connection's. Decided before any network I/O.
fn check_binding(binding: &Binding, ctx: &Context, cfg: &Config) -> Result<(), Refusal> {
    if binding.nonce != ctx.issued.nonce {
        return Err(refuse(Reason::ChallengeMismatch, FOREIGN_NONCE));
    }
    audience::check(
        &cfg.challenge.audiences,
        &binding.audience,
        ctx.local,
        ctx.host_name,
    )
    .map_err(|d| refuse(Reason::AudienceMismatch, d))?;
    if cfg.challenge.channel_binding {
        check_channel(binding.channel.as_deref(), ctx.channel)?;
    }
    Ok(())
}

/// Why an answer with another nonce is refused, whatever its kind.
const FOREIGN_NONCE: &str = "the answer is signed for another challenge than this connection's (a replayed or relayed answer)";

/// A `jwt` answer: the issuer's signature and the JWT checks first (nothing in the token
/// is believed before), then its binding from its request tags, exactly as a `sigv4`
/// answer's (same reasons), then the policy. No STS call: the issuer's keys are cached.
fn verify_jwt(
    login: &Login,
    raw: &str,
    ctx: &Context,
    cfg: &Config,
    now: SystemTime,
    server: ServerAccounts,
) -> Result<Admitted, Denied> {
    let verified = jwt::verify(raw.as_bytes(), &auth::jwt_settings(cfg), ctx.keys, now)
        .map_err(|r| (r, Seen::Nothing))?;
    CORE_COUNTERS.add_jwt_verified();
    let seen = |r| (r, Seen::Caller(Box::new(verified.caller.clone())));
    let bound = tags::read(&verified.claims.request_tags);
    // A token without this challenge's nonce was minted for another connection, or for
    // none: the same refusal as a sigv4 answer with a foreign nonce.
    let nonce = bound
        .nonce
        .map_err(|d| seen(refuse(Reason::ChallengeMismatch, d)))?;
    let audience = bound
        .audience
        .map_err(|d| seen(refuse(Reason::AudienceMismatch, d)))?;
    let binding = Binding {
        nonce,
        audience,
        channel: bound.channel,
    };
    check_binding(&binding, ctx, cfg).map_err(seen)?;
    auth::admit(login, verified.caller, None, cfg, server)
}

/// The answer's channel against this connection's: equal, or the client reached this server
/// through something that is not this server.
fn check_channel(signed: Option<&str>, ours: Option<&str>) -> Result<(), Refusal> {
    let detail = match (signed, ours) {
        (a, b) if a == b => return Ok(()),
        (None, Some(_)) => {
            "the answer is not bound to a TLS channel, but this connection is TLS: the client saw no TLS on its side (a relay in between), or its auth_awsiam_client is of another release"
        }
        (Some(_), None) => {
            "the answer is bound to a TLS channel, but this connection is not TLS: it came through a relay that terminated the client's TLS"
        }
        _ => {
            "the answer is bound to another TLS certificate than this server's: the client reached this server through a relay that showed its own certificate (or this server's certificate was replaced during the login)"
        }
    };
    Err(refuse(
        Reason::ChannelBinding,
        format!(
            "{detail}; behind a router that terminates TLS itself, see auth_awsiam_challenge_channel_binding"
        ),
    ))
}

/// This connection as the shim sees it.
#[derive(Clone, Copy, Debug)]
pub struct Connection<'a> {
    /// The address and port a TCP connection reached; `None` over a local socket.
    pub local: Option<SocketAddr>,
    /// The server certificate (DER) of a TLS connection; `None` when not TLS.
    pub tls_certificate: Option<&'a [u8]>,
}

/// Issues a challenge with the settings in force; a refusal is logged and counted.
pub fn issue_now(login: &Login) -> Result<Challenge, Refusal> {
    let result = issue(login, &config::current());
    match &result {
        Ok(_) => {
            COUNTERS.issued.fetch_add(1, Ordering::Relaxed);
        }
        Err(r) => report(login, &Err((r.clone(), Seen::Nothing))),
    }
    result
}

/// Decides one answer with the settings in force, then logs and counts the outcome.
pub fn authenticate(
    login: &Login,
    issued: &Challenge,
    waited: Duration,
    connection: Connection,
) -> Result<Admitted, Refusal> {
    let channel = match connection
        .tls_certificate
        .map(channel::tls_server_end_point)
    {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(e)) => {
            let refusal = refuse(
                Reason::Internal,
                format!("cannot bind the answer to this connection's TLS channel: {e}"),
            );
            return Err(report_refusal(login, refusal));
        }
    };
    let host_name = audience::host_name();
    let ctx = Context {
        issued,
        waited,
        local: connection.local,
        host_name: host_name.as_deref(),
        channel: channel.as_deref(),
        keys: jwt::issuers::cache(),
    };
    let result = verify(
        login,
        &ctx,
        &config::current(),
        SystemTime::now(),
        &server_identity::allowed_accounts,
    );
    report(login, &result);
    result.map_err(|(r, _)| r)
}

/// Counts and logs a refusal decided at the C boundary (no challenge passed, or one that
/// cannot be read), as `auth::report_refusal` does, and in this plugin's failures too: every
/// login it refuses is in `Auth_awsiam_challenge_failures`.
pub fn report_refusal(login: &Login, refusal: Refusal) -> Refusal {
    report(login, &Err((refusal.clone(), Seen::Nothing)));
    refusal
}

/// A panic caught at the C boundary while deciding an answer: a refused login of this
/// plugin (ffi logs it and counts its reason, internal).
pub fn count_panic() {
    COUNTERS.failures.fetch_add(1, Ordering::Relaxed);
}

/// Logged (and counted in the shared counters) first, as `auth::report` does: a panic
/// while logging leaves the count to `count_panic`, once.
fn report(login: &Login, result: &Result<Admitted, Denied>) {
    auth::report(login, result);
    let counter = if result.is_ok() {
        &COUNTERS.successes
    } else {
        &COUNTERS.failures
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    mod jwt_answers;
    use crate::config::{ChallengeSettings, parse_endpoint};
    use crate::policy::{AccountSource, AllowedAccounts};
    use crate::request::sign_bound;
    use crate::testutil::{fake_sts, http, success_xml};
    use crate::token::Binding;
    use aws_credential_types::Credentials;

    const ACCT: &str = "123456789012";
    const ARN: &str = "arn:aws:sts::123456789012:assumed-role/AppRole/s1";

    fn server_is_acct(_: Duration) -> Result<AllowedAccounts, Refusal> {
        Ok(AllowedAccounts {
            accounts: vec![ACCT.into()],
            source: AccountSource::ServerOwn,
        })
    }

    fn login<'a>(answer: Option<&'a [u8]>) -> Login<'a> {
        Login {
            user: "AppRole",
            client_user: "AppRole",
            host: "127.0.0.1",
            auth_string: "",
            token: answer,
            secure_transport: true,
        }
    }

    fn local() -> Option<SocketAddr> {
        Some("127.0.0.1:3306".parse().unwrap())
    }

    /// A config whose endpoint is a fake STS answering `answers` times, and its challenge.
    fn setup(
        answers: usize,
    ) -> (
        Config,
        Challenge,
        std::thread::JoinHandle<Vec<crate::testutil::Received>>,
    ) {
        let (addr, handle) = fake_sts(answers, |_| Some(http("200 OK", &success_xml(ARN, ACCT))));
        let cfg = Config {
            endpoint: parse_endpoint(&format!("http://{addr}")).unwrap(),
            ..Config::default()
        };
        let issued = issue(&login(None), &cfg).unwrap();
        (cfg, issued, handle)
    }

    /// The channel binding value of this test server's TLS certificate.
    const OUR_CHANNEL: &str = "tls-server-end-point:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    /// A relay's.
    const RELAY_CHANNEL: &str = "tls-server-end-point:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA";

    /// What the client plugin sends: signed for the challenge's host, nonce and audience,
    /// over this server's TLS channel.
    fn answer_for(c: &Challenge, nonce: &str, audience: &str) -> Vec<u8> {
        answer_over(c, nonce, audience, Some(OUR_CHANNEL))
    }

    fn answer_over(c: &Challenge, nonce: &str, audience: &str, channel: Option<&str>) -> Vec<u8> {
        let creds = Credentials::new(ACCT, "secret", None, None, "test");
        let binding = Binding {
            nonce: nonce.into(),
            audience: audience.into(),
            channel: channel.map(str::to_string),
        };
        let t = sign_bound(
            &c.sts_host,
            &c.region,
            c.server_id.as_deref(),
            Some(&binding),
            &creds,
            SystemTime::now(),
        )
        .unwrap();
        answer::encode(&t).unwrap().into_bytes()
    }

    fn run(
        cfg: &Config,
        settings: &ChallengeSettings,
        issued: &Challenge,
        answer: Option<&[u8]>,
        waited: Duration,
    ) -> Result<Admitted, Denied> {
        run_over(cfg, settings, issued, answer, waited, Some(OUR_CHANNEL))
    }

    fn run_over(
        cfg: &Config,
        settings: &ChallengeSettings,
        issued: &Challenge,
        answer: Option<&[u8]>,
        waited: Duration,
        channel: Option<&str>,
    ) -> Result<Admitted, Denied> {
        let ctx = Context {
            issued,
            waited,
            local: local(),
            host_name: Some("db-host"),
            channel,
            // Never asked: these answers are sigv4 ones (jwt_answers.rs has its own keys).
            keys: jwt::issuers::cache(),
        };
        let cfg = Config {
            challenge: settings.clone(),
            ..cfg.clone()
        };
        verify(
            &login(answer),
            &ctx,
            &cfg,
            SystemTime::now(),
            &server_is_acct,
        )
    }

    fn reason(r: Result<Admitted, Denied>) -> Reason {
        r.unwrap_err().0.reason
    }

    /// The clock the shim stamps a challenge with, and reads again at the answer: it runs.
    #[test]
    fn the_challenge_clock_counts_microseconds() {
        let start = clock_us();
        std::thread::sleep(Duration::from_millis(3));
        let waited = clock_us() - start;
        assert!((3_000..3_000_000).contains(&waited), "{waited}");
    }

    #[test]
    fn challenge_names_the_configured_endpoint_and_server_id() {
        let cfg = Config {
            endpoint: parse_endpoint("http://127.0.0.1:4566").unwrap(),
            server_id: Some("db1".into()),
            ..Config::default()
        };
        let c = issue(&login(None), &cfg).unwrap();
        assert_eq!(c.sts_host, "127.0.0.1:4566");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.server_id.as_deref(), Some("db1"));
        assert_eq!(c.timeout, config::DEFAULT_CHALLENGE_TIMEOUT);
        assert_eq!(Challenge::decode(&c.encode()).unwrap(), c);
        let official = issue(&login(None), &Config::default()).unwrap();
        assert_eq!(official.sts_host, "sts.us-east-1.amazonaws.com");
        assert_ne!(official.nonce, c.nonce, "a fresh nonce per challenge");
    }

    #[test]
    fn no_challenge_over_an_insecure_connection() {
        let mut l = login(None);
        l.secure_transport = false;
        let r = issue(&l, &Config::default()).unwrap_err();
        assert_eq!(r.reason, Reason::InsecureTransport);
        let cfg = Config {
            require_secure_transport: false,
            ..Config::default()
        };
        assert!(issue(&l, &cfg).is_ok());
    }

    #[test]
    fn a_good_answer_logs_in_through_sts_and_policy() {
        let (cfg, c, handle) = setup(1);
        let a = answer_for(&c, &c.nonce, "127.0.0.1:3306");
        let id = run(
            &cfg,
            &ChallengeSettings::default(),
            &c,
            Some(&a),
            Duration::from_millis(5),
        )
        .unwrap();
        assert_eq!(id.caller.arn, ARN);
        let received = handle.join().unwrap();
        let nonce_sent = received[0]
            .headers
            .iter()
            .any(|(n, v)| n == "x-auth-awsiam-nonce" && *v == c.nonce);
        assert!(nonce_sent, "STS gets the signed nonce header");
    }

    #[test]
    fn refusals_before_io() {
        // No fake STS at all: every one of these must be decided without the network.
        let cfg = Config {
            endpoint: parse_endpoint("http://127.0.0.1:9").unwrap(),
            ..Config::default()
        };
        let s = ChallengeSettings::default();
        let c = issue(&login(None), &cfg).unwrap();
        let quick = Duration::from_millis(5);
        let (r, arn) = run(&cfg, &s, &c, None, quick).unwrap_err();
        assert_eq!(r.reason, Reason::NoAnswer);
        assert!(r.detail.contains("auth_awsiam_client"));
        assert_eq!(arn, Seen::Nothing);

        let good = answer_for(&c, &c.nonce, "127.0.0.1:3306");
        let late = run(
            &cfg,
            &s,
            &c,
            Some(&good),
            c.timeout + Duration::from_millis(1),
        );
        assert_eq!(reason(late), Reason::ChallengeExpired);
        // At the limit exactly the answer is still read (this one then fails at the
        // closed STS port, later than the clock check).
        let on_time = run(&cfg, &s, &c, Some(&good), c.timeout);
        assert_ne!(reason(on_time), Reason::ChallengeExpired);

        assert_eq!(
            reason(run(&cfg, &s, &c, Some(b"hunter2"), quick)),
            Reason::TokenVersion
        );

        // An answer to another connection's challenge: replayed or relayed.
        let other = issue(&login(None), &cfg).unwrap();
        let replayed = answer_for(&other, &other.nonce, "127.0.0.1:3306");
        let (r, _) = run(&cfg, &s, &c, Some(&replayed), quick).unwrap_err();
        assert_eq!(r.reason, Reason::ChallengeMismatch);

        // Signed for the server the client meant to reach, which is not this one.
        let relayed = answer_for(&c, &c.nonce, "evil.example.com:3306");
        let (r, _) = run(&cfg, &s, &c, Some(&relayed), quick).unwrap_err();
        assert_eq!(r.reason, Reason::AudienceMismatch);
        assert!(r.detail.contains("evil.example.com:3306"), "{}", r.detail);

        // A listed name is accepted only when listed.
        let listed = ChallengeSettings {
            audiences: audience::parse("db1.example.com:3306").unwrap(),
            ..ChallengeSettings::default()
        };
        let local_name = answer_for(&c, &c.nonce, "127.0.0.1:3306");
        assert_eq!(
            reason(run(&cfg, &listed, &c, Some(&local_name), quick)),
            Reason::AudienceMismatch
        );

        // The shared local checks of auth_awsiam still apply: here, the host allowlist.
        let mut elsewhere = c.clone();
        elsewhere.sts_host = "sts.example.com".into();
        let a = answer_for(&elsewhere, &c.nonce, "127.0.0.1:3306");
        assert_eq!(
            reason(run(&cfg, &s, &c, Some(&a), quick)),
            Reason::HostNotAllowed
        );
    }

    #[test]
    fn the_answer_must_be_bound_to_this_tls_channel() {
        // No fake STS: a channel refusal is decided before any network I/O.
        let cfg = Config {
            endpoint: parse_endpoint("http://127.0.0.1:9").unwrap(),
            ..Config::default()
        };
        let s = ChallengeSettings::default();
        let c = issue(&login(None), &cfg).unwrap();
        let quick = Duration::from_millis(5);
        let cases = [
            // Through a relay that showed the client its own certificate.
            (
                Some(RELAY_CHANNEL),
                Some(OUR_CHANNEL),
                "another TLS certificate",
            ),
            // A relay that spoke TLS to the client and plain (or a socket) to us.
            (Some(OUR_CHANNEL), None, "this connection is not TLS"),
            // A client that saw no TLS, while this connection is TLS.
            (None, Some(OUR_CHANNEL), "not bound to a TLS channel"),
        ];
        for (signed, ours, says) in cases {
            let a = answer_over(&c, &c.nonce, "127.0.0.1:3306", signed);
            let (r, _) = run_over(&cfg, &s, &c, Some(&a), quick, ours).unwrap_err();
            assert_eq!(r.reason, Reason::ChannelBinding, "{signed:?} {ours:?}");
            assert!(r.detail.contains(says), "{}", r.detail);
            assert!(r.detail.contains("auth_awsiam_challenge_channel_binding"));
        }
        // With the check off (a router terminating TLS in front), the relay's channel
        // passes this step and reaches the next (here: STS, unreachable).
        let off = ChallengeSettings {
            channel_binding: false,
            ..ChallengeSettings::default()
        };
        let a = answer_over(&c, &c.nonce, "127.0.0.1:3306", Some(RELAY_CHANNEL));
        let (r, _) = run_over(&cfg, &off, &c, Some(&a), quick, Some(OUR_CHANNEL)).unwrap_err();
        assert_ne!(r.reason, Reason::ChannelBinding);
    }

    #[test]
    fn a_local_socket_login_has_no_channel() {
        let (cfg, c, handle) = setup(1);
        let a = answer_over(&c, &c.nonce, "127.0.0.1:3306", None);
        let id = run_over(
            &cfg,
            &ChallengeSettings::default(),
            &c,
            Some(&a),
            Duration::from_millis(5),
            None,
        )
        .unwrap();
        assert_eq!(id.caller.arn, ARN);
        handle.join().unwrap();
    }
}
