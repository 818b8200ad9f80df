//! One login, start to end: token, local checks, cache or STS, identity, policy; then one
//! log line and the counters.

use std::time::{Duration, Instant, SystemTime};

use crate::cache;
use crate::challenge::tags;
use crate::config::{self, Config};
use crate::error::{Reason, Refusal, refuse};
use crate::identity::Caller;
use crate::jwt;
use crate::logging;
use crate::mapping::Mapped;
use crate::metrics::COUNTERS;
use crate::policy::{self, AccountSource, AllowedAccounts, AllowedPartitions};
use crate::refusal_lines::BUDGET;
use crate::server_identity;
use crate::sts;
use crate::sts::known::Credential;
use crate::syntax::quoted;
use crate::token::{Token, wire_form};

/// Longest user or host name written to a log line (both come from the client).
const MAX_LOGGED_NAME: usize = 256;

/// What the server knows about one login attempt.
#[derive(Clone, Copy, Debug)]
pub struct Login<'a> {
    /// The matched account's user name ('' for an anonymous account): what the policy
    /// compares the role with.
    pub user: &'a str,
    /// The user name the client sent. Only logged: through an anonymous account it is the
    /// one trace of who tried, while the account decides.
    pub client_user: &'a str,
    pub host: &'a str,
    pub auth_string: &'a str,
    /// The packet the client sent; `None` if it sent none.
    pub token: Option<&'a [u8]>,
    /// TLS or a local socket.
    pub secure_transport: bool,
}

/// What a login had learned of its caller when it was refused, for the log line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Seen {
    /// No token could be read.
    #[default]
    Nothing,
    /// The token was read: the access key ID it was signed with.
    AccessKey(String),
    /// STS answered: who signed (boxed: a refusal stays small).
    Caller(Box<Caller>),
}

/// A refusal and what was seen of the caller by then.
pub type Denied = (Refusal, Seen);

/// A login let in: who the caller is, and, for a proxy account, the account a mapping rule
/// maps it to (MySQL's proxy check comes next, in the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub caller: Caller,
    pub mapped: Option<Mapped>,
}

/// Longest unique ID or access key ID written to a log line (IAM's limit is 128).
const MAX_LOGGED_ID: usize = 128;

/// ` (user ID '...', access key ID '...')`: the caller's unique ID (which outlives a role
/// re-created under the same name) and key, never the secret or the session token.
/// A JWT carries neither: it is named as the credential instead.
fn ids(user_id: &str, access_key_id: &str) -> String {
    if user_id.is_empty() && access_key_id.is_empty() {
        return "signed in with an AWS-signed JWT".into();
    }
    let key = quoted(access_key_id, MAX_LOGGED_ID);
    if user_id.is_empty() {
        format!("access key ID {key}")
    } else {
        format!(
            "user ID {}, access key ID {key}",
            quoted(user_id, MAX_LOGGED_ID)
        )
    }
}

impl Seen {
    /// The caller as the log line names it, with a leading space; empty if unknown.
    fn describe(&self) -> String {
        match self {
            Seen::Nothing => String::new(),
            Seen::AccessKey(key) => format!(" ({})", ids("", key)),
            Seen::Caller(c) => {
                format!(" (caller {}, {})", c.arn, ids(&c.user_id, &c.access_key_id))
            }
        }
    }
}

/// Source of the server's own account (a parameter so tests need no background thread).
pub type ServerAccounts<'a> = &'a dyn Fn(Duration) -> Result<AllowedAccounts, Refusal>;

/// Decides one login with the settings in force, then logs and counts the outcome.
pub fn authenticate(login: &Login) -> Result<Admitted, Refusal> {
    let cfg = config::current();
    let result = verify(
        login,
        &cfg,
        SystemTime::now(),
        &server_identity::allowed_accounts,
    );
    report(login, &result);
    result.map_err(|(r, _)| r)
}

/// The decision alone: no logging, no outcome counters.
pub fn verify(
    login: &Login,
    cfg: &Config,
    now: SystemTime,
    server: ServerAccounts,
) -> Result<Admitted, Denied> {
    let raw = login.token.ok_or_else(|| {
        (
            refuse(
                Reason::NoToken,
                "the client sent no password: enable the cleartext plugin, e.g. mysql --enable-cleartext-plugin",
            ),
            Seen::Nothing,
        )
    })?;
    if jwt::looks_like_jwt(wire_form(raw)) {
        return verify_jwt(login, wire_form(raw), cfg, now, server);
    }
    let token = Token::decode(raw).map_err(|r| (r, Seen::Nothing))?;
    verify_token(login, &token, cfg, now, server, Some(wire_form(raw)))
}

