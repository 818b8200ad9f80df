//! Credentials, region and endpoint resolution, then signing (or, with --jwt, minting a JWT
//! with GetWebIdentityToken at that endpoint).

use std::time::SystemTime;

use auth_awsiam_core::aws_error::{self, Attempt};
use auth_awsiam_core::config::parse_endpoint;
use auth_awsiam_core::configured_endpoint::{self, Configured};
use auth_awsiam_core::credentials::{self, Choice, Loaded};
use auth_awsiam_core::identity;
use auth_awsiam_core::request;
use auth_awsiam_core::sts::hosts::{official_host, official_host_for_region};
use auth_awsiam_core::syntax;
use auth_awsiam_core::web_identity::{self, MintError, SigningAlgorithm, Target, TokenRequest};
use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::date_time::{DateTime, Format as DateFormat};

use crate::cli::{Algorithm, Args};
use crate::failure::{Failure, NO_CREDENTIALS_HELP, credentials_failure};

/// Longest excerpt of a bad argument shown in its error.
const MAX_SHOWN_ARG: usize = 64;

/// The STS endpoint the token is signed for, when not the official regional host.
#[derive(Debug)]
pub struct Chosen {
    /// Normalised `scheme://host[:port]/`.
    pub url: String,
    /// `host[:port]`, signed into the token: the server forwards there.
    pub host: String,
    /// The setting it came from, for messages.
    pub source: String,
    /// Given on the command line: it also takes the STS calls of credential loading.
    pub explicit: bool,
}

/// What needs no AWS call: endpoint, server id, region syntax, role, signing time.
pub struct Plan {
    pub endpoint: Option<Chosen>,
    pub server_id: Option<String>,
    pub signing_time: SystemTime,
}

impl Plan {
    /// The settings that choose the STS host, for "check ..." in messages.
    fn endpoint_settings(&self) -> String {
        match &self.endpoint {
            Some(c) => c.source.clone(),
            None => "the region (--region, AWS_REGION or the profile's region)".into(),
        }
    }
}

/// The endpoint to sign for: --endpoint, else the configured STS endpoint (environment or
/// profile, as the AWS SDKs read it), else none (the official host of the region).
fn choose_endpoint(args: &Args, configured: &Configured) -> Result<Option<Chosen>, Failure> {
    let (url, source, explicit) = match (&args.endpoint, configured) {
        (Some(e), _) => (e.clone(), "--endpoint".to_string(), true),
        (None, Configured::Url { url, source }) => (url.clone(), source.clone(), false),
        (None, _) => return Ok(None),
    };
    let bad = |e: String| Failure::Usage(format!("bad endpoint from {source}: {e}"));
    let ep = parse_endpoint(&url)
        .map_err(bad)?
        .ok_or_else(|| bad("empty".into()))?;
    Ok(Some(Chosen {
        url: ep.url(),
        host: ep.authority,
        source,
        explicit,
    }))
}

/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, checked before STS sees it.
fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let Some(path) = resource.strip_prefix("role/") else {
        return false;
    };
    let mut segments: Vec<&str> = path.split('/').collect();
    let name = segments.pop().unwrap_or("");
    scheme == "arn"
        && identity::is_partition(partition)
        && service == "iam"
        && region.is_empty()
        && syntax::is_account_id(account)
        && identity::is_name(name, 1)
        && segments.iter().all(|s| identity::is_path_segment(s))
}

