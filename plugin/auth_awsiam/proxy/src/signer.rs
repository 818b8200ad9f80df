//! What the proxy signs, with the machine's AWS credentials (loaded once per process and
//! refreshed ahead of expiry, as the client plugin does: the client crate): a token for
//! `auth_awsiam` accounts, reused within its life, and a challenge answer for
//! `auth_awsiam_challenge` accounts, bound to the server the proxy dialed and its TLS
//! channel.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use auth_awsiam_client_core::respond::{self, Dialed};
use auth_awsiam_client_core::trust::{Tls, Transport};
use auth_awsiam_core::credentials::host_of;
use auth_awsiam_core::sts::hosts::official_host_for_region;

use crate::login::Answers;

/// How long one token is reused: inside the server's default auth_awsiam_token_max_age of
/// 15 minutes, which the server answers from its cache.
pub const TOKEN_REUSE: Duration = Duration::from_secs(10 * 60);

/// Where tokens are signed for, and with which credentials.
pub struct Signer {
    /// The STS host a token is signed for, and its region.
    sts_host: String,
    region: String,
    /// `--sts-endpoint`: the server's auth_awsiam_sts_endpoint, when it has one.
    sts_url: Option<String>,
    server_id: Option<String>,
    profile: Option<String>,
    held: Mutex<Option<(String, Instant)>>,
}

impl Signer {
    pub fn new(
        region: String,
        sts_url: Option<String>,
        server_id: Option<String>,
        profile: Option<String>,
    ) -> Signer {
        let sts_host = match &sts_url {
            Some(url) => host_of(url),
            None => official_host_for_region(&region),
        };
        Signer {
            sts_host,
            region,
            sts_url,
            server_id,
            profile,
            held: Mutex::new(None),
        }
    }

    /// A token, the one held while it is younger than `TOKEN_REUSE`.
    fn token(&self) -> Result<String, String> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, at)) = held.as_ref()
            && at.elapsed() < TOKEN_REUSE
        {
            return Ok(token.clone());
        }
        let token = respond::token(
            &self.sts_host,
            &self.region,
            self.server_id.as_deref(),
            self.profile.as_deref(),
            self.sts_url.as_deref(),
        )
        .map_err(|f| f.message())?;
        *held = Some((token.clone(), Instant::now()));
        Ok(token)
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
        self.signer.token()
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
        // The client plugin's options apply, from the environment (AUTH_AWSIAM_*).
        respond::answer(challenge, &dialed, &|name| std::env::var(name).ok())
            .map_err(|f| f.message())
    }
}