/// An AWS-signed JWT as the password: checked here against its issuer's keys, with no STS
/// call, then admitted like a caller STS verified. A verified JWT is remembered like a
/// token (by its wire bytes, for `auth_awsiam_cache_ttl` and never past its `exp`): a
/// signature check costs tens of microseconds, a lookup a few.
fn verify_jwt(
    login: &Login,
    raw: &[u8],
    cfg: &Config,
    now: SystemTime,
    server: ServerAccounts,
) -> Result<Admitted, Denied> {
    let unread = |r| (r, Seen::Nothing);
    sts::check_transport(cfg, login.secure_transport).map_err(unread)?;
    let key = caching(cfg).then(|| cache::key(raw));
    if let Some(caller) = key.as_ref().and_then(cache::get) {
        COUNTERS.add_cache_hit();
        return admit(login, caller, None, cfg, server);
    }
    // Taken before the check: a JWT verified across a settings change is not stored.
    let generation = cache::generation();
    let verified =
        jwt::verify(raw, &jwt_settings(cfg), jwt::issuers::cache(), now).map_err(unread)?;
    COUNTERS.add_jwt_verified();
    // Minted to answer a challenge (auth_awsiam_challenge): good on that connection alone,
    // whoever captured it. As a password it would be good for minutes, on every account of
    // this audience. Refused before it is remembered, so no cache hit ever skips this.
    if tags::answers_a_challenge(&verified.claims.request_tags) {
        return Err((
            refuse(
                Reason::ChallengeMismatch,
                format!(
                    "the JWT was minted to answer a challenge (it carries the request tag {}): it is good for that one connection, not as a password",
                    tags::NONCE_TAG
                ),
            ),
            Seen::Caller(Box::new(verified.caller)),
        ));
    }
    if let Some(key) = key {
        let left = verified.expires.duration_since(now).unwrap_or_default();
        let lifetime = cfg.cache_ttl.min(left);
        cache::put(
            key,
            verified.caller.clone(),
            lifetime,
            cfg.cache_size,
            generation,
        );
    }
    admit(login, verified.caller, None, cfg, server)
}

/// The JWT settings in force, as `jwt::verify` takes them (both plugins).
pub(crate) fn jwt_settings(cfg: &Config) -> jwt::JwtSettings {
    jwt::JwtSettings {
        issuers: cfg.jwt_issuers.clone(),
        audience: cfg.jwt_audience.clone(),
        max_age: cfg.token_max_age,
        clock_skew: sts::freshness::MAX_FUTURE_SKEW,
    }
}

/// Whether verified credentials are remembered at all.
fn caching(cfg: &Config) -> bool {
    cfg.cache_size > 0 && !cfg.cache_ttl.is_zero()
}

/// Everything after decoding, shared by auth_awsiam and auth_awsiam_challenge (one policy
/// engine): local checks, STS (through the cache, keyed by `cached_as`, the token's wire
/// form; `None`: never cached), policy and mapping.
pub fn verify_token(
    login: &Login,
    token: &Token,
    cfg: &Config,
    now: SystemTime,
    server: ServerAccounts,
    cached_as: Option<&[u8]>,
) -> Result<Admitted, Denied> {
    let signed_with = |r| (r, Seen::AccessKey(token.access_key_id().to_string()));
    let target = sts::precheck(token, cfg, login.secure_transport, now).map_err(signed_with)?;
    let (caller, credential) =
        verified_caller(token, &target, cfg, now, cached_as).map_err(signed_with)?;
    admit(login, caller, credential, cfg, server)
}

/// A caller whose identity is proven (by STS, or by its issuer's signature on a JWT): the
/// partition and the policy decide. `credential`: the token's, when STS verified it just
/// now (a JWT, or a cache hit, has none to remember).
pub(crate) fn admit(
    login: &Login,
    caller: Caller,
    credential: Option<Credential>,
    cfg: &Config,
    server: ServerAccounts,
) -> Result<Admitted, Denied> {
    let allowed = || {
        if cfg.allowed_accounts.is_empty() {
            server(cfg.sts_timeout)
        } else {
            Ok(AllowedAccounts {
                accounts: cfg.allowed_accounts.clone(),
                source: AccountSource::Configured,
            })
        }
    };
    let seen = |r| (r, Seen::Caller(Box::new(caller.clone())));
    // Every check of the credential (token, audience, freshness, STS or the JWT's
    // signature) ran before this point. The partition comes first: the account rules
    // compare account IDs, which name an account only within a partition. The policy checks the account before it maps.
    allowed_partitions(cfg).check(&caller).map_err(seen)?;
    let mapped = policy::decide(login.user, login.auth_string, &caller, allowed).map_err(seen)?;
    // STS verified it and the partition and the policy let it in: its credential keeps a
    // share of the STS slots for a while (sts::known). A cache hit was recorded when it was
    // verified.
    if let Some(credential) = credential {
        sts::known::KNOWN.admit(credential, Instant::now());
    }
    Ok(Admitted { caller, mapped })
}

/// The partitions callers may come from: auth_awsiam_allowed_partitions, else the server's
/// own. The server's own is the partition of the region in force: the server learns its
/// account from that region's STS (the configured endpoint serves the configured region),
/// and an answer in another partition than its host's is refused (`sts::reply`), so it is
/// the partition of the server's own ARN; and it is known before that lookup ends, or
/// without AWS credentials on the server at all.
pub fn allowed_partitions(cfg: &Config) -> AllowedPartitions {
    if cfg.allowed_partitions.is_empty() {
        AllowedPartitions {
            partitions: vec![sts::hosts::partition_of_region(cfg.effective_region()).to_string()],
            source: AccountSource::ServerOwn,
        }
    } else {
        AllowedPartitions {
            partitions: cfg.allowed_partitions.clone(),
            source: AccountSource::Configured,
        }
    }
}

