//! Answering one challenge: read it, decide what to sign (no I/O), load the AWS credentials
//! the way the AWS CLI finds them, sign with the core's one signer, encode the answer.

use std::time::{Duration, SystemTime};

use auth_awsiam_core::aws_error;
use auth_awsiam_core::challenge::Challenge;
use auth_awsiam_core::challenge::answer;
use auth_awsiam_core::configured_endpoint::Configured;
use auth_awsiam_core::credentials::{self, Choice, Loaded};
use auth_awsiam_core::request;
use auth_awsiam_core::sts::hosts::official_host;
use auth_awsiam_core::syntax;
use auth_awsiam_core::token::Binding;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;

use crate::options::{self, Options};

/// Bound on loading credentials (SSO, web identity, instance metadata...).
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(30);

/// Why no answer was sent. Each message tells the user what to do; none holds a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server's first packet is not a challenge this plugin reads.
    BadChallenge(String),
    /// An option or environment variable is wrong, or the dialed server cannot be named.
    Options(String),
    /// No credential source has credentials.
    NoCredentials(String),
    /// A credential source failed (expired SSO session, bad profile, unreachable STS...):
    /// a whole sentence.
    Credentials(String),
    /// aws-sigv4 could not sign.
    Signing(String),
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::BadChallenge(m) => format!("cannot read the server's challenge: {m}"),
            Failure::Options(m) => m.clone(),
            Failure::NoCredentials(m) => m.clone(),
            Failure::Credentials(m) => m.clone(),
            Failure::Signing(m) => format!("cannot sign the login request: {m}"),
        }
    }
}

const NO_CREDENTIALS_HELP: &str = "no AWS credentials found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the AWS profile of AUTH_AWSIAM_PROFILE or AWS_PROFILE incl. SSO and role chains, web identity, ECS, EC2 instance metadata). Run 'aws sso login' or 'aws configure', or set AWS_PROFILE";

/// The server the client dialed, from libmysqlclient's connection handle.
#[derive(Clone, Copy, Debug)]
pub struct Dialed<'a> {
    pub host: &'a str,
    pub port: u32,
    /// A Unix socket (or a named pipe / shared memory): the server is this machine.
    pub local_socket: bool,
}

/// The audience a client signs by default: `localhost` over a local socket, else
/// `host:port` as dialed (IPv6 literals in brackets), lowercase.
pub fn dialed_audience(d: &Dialed) -> Result<String, Failure> {
    if d.local_socket {
        return Ok(auth_awsiam_core::challenge::audience::LOCALHOST.to_string());
    }
    let host = d.host.trim().to_ascii_lowercase();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    let audience = format!("{host}:{}", d.port);
    if syntax::is_authority(&audience) {
        Ok(audience)
    } else {
        Err(Failure::Options(format!(
            "cannot use the host {} as the audience to sign: set AUTH_AWSIAM_AUDIENCE to the server's host[:port]",
            syntax::quoted(d.host, 64)
        )))
    }
}

/// What to sign, decided without any I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub sts_host: String,
    pub region: String,
    pub server_id: Option<String>,
    pub binding: Binding,
    pub profile: Option<String>,
    /// An STS endpoint URL set by option: credential loading's STS calls go there too.
    pub sts_url: Option<String>,
}

/// The challenge decides where to sign for, unless an option says otherwise; the audience
/// comes from what the client dialed (or an option), never from the server.
pub fn plan(challenge: &Challenge, opts: &Options, dialed: &Dialed) -> Result<Plan, Failure> {
    let sts_host = opts
        .sts_host
        .clone()
        .unwrap_or_else(|| challenge.sts_host.clone());
    let region = match (&opts.region, official_host(&sts_host)) {
        (Some(r), _) => r.clone(),
        // An official host signs in its own region.
        (None, Some((r, _))) => r,
        (None, None) => challenge.region.clone(),
    };
    let audience = match &opts.audience {
        Some(a) => a.clone(),
        None => dialed_audience(dialed)?,
    };
    Ok(Plan {
        sts_host,
        region,
        server_id: challenge.server_id.clone(),
        binding: Binding {
            nonce: challenge.nonce.clone(),
            audience,
        },
        profile: opts.profile.clone(),
        sts_url: opts.sts_url.clone(),
    })
}

