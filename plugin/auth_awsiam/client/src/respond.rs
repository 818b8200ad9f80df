//! Answering one challenge: read it, decide whether to answer this server at all
//! (`trust.rs`) and what to answer (no I/O), load the AWS credentials the way the AWS CLI
//! finds them, then answer with the kind the server prefers: sign with the core's one
//! signer (`sigv4`), or ask STS for a JWT bound to the challenge (`jwt`, `jwt_answer.rs`).

use std::time::{Duration, SystemTime};

use auth_awsiam_core::aws_error;
use auth_awsiam_core::challenge::answer;
use auth_awsiam_core::challenge::{AnswerKind, Challenge};
use auth_awsiam_core::channel;
use auth_awsiam_core::configured_endpoint::Configured;
use auth_awsiam_core::credentials::{self, Choice, Loaded};
use auth_awsiam_core::request;
use auth_awsiam_core::sts::hosts::official_host;
use auth_awsiam_core::syntax;
use auth_awsiam_core::token::Binding;
use auth_awsiam_core::web_identity::{self, MintError};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;

use crate::jwt_answer;
use crate::options::{self, Options};
use crate::shared_credentials::{self, Source};
use crate::trust::{self, Transport};

/// Bound on loading credentials (SSO, web identity, instance metadata...).
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(30);

/// Why no answer was sent. Each message tells the user what to do; none holds a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server's first packet is not a challenge this plugin reads.
    BadChallenge(String),
    /// An option or environment variable is wrong, or the dialed server cannot be named.
    Options(String),
    /// The server has not proved who it is, or asks to sign for a host that is not STS's:
    /// nothing is signed.
    Untrusted(String),
    /// The TLS channel cannot be bound (the server certificate cannot be read).
    Channel(String),
    /// No credential source has credentials.
    NoCredentials(String),
    /// A credential source failed (expired SSO session, bad profile, unreachable STS...):
    /// a whole sentence.
    Credentials(String),
    /// aws-sigv4 could not sign.
    Signing(String),
    /// STS gave no JWT (not allowed, federation off, unreachable...): a whole sentence.
    Minting(String),
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::BadChallenge(m) => format!("cannot read the server's challenge: {m}"),
            Failure::Options(m) => m.clone(),
            Failure::Untrusted(m) => m.clone(),
            Failure::Channel(m) => format!("cannot bind the answer to the TLS channel: {m}"),
            Failure::NoCredentials(m) => m.clone(),
            Failure::Credentials(m) => m.clone(),
            Failure::Signing(m) => format!("cannot sign the login request: {m}"),
            Failure::Minting(m) => format!("cannot answer with a JWT: {m}"),
        }
    }
}

const NO_CREDENTIALS_HELP: &str = "no AWS credentials found (looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the AWS profile of AUTH_AWSIAM_PROFILE or AWS_PROFILE incl. SSO and role chains, web identity, ECS, EC2 instance metadata). Run 'aws sso login' or 'aws configure', or set AWS_PROFILE";

/// The server the client dialed, from libmysqlclient's connection handle.
#[derive(Clone, Copy, Debug)]
pub struct Dialed<'a> {
    pub host: &'a str,
    pub port: u32,
    pub transport: Transport<'a>,
}

/// The name of the dialed server, and the audience a client signs by default: `localhost`
/// over a local socket, else `host:port` as dialed (IPv6 literals in brackets), lowercase.
pub fn dialed_name(d: &Dialed) -> Result<String, Failure> {
    if d.transport.local_socket {
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
            "cannot use the host {} as the audience to sign: set {} to DIALED=AUDIENCE with the server's host[:port]",
            syntax::quoted(d.host, 64),
            options::AUDIENCE.env
        )))
    }
}

/// What to answer, decided without any I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The kind of answer: the first the challenge offered that this release knows (the
    /// server's preference; a decoded challenge keeps only known kinds, in order).
    pub kind: AnswerKind,
    /// The audience of a `jwt` answer, as the challenge names it.
    pub jwt_audience: Option<String>,
    pub sts_host: String,
    pub region: String,
    pub server_id: Option<String>,
    pub binding: Binding,
    pub profile: Option<String>,
    /// An STS endpoint URL set by option: credential loading's STS calls go there too.
    pub sts_url: Option<String>,
}

