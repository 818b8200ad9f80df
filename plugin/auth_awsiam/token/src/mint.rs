//! Credentials, region and endpoint resolution, then signing.

use std::time::SystemTime;

use auth_awsiam_core::config::parse_endpoint;
use auth_awsiam_core::credentials;
use auth_awsiam_core::request;
use auth_awsiam_core::sts::hosts::{official_host, official_host_for_region};
use auth_awsiam_core::syntax;
use aws_config::Region;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_types::date_time::{DateTime, Format as DateFormat};

use crate::cli::Args;

/// The environment variable aws-config also honours for the STS endpoint.
/// Longest excerpt of a bad argument shown in its error.
const MAX_SHOWN_ARG: usize = 64;

pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_STS";

/// A failure, with the exit status it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Bad input or environment the user must fix (exit 2).
    Usage(String),
    /// Anything else (exit 1).
    Other(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Other(m) => m,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Other(_) => 1,
        }
    }
}

const NO_CREDENTIALS_HELP: &str = "no AWS credentials found. Looked in: environment variables \
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the shared files \
(~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE; \
profile from --profile or AWS_PROFILE, including SSO and role chains), web identity \
(AWS_WEB_IDENTITY_TOKEN_FILE), ECS container credentials and EC2 instance metadata. To fix: \
run 'aws configure' or 'aws sso login', pass --profile NAME, or export AWS_ACCESS_KEY_ID and \
AWS_SECRET_ACCESS_KEY";

/// Missing credentials get the full help; a broken source (expired SSO session, bad
/// profile) gets its own message.
fn credentials_failure(e: &CredentialsError) -> Failure {
    let details = credentials::describe_error(e);
    match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            Failure::Usage(format!("{NO_CREDENTIALS_HELP}.\nDetails: {details}"))
        }
        _ => Failure::Usage(format!("cannot load AWS credentials: {details}")),
    }
}

/// The endpoint URL to sign for: --endpoint, else AWS_ENDPOINT_URL_STS.
fn endpoint_arg(args: &Args, env_endpoint: Option<String>) -> Option<(String, &'static str)> {
    match (&args.endpoint, env_endpoint) {
        (Some(e), _) => Some((e.clone(), "--endpoint")),
        (None, Some(e)) if !e.trim().is_empty() => Some((e, ENDPOINT_ENV)),
        _ => None,
    }
}

/// Checks what needs no AWS call: endpoint, server id, region syntax, signing time.
pub struct Plan {
    /// Endpoint URL if one was given (used for AssumeRole too), and the host to sign for.
    pub endpoint_url: Option<String>,
    pub endpoint_host: Option<String>,
    pub server_id: Option<String>,
    pub signing_time: SystemTime,
}

pub fn plan(args: &Args, env_endpoint: Option<String>) -> Result<Plan, Failure> {
    let (endpoint_url, endpoint_host) = match endpoint_arg(args, env_endpoint) {
        Some((url, source)) => {
            let ep = parse_endpoint(&url)
                .map_err(|e| Failure::Usage(format!("bad endpoint from {source}: {e}")))?
                .ok_or_else(|| Failure::Usage(format!("bad endpoint from {source}: empty")))?;
            (Some(ep.url()), Some(ep.authority))
        }
        None => (None, None),
    };
    if let Some(id) = &args.server_id
        && !syntax::is_server_id(id)
    {
        return Err(Failure::Usage(format!(
            "bad --server-id: {}",
            syntax::SERVER_ID_RULE
        )));
    }
    if let Some(r) = &args.region
        && !syntax::is_region(r)
    {
        return Err(Failure::Usage(format!(
            "bad --region {}: expected a region name such as us-east-1",
            syntax::quoted(r, MAX_SHOWN_ARG)
        )));
    }
    let signing_time = match &args.signing_time {
        None => SystemTime::now(),
        Some(s) => DateTime::from_str(s, DateFormat::DateTime)
            .ok()
            .and_then(|d| SystemTime::try_from(d).ok())
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "bad --signing-time {}: expected RFC 3339 such as 2026-01-02T03:04:05Z",
                    syntax::quoted(s, MAX_SHOWN_ARG)
                ))
            })?,
    };
    Ok(Plan {
        endpoint_url,
        endpoint_host,
        server_id: args.server_id.clone(),
        signing_time,
    })
}