/// The settings that choose the STS host of credential loading, for "check ..." in messages.
fn endpoint_settings(plan: &Plan, loaded: &Loaded) -> String {
    match (&plan.sts_url, &loaded.facts.sts) {
        (Some(_), _) => format!(
            "the {} option or {}",
            options::STS_ENDPOINT.option,
            options::STS_ENDPOINT.env
        ),
        (None, Configured::Url { source, .. }) => source.clone(),
        (None, _) => "the region the server names (or AUTH_AWSIAM_REGION)".into(),
    }
}

fn credentials_failure(e: &CredentialsError, plan: &Plan, loaded: &Loaded) -> Failure {
    match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            Failure::NoCredentials(NO_CREDENTIALS_HELP.into())
        }
        _ => Failure::Credentials(aws_error::explain(
            &loaded.attempt(&endpoint_settings(plan, loaded)),
            e,
        )),
    }
}

/// Loads the credentials as the AWS CLI would for the profile (the STS calls of a
/// `role_arn` profile follow the sts-endpoint option, else the configured endpoint).
async fn load(plan: &Plan) -> Result<Credentials, Failure> {
    let loaded = credentials::load(Choice {
        profile: plan.profile.as_deref(),
        region: Some(&plan.region),
        sts_endpoint: plan.sts_url.as_deref(),
    })
    .await;
    let provider = loaded
        .sdk
        .credentials_provider()
        .ok_or_else(|| Failure::NoCredentials(NO_CREDENTIALS_HELP.into()))?;
    provider
        .provide_credentials()
        .await
        .map_err(|e| credentials_failure(&e, plan, &loaded))
}

/// Loads the credentials, bounded by [`CREDENTIALS_TIMEOUT`].
fn load_credentials(plan: &Plan) -> Result<Credentials, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::Credentials(format!(
                "cannot load AWS credentials: cannot start an async runtime: {e}"
            ))
        })?;
    rt.block_on(async {
        tokio::time::timeout(CREDENTIALS_TIMEOUT, load(plan))
            .await
            .unwrap_or_else(|_| {
                Err(Failure::Credentials(format!(
                    "cannot load AWS credentials: no credential source answered within {} s; check the profile's credential source (SSO, role, instance metadata) and the network",
                    CREDENTIALS_TIMEOUT.as_secs()
                )))
            })
    })
}

