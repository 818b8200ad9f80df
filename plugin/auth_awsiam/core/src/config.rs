//! Settings: immutable snapshots swapped under a lock, so a login reads one consistent set
//! of values without holding any lock while it works.

use std::sync::{Arc, LazyLock, RwLock};
use std::time::Duration;

use crate::abi::c_enum;
use crate::challenge::audience::{self, Audiences};
use crate::challenge::{self, AnswerKind};
use crate::identity;
use crate::jwt_config::{self, Issuer};
use crate::syntax::{self, is_loopback_host, shown};

pub const DEFAULT_TOKEN_MAX_AGE: Duration = Duration::from_secs(900);
/// Longest token life a DBA may set: STS itself accepts a signed request for about 15
/// minutes. Also the longest a verified token is cached.
pub const MAX_TOKEN_MAX_AGE: Duration = Duration::from_secs(900);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const DEFAULT_STS_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);
pub const DEFAULT_CACHE_SIZE: usize = 10_000;
/// Most entries a DBA may give the cache.
pub const MAX_CACHE_SIZE: usize = 1_000_000;
pub const DEFAULT_LOG_VERBOSITY: u8 = 2;
/// Default seconds auth_awsiam_challenge waits for the answer (mysqld's connect_timeout,
/// 10 s by default, also bounds it).
pub const DEFAULT_CHALLENGE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a challenge's answer a DBA may set (the challenge format allows more).
pub const MAX_CHALLENGE_TIMEOUT: Duration = Duration::from_secs(300);
/// Region used when none is configured and none is found in the environment or profile.
pub const FALLBACK_REGION: &str = "us-east-1";
/// Most accounts in auth_awsiam_allowed_accounts.
pub const MAX_ALLOWED_ACCOUNTS: usize = 100;
/// Most partitions in auth_awsiam_allowed_partitions (there are fewer than this many).
pub const MAX_ALLOWED_PARTITIONS: usize = 16;

c_enum! {
    /// One id per system variable the core consumes (`enum awsiam_setting`).
    pub enum Setting = "awsiam_setting", "AWSIAM_" {
        StsEndpoint = 0,
        Region = 1,
        AllowedAccounts = 2,
        ServerId = 3,
        TokenMaxAge = 4,
        StsConnectTimeout = 5,
        StsTimeout = 6,
        RequireSecureTransport = 7,
        CacheTtl = 8,
        CacheSize = 9,
        LogVerbosity = 10,
        AllowedPartitions = 11,
        ChallengeAudiences = 12,
        ChallengeTimeout = 13,
        ChallengeChannelBinding = 14,
        JwtIssuers = 15,
        JwtAudience = 16,
        ChallengeAnswers = 17,
    }
}

impl Setting {
    pub fn is_string(self) -> bool {
        matches!(
            self,
            Setting::StsEndpoint
                | Setting::Region
                | Setting::AllowedAccounts
                | Setting::ServerId
                | Setting::AllowedPartitions
                | Setting::ChallengeAudiences
                | Setting::JwtIssuers
                | Setting::JwtAudience
                | Setting::ChallengeAnswers
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A configured STS endpoint: scheme and authority, nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// `host[:port]`, lowercase, without the scheme's default port.
    pub authority: String,
}

impl Endpoint {
    pub fn url(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}/", self.authority)
    }
}

/// One consistent set of settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub endpoint: Option<Endpoint>,
    /// The configured region; empty means `default_region`.
    pub region: String,
    /// Region found at start in the environment or profile (else us-east-1).
    pub default_region: String,
    pub allowed_accounts: Vec<String>,
    /// The partitions callers may come from; empty means the server's own.
    pub allowed_partitions: Vec<String>,
    pub server_id: Option<String>,
    pub token_max_age: Duration,
    pub connect_timeout: Duration,
    pub sts_timeout: Duration,
    pub require_secure_transport: bool,
    pub cache_ttl: Duration,
    pub cache_size: usize,
    pub log_verbosity: u8,
    /// auth_awsiam_challenge's own settings.
    pub challenge: ChallengeSettings,
    /// The issuers whose JWTs are accepted; empty: no JWT login.
    pub jwt_issuers: Vec<Issuer>,
    /// The audience a JWT must name; `None`: every JWT is refused.
    pub jwt_audience: Option<String>,
}