pub fn plan(args: &Args, configured: &Configured) -> Result<Plan, Failure> {
    let endpoint = choose_endpoint(args, configured)?;
    if let Some(id) = &args.server_id
        && !syntax::is_server_id(id)
    {
        return Err(Failure::Usage(format!(
            "bad --server-id {}: expected {}, the server's auth_awsiam_server_id",
            syntax::quoted(id, MAX_SHOWN_ARG),
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
    if let Some(role) = &args.assume_role {
        if !is_role_arn(role) {
            return Err(Failure::Usage(format!(
                "bad --assume-role {}: expected a role ARN such as arn:aws:iam::123456789012:role/AppRole",
                syntax::quoted(role, MAX_SHOWN_ARG)
            )));
        }
        if !identity::is_name(&args.role_session_name, 2) {
            return Err(Failure::Usage(format!(
                "bad --role-session-name {}: expected 2 to 64 characters from A-Z a-z 0-9 + = , . @ _ -",
                syntax::quoted(&args.role_session_name, MAX_SHOWN_ARG)
            )));
        }
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
        endpoint,
        server_id: args.server_id.clone(),
        signing_time,
    })
}

/// The region aws-config resolved, checked.
fn region_of(loaded: &Loaded) -> Result<String, Failure> {
    let region = loaded.sdk.region().map(|r| r.to_string()).ok_or_else(|| {
        Failure::Usage(
            "no AWS region: pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set 'region' in your profile"
                .into(),
        )
    })?;
    if !syntax::is_region(&region) {
        return Err(Failure::Usage(format!(
            "the configured AWS region {} is not a region name: check AWS_REGION, AWS_DEFAULT_REGION and the region of profile '{}'",
            syntax::quoted(&region, MAX_SHOWN_ARG),
            loaded.facts.profile
        )));
    }
    Ok(region)
}

/// --jwt: what to ask GetWebIdentityToken for, checked before any AWS call.
fn token_request(args: &Args) -> Result<TokenRequest, Failure> {
    let mut tags = Vec::new();
    for t in &args.tag {
        let (k, v) = t.split_once('=').ok_or_else(|| {
            Failure::Usage(format!(
                "bad --tag {}: expected KEY=VALUE",
                syntax::quoted(t, MAX_SHOWN_ARG)
            ))
        })?;
        tags.push((k.to_string(), v.to_string()));
    }
    let request = TokenRequest {
        audiences: args.audience.clone(),
        algorithm: match args.signing_algorithm {
            Algorithm::Rs256 => SigningAlgorithm::Rs256,
            Algorithm::Es384 => SigningAlgorithm::Es384,
        },
        duration_secs: args.duration,
        tags,
    };
    request
        .check()
        .map_err(|e| Failure::Usage(format!("bad --jwt request: {e}")))?;
    Ok(request)
}

/// Loads credentials (optionally assuming a role) and the region, with aws-config; and the
/// configuration they came from (HTTP client, timeouts) for the STS call of --jwt.
async fn load(args: &Args, plan: &Plan) -> Result<(Credentials, String, SdkConfig), Failure> {
    let explicit = plan.endpoint.as_ref().filter(|c| c.explicit);
    let loaded = credentials::load(Choice {
        profile: args.profile.as_deref(),
        region: args.region.as_deref(),
        sts_endpoint: explicit.map(|c| c.url.as_str()),
    })
    .await;
    let region = region_of(&loaded)?;
    let settings = plan.endpoint_settings();
    let base = loaded
        .sdk
        .credentials_provider()
        .ok_or_else(|| Failure::Usage(NO_CREDENTIALS_HELP.into()))?;
    let creds = base
        .provide_credentials()
        .await
        .map_err(|e| credentials_failure(&e, &loaded.attempt(&settings)))?;
    let Some(role) = &args.assume_role else {
        return Ok((creds, region, loaded.sdk));
    };
    let mut sts_config = loaded.sdk.to_builder();
    if let Some(url) = &loaded.sts_url {
        sts_config = sts_config.endpoint_url(url.clone());
    }
    let provider = AssumeRoleProvider::builder(role.clone())
        .session_name(args.role_session_name.clone())
        .region(Region::new(region.clone()))
        .configure(&sts_config.build())
        .build_from_provider(creds)
        .await;
    let attempt = Attempt {
        action: format!("cannot assume role {role}"),
        host: loaded.sts_host(),
        endpoint_settings: settings,
    };
    let creds = provider
        .provide_credentials()
        .await
        .map_err(|e| Failure::Other(aws_error::explain(&attempt, &e)))?;
    Ok((creds, region, loaded.sdk))
}

/// Resolves everything and returns the token.
pub fn mint(args: &Args) -> Result<String, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(format!("cannot start an async runtime: {e}")))?;
    let facts = rt.block_on(configured_endpoint::read(args.profile.as_deref()));
    let plan = plan(args, &facts.sts)?;
    let jwt = args.jwt.then(|| token_request(args)).transpose()?;
    let (creds, region, sdk) = rt.block_on(load(args, &plan))?;
    let host = match &plan.endpoint {
        Some(c) => c.host.clone(),
        None => official_host_for_region(&region),
    };
    // The server checks that an official host's region is the signing region.
    if let Some((host_region, _)) = official_host(&host)
        && host_region != region
    {
        return Err(Failure::Usage(format!(
            "endpoint host {host} is in region {host_region}, but the signing region is {region}: pass --region {host_region}"
        )));
    }
    if let Some(request) = jwt {
        let target = Target {
            endpoint: plan
                .endpoint
                .as_ref()
                .map(|c| c.url.trim_end_matches('/').to_string()),
            endpoint_settings: plan.endpoint_settings(),
            region,
        };
        return rt
            .block_on(web_identity::mint(&sdk, creds, &target, &request))
            .map(|minted| minted.token)
            .map_err(|e| match e {
                MintError::Invalid(m) => Failure::Usage(m),
                MintError::Failed(m) => Failure::Other(m),
            });
    }
    let token = request::sign(
        &host,
        &region,
        plan.server_id.as_deref(),
        &creds,
        plan.signing_time,
    )
    .map_err(|e| Failure::Other(format!("cannot sign the token: {e}")))?;
    Ok(token.encode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(a: &[&str]) -> Args {
        Args::parse_from(std::iter::once("auth_awsiam_token").chain(a.iter().copied()))
    }

    fn url(u: &str, source: &str) -> Configured {
        Configured::Url {
            url: u.into(),
            source: source.into(),
        }
    }

    fn host(p: &Plan) -> Option<&str> {
        p.endpoint.as_ref().map(|c| c.host.as_str())
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
        let env = url("https://x.example", "AWS_ENDPOINT_URL_STS");
        let p = plan(&args(&["--endpoint", "http://127.0.0.1:4566"]), &env).unwrap();
        let c = p.endpoint.as_ref().unwrap();
        assert_eq!(c.host, "127.0.0.1:4566");
        assert_eq!(c.url, "http://127.0.0.1:4566/");
        assert!(c.explicit);
        let p = plan(&args(&[]), &env).unwrap();
        assert_eq!(host(&p), Some("x.example"));
        assert!(!p.endpoint.as_ref().unwrap().explicit);
        assert_eq!(p.endpoint_settings(), "AWS_ENDPOINT_URL_STS");
        assert!(host(&plan(&args(&[]), &Configured::Nothing).unwrap()).is_none());
        assert!(host(&plan(&args(&[]), &Configured::Ignored).unwrap()).is_none());
        let m = usage(plan(
            &args(&["--endpoint", "http://10.0.0.1"]),
            &Configured::Nothing,
        ));
        assert!(
            m.contains("bad endpoint from --endpoint") && m.contains("loopback"),
            "{m}"
        );
        let profile = url(
            "https://sts.example.com/path",
            "endpoint_url of profile 'p'",
        );
        let m = usage(plan(&args(&[]), &profile));
        assert!(
            m.starts_with("bad endpoint from endpoint_url of profile 'p'"),
            "{m}"
        );
    }

    #[test]
    fn role_and_session_name_are_checked_before_any_call() {
        let none = &Configured::Nothing;
        for good in [
            "arn:aws:iam::123456789012:role/AppRole",
            "arn:aws-cn:iam::123456789012:role/team/db/AppRole",
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DBA_abc123",
        ] {
            assert!(
                plan(&args(&["--assume-role", good]), none).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "AppRole",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::12345:role/AppRole",
            "arn:aws:sts::123456789012:role/AppRole",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/a b",
        ] {
            let m = usage(plan(&args(&["--assume-role", bad]), none));
            assert!(
                m.starts_with("bad --assume-role") && m.contains("arn:aws:iam::"),
                "{m}"
            );
        }
        let a = args(&[
            "--assume-role",
            "arn:aws:iam::123456789012:role/AppRole",
            "--role-session-name",
            "x",
        ]);
        assert!(usage(plan(&a, none)).starts_with("bad --role-session-name 'x'"));
    }

    #[test]
    fn jwt_requests_are_checked_before_any_call() {
        let r = token_request(&args(&[
            "--jwt",
            "--audience",
            "a",
            "--tag",
            "k=v=w",
            "--tag",
            "e=",
        ]))
        .unwrap();
        assert_eq!(
            r.tags,
            [("k".into(), "v=w".into()), ("e".into(), String::new())]
        );
        assert_eq!(r.algorithm, SigningAlgorithm::Rs256);
        let bad = |a: &[&str]| match token_request(&args(a)) {
            Err(Failure::Usage(m)) => m,
            _ => panic!("accepted {a:?}"),
        };
        assert_eq!(
            bad(&["--jwt", "--audience", "a", "--tag", "novalue"]),
            "bad --tag 'novalue': expected KEY=VALUE"
        );
        assert_eq!(
            bad(&["--jwt", "--audience", "a", "--duration", "30"]),
            "bad --jwt request: duration 30 s: 60 to 3600 seconds are allowed"
        );
        assert!(bad(&["--jwt", "--audience", ""]).starts_with("bad --jwt request: audience ''"));
    }

    #[test]
    fn other_inputs() {
        let none = &Configured::Nothing;
        assert!(usage(plan(&args(&["--server-id", "a b"]), none)).contains("--server-id"));
        assert!(usage(plan(&args(&["--region", "moon"]), none)).contains("--region"));
        assert!(usage(plan(&args(&["--signing-time", "yesterday"]), none)).contains("RFC 3339"));
        let p = plan(&args(&["--signing-time", "2026-01-02T03:04:05Z"]), none).unwrap();
        assert_eq!(
            p.signing_time,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_323_045)
        );
    }
}