/// The STS answer for a token: from the cache, else from STS (then cached), with the
/// token's credential when STS was asked. A token STS verified is then held to its first
/// verification here (`freshness::verified`); a cached answer never outlives the window it
/// had then.
fn verified_caller(
    token: &Token,
    target: &sts::Target,
    cfg: &Config,
    now: SystemTime,
    cached_as: Option<&[u8]>,
) -> Result<(Caller, Option<Credential>), Refusal> {
    let key = cached_as.filter(|_| caching(cfg)).map(cache::key);
    if let Some(v) = key.as_ref().and_then(cache::get) {
        COUNTERS.add_cache_hit();
        return Ok((v, None));
    }
    // Taken before the call: an answer obtained across a settings change is not stored.
    let generation = cache::generation();
    let credential = sts::known::KNOWN.credential(token);
    let verified = sts::call_as(target, token, credential, cfg)?;
    let left = sts::freshness::verified(token, cfg, now)?;
    if let Some(key) = key {
        let lifetime = cfg.cache_ttl.min(left);
        cache::put(key, verified.clone(), lifetime, cfg.cache_size, generation);
    }
    Ok((verified, Some(credential)))
}

fn loggable(s: &str) -> String {
    quoted(s, MAX_LOGGED_NAME)
}

/// Who tried, for the log line: `'USER'@'HOST'` as the client sent them, and when the
/// matched account has another name (an anonymous account, which takes any name), that
/// account too: `'bob'@'10.0.0.7' through account ''`.
fn who(login: &Login) -> String {
    let sent = format!("{}@{}", loggable(login.client_user), loggable(login.host));
    if login.client_user == login.user {
        sent
    } else {
        format!("{sent} through account {}", loggable(login.user))
    }
}

/// One log line and the outcome counters for a decided login (both plugins). Counted after
/// the line: a panic while logging is caught at the C boundary, which counts the login as
/// refused (internal), so each login is counted once, as what it finally was.
pub fn report(login: &Login, result: &Result<Admitted, Denied>) {
    log_outcome(login, result);
    match result {
        Ok(_) => COUNTERS.add_success(),
        Err((refusal, _)) => COUNTERS.add_failure(refusal.reason),
    }
}

fn log_outcome(login: &Login, result: &Result<Admitted, Denied>) {
    let user = who(login);
    match result {
        Ok(Admitted { caller: c, mapped }) => {
            // The end of a storm: its summary now, not at the next refusal.
            if let Some(summary) = BUDGET.due(Instant::now()) {
                log::warn!("{summary}");
            }
            // At the default verbosity nobody reads this line: do not build it (formatting
            // it was a measurable share of a cache hit).
            let shown = match mapped {
                None => log::log_enabled!(log::Level::Info),
                Some(_) => log::log_enabled!(target: logging::NOTE, log::Level::Info),
            };
            if !shown {
                return;
            }
            let who = format!(
                "{user} authenticated as {} ({})",
                c.arn,
                ids(&c.user_id, &c.access_key_id)
            );
            match mapped {
                None => log::info!("{who}"),
                // A note from verbosity 2: MySQL may still refuse the mapped login (no such
                // account, no GRANT PROXY), and then this line says what the plugin did.
                Some(m) => log::info!(
                    target: logging::NOTE,
                    "{who}, mapped to '{}' by rule {} (MySQL then requires an account '{}' and GRANT PROXY ON it TO the proxy account)",
                    m.account,
                    m.rule,
                    m.account
                ),
            }
        }
        Err((refusal, seen)) => {
            if !log::log_enabled!(log::Level::Warn) {
                return;
            }
            // A storm of throttled logins gets one line, with advice, per interval.
            let advice = match refusal.reason {
                Reason::StsThrottled => match sts::throttle::notice() {
                    Some(advice) => format!(". {advice}"),
                    None => return,
                },
                _ => String::new(),
            };
            // Any other storm: a budget of lines per interval, then a summary.
            if refusal.reason != Reason::StsThrottled {
                let (summary, logged) = BUDGET.take(refusal.reason, Instant::now());
                if let Some(summary) = summary {
                    log::warn!("{summary}");
                }
                if !logged {
                    return;
                }
            }
            log::warn!(
                "access denied for {user}: {}: {}{}{advice}",
                refusal.reason.name(),
                refusal.detail,
                seen.describe()
            );
        }
    }
}

/// Plugin start: a full budget of refusal lines.
pub fn reset_refusal_lines() {
    BUDGET.reset(Instant::now());
}

/// Plugin stop: the summary of refusal lines left out, if any, is written now.
pub fn flush_refusal_lines() {
    if let Some(summary) = BUDGET.flush(Instant::now()) {
        log::warn!("{summary}");
    }
}

/// The transport rule alone, checked before the server asks the client for its token: a
/// client on a connection that is neither TLS nor local must not be asked to send it in
/// clear. Logs and counts a refusal like `authenticate`.
pub fn check_transport(login: &Login) -> Result<(), Refusal> {
    if login.secure_transport || !config::current().require_secure_transport {
        return Ok(());
    }
    Err(report_refusal(
        login,
        refuse(
            Reason::InsecureTransport,
            "the client connected without TLS and not locally; refused before it was asked for its token: use TLS or a local socket (or set auth_awsiam_require_secure_transport=OFF)",
        ),
    ))
}

