//! Loading AWS credentials and the default region with aws-config, shared by the server
//! identity and the token tool. The HTTP client is rustls with ring, the same TLS stack as
//! ureq, with the platform's root certificates.

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::region::ProfileFileRegionProvider;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::os_shim_internal::Env;

use crate::aws_error::Attempt;
use crate::configured_endpoint::{self, Configured, ENV_STS, Facts};
use crate::sts::hosts::official_host_for_region;
use crate::syntax;

/// The HTTPS client aws-config uses for IMDS, ECS, SSO and STS (AssumeRole, web identity).
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// aws-config's default loader with our HTTP client.
pub fn loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

/// What the user chose; `None` leaves it to the AWS configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct Choice<'a> {
    pub profile: Option<&'a str>,
    pub region: Option<&'a str>,
    /// An STS endpoint URL given explicitly (the token tool's `--endpoint`, the client
    /// plugin's `sts-endpoint`): every STS call of credential loading goes there too.
    pub sts_endpoint: Option<&'a str>,
}

/// aws-config's configuration, loaded as the AWS CLI would for the same profile.
pub struct Loaded {
    pub sdk: SdkConfig,
    /// What the profile says (its configured STS endpoint, its role).
    pub facts: Facts,
    /// Where the STS calls of credential loading go (AssumeRole of a `role_arn` profile,
    /// web identity), when not aws-config's default for the region.
    pub sts_url: Option<String>,
}

/// Loads the configuration for `choice`. The STS calls of credential loading (AssumeRole of
/// a `role_arn` profile, AssumeRoleWithWebIdentity) go to `choice.sts_endpoint`, else to the
/// configured STS endpoint, else to the official host of the region, like the SDKs'.
pub async fn load(choice: Choice<'_>) -> Loaded {
    let facts = configured_endpoint::read(choice.profile).await;
    let configured = &facts.sts;
    let base = || {
        let mut l = loader();
        if let Some(p) = choice.profile {
            l = l.profile_name(p);
        }
        l
    };
    let with_region = |l: ConfigLoader, r: Option<&str>| match r {
        Some(r) => l.region(Region::new(r.to_string())),
        None => l,
    };
    let sdk = with_region(base(), choice.region).load().await;
    let region = sdk.region().map(|r| r.to_string());
    let sts_url = match (choice.sts_endpoint, configured) {
        (Some(url), _) => Some(url.to_string()),
        // aws-config would still use the ignored setting for a role_arn profile.
        (None, Configured::Ignored) => region
            .as_deref()
            .map(|r| format!("https://{}", official_host_for_region(r))),
        (None, Configured::Url { url, .. }) => Some(url.clone()),
        (None, Configured::Nothing) => None,
    };
    let override_needed = choice.sts_endpoint.is_some() || *configured == Configured::Ignored;
    let sdk = match (&sts_url, override_needed) {
        (Some(url), true) => {
            with_region(base(), region.as_deref())
                .env(env_with(ENV_STS, url))
                .load()
                .await
        }
        _ => sdk,
    };
    Loaded {
        sdk,
        facts,
        sts_url,
    }
}

impl Loaded {
    /// The STS host the credential loading calls: the chosen or configured one, else the
    /// official host of the region.
    pub fn sts_host(&self) -> Option<String> {
        match &self.sts_url {
            Some(url) => Some(host_of(url)),
            None => self
                .sdk
                .region()
                .map(|r| official_host_for_region(r.as_ref())),
        }
    }

    /// What loading the credentials of the profile does, for messages: AssumeRole at the
    /// STS host for a `role_arn` profile, else reading the sources.
    pub fn attempt(&self, endpoint_settings: &str) -> Attempt {
        match &self.facts.role_arn {
            Some(role) => Attempt {
                action: format!(
                    "cannot assume role {} of profile '{}'",
                    syntax::quoted(role, 128).trim_matches('\''),
                    self.facts.profile
                ),
                host: self.sts_host(),
                endpoint_settings: endpoint_settings.to_string(),
            },
            None => Attempt {
                action: format!(
                    "cannot load AWS credentials of profile '{}'",
                    self.facts.profile
                ),
                host: None,
                endpoint_settings: endpoint_settings.to_string(),
            },
        }
    }
}

/// `host[:port]` of a URL, for messages; never the user information (it may hold a
/// password).
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    syntax::quoted(host, 128).trim_matches('\'').to_string()
}

/// The process environment with `name` set to `value`, for aws-config only.
fn env_with(name: &str, value: &str) -> Env {
    let mut vars: std::collections::HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    vars.insert(name.to_string(), value.to_string());
    Env::from(vars)
}

/// The region from AWS_REGION / AWS_DEFAULT_REGION or the profile, without any network
/// call (the default chain would also ask the instance metadata service).
pub fn local_region() -> Option<String> {
    let rt = tokio::runtime::Builder::new_current_thread().build().ok()?;
    let chain = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::new());
    rt.block_on(chain.region()).map(|r: Region| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_a_url_hides_user_information() {
        assert_eq!(
            host_of("https://u:secret@sts.example.com:8443/x"),
            "sts.example.com:8443"
        );
        assert_eq!(host_of("http://127.0.0.1:4566/"), "127.0.0.1:4566");
        assert_eq!(host_of("sts.example.com"), "sts.example.com");
    }
}
