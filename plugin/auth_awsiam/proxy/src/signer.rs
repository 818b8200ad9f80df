//! What the proxy signs, with the machine's AWS credentials (loaded once per process and
//! refreshed ahead of expiry, as the client plugin does: the client crate): a token for
//! `auth_awsiam` accounts, reused within its life, and a challenge answer for
//! `auth_awsiam_challenge` accounts, bound to the server the proxy dialed and its TLS
//! channel.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use auth_awsiam_client_core::options;
use auth_awsiam_client_core::respond::{self, Dialed};
use auth_awsiam_client_core::trust::{Tls, Transport};
use auth_awsiam_core::challenge::answer::{self, Answer};
use auth_awsiam_core::config::{Config, parse_endpoint};
use auth_awsiam_core::credentials::host_of;
use auth_awsiam_core::sts::hosts::official_host_for_region;
use auth_awsiam_core::token::Token;

use crate::identity::Identity;
use crate::login::Answers;

/// How long one token is reused: inside the server's default auth_awsiam_token_max_age of
/// 15 minutes, which the server answers from its cache.
pub const TOKEN_REUSE: Duration = Duration::from_secs(10 * 60);
/// A token is not reused this close to its credentials' expiry: STS refuses a request
/// signed with a role session that has ended, and the clocks of this machine, the server
/// and STS differ a little.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// What the proxy was told about AWS; `None` where an option was not given.
#[derive(Clone, Debug, Default)]
pub struct Aws {
    /// `--region`.
    pub region: Option<String>,
    /// `--sts-endpoint`: the server's auth_awsiam_sts_endpoint, when it has one.
    pub sts_endpoint: Option<String>,
    /// `--server-id`.
    pub server_id: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
}

/// Where tokens are signed for, and with which credentials.
pub struct Signer {
    aws: Aws,
    /// The STS host a token is signed for, and its region.
    sts_host: String,
    region: String,
    held: Mutex<Option<Held>>,
    /// The ARNs of the credentials it signs with, for the log.
    pub identity: Arc<Identity>,
}

/// The token being reused.
struct Held {
    token: String,
    /// The same, read back once when it was signed (for `Identity`, at each login).
    decoded: Option<Token>,
    signed: Instant,
    /// When the credentials that signed it expire, if they do.
    expires: Option<SystemTime>,
}

impl Held {
    fn reusable(&self, now: Instant, wall: SystemTime) -> bool {
        now.saturating_duration_since(self.signed) < TOKEN_REUSE
            && self
                .expires
                .is_none_or(|e| wall.checked_add(EXPIRY_MARGIN).is_some_and(|t| t < e))
    }
}

impl Signer {
    /// Tokens are signed in `aws.region`, else in `default_region` (the environment's).
    /// Fails on an `--sts-endpoint` that is no `http(s)://host[:port]`.
    pub fn new(aws: Aws, default_region: String) -> Result<Signer, String> {
        let region = aws.region.clone().unwrap_or(default_region);
        let sts_host = match &aws.sts_endpoint {
            Some(url) => host_of(url),
            None => official_host_for_region(&region),
        };
        let sts = Config {
            endpoint: match &aws.sts_endpoint {
                Some(url) => parse_endpoint(url).map_err(|e| format!("--sts-endpoint: {e}"))?,
                None => None,
            },
            region: region.clone(),
            ..Config::default()
        };
        Ok(Signer {
            aws,
            sts_host,
            region,
            held: Mutex::new(None),
            identity: Arc::new(Identity::new(sts)),
        })
    }

    /// Learns whose identity the proxy signs with before it takes connections, so that
    /// the first logins' lines name it (`identity.rs`); says why not if it cannot.
    pub fn learn_identity(&self) {
        match self.token() {
            Ok((_, Some(token))) => self.identity.learn(&token),
            Ok((_, None)) => log::warn!("AWS identity not known: the token signed is unreadable"),
            Err(why) => log::warn!("AWS identity not known: {why}"),
        }
    }

    /// A token, the one held while `Held::reusable`, and its decoded form.
    fn token(&self) -> Result<(String, Option<Token>), String> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = held.as_ref()
            && h.reusable(Instant::now(), SystemTime::now())
        {
            return Ok((h.token.clone(), h.decoded.clone()));
        }
        let (token, expires) = respond::token(
            &self.sts_host,
            &self.region,
            self.aws.server_id.as_deref(),
            self.aws.profile.as_deref(),
            self.aws.sts_endpoint.as_deref(),
        )
        .map_err(|f| f.message())?;
        let decoded = Token::decode(token.as_bytes()).ok();
        *held = Some(Held {
            token: token.clone(),
            decoded: decoded.clone(),
            signed: Instant::now(),
            expires,
        });
        Ok((token, decoded))
    }

    /// A client plugin option for a challenge answer (by its environment variable's
    /// name): what the proxy was told on its command line wins, as a plugin option wins
    /// over its variable in a client program; else the environment's.
    fn option(&self, name: &str) -> Option<String> {
        let given = if name == options::PROFILE.env {
            &self.aws.profile
        } else if name == options::REGION.env {
            &self.aws.region
        } else if name == options::STS_ENDPOINT.env {
            &self.aws.sts_endpoint
        } else {
            &None
        };
        given.clone().or_else(|| std::env::var(name).ok())
    }

    /// The answers for one login at `host:port`, over TLS with `certificate`, verified.
    /// `user` is the MySQL user logging in; `token_users` those a token may go to.
    pub fn for_server<'a>(
        &'a self,
        host: &'a str,
        port: u16,
        certificate: &'a [u8],
        user: &'a str,
        token_users: &'a [String],
    ) -> ForServer<'a> {
        ForServer {
            signer: self,
            host,
            port,
            certificate,
            user,
            token_users,
            signed: None,
        }
    }
}