/// Counts and logs a refusal decided at the C boundary, before `authenticate` could run
/// (the server passed no login). A caught panic is counted and logged in ffi.rs.
pub fn report_refusal(login: &Login, refusal: Refusal) -> Refusal {
    report(login, &Err((refusal.clone(), Seen::Nothing)));
    refusal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_endpoint;
    use crate::request::sign;
    use crate::testutil::{fake_sts, http, success_xml};
    use aws_credential_types::Credentials;

    const ACCT: &str = "123456789012";

    fn creds() -> Credentials {
        Credentials::new(ACCT, "secret", None, None, "test")
    }

    fn no_server(_: Duration) -> Result<AllowedAccounts, Refusal> {
        Err(policy::no_allowed_account("not started"))
    }

    fn server_is_acct(_: Duration) -> Result<AllowedAccounts, Refusal> {
        Ok(AllowedAccounts {
            accounts: vec![ACCT.into()],
            source: AccountSource::ServerOwn,
        })
    }

    fn login<'a>(user: &'a str, auth: &'a str, token: Option<&'a [u8]>) -> Login<'a> {
        Login {
            user,
            client_user: user,
            host: "10.0.0.1",
            auth_string: auth,
            token,
            secure_transport: true,
        }
    }

    /// A config pointing at a fake STS that answers `arn` for `answers` logins.
    fn fake(
        arn: &'static str,
        answers: usize,
    ) -> (
        Config,
        Vec<u8>,
        std::thread::JoinHandle<Vec<crate::testutil::Received>>,
    ) {
        let account = &arn[13..25];
        let (addr, handle) = fake_sts(answers, move |_| {
            Some(http("200 OK", &success_xml(arn, account)))
        });
        let cfg = Config {
            endpoint: parse_endpoint(&format!("http://{addr}")).unwrap(),
            cache_size: 0,
            ..Config::default()
        };
        let token = sign(&addr, "us-east-1", None, &creds(), SystemTime::now()).unwrap();
        (cfg, token.encode().into_bytes(), handle)
    }

    fn reason(r: Result<Admitted, Denied>) -> Reason {
        r.unwrap_err().0.reason
    }

    #[test]
    fn no_token() {
        let cfg = Config::default();
        let (r, arn) =
            verify(&login("u", "", None), &cfg, SystemTime::now(), &no_server).unwrap_err();
        assert_eq!(r.reason, Reason::NoToken);
        assert!(r.detail.contains("--enable-cleartext-plugin"));
        assert_eq!(arn, Seen::Nothing);
    }

    #[test]
    fn bad_token_never_reaches_sts() {
        // An endpoint that records any connection attempt.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let cfg = Config {
            endpoint: parse_endpoint(&format!("http://{addr}")).unwrap(),
            ..Config::default()
        };
        let l = login("u", "", Some(b"hunter2\0"));
        assert_eq!(
            reason(verify(&l, &cfg, SystemTime::now(), &no_server)),
            Reason::TokenVersion
        );
        // A token for this very endpoint, but unreadable (its payload cut short).
        let good = sign(&addr, "us-east-1", None, &creds(), SystemTime::now())
            .unwrap()
            .encode();
        let cut = &good[..good.len() / 2];
        let l = login("AppRole", "", Some(cut.as_bytes()));
        assert_eq!(
            reason(verify(&l, &cfg, SystemTime::now(), &no_server)),
            Reason::TokenTruncated
        );
        let e = listener.accept().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock, "no connection");
    }

    #[test]
    fn allowed_by_server_account_and_refused_by_role() {
        let (cfg, token, handle) = fake("arn:aws:sts::123456789012:assumed-role/AppRole/s1", 2);
        let l = login("AppRole", "", Some(&token));
        let id = verify(&l, &cfg, SystemTime::now(), &server_is_acct).unwrap();
        assert_eq!(
            id.caller.arn,
            "arn:aws:sts::123456789012:assumed-role/AppRole/s1"
        );
        assert_eq!(id.mapped, None);
        let l = login("Other", "", Some(&token));
        let (r, seen) = verify(&l, &cfg, SystemTime::now(), &server_is_acct).unwrap_err();
        assert_eq!(r.reason, Reason::RoleMismatch);
        let Seen::Caller(c) = &seen else {
            panic!("{seen:?}")
        };
        assert_eq!(c.arn, "arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        // The log line names the caller's unique ID and access key, nothing secret.
        assert_eq!(
            seen.describe(),
            " (caller arn:aws:sts::123456789012:assumed-role/AppRole/s1, \
             user ID 'AROAEXAMPLE:s1', access key ID '123456789012')"
        );
        handle.join().unwrap();
    }

    #[test]
    fn configured_accounts_win_over_the_server_account() {
        let (mut cfg, token, handle) = fake("arn:aws:sts::123456789012:assumed-role/AppRole/s1", 1);
        cfg.allowed_accounts = vec!["210987654321".into()];
        let l = login("AppRole", "", Some(&token));
        assert_eq!(
            reason(verify(&l, &cfg, SystemTime::now(), &server_is_acct)),
            Reason::AccountNotAllowed
        );
        handle.join().unwrap();
    }

    /// A caller from another partition than the server's own (or than the configured ones)
    /// is refused before any account rule: its account ID names another account. Here the
    /// STS is in aws-cn (the endpoint serves region cn-north-1) and answers a caller of the
    /// same account ID as the allowed one.
    #[test]
    fn a_caller_from_another_partition_is_refused() {
        let arn = "arn:aws-cn:sts::123456789012:assumed-role/AppRole/s1";
        let (addr, handle) = fake_sts(3, move |_| Some(http("200 OK", &success_xml(arn, ACCT))));
        let mut cfg = Config {
            endpoint: parse_endpoint(&format!("http://{addr}")).unwrap(),
            region: "cn-north-1".into(),
            allowed_accounts: vec![ACCT.into()],
            cache_size: 0,
            ..Config::default()
        };
        let token = sign(&addr, "cn-north-1", None, &creds(), SystemTime::now())
            .unwrap()
            .encode()
            .into_bytes();
        let l = login("AppRole", "", Some(&token));
        // The server's own partition is that of its region: aws-cn, so the caller is in.
        let id = verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
        assert_eq!(id.caller.principal.partition, "aws-cn");
        // Configured to trust aws only: refused, whatever the account rules say.
        cfg.allowed_partitions = vec!["aws".into()];
        let (r, seen) = verify(&l, &cfg, SystemTime::now(), &no_server).unwrap_err();
        assert_eq!(r.reason, Reason::PartitionNotAllowed);
        assert!(
            r.detail.contains("not in auth_awsiam_allowed_partitions"),
            "{}",
            r.detail
        );
        assert!(matches!(seen, Seen::Caller(c) if c.arn == arn));
        // A binding that names the caller exactly does not lift it either.
        let bound = login(
            "u",
            "arn:aws-cn:iam::123456789012:role/AppRole",
            Some(&token),
        );
        assert_eq!(
            reason(verify(&bound, &cfg, SystemTime::now(), &no_server)),
            Reason::PartitionNotAllowed
        );
        handle.join().unwrap();
        // With no setting, the server's own partition follows the region in force.
        let default = Config::default();
        assert_eq!(allowed_partitions(&default).partitions, vec!["aws"]);
        assert_eq!(
            allowed_partitions(&default).source,
            AccountSource::ServerOwn
        );
        let gov = Config {
            region: "us-gov-west-1".into(),
            ..Config::default()
        };
        assert_eq!(allowed_partitions(&gov).partitions, vec!["aws-us-gov"]);
    }

    #[test]
    fn no_allowed_account_at_all() {
        let (cfg, token, handle) = fake("arn:aws:sts::123456789012:assumed-role/AppRole/s1", 1);
        let l = login("AppRole", "", Some(&token));
        let (r, _) = verify(&l, &cfg, SystemTime::now(), &no_server).unwrap_err();
        assert_eq!(r.reason, Reason::NoAllowedAccount);
        assert!(
            r.detail
                .contains("set auth_awsiam_allowed_accounts or give the server AWS credentials")
        );
        handle.join().unwrap();
    }

    #[test]
    fn cache_answers_the_second_login() {
        let (mut cfg, token, handle) = fake("arn:aws:sts::123456789012:assumed-role/AppRole/s1", 1);
        cfg.cache_size = 10;
        cfg.allowed_accounts = vec![ACCT.into()];
        let before = COUNTERS.snapshot().cache_hits;
        let l = login("AppRole", "", Some(&token));
        verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
        // The fake served one connection only: this one must come from the cache, and the
        // policy still runs on it.
        verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
        let other = login("Other", "", Some(&token));
        assert_eq!(
            reason(verify(&other, &cfg, SystemTime::now(), &no_server)),
            Reason::RoleMismatch
        );
        assert!(COUNTERS.snapshot().cache_hits >= before + 2);
        // Local checks still run before the cache: insecure transport is refused.
        let mut insecure = l;
        insecure.secure_transport = false;
        assert_eq!(
            reason(verify(&insecure, &cfg, SystemTime::now(), &no_server)),
            Reason::InsecureTransport
        );
        handle.join().unwrap();
    }

    /// The cache is keyed by the bytes the client sent, as the decoder reads them: the same
    /// token with the cleartext plugin's trailing NUL, or with surrounding whitespace, is
    /// the same entry (a key over the raw packet would send it to STS again).
    #[test]
    fn the_cache_key_is_the_tokens_wire_form() {
        let (mut cfg, token, handle) = fake("arn:aws:sts::123456789012:assumed-role/AppRole/s1", 1);
        cfg.cache_size = 10;
        cfg.allowed_accounts = vec![ACCT.into()];
        let with_nul = [token.as_slice(), b"\0"].concat();
        let spaced = [b" ".as_slice(), &token, b"\n"].concat();
        for packet in [&token, &with_nul, &spaced] {
            let l = login("AppRole", "", Some(packet));
            verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
        }
        // The fake answered once: the other two came from the cache.
        assert_eq!(handle.join().unwrap().len(), 1);
    }

    /// A token that differs from a verified, cached one only in its signature is a forgery
    /// until STS says otherwise: it must reach STS, never be answered from the cache.
    #[test]
    fn a_forged_signature_is_never_answered_from_the_cache() {
        const FORGED: &str = "0000000000000000000000000000000000000000000000000000000000000000";
        // Like AWS: the genuine signature gets the caller, any other SignatureDoesNotMatch.
        let (addr, handle) = fake_sts(2, |r| {
            let auth = &r.headers.iter().find(|(n, _)| n == "authorization")?.1;
            Some(if auth.ends_with(&format!("Signature={FORGED}")) {
                http(
                    "403 Forbidden",
                    &crate::testutil::error_xml("SignatureDoesNotMatch", "no"),
                )
            } else {
                http(
                    "200 OK",
                    &success_xml(
                        "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
                        "123456789012",
                    ),
                )
            })
        });
        let cfg = Config {
            endpoint: parse_endpoint(&format!("http://{addr}")).unwrap(),
            allowed_accounts: vec![ACCT.into()],
            ..Config::default()
        };
        assert!(
            cfg.cache_size > 0 && !cfg.cache_ttl.is_zero(),
            "caching is on"
        );
        let genuine = sign(&addr, "us-east-1", None, &creds(), SystemTime::now()).unwrap();
        assert_ne!(genuine.signature, FORGED);
        let mut forged = genuine.clone();
        forged.signature = FORGED.into();
        let (genuine, forged) = (genuine.encode(), forged.encode());
        let l = login("AppRole", "", Some(genuine.as_bytes()));
        verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
        let l = login("AppRole", "", Some(forged.as_bytes()));
        assert_eq!(
            reason(verify(&l, &cfg, SystemTime::now(), &no_server)),
            Reason::StsRejected
        );
        assert_eq!(handle.join().unwrap().len(), 2, "both reached STS");
    }

    /// A cache of size 0 or lifetime 0 answers nothing, even when entries stored before it
    /// was disabled remain (a change of these settings does not empty it).
    #[test]
    fn a_disabled_cache_answers_nothing() {
        for disable in [
            (|c: &mut Config| c.cache_size = 0) as fn(&mut Config),
            |c: &mut Config| c.cache_ttl = Duration::ZERO,
        ] {
            let (mut cfg, token, handle) =
                fake("arn:aws:sts::123456789012:assumed-role/AppRole/s1", 2);
            cfg.cache_size = 10;
            cfg.allowed_accounts = vec![ACCT.into()];
            let l = login("AppRole", "", Some(&token));
            verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
            disable(&mut cfg);
            verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
            assert_eq!(handle.join().unwrap().len(), 2, "both logins reached STS");
        }
    }

    /// A token dated ahead of this server's clock is remembered only once STS verified it:
    /// a forgery (refused by STS) never takes a place in the memory. Once verified, a
    /// replay more than max_age after that first verification is refused, though its date
    /// alone would still allow it.
    #[test]
    fn first_verifications_are_remembered_only_after_sts() {
        let _turn = sts::freshness::process_memory_turn();
        const ARN: &str = "arn:aws:sts::123456789012:assumed-role/AppRole/s1";
        let (addr, handle) = fake_sts(3, |r| {
            let auth = &r.headers.iter().find(|(n, _)| n == "authorization")?.1;
            Some(if auth.contains("Credential=AKIDFORGED/") {
                http(
                    "403 Forbidden",
                    &crate::testutil::error_xml("SignatureDoesNotMatch", "no"),
                )
            } else {
                http("200 OK", &success_xml(ARN, ACCT))
            })
        });
        let cfg = Config {
            endpoint: parse_endpoint(&format!("http://{addr}")).unwrap(),
            allowed_accounts: vec![ACCT.into()],
            cache_size: 0,
            ..Config::default()
        };
        let now = SystemTime::now();
        let ahead = now + Duration::from_secs(200);
        let forged_creds = Credentials::new("AKIDFORGED", "wrong", None, None, "test");
        let forged = sign(&addr, "us-east-1", None, &forged_creds, ahead).unwrap();
        let wire = forged.encode();
        let l = login("AppRole", "", Some(wire.as_bytes()));
        assert_eq!(
            reason(verify(&l, &cfg, now, &no_server)),
            Reason::StsRejected
        );
        assert!(
            !sts::freshness::remembers(&forged),
            "a token STS refused was remembered"
        );
        let genuine = sign(&addr, "us-east-1", None, &creds(), ahead).unwrap();
        let wire = genuine.encode();
        let l = login("AppRole", "", Some(wire.as_bytes()));
        verify(&l, &cfg, now, &no_server).unwrap();
        assert!(sts::freshness::remembers(&genuine));
        // 901 s after its first verification: over, although signed only 701 s before.
        let later = now + Duration::from_secs(901);
        let (r, _) = verify(&l, &cfg, later, &no_server).unwrap_err();
        assert_eq!(r.reason, Reason::TokenExpired);
        assert!(
            r.detail.contains("first verified here 901 s ago"),
            "{}",
            r.detail
        );
        assert_eq!(handle.join().unwrap().len(), 3, "the replay reached STS");
    }

    /// A credential is known (keeps a share of the STS slots) once a login with it was
    /// verified by STS *and* let in: an AWS identity the policy refuses does not become
    /// known, nor does a refused token.
    #[test]
    fn a_credential_is_known_after_a_login_let_in() {
        let (mut cfg, _, handle) = fake("arn:aws:sts::123456789012:assumed-role/AppRole/s1", 2);
        cfg.allowed_accounts = vec![ACCT.into()];
        // A credential of its own: other tests' refusals by STS forget theirs.
        let own = Credentials::new("AKIDKNOWNTEST", "secret", None, None, "test");
        let host = cfg.endpoint.as_ref().unwrap().authority.clone();
        let token = sign(&host, "us-east-1", None, &own, SystemTime::now()).unwrap();
        let wire = token.encode().into_bytes();
        let known = || {
            let k = &sts::known::KNOWN;
            k.is_known(k.credential(&token), Instant::now())
        };
        let other = login("Other", "", Some(&wire));
        assert_eq!(
            reason(verify(&other, &cfg, SystemTime::now(), &no_server)),
            Reason::RoleMismatch
        );
        assert!(!known(), "verified by STS but refused by the policy");
        let l = login("AppRole", "", Some(&wire));
        verify(&l, &cfg, SystemTime::now(), &no_server).unwrap();
        assert!(known());
        handle.join().unwrap();
    }

    #[test]
    fn a_refusal_at_the_boundary_is_counted_and_returned() {
        let before = COUNTERS.snapshot();
        let r = report_refusal(
            &login("u", "", None),
            refuse(Reason::Internal, "the server passed no login"),
        );
        assert_eq!(r.reason, Reason::Internal);
        assert_eq!(r.detail, "the server passed no login");
        let after = COUNTERS.snapshot();
        assert!(after.failures_internal > before.failures_internal);
    }

    #[test]
    fn authenticate_counts_and_refuses_without_token() {
        let before = COUNTERS.snapshot();
        let l = login("u", "", None);
        assert_eq!(authenticate(&l).unwrap_err().reason, Reason::NoToken);
        let after = COUNTERS.snapshot();
        assert!(after.failures > before.failures);
        assert!(after.failures_no_token > before.failures_no_token);
    }

    #[test]
    fn refused_before_sts_names_the_access_key() {
        let cfg = Config {
            endpoint: parse_endpoint("http://127.0.0.1:9").unwrap(),
            ..Config::default()
        };
        let token = sign(
            "127.0.0.1:9",
            "us-east-1",
            None,
            &creds(),
            SystemTime::now(),
        )
        .unwrap();
        let packet = token.encode().into_bytes();
        let mut l = login("AppRole", "", Some(&packet));
        l.secure_transport = false;
        let (r, seen) = verify(&l, &cfg, SystemTime::now(), &no_server).unwrap_err();
        assert_eq!(r.reason, Reason::InsecureTransport);
        assert_eq!(seen, Seen::AccessKey(ACCT.into()));
        assert_eq!(seen.describe(), " (access key ID '123456789012')");
    }

    /// Through an anonymous account the line names both: the user the client sent (the
    /// only trace of who tried) and the account that decided.
    #[test]
    fn the_log_names_the_sent_user_and_a_differing_account() {
        assert_eq!(who(&login("AppRole", "", None)), "'AppRole'@'10.0.0.1'");
        let anonymous = Login {
            client_user: "bob",
            ..login("", "", None)
        };
        assert_eq!(who(&anonymous), "'bob'@'10.0.0.1' through account ''");
        let nameless = login("", "", None);
        assert_eq!(who(&nameless), "''@'10.0.0.1'");
        let odd = Login {
            client_user: "a'b",
            ..login("", "", None)
        };
        assert_eq!(who(&odd), "'a?b'@'10.0.0.1' through account ''");
    }

    #[test]
    fn log_names_are_cleaned() {
        assert_eq!(loggable("a'b\nc"), "'a?b?c'");
        assert_eq!(loggable(&"x".repeat(1000)).len(), MAX_LOGGED_NAME + 5);
    }

    /// A JWT is checked against its issuer's keys, fetched from the issuer (the config
    /// names no STS endpoint, and none is called), then by the policy every caller meets.
    #[test]
    fn a_jwt_logs_in_without_sts_and_meets_the_same_policy() {
        use crate::jwt::test_keys::{RSA, jwks, mint, rsa_jwk};
        use crate::jwt_config::Issuer;
        let keys = jwks(&[rsa_jwk("RSA_0", &RSA)]);
        let addr = crate::testutil::serve(move |req| {
            Some(
                if req.request_line.starts_with("GET /.well-known/jwks.json ") {
                    http("200 OK", &keys)
                } else {
                    http("404 Not Found", "")
                },
            )
        });
        let iss = format!("http://{addr}");
        let cfg = Config {
            jwt_issuers: vec![Issuer::parse(&iss).unwrap()],
            jwt_audience: Some("mysql://db1".into()),
            cache_size: 0,
            ..Config::default()
        };
        let now = SystemTime::now();
        let t = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let payload = serde_json::json!({
            "iss": iss, "aud": "mysql://db1", "iat": t - 10, "exp": t + 290,
            "sub": format!("arn:aws:iam::{ACCT}:role/app"),
            "https://sts.amazonaws.com/": {"aws_account": ACCT},
        })
        .to_string();
        let header = r#"{"kid":"RSA_0","typ":"JWT","alg":"RS256"}"#;
        let jwt = mint(header, &payload, |m| RSA.sign(m));
        // As the cleartext plugin sends it: with a trailing NUL.
        let sent = format!("{jwt}\0");
        let before = COUNTERS.snapshot().jwt_verified;
        let ok = verify(
            &login("app", "", Some(sent.as_bytes())),
            &cfg,
            now,
            &server_is_acct,
        )
        .unwrap();
        assert_eq!(ok.caller.arn, format!("arn:aws:iam::{ACCT}:role/app"));
        assert!(COUNTERS.snapshot().jwt_verified > before);
        let sent = Some(sent.as_bytes());
        let r = verify(&login("bob", "", sent), &cfg, now, &server_is_acct);
        assert_eq!(reason(r), Reason::RoleMismatch, "the role-name rule");
        let others = Config {
            allowed_accounts: vec!["210987654321".into()],
            ..cfg.clone()
        };
        let r = verify(&login("app", "", sent), &others, now, &no_server);
        assert_eq!(reason(r), Reason::AccountNotAllowed, "the account rule");
        let plain = Login {
            secure_transport: false,
            ..login("app", "", sent)
        };
        let r = verify(&plain, &cfg, now, &server_is_acct);
        assert_eq!(reason(r), Reason::InsecureTransport);
        let elsewhere = Config {
            jwt_audience: Some("mysql://db2".into()),
            ..cfg.clone()
        };
        let r = verify(&login("app", "", sent), &elsewhere, now, &server_is_acct);
        assert_eq!(reason(r), Reason::JwtAudience);
        // Remembered: the same JWT again costs no signature check, and an audience change
        // forgets it (the test above used a config without the cache).
        let cached = Config {
            cache_size: 10,
            ..cfg.clone()
        };
        let verified = COUNTERS.snapshot().jwt_verified;
        let hits = COUNTERS.snapshot().cache_hits;
        for _ in 0..2 {
            verify(&login("app", "", sent), &cached, now, &server_is_acct).unwrap();
        }
        assert_eq!(COUNTERS.snapshot().jwt_verified - verified, 1);
        assert!(COUNTERS.snapshot().cache_hits > hits);
        let untrusted = Config {
            jwt_issuers: Vec::new(),
            ..cfg.clone()
        };
        let r = verify(&login("app", "", sent), &untrusted, now, &server_is_acct);
        assert_eq!(reason(r), Reason::JwtIssuer);
        // One minted to answer a challenge (captured on its way to auth_awsiam_challenge)
        // is not a password, though every other check passes; its caller is named.
        let answer = serde_json::json!({
            "iss": iss, "aud": "mysql://db1", "iat": t - 10, "exp": t + 50,
            "sub": format!("arn:aws:iam::{ACCT}:role/app"),
            "https://sts.amazonaws.com/": {"aws_account": ACCT, "request_tags": {
                "auth-awsiam-nonce": crate::challenge::new_nonce().unwrap(),
                "auth-awsiam-audience": "localhost"}},
        })
        .to_string();
        let captured = mint(header, &answer, |m| RSA.sign(m));
        let (r, seen) = verify(
            &login("app", "", Some(captured.as_bytes())),
            &cfg,
            now,
            &server_is_acct,
        )
        .unwrap_err();
        assert_eq!(r.reason, Reason::ChallengeMismatch);
        assert!(r.detail.contains("auth-awsiam-nonce"), "{}", r.detail);
        assert!(matches!(seen, Seen::Caller(_)));
        // Never remembered: with the cache on, it is refused every time.
        let cached = Config {
            cache_size: 10,
            ..cfg.clone()
        };
        for _ in 0..2 {
            let l = login("app", "", Some(captured.as_bytes()));
            let r = verify(&l, &cached, now, &server_is_acct);
            assert_eq!(reason(r), Reason::ChallengeMismatch);
        }
        // Other request tags are the caller's own words: they change nothing.
        let tagged = serde_json::json!({
            "iss": iss, "aud": "mysql://db1", "iat": t - 10, "exp": t + 50,
            "sub": format!("arn:aws:iam::{ACCT}:role/app"),
            "https://sts.amazonaws.com/": {"aws_account": ACCT,
                "request_tags": {"job-id": "nightly"}},
        })
        .to_string();
        let tagged = mint(header, &tagged, |m| RSA.sign(m));
        let l = login("app", "", Some(tagged.as_bytes()));
        assert!(verify(&l, &cfg, now, &server_is_acct).is_ok());
    }

    /// Every JOSE-shaped password reaches the JWT reader, whatever its number of parts: an
    /// encrypted token (JWE) is refused as one, not as a password that is no token.
    #[test]
    fn a_jwe_or_a_cut_jwt_is_refused_by_the_jwt_reader() {
        let header = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ";
        for (sent, want) in [
            (format!("{header}.a.b.c.d\0"), "JWE"),
            (format!("{header}.e30\0"), "2 dot-separated part(s)"),
        ] {
            let (r, seen) = verify(
                &login("app", "", Some(sent.as_bytes())),
                &Config::default(),
                SystemTime::now(),
                &no_server,
            )
            .unwrap_err();
            assert_eq!(r.reason, Reason::JwtMalformed, "{r}");
            assert!(r.detail.contains(want), "{r}");
            assert_eq!(seen, Seen::Nothing);
        }
    }

    #[test]
    fn transport_is_checked_before_any_token() {
        // The default settings require a secure transport.
        let plain = Login {
            secure_transport: false,
            ..login("AppRole", "", None)
        };
        let r = check_transport(&plain).unwrap_err();
        assert_eq!(r.reason, Reason::InsecureTransport);
        assert!(check_transport(&login("AppRole", "", None)).is_ok());
    }
}