/// The settings of auth_awsiam_challenge (its `auth_awsiam_challenge_*` variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeSettings {
    /// The names an answer may be signed for.
    pub audiences: Audiences,
    /// How long the server waits for the answer.
    pub timeout: Duration,
    /// Whether an answer over TLS must be bound to this server's certificate. Off only
    /// behind a router that terminates TLS itself (its certificate is not ours).
    pub channel_binding: bool,
    /// The kinds of answer offered, preferred first (never empty).
    pub answers: Vec<AnswerKind>,
}

impl Default for ChallengeSettings {
    fn default() -> Self {
        ChallengeSettings {
            audiences: Audiences::Own,
            timeout: DEFAULT_CHALLENGE_TIMEOUT,
            channel_binding: true,
            answers: vec![AnswerKind::SigV4],
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: None,
            region: String::new(),
            default_region: FALLBACK_REGION.to_string(),
            allowed_accounts: Vec::new(),
            allowed_partitions: Vec::new(),
            server_id: None,
            token_max_age: DEFAULT_TOKEN_MAX_AGE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            sts_timeout: DEFAULT_STS_TIMEOUT,
            require_secure_transport: true,
            cache_ttl: DEFAULT_CACHE_TTL,
            cache_size: DEFAULT_CACHE_SIZE,
            log_verbosity: DEFAULT_LOG_VERBOSITY,
            challenge: ChallengeSettings::default(),
            jwt_issuers: Vec::new(),
            jwt_audience: None,
        }
    }
}

impl Config {
    /// The region in force: the configured one, else the one found at start.
    pub fn effective_region(&self) -> &str {
        if self.region.is_empty() {
            &self.default_region
        } else {
            &self.region
        }
    }

    /// Whether a cached STS answer or verified JWT may still be trusted after moving from
    /// `self` to `new`. A shorter cache TTL also empties the cache: entries keep the
    /// lifetime they were stored with, and the DBA who lowers it expects it to hold for
    /// them too. An issuer no longer trusted, or another audience, must stop its JWTs now.
    pub fn cache_compatible(&self, new: &Config) -> bool {
        self.endpoint == new.endpoint
            && self.effective_region() == new.effective_region()
            && self.server_id == new.server_id
            && self.token_max_age == new.token_max_age
            && new.cache_ttl >= self.cache_ttl
            && self.jwt_issuers == new.jwt_issuers
            && self.jwt_audience == new.jwt_audience
    }

    /// Whether the server's own account, learned under `self`, still holds under `new`: it
    /// was learned from the STS endpoint and region in force, and a change of either may
    /// name another account (or another partition).
    pub fn same_identity_lookup(&self, new: &Config) -> bool {
        self.endpoint == new.endpoint && self.effective_region() == new.effective_region()
    }

    /// Applies a string setting after validating it.
    pub fn set_str(&mut self, setting: Setting, value: &str) -> Result<(), String> {
        match setting {
            Setting::StsEndpoint => self.endpoint = parse_endpoint(value)?,
            Setting::Region => self.region = parse_region(value)?,
            Setting::AllowedAccounts => self.allowed_accounts = parse_accounts(value)?,
            Setting::ServerId => self.server_id = parse_server_id(value)?,
            Setting::AllowedPartitions => self.allowed_partitions = parse_partitions(value)?,
            Setting::ChallengeAudiences => self.challenge.audiences = audience::parse(value)?,
            Setting::JwtIssuers => self.jwt_issuers = jwt_config::parse_issuers(value)?,
            Setting::JwtAudience => self.jwt_audience = jwt_config::parse_audience(value)?,
            Setting::ChallengeAnswers => self.challenge.answers = challenge::parse_answers(value)?,
            _ => return Err("not a string setting".into()),
        }
        Ok(())
    }