/// The challenge decides where to sign for, unless an option says otherwise; the audience
/// comes from what the client dialed (or an option for that server), never from the
/// server; the channel from the TLS session the client library made. Fails unless the
/// server may be answered at all (`trust.rs`).
pub fn plan(challenge: &Challenge, opts: &Options, dialed: &Dialed) -> Result<Plan, Failure> {
    let name = dialed_name(dialed)?;
    trust::check(&dialed.transport, &name, opts).map_err(Failure::Untrusted)?;
    trust::check_sts_host(&challenge.sts_host, opts).map_err(Failure::Untrusted)?;
    let channel = match dialed.transport.tls {
        Some(tls) => {
            Some(channel::tls_server_end_point(tls.certificate).map_err(Failure::Channel)?)
        }
        None => None,
    };
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
    let audience = opts
        .audience_for(&name)
        .map_or(name.clone(), str::to_string);
    Ok(Plan {
        kind: challenge.answers[0],
        jwt_audience: challenge.jwt_audience.clone(),
        sts_host,
        region,
        server_id: challenge.server_id.clone(),
        binding: Binding {
            nonce: challenge.nonce.clone(),
            audience,
            channel,
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

/// What the credentials are loaded for: the profile, the region, the STS endpoint of
/// credential loading.
fn choice(plan: &Plan) -> Choice<'_> {
    Choice {
        profile: plan.profile.as_deref(),
        region: Some(&plan.region),
        sts_endpoint: plan.sts_url.as_deref(),
    }
}

/// The credentials' source in the process-wide cache: the same things, and the `AWS_*`
/// environment aws-config reads.
fn source(plan: &Plan) -> Source {
    Source {
        profile: plan.profile.clone(),
        region: plan.region.clone(),
        sts_url: plan.sts_url.clone(),
        aws_environment: shared_credentials::aws_environment(),
    }
}

/// Loads the credentials as the AWS CLI would for the profile (the STS calls of a
/// `role_arn` profile follow the sts-endpoint option, else the configured endpoint), with
/// the configuration they came from (a `jwt` answer's STS call uses it too).
async fn load(plan: &Plan) -> Result<(Credentials, Loaded), Failure> {
    let loaded = credentials::load(choice(plan)).await;
    let provider = loaded
        .sdk
        .credentials_provider()
        .ok_or_else(|| Failure::NoCredentials(NO_CREDENTIALS_HELP.into()))?;
    let creds = provider
        .provide_credentials()
        .await
        .map_err(|e| credentials_failure(&e, plan, &loaded))?;
    Ok((creds, loaded))
}

/// Loads the credentials, bounded by [`CREDENTIALS_TIMEOUT`].
fn load_credentials(
    rt: &tokio::runtime::Runtime,
    plan: &Plan,
) -> Result<(Credentials, Loaded), Failure> {
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
    let rt = runtime()?;
    // Once per process and source, not per connection (shared_credentials.rs).
    let (creds, loaded) =
        shared_credentials::PROCESS.get(&source(&plan), || load_credentials(&rt, &plan))?;
    if plan.kind == AnswerKind::Jwt {
        // Held credentials came without their configuration: read it again (files and
        // environment, no STS call) for the GetWebIdentityToken call's region and client.
        let loaded = match loaded {
            Some(l) => l,
            None => rt.block_on(credentials::load(choice(&plan))),
        };
        return answer_jwt(&rt, &plan, creds, &loaded);
    }
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

/// A token for an `auth_awsiam` account (the password of the cleartext plugin), signed
/// for `sts_host` in `region`, with the credentials the challenge answers use: loaded
/// once per process and source. For auth_awsiam_proxy, which logs in to both kinds of
/// account; the caller decides that the server may have it (the proxy verified its TLS).
/// With the token comes the expiry of the credentials that signed it, if they expire:
/// STS refuses the token after that, however young it is.
pub fn token(
    sts_host: &str,
    region: &str,
    server_id: Option<&str>,
    profile: Option<&str>,
    sts_url: Option<&str>,
) -> Result<(String, Option<SystemTime>), Failure> {
    let plan = Plan {
        kind: AnswerKind::SigV4,
        jwt_audience: None,
        sts_host: sts_host.to_string(),
        region: region.to_string(),
        server_id: server_id.map(str::to_string),
        // Not signed: a token binds nothing (request::sign).
        binding: Binding {
            nonce: String::new(),
            audience: String::new(),
            channel: None,
        },
        profile: profile.map(str::to_string),
        sts_url: sts_url.map(endpoint_url),
    };
    let rt = runtime()?;
    let (creds, _) =
        shared_credentials::PROCESS.get(&source(&plan), || load_credentials(&rt, &plan))?;
    let token = request::sign(sts_host, region, server_id, &creds, SystemTime::now())
        .map_err(|e| Failure::Signing(e.0))?;
    Ok((token.encode(), creds.expiry()))
}

/// An STS endpoint in the form the `sts-endpoint` option takes (`scheme://host[:port]/`):
/// a token and a challenge answer for the same endpoint then load their credentials from
/// one source (`shared_credentials`), not twice.
fn endpoint_url(given: &str) -> String {
    match auth_awsiam_core::config::parse_endpoint(given) {
        Ok(Some(endpoint)) => endpoint.url(),
        _ => given.to_string(),
    }
}

/// The runtime credential loading and STS calls run on, for one answer.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::Credentials(format!(
                "cannot load AWS credentials: cannot start an async runtime: {e}"
            ))
        })
}