/// The whole answer to the server's challenge packet.
pub fn answer(
    raw_challenge: &[u8],
    dialed: &Dialed,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Failure> {
    let challenge = Challenge::decode(raw_challenge).map_err(|e| Failure::BadChallenge(e.0))?;
    let opts = options::effective(env).map_err(Failure::Options)?;
    let plan = plan(&challenge, &opts, dialed)?;
    let creds = load_credentials(&plan)?;
    let token = request::sign_bound(
        &plan.sts_host,
        &plan.region,
        plan.server_id.as_deref(),
        Some(&plan.binding),
        &creds,
        SystemTime::now(),
    )
    .map_err(|e| Failure::Signing(e.0))?;
    answer::encode(&token).ok_or_else(|| Failure::Signing("the signer dropped the binding".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_awsiam_core::challenge::new_nonce;

    fn challenge() -> Challenge {
        Challenge {
            nonce: new_nonce().unwrap(),
            sts_host: "127.0.0.1:4566".into(),
            region: "us-east-1".into(),
            server_id: Some("db1".into()),
            timeout: Duration::from_secs(10),
        }
    }

    const TCP: Dialed<'static> = Dialed {
        host: "DB1.Example.com",
        port: 3306,
        local_socket: false,
    };

    #[test]
    fn audience_is_what_was_dialed() {
        assert_eq!(dialed_audience(&TCP).unwrap(), "db1.example.com:3306");
        let v6 = Dialed {
            host: "::1",
            port: 3307,
            local_socket: false,
        };
        assert_eq!(dialed_audience(&v6).unwrap(), "[::1]:3307");
        let socket = Dialed {
            host: "localhost",
            port: 3306,
            local_socket: true,
        };
        assert_eq!(dialed_audience(&socket).unwrap(), "localhost");
        let odd = Dialed {
            host: "db_1",
            port: 3306,
            local_socket: false,
        };
        let Failure::Options(m) = dialed_audience(&odd).unwrap_err() else {
            panic!("options failure");
        };
        assert!(m.contains("AUTH_AWSIAM_AUDIENCE"), "{m}");
    }

    #[test]
    fn plan_follows_the_challenge_but_not_for_the_audience() {
        let c = challenge();
        let p = plan(&c, &Options::default(), &TCP).unwrap();
        assert_eq!(p.sts_host, "127.0.0.1:4566");
        assert_eq!(p.region, "us-east-1");
        assert_eq!(p.server_id.as_deref(), Some("db1"));
        assert_eq!(p.binding.nonce, c.nonce);
        assert_eq!(p.binding.audience, "db1.example.com:3306");
    }

    #[test]
    fn options_override_the_challenge() {
        let c = challenge();
        let opts = Options {
            profile: Some("dev".into()),
            region: None,
            sts_host: Some("sts.eu-west-1.amazonaws.com".into()),
            sts_url: Some("https://sts.eu-west-1.amazonaws.com/".into()),
            audience: Some("db.internal:3306".into()),
        };
        let p = plan(&c, &opts, &TCP).unwrap();
        assert_eq!(p.sts_host, "sts.eu-west-1.amazonaws.com");
        assert_eq!(
            p.region, "eu-west-1",
            "an official host signs in its region"
        );
        assert_eq!(p.binding.audience, "db.internal:3306");
        assert_eq!(p.profile.as_deref(), Some("dev"));
        assert_eq!(
            p.sts_url.as_deref(),
            Some("https://sts.eu-west-1.amazonaws.com/"),
            "credential loading's STS calls follow the option too"
        );
        let opts = Options {
            region: Some("us-west-2".into()),
            ..Options::default()
        };
        assert_eq!(plan(&c, &opts, &TCP).unwrap().region, "us-west-2");
    }

    #[test]
    fn refusals_before_io() {
        let no_env = |_: &str| None;
        let Failure::BadChallenge(m) = answer(b"\x01\x02scramble\0", &TCP, &no_env).unwrap_err()
        else {
            panic!("bad challenge");
        };
        assert!(m.contains("not an auth_awsiam challenge"), "{m}");
        let bad_env = |k: &str| (k == "AUTH_AWSIAM_REGION").then(|| "moon".to_string());
        let c = challenge().encode();
        let Failure::Options(m) = answer(&c, &TCP, &bad_env).unwrap_err() else {
            panic!("options failure");
        };
        assert!(m.contains("AUTH_AWSIAM_REGION"), "{m}");
        let odd = Dialed {
            host: "",
            port: 3306,
            local_socket: false,
        };
        assert!(matches!(
            answer(&c, &odd, &no_env).unwrap_err(),
            Failure::Options(_)
        ));
    }

    #[test]
    fn messages_say_what_to_do() {
        let m = Failure::NoCredentials(NO_CREDENTIALS_HELP.into()).message();
        assert!(m.contains("aws sso login") && m.contains("AWS_PROFILE"));
        // It must fit in the client library's error buffer with its prefix.
        assert!(m.len() < 420, "{}", m.len());
    }
}