/// A signer bound to one server connection.
pub struct ForServer<'a> {
    signer: &'a Signer,
    host: &'a str,
    port: u16,
    certificate: &'a [u8],
    user: &'a str,
    token_users: &'a [String],
    /// The signed GetCallerIdentity last sent (a token, or inside a challenge answer).
    signed: Option<Token>,
}

impl ForServer<'_> {
    /// The ARN of the credentials that signed what the server got, if known
    /// (`Identity::arn_of`); `None` also for a JWT answer, which is no signed request.
    pub fn arn(&self) -> Option<String> {
        self.signed
            .as_ref()
            .and_then(|t| self.signer.identity.arn_of(t))
    }
}

impl Answers for ForServer<'_> {
    /// Only for a user named in --token-users: the request is a cleartext-password one,
    /// which PAM and LDAP accounts make too, and a token is a bearer credential.
    fn token(&mut self) -> Result<String, String> {
        if !self.token_users.iter().any(|u| u == self.user) {
            return Err(format!(
                "the account {:?} asks for a cleartext password, as auth_awsiam accounts do and so do PAM and LDAP ones: the proxy sends a token only to the users named in --token-users (for accounts IDENTIFIED WITH auth_awsiam), or use an auth_awsiam_challenge account",
                self.user
            ));
        }
        let (token, decoded) = self.signer.token()?;
        self.signed = decoded;
        Ok(token)
    }

    fn challenge(&mut self, challenge: &[u8]) -> Result<String, String> {
        let dialed = Dialed {
            host: self.host,
            port: u32::from(self.port),
            transport: Transport {
                local_socket: false,
                // The proxy verified the certificate and the name (tls.rs).
                tls: Some(Tls {
                    verified: true,
                    certificate: self.certificate,
                }),
            },
        };
        // The client plugin's options apply: the proxy's own, else the environment's.
        let answer = respond::answer(challenge, &dialed, &|name| self.signer.option(name))
            .map_err(|f| f.message())?;
        self.signed = match answer::decode(answer.as_bytes()) {
            Ok(Answer::SigV4(token)) => Some(*token),
            _ => None,
        };
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(age: Duration, expires_in: Option<Duration>) -> (Held, Instant, SystemTime) {
        let (now, wall) = (Instant::now(), SystemTime::now());
        let h = Held {
            token: String::new(),
            decoded: None,
            signed: now.checked_sub(age).unwrap(),
            expires: expires_in.map(|d| wall + d),
        };
        (h, now, wall)
    }

    #[test]
    fn a_token_is_reused_while_young_and_its_credentials_last() {
        let minute = Duration::from_secs(60);
        let (h, now, wall) = held(minute, None);
        assert!(h.reusable(now, wall));
        let (h, now, wall) = held(minute, Some(30 * minute));
        assert!(h.reusable(now, wall));
        let (h, now, wall) = held(TOKEN_REUSE, None);
        assert!(!h.reusable(now, wall), "too old");
        // Young, but its role session ends in 30 s: STS would refuse it.
        let (h, now, wall) = held(minute, Some(minute / 2));
        assert!(!h.reusable(now, wall), "credentials about to expire");
        let (h, now, wall) = held(minute, Some(EXPIRY_MARGIN));
        assert!(!h.reusable(now, wall));
    }

    #[test]
    fn the_proxys_options_reach_challenge_answers() {
        let signer = Signer::new(
            Aws {
                region: Some("eu-west-1".into()),
                sts_endpoint: Some("https://sts.example.internal".into()),
                server_id: None,
                profile: Some("app".into()),
            },
            "us-east-1".into(),
        )
        .unwrap();
        assert_eq!(signer.option(options::PROFILE.env).as_deref(), Some("app"));
        assert_eq!(
            signer.option(options::REGION.env).as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            signer.option(options::STS_ENDPOINT.env).as_deref(),
            Some("https://sts.example.internal")
        );
        assert_eq!(signer.region, "eu-west-1");
        assert_eq!(signer.sts_host, "sts.example.internal");
    }

    #[test]
    fn a_default_region_is_not_an_option() {
        // The environment's region signs tokens, but a challenge answer keeps the
        // region the server names unless --region says otherwise.
        let signer = Signer::new(Aws::default(), "us-west-2".into()).unwrap();
        assert_eq!(signer.region, "us-west-2");
        assert_eq!(signer.sts_host, "sts.us-west-2.amazonaws.com");
        assert_eq!(
            signer.option(options::REGION.env),
            std::env::var(options::REGION.env).ok()
        );
    }
}