    /// Applies a number setting; the server enforces its range, out-of-range values are
    /// clamped to something safe rather than trusted.
    pub fn set_num(&mut self, setting: Setting, value: u64) {
        let secs = Duration::from_secs;
        match setting {
            Setting::TokenMaxAge => self.token_max_age = secs(value),
            Setting::StsConnectTimeout => self.connect_timeout = secs(value.max(1)),
            Setting::StsTimeout => self.sts_timeout = secs(value.max(1)),
            Setting::RequireSecureTransport => self.require_secure_transport = value != 0,
            Setting::CacheTtl => self.cache_ttl = secs(value),
            Setting::CacheSize => self.cache_size = usize::try_from(value).unwrap_or(usize::MAX),
            Setting::LogVerbosity => self.log_verbosity = value.clamp(1, 3) as u8,
            Setting::ChallengeTimeout => {
                self.challenge.timeout = secs(value.clamp(1, MAX_CHALLENGE_TIMEOUT.as_secs()))
            }
            Setting::ChallengeChannelBinding => self.challenge.channel_binding = value != 0,
            _ => {}
        }
    }
}

/// Validates a string setting without applying it.
pub fn check_str(setting: Setting, value: &str) -> Result<(), String> {
    Config::default().set_str(setting, value)
}

/// `https://host[:port]`, or `http://` for a loopback host; no path, query or userinfo.
pub fn parse_endpoint(value: &str) -> Result<Option<Endpoint>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    // Checked first and not quoted: user information may hold a password, and this error
    // reaches SET's error message and the error log.
    if value.contains('@') {
        return Err(
            "the endpoint must not contain user information (user@ or user:password@)".into(),
        );
    }
    let lower = value.to_ascii_lowercase();
    let (scheme, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (Scheme::Https, r)
    } else if let Some(r) = lower.strip_prefix("http://") {
        (Scheme::Http, r)
    } else {
        return Err(format!(
            "endpoint {} must start with https:// (or http:// for a loopback address)",
            shown(value)
        ));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#']) {
        return Err(format!(
            "endpoint {} must have no path, query or fragment (only scheme://host[:port])",
            shown(value)
        ));
    }
    if !syntax::is_authority(authority) {
        return Err(format!(
            "endpoint {} has an invalid host or port",
            shown(value)
        ));
    }
    let (host, port) = syntax::split_authority(authority);
    let default_port = match scheme {
        Scheme::Http => "80",
        Scheme::Https => "443",
    };
    // Stored without the default port, so it compares equal to what clients sign.
    let authority = if port == Some(default_port) {
        host
    } else {
        authority
    };
    if scheme == Scheme::Http && !is_loopback_host(host) {
        return Err(format!(
            "endpoint {}: http:// is allowed only for loopback addresses (127.0.0.0/8, ::1, localhost); use https://",
            shown(value)
        ));
    }
    Ok(Some(Endpoint {
        scheme,
        authority: authority.to_string(),
    }))
}

pub fn parse_region(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || syntax::is_region(value) {
        Ok(value.to_string())
    } else {
        Err(format!(
            "region {} is not a region name such as us-east-1, cn-north-1 or us-gov-west-1",
            shown(value)
        ))
    }
}

pub fn parse_accounts(value: &str) -> Result<Vec<String>, String> {
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    if items.len() > MAX_ALLOWED_ACCOUNTS {
        return Err(format!(
            "{} accounts given, the limit is {MAX_ALLOWED_ACCOUNTS}",
            items.len()
        ));
    }
    let mut accounts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if !syntax::is_account_id(item) {
            return Err(format!(
                "item {} {} is not a 12-digit AWS account ID (IDs are separated by commas)",
                i + 1,
                shown(item)
            ));
        }
        if !accounts.iter().any(|a| a == item) {
            accounts.push(item.to_string());
        }
    }
    Ok(accounts)
}