/// Loads credentials (optionally assuming a role) and the region, with aws-config.
async fn load(args: &Args, plan: &Plan) -> Result<(Credentials, String), Failure> {
    let mut loader = credentials::loader();
    if let Some(p) = &args.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &args.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let sdk = loader.load().await;
    let region = sdk.region().map(|r| r.to_string()).ok_or_else(|| {
        Failure::Usage(
            "no AWS region: pass --region, set AWS_REGION, or set 'region' in your profile".into(),
        )
    })?;
    if !syntax::is_region(&region) {
        return Err(Failure::Usage(format!(
            "the configured AWS region {} is not a region name",
            syntax::quoted(&region, MAX_SHOWN_ARG)
        )));
    }
    let base = sdk
        .credentials_provider()
        .ok_or_else(|| Failure::Usage(NO_CREDENTIALS_HELP.into()))?;
    let creds = match &args.assume_role {
        None => base
            .provide_credentials()
            .await
            .map_err(|e| credentials_failure(&e))?,
        Some(role) => {
            let mut sts_config = sdk.to_builder();
            if let Some(url) = &plan.endpoint_url {
                // AssumeRole goes to the same STS the token is for (LocalStack in tests).
                sts_config = sts_config.endpoint_url(url.clone());
            }
            let provider = AssumeRoleProvider::builder(role.clone())
                .session_name(args.role_session_name.clone())
                .region(Region::new(region.clone()))
                .configure(&sts_config.build())
                .build_from_provider(SharedCredentialsProvider::new(base))
                .await;
            provider.provide_credentials().await.map_err(|e| {
                Failure::Other(format!(
                    "cannot assume role {role}: {}",
                    credentials::describe_error(&e)
                ))
            })?
        }
    };
    Ok((creds, region))
}

/// Resolves everything and returns the token.
pub fn mint(args: &Args, env_endpoint: Option<String>) -> Result<String, Failure> {
    let plan = plan(args, env_endpoint)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start an async runtime: {e}")))?;
    let (creds, region) = rt.block_on(load(args, &plan))?;
    let host = plan
        .endpoint_host
        .clone()
        .unwrap_or_else(|| official_host_for_region(&region));
    // The server checks that an official host's region is the signing region.
    if let Some((host_region, _)) = official_host(&host)
        && host_region != region
    {
        return Err(Failure::Usage(format!(
            "endpoint host {host} is in region {host_region}, but the signing region is {region}: pass --region {host_region}"
        )));
    }
    let token = request::sign(
        &host,
        &region,
        plan.server_id.as_deref(),
        &creds,
        plan.signing_time,
    )
    .map_err(|e| Failure::Other(format!("cannot sign: {e}")))?;
    Ok(token.encode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(a: &[&str]) -> Args {
        Args::parse_from(std::iter::once("auth_awsiam_token").chain(a.iter().copied()))
    }

    fn usage(r: Result<Plan, Failure>) -> String {
        match r {
            Err(Failure::Usage(m)) => m,
            Err(Failure::Other(m)) => panic!("not a usage error: {m}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn endpoint_precedence_and_validation() {
        let p = plan(
            &args(&["--endpoint", "http://127.0.0.1:4566"]),
            Some("https://x.example".into()),
        )
        .unwrap();
        assert_eq!(p.endpoint_host.as_deref(), Some("127.0.0.1:4566"));
        assert_eq!(p.endpoint_url.as_deref(), Some("http://127.0.0.1:4566/"));
        let p = plan(
            &args(&[]),
            Some("https://sts.eu-west-1.amazonaws.com/".into()),
        )
        .unwrap();
        assert_eq!(
            p.endpoint_host.as_deref(),
            Some("sts.eu-west-1.amazonaws.com")
        );
        let p = plan(&args(&[]), None).unwrap();
        assert!(p.endpoint_host.is_none());
        let m = usage(plan(&args(&["--endpoint", "http://10.0.0.1"]), None));
        assert!(
            m.contains("bad endpoint from --endpoint") && m.contains("loopback"),
            "{m}"
        );
        let m = usage(plan(&args(&[]), Some("ftp://x".into())));
        assert!(m.contains(ENDPOINT_ENV), "{m}");
    }

    #[test]
    fn other_inputs() {
        assert!(usage(plan(&args(&["--server-id", "a b"]), None)).contains("--server-id"));
        assert!(usage(plan(&args(&["--region", "moon"]), None)).contains("--region"));
        assert!(usage(plan(&args(&["--signing-time", "yesterday"]), None)).contains("RFC 3339"));
        let p = plan(&args(&["--signing-time", "2026-01-02T03:04:05Z"]), None).unwrap();
        assert_eq!(
            p.signing_time,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_323_045)
        );
    }
}