/// A `jwt` answer: one GetWebIdentityToken call with the loaded credentials.
fn answer_jwt(
    rt: &tokio::runtime::Runtime,
    plan: &Plan,
    creds: Credentials,
    loaded: &Loaded,
) -> Result<String, Failure> {
    let request = jwt_answer::request(plan).ok_or_else(|| {
        Failure::BadChallenge("it offers a jwt answer but names no jwt-audience".into())
    })?;
    let target = jwt_answer::target(
        plan,
        loaded.sts_url.as_deref(),
        endpoint_settings(plan, loaded),
    );
    let minted = rt
        .block_on(web_identity::mint(&loaded.sdk, creds, &target, &request))
        .map_err(|e| match e {
            MintError::Invalid(m) => Failure::Minting(format!("bad request: {m}")),
            MintError::Failed(m) => Failure::Minting(m),
        })?;
    Ok(answer::encode_jwt(&minted.token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::Tls;
    use auth_awsiam_core::challenge::{AnswerKind, audience::ServerName, new_nonce};

    /// A server certificate as the TLS library gives it (the channel test certificate).
    fn certificate() -> Vec<u8> {
        let pem = include_str!("../../core/testdata/channel_cert.pem");
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap()
    }

    fn challenge() -> Challenge {
        Challenge {
            nonce: new_nonce().unwrap(),
            sts_host: "sts.us-east-1.amazonaws.com".into(),
            region: "us-east-1".into(),
            server_id: Some("db1".into()),
            timeout: Duration::from_secs(10),
            answers: vec![AnswerKind::SigV4],
            jwt_audience: None,
        }
    }

    fn verified(cert: &[u8]) -> Transport<'_> {
        Transport {
            local_socket: false,
            tls: Some(Tls {
                verified: true,
                certificate: cert,
            }),
        }
    }

    const SOCKET: Transport<'static> = Transport {
        local_socket: true,
        tls: None,
    };
    const PLAIN: Transport<'static> = Transport {
        local_socket: false,
        tls: None,
    };

    fn dialed<'a>(host: &'a str, port: u32, transport: Transport<'a>) -> Dialed<'a> {
        Dialed {
            host,
            port,
            transport,
        }
    }

    #[test]
    fn the_name_is_what_was_dialed() {
        let name = |h, p, t| dialed_name(&dialed(h, p, t));
        assert_eq!(
            name("DB1.Example.com", 3306, PLAIN).unwrap(),
            "db1.example.com:3306"
        );
        assert_eq!(name("::1", 3307, PLAIN).unwrap(), "[::1]:3307");
        assert_eq!(name("localhost", 3306, SOCKET).unwrap(), "localhost");
        let Failure::Options(m) = name("db_1", 3306, PLAIN).unwrap_err() else {
            panic!("options failure");
        };
        assert!(m.contains("AUTH_AWSIAM_AUDIENCE"), "{m}");
    }

    #[test]
    fn plan_follows_the_challenge_but_not_for_the_audience_or_channel() {
        let cert = certificate();
        let c = challenge();
        let p = plan(
            &c,
            &Options::default(),
            &dialed("DB1.Example.com", 3306, verified(&cert)),
        )
        .unwrap();
        assert_eq!(p.sts_host, "sts.us-east-1.amazonaws.com");
        assert_eq!(p.region, "us-east-1");
        assert_eq!(p.server_id.as_deref(), Some("db1"));
        assert_eq!(p.binding.nonce, c.nonce);
        assert_eq!(p.binding.audience, "db1.example.com:3306");
        assert_eq!(
            p.binding.channel,
            Some(channel::tls_server_end_point(&cert).unwrap()),
            "the channel is the certificate the client saw"
        );
        let p = plan(&c, &Options::default(), &dialed("localhost", 0, SOCKET)).unwrap();
        assert_eq!(p.binding.audience, "localhost");
        assert_eq!(p.binding.channel, None);
    }

    #[test]
    fn options_override_the_challenge() {
        let cert = certificate();
        let mut c = challenge();
        c.sts_host = "127.0.0.1:4566".into();
        let to = dialed("10.0.0.5", 3306, verified(&cert));
        let opts = Options {
            profile: Some("dev".into()),
            region: None,
            sts_host: Some("sts.eu-west-1.amazonaws.com".into()),
            sts_url: Some("https://sts.eu-west-1.amazonaws.com/".into()),
            audiences: vec![options::AudienceRule {
                dialed: ServerName::parse("10.0.0.5:3306").unwrap(),
                audience: "db.internal:3306".into(),
            }],
            trusted_servers: Vec::new(),
        };
        let p = plan(&c, &opts, &to).unwrap();
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
        // The audience rule names another server: this one signs what it dialed.
        let other = dialed("10.0.0.6", 3306, verified(&cert));
        assert_eq!(
            plan(&c, &opts, &other).unwrap().binding.audience,
            "10.0.0.6:3306"
        );
        let opts = Options {
            region: Some("us-west-2".into()),
            ..Options::default()
        };
        assert_eq!(plan(&challenge(), &opts, &to).unwrap().region, "us-west-2");
    }

    #[test]
    fn untrusted_servers_get_nothing_before_credentials_are_loaded() {
        // A hostile server: plain TCP, or TLS the client did not verify, or a verified
        // server asking for a signature for a host that is not STS. Each is refused in
        // plan(), before any credential is loaded (no AWS configuration exists here).
        let cert = certificate();
        let unverified = Transport {
            local_socket: false,
            tls: Some(Tls {
                verified: false,
                certificate: &cert,
            }),
        };
        let no_env = |_: &str| None;
        // A challenge that asks for a JWT gets none either: the same checks come first.
        let mut jwt = challenge();
        jwt.answers = vec![AnswerKind::Jwt, AnswerKind::SigV4];
        jwt.jwt_audience = Some("mysql://db1.example.com".into());
        for transport in [PLAIN, unverified] {
            for c in [challenge(), jwt.clone()] {
                let to = dialed("evil.example.com", 3306, transport);
                let Failure::Untrusted(m) = answer(&c.encode(), &to, &no_env).unwrap_err() else {
                    panic!("untrusted");
                };
                assert!(m.contains("not answering 'evil.example.com:3306'"), "{m}");
            }
        }
        // Trusted, it answers the kind the server prefers: the first one offered.
        let to = dialed("db1.example.com", 3306, verified(&cert));
        let p = plan(&jwt, &Options::default(), &to).unwrap();
        assert_eq!(p.kind, AnswerKind::Jwt);
        assert_eq!(p.jwt_audience.as_deref(), Some("mysql://db1.example.com"));
        jwt.answers.reverse();
        assert_eq!(
            plan(&jwt, &Options::default(), &to).unwrap().kind,
            AnswerKind::SigV4
        );
        let mut c = challenge();
        c.sts_host = "vault.example.com".into();
        let to = dialed("db1.example.com", 3306, verified(&cert));
        let Failure::Untrusted(m) = answer(&c.encode(), &to, &no_env).unwrap_err() else {
            panic!("untrusted");
        };
        assert!(m.contains("not an official AWS STS host"), "{m}");
        // Named by the user: answered even over plain TCP (no channel to bind).
        let named = Options {
            trusted_servers: vec![ServerName::parse("db9.internal").unwrap()],
            ..Options::default()
        };
        let p = plan(&challenge(), &named, &dialed("db9.internal", 3306, PLAIN)).unwrap();
        assert_eq!(p.binding.channel, None);
    }

    #[test]
    fn an_unreadable_certificate_is_no_channel() {
        let bad = verified(b"not a certificate");
        let Failure::Channel(m) =
            plan(&challenge(), &Options::default(), &dialed("db1", 3306, bad)).unwrap_err()
        else {
            panic!("channel failure");
        };
        assert!(m.contains("X.509"), "{m}");
    }

    #[test]
    fn refusals_before_io() {
        let cert = certificate();
        let to = dialed("db1.example.com", 3306, verified(&cert));
        let no_env = |_: &str| None;
        let Failure::BadChallenge(m) = answer(b"\x01\x02scramble\0", &to, &no_env).unwrap_err()
        else {
            panic!("bad challenge");
        };
        assert!(m.contains("not an auth_awsiam challenge"), "{m}");
        let bad_env = |k: &str| (k == "AUTH_AWSIAM_REGION").then(|| "moon".to_string());
        let c = challenge().encode();
        let Failure::Options(m) = answer(&c, &to, &bad_env).unwrap_err() else {
            panic!("options failure");
        };
        assert!(m.contains("AUTH_AWSIAM_REGION"), "{m}");
        let odd = dialed("", 3306, verified(&cert));
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

    #[test]
    fn a_token_and_an_answer_for_one_endpoint_share_their_credentials() {
        let given = "http://127.0.0.1:4566";
        let opts = options::effective(&|name| {
            (name == options::STS_ENDPOINT.env).then(|| given.to_string())
        })
        .unwrap();
        assert_eq!(opts.sts_url.as_deref(), Some(endpoint_url(given).as_str()));
        assert_eq!(
            endpoint_url("https://sts.example.internal/"),
            "https://sts.example.internal/"
        );
    }
}