/// AWS partitions, comma separated: `aws`, `aws-cn`, `aws-us-gov`, `aws-iso*`.
pub fn parse_partitions(value: &str) -> Result<Vec<String>, String> {
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    if items.len() > MAX_ALLOWED_PARTITIONS {
        return Err(format!(
            "{} partitions given, the limit is {MAX_ALLOWED_PARTITIONS}",
            items.len()
        ));
    }
    let mut partitions: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if !identity::is_partition(item) {
            return Err(format!(
                "item {} {} is not an AWS partition such as aws, aws-cn or aws-us-gov (partitions are separated by commas)",
                i + 1,
                shown(item)
            ));
        }
        if !partitions.iter().any(|p| p == item) {
            partitions.push(item.to_string());
        }
    }
    Ok(partitions)
}

pub fn parse_server_id(value: &str) -> Result<Option<String>, String> {
    if value.is_empty() {
        Ok(None)
    } else if syntax::is_server_id(value) {
        Ok(Some(value.to_string()))
    } else {
        Err(format!("server id must be {}", syntax::SERVER_ID_RULE))
    }
}

static CURRENT: LazyLock<RwLock<Arc<Config>>> =
    LazyLock::new(|| RwLock::new(Arc::new(Config::default())));

/// The settings in force now.
pub fn current() -> Arc<Config> {
    CURRENT.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Replaces the settings with `f` applied to a copy; returns (old, new). A failed `f`
/// changes nothing.
pub fn update<E>(
    f: impl FnOnce(&mut Config) -> Result<(), E>,
) -> Result<(Arc<Config>, Arc<Config>), E> {
    let mut guard = CURRENT.write().unwrap_or_else(|e| e.into_inner());
    let old = guard.clone();
    let mut new = (*old).clone();
    f(&mut new)?;
    let new = Arc::new(new);
    *guard = new.clone();
    Ok((old, new))
}

/// Back to defaults (plugin init).
pub fn reset() {
    *CURRENT.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Config::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str) -> Result<Option<Endpoint>, String> {
        parse_endpoint(s)
    }

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.token_max_age, Duration::from_secs(900));
        assert_eq!(c.connect_timeout, Duration::from_secs(2));
        assert_eq!(c.sts_timeout, Duration::from_secs(5));
        assert!(c.require_secure_transport);
        assert_eq!(c.cache_ttl, Duration::from_secs(60));
        assert_eq!(c.cache_size, 10_000);
        assert_eq!(c.log_verbosity, 2);
        assert_eq!(c.effective_region(), "us-east-1");
    }

    #[test]
    fn endpoints_accepted() {
        let e = ep("https://sts.eu-west-1.amazonaws.com").unwrap().unwrap();
        assert_eq!(e.scheme, Scheme::Https);
        assert_eq!(e.authority, "sts.eu-west-1.amazonaws.com");
        assert_eq!(e.url(), "https://sts.eu-west-1.amazonaws.com/");
        assert_eq!(
            ep("http://127.0.0.1:4566/").unwrap().unwrap().authority,
            "127.0.0.1:4566"
        );
        assert_eq!(
            ep("http://127.1.2.3:4566").unwrap().unwrap().authority,
            "127.1.2.3:4566"
        );
        assert_eq!(
            ep("http://localhost:4566").unwrap().unwrap().authority,
            "localhost:4566"
        );
        assert_eq!(
            ep("http://[::1]:4566").unwrap().unwrap().authority,
            "[::1]:4566"
        );
        assert_eq!(
            ep("HTTPS://STS.Example.com:443")
                .unwrap()
                .unwrap()
                .authority,
            "sts.example.com"
        );
        assert_eq!(ep("").unwrap(), None);
    }

    #[test]
    fn endpoints_refused_with_reasons() {
        let cases = [
            ("ftp://x", "must start with https://"),
            ("sts.amazonaws.com", "must start with https://"),
            ("http://10.0.0.1:4566", "only for loopback"),
            ("http://example.com", "only for loopback"),
            ("https://sts.amazonaws.com/path", "no path"),
            ("https://sts.amazonaws.com?x=1", "no path"),
            ("https://user@sts.amazonaws.com", "user information"),
            ("https://u:secret@sts.amazonaws.com/p", "user information"),
            ("https://sts.amazonaws.com:0", "invalid host or port"),
            ("https://", "invalid host or port"),
            ("https://a b", "invalid host or port"),
        ];
        for (v, want) in cases {
            let e = ep(v).unwrap_err();
            assert!(e.contains(want), "{v}: {e}");
        }
        // The error reaches SET's error message and the error log: no password in it.
        let e = ep("https://u:secret@sts.amazonaws.com").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn regions() {
        assert_eq!(parse_region("").unwrap(), "");
        assert_eq!(parse_region("us-gov-west-1").unwrap(), "us-gov-west-1");
        assert!(parse_region("moon-1").unwrap_err().contains("us-east-1"));
    }

    #[test]
    fn accounts() {
        assert_eq!(parse_accounts("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_accounts("123456789012, 210987654321,123456789012").unwrap(),
            vec!["123456789012", "210987654321"]
        );
        assert!(
            parse_accounts("123456789012,")
                .unwrap_err()
                .contains("item 2 ''")
        );
        assert!(parse_accounts("12345").unwrap_err().contains("12-digit"));
        let many = vec!["123456789012"; 101].join(",");
        assert!(parse_accounts(&many).unwrap_err().contains("limit is 100"));
        let most = vec!["123456789012"; MAX_ALLOWED_ACCOUNTS].join(",");
        assert_eq!(parse_accounts(&most).unwrap(), vec!["123456789012"]);
    }

    #[test]
    fn partitions() {
        assert_eq!(parse_partitions(" ").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_partitions("aws, aws-cn,aws-us-gov, aws").unwrap(),
            vec!["aws", "aws-cn", "aws-us-gov"]
        );
        assert_eq!(parse_partitions("aws-iso-b").unwrap(), vec!["aws-iso-b"]);
        for (bad, want) in [
            ("aws,", "item 2 ''"),
            ("AWS", "item 1 'AWS' is not an AWS partition"),
            ("aws-*", "item 1 'aws-*'"),
            ("aws china", "item 1 'aws china'"),
        ] {
            let e = parse_partitions(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
        let many = vec!["aws"; MAX_ALLOWED_PARTITIONS + 1].join(",");
        assert!(parse_partitions(&many).unwrap_err().contains("limit is 16"));
        let most = vec!["aws"; MAX_ALLOWED_PARTITIONS].join(",");
        assert_eq!(parse_partitions(&most).unwrap(), vec!["aws"]);
        let mut c = Config::default();
        c.set_str(Setting::AllowedPartitions, "aws-cn").unwrap();
        assert_eq!(c.allowed_partitions, vec!["aws-cn"]);
    }

    /// The server's own account was learned from the endpoint and region in force: only a
    /// change of one of them asks for it again.
    #[test]
    fn identity_lookup_per_setting() {
        let c = Config::default();
        let changed = |f: &dyn Fn(&mut Config)| {
            let mut d = c.clone();
            f(&mut d);
            assert_ne!(d, c);
            c.same_identity_lookup(&d)
        };
        assert!(!changed(&|d| d
            .set_str(Setting::StsEndpoint, "http://127.0.0.1:4566")
            .unwrap()));
        assert!(!changed(&|d| d
            .set_str(Setting::Region, "eu-west-1")
            .unwrap()));
        assert!(!changed(&|d| d.default_region = "eu-west-1".into()));
        // The region in force is what counts.
        assert!(changed(&|d| d
            .set_str(Setting::Region, "us-east-1")
            .unwrap()));
        assert!(changed(&|d| d
            .set_str(Setting::AllowedAccounts, "123456789012")
            .unwrap()));
        assert!(changed(&|d| d.set_str(Setting::ServerId, "db1").unwrap()));
        assert!(changed(&|d| d
            .set_str(Setting::AllowedPartitions, "aws-cn")
            .unwrap()));
        assert!(changed(&|d| d.set_num(Setting::StsTimeout, 9)));
    }

    #[test]
    fn server_ids() {
        assert_eq!(parse_server_id("").unwrap(), None);
        assert_eq!(parse_server_id("db1").unwrap().as_deref(), Some("db1"));
        assert!(parse_server_id("db 1").is_err());
    }

    #[test]
    fn numbers_and_cache_compatibility() {
        let mut c = Config::default();
        c.set_num(Setting::LogVerbosity, 99);
        assert_eq!(c.log_verbosity, 3);
        c.set_num(Setting::StsTimeout, 0);
        assert_eq!(c.sts_timeout, Duration::from_secs(1));
        // The connection timeout is set like the call's, and at least 1 s too.
        c.set_num(Setting::StsConnectTimeout, 7);
        assert_eq!(c.connect_timeout, Duration::from_secs(7));
        c.set_num(Setting::StsConnectTimeout, 0);
        assert_eq!(c.connect_timeout, Duration::from_secs(1));
        c.set_num(Setting::RequireSecureTransport, 0);
        assert!(!c.require_secure_transport);
        let mut d = c.clone();
        d.set_num(Setting::CacheTtl, 900);
        assert!(c.cache_compatible(&d), "a longer TTL keeps the cache");
        d.set_num(Setting::CacheTtl, 5);
        assert!(!c.cache_compatible(&d), "a shorter TTL empties it");
        let mut d = c.clone();
        d.set_num(Setting::TokenMaxAge, 5);
        assert!(!c.cache_compatible(&d));
        let mut e = c.clone();
        e.set_str(Setting::Region, "eu-west-1").unwrap();
        assert!(!c.cache_compatible(&e));
    }

    /// Cached answers were verified against the endpoint, region and server ID in force,
    /// cached JWTs against the issuers and audience: a change of any of them empties the
    /// cache; a change of anything else keeps it.
    #[test]
    fn cache_compatibility_per_setting() {
        let mut c = Config::default();
        c.set_str(Setting::StsEndpoint, "http://127.0.0.1:4566")
            .unwrap();
        c.set_str(Setting::ServerId, "db1").unwrap();
        assert!(c.cache_compatible(&c.clone()));
        let changed = |f: &dyn Fn(&mut Config)| {
            let mut d = c.clone();
            f(&mut d);
            assert_ne!(d, c);
            c.cache_compatible(&d)
        };
        assert!(!changed(&|d| d
            .set_str(Setting::StsEndpoint, "http://127.0.0.1:4567")
            .unwrap()));
        assert!(!changed(&|d| d.set_str(Setting::StsEndpoint, "").unwrap()));
        assert!(!changed(&|d| d.set_str(Setting::ServerId, "db2").unwrap()));
        assert!(!changed(&|d| d.set_str(Setting::ServerId, "").unwrap()));
        assert!(!changed(&|d| d
            .set_str(Setting::Region, "eu-west-1")
            .unwrap()));
        assert!(!changed(&|d| d.default_region = "eu-west-1".into()));
        assert!(!changed(&|d| d.set_num(Setting::TokenMaxAge, 1800)));
        assert!(!changed(&|d| d.set_num(Setting::CacheTtl, 59)));
        // A JWT remembered was checked against the issuers and the audience in force.
        assert!(!changed(&|d| d
            .set_str(Setting::JwtIssuers, "http://127.0.0.1:4599")
            .unwrap()));
        assert!(!changed(&|d| d
            .set_str(Setting::JwtAudience, "db1")
            .unwrap()));
        // The region in force is what counts: the default region named explicitly is the same.
        assert!(changed(&|d| d
            .set_str(Setting::Region, "us-east-1")
            .unwrap()));
        assert!(changed(&|d| d.set_num(Setting::CacheTtl, 61)));
        assert!(changed(&|d| d
            .set_str(Setting::AllowedAccounts, "123456789012")
            .unwrap()));
        assert!(changed(&|d| d.set_num(Setting::CacheSize, 5)));
        // The partitions are checked on every login, cached or not.
        assert!(changed(&|d| d
            .set_str(Setting::AllowedPartitions, "aws-cn")
            .unwrap()));
        assert!(changed(&|d| d.set_num(Setting::StsTimeout, 9)));
        assert!(changed(&|d| d.set_num(Setting::RequireSecureTransport, 0)));
        assert!(changed(&|d| d.set_num(Setting::LogVerbosity, 3)));
    }

    #[test]
    fn challenge_settings() {
        let mut c = Config::default();
        assert_eq!(c.challenge, ChallengeSettings::default());
        c.set_str(Setting::ChallengeAudiences, "db1:3306, db2")
            .unwrap();
        assert!(c.set_str(Setting::ChallengeAudiences, "a b").is_err());
        assert!(check_str(Setting::ChallengeAudiences, "*").is_ok());
        c.set_num(Setting::ChallengeTimeout, 42);
        assert_eq!(c.challenge.timeout, Duration::from_secs(42));
        c.set_num(Setting::ChallengeTimeout, 999_999);
        assert_eq!(c.challenge.timeout, MAX_CHALLENGE_TIMEOUT, "clamped");
        c.set_num(Setting::ChallengeChannelBinding, 0);
        assert!(!c.challenge.channel_binding);
        c.set_num(Setting::ChallengeChannelBinding, 1);
        assert!(c.challenge.channel_binding);
        assert_eq!(c.challenge.answers, vec![AnswerKind::SigV4]);
        c.set_str(Setting::ChallengeAnswers, "jwt,sigv4").unwrap();
        assert_eq!(
            c.challenge.answers,
            vec![AnswerKind::Jwt, AnswerKind::SigV4]
        );
        let e = c.set_str(Setting::ChallengeAnswers, "").unwrap_err();
        assert!(e.contains("not a kind of answer"), "{e}");
        assert_eq!(
            c.challenge.answers.len(),
            2,
            "a refused value changes nothing"
        );
    }

    #[test]
    fn setting_ids_match_the_header() {
        assert_eq!(Setting::from_id(0), Some(Setting::StsEndpoint));
        assert_eq!(Setting::from_id(10), Some(Setting::LogVerbosity));
        assert_eq!(Setting::from_id(11), Some(Setting::AllowedPartitions));
        assert_eq!(Setting::from_id(14), Some(Setting::ChallengeChannelBinding));
        assert_eq!(Setting::from_id(16), Some(Setting::JwtAudience));
        assert_eq!(Setting::from_id(17), Some(Setting::ChallengeAnswers));
        assert_eq!(Setting::from_id(18), None);
        assert!(Setting::ChallengeAnswers.is_string());
        assert!(Setting::AllowedPartitions.is_string());
        assert!(Setting::JwtIssuers.is_string() && Setting::JwtAudience.is_string());
        assert!(Setting::ChallengeAudiences.is_string());
        assert_eq!(Setting::from_id(-1), None);
        assert!(Setting::ServerId.is_string() && !Setting::CacheSize.is_string());
        assert!(check_str(Setting::CacheSize, "1").is_err());
    }
}
