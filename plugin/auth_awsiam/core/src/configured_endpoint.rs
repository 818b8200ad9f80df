//! The STS endpoint the AWS configuration sets, read the way the AWS SDKs and the AWS CLI
//! read it ("service-specific endpoints", docs.aws.amazon.com/sdkref/latest/guide/
//! feature-ss-endpoints.html): `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else the
//! `sts` `endpoint_url` of the profile's `services` section, else the profile's
//! `endpoint_url`; none of them when `ignore_configured_endpoint_urls` (or
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`) is true.
//!
//! Read here rather than taken from aws-config's `SdkConfig` because the tools must say
//! where a bad value came from, and because aws-config 1.13 forgets
//! `ignore_configured_endpoint_urls` for the AssumeRole call of a `role_arn` profile
//! (`ProviderConfig::client_config` hard-codes it to false): the caller overrides that.

use std::borrow::Cow;

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::EnvConfigValue;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

pub const ENV_STS: &str = "AWS_ENDPOINT_URL_STS";
pub const ENV_GLOBAL: &str = "AWS_ENDPOINT_URL";
const ENV_IGNORE: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
const KEY_ENDPOINT: &str = "endpoint_url";
const KEY_IGNORE: &str = "ignore_configured_endpoint_urls";
/// The service ID of STS in `services` sections and `AWS_ENDPOINT_URL_<ID>`.
const SERVICE_ID: &str = "STS";

/// What the configuration says about the STS endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Configured {
    /// Nothing set: the official regional host.
    Nothing,
    /// Set, but `ignore_configured_endpoint_urls` is true: the official regional host.
    Ignored,
    /// This URL (unchecked), and where it was set, for messages.
    Url { url: String, source: String },
}

/// What the selected profile says, for choosing hosts and naming them in messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The profile's name (`--profile`, else AWS_PROFILE, else `default`).
    pub profile: String,
    pub sts: Configured,
    /// Its `role_arn`: loading its credentials calls AssumeRole.
    pub role_arn: Option<String>,
}

/// Reads the settings of `profile` (else AWS_PROFILE, else `default`). A config file that
/// cannot be read or parsed counts as empty here: loading the credentials reports it.
pub async fn read(profile: Option<&str>) -> Facts {
    let env = Env::real();
    let profiles = aws_config::profile::load(
        &Fs::real(),
        &env,
        &EnvConfigFiles::default(),
        profile.map(|p| Cow::Owned(p.to_string())),
    )
    .await
    .ok();
    Facts {
        profile: profiles.as_ref().map_or_else(
            || profile.unwrap_or("default").to_string(),
            |p| p.selected_profile().to_string(),
        ),
        sts: resolve(&env, profiles.as_ref()),
        role_arn: profiles
            .as_ref()
            .and_then(|p| p.get("role_arn"))
            .map(str::to_string),
    }
}

fn resolve(env: &Env, profiles: Option<&ProfileSet>) -> Configured {
    let ignore = EnvConfigValue::new()
        .env(ENV_IGNORE)
        .profile(KEY_IGNORE)
        .load(env, profiles)
        .is_some_and(|(v, _)| v.trim().eq_ignore_ascii_case("true"));
    let Some((url, _)) = EnvConfigValue::new()
        .env(ENV_GLOBAL)
        .profile(KEY_ENDPOINT)
        .service_id(SERVICE_ID)
        .load(env, profiles)
    else {
        return Configured::Nothing;
    };
    if ignore {
        return Configured::Ignored;
    }
    let url = url.into_owned();
    let source = source_of(env, profiles, &url);
    Configured::Url { url, source }
}

/// Where `url` was set, in the same order of precedence.
fn source_of(env: &Env, profiles: Option<&ProfileSet>, url: &str) -> String {
    for var in [ENV_STS, ENV_GLOBAL] {
        if env.get(var).is_ok_and(|v| v == url) {
            return var.to_string();
        }
    }
    let profile = profiles.map_or("default", |p| p.selected_profile());
    match profiles.and_then(|p| p.get(KEY_ENDPOINT)) {
        Some(v) if v == url => format!("endpoint_url of profile '{profile}'"),
        _ => format!("the sts endpoint_url of the services section of profile '{profile}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runtime::env_config::file::EnvConfigFileKind;

    async fn with(vars: &[(&str, &str)], config: &str, profile: &str) -> Configured {
        let env = Env::from_slice(vars);
        let fs = Fs::from_slice(&[("/c", config)]);
        let files = EnvConfigFiles::builder()
            .with_file(EnvConfigFileKind::Config, "/c")
            .build();
        let set = aws_config::profile::load(&fs, &env, &files, Some(profile.to_string().into()))
            .await
            .unwrap();
        resolve(&env, Some(&set))
    }

    fn url(u: &str, source: &str) -> Configured {
        Configured::Url {
            url: u.into(),
            source: source.into(),
        }
    }

    const CONFIG: &str = "[profile a]\nendpoint_url = http://127.0.0.1:1\n\
[profile b]\nendpoint_url = http://127.0.0.1:1\nservices = s\n\
[services s]\nsts =\n  endpoint_url = http://127.0.0.1:2\n\
[profile c]\nservices = s\nignore_configured_endpoint_urls = true\n";

    #[tokio::test]
    async fn precedence_follows_the_sdks() {
        assert_eq!(with(&[], CONFIG, "none").await, Configured::Nothing);
        let a = with(&[], CONFIG, "a").await;
        assert_eq!(a, url("http://127.0.0.1:1", "endpoint_url of profile 'a'"));
        let b = with(&[], CONFIG, "b").await;
        let services = "the sts endpoint_url of the services section of profile 'b'";
        assert_eq!(b, url("http://127.0.0.1:2", services));
        let g = with(&[(ENV_GLOBAL, "http://127.0.0.1:3")], CONFIG, "b").await;
        assert_eq!(g, url("http://127.0.0.1:3", ENV_GLOBAL));
        let vars = [
            (ENV_GLOBAL, "http://127.0.0.1:3"),
            (ENV_STS, "http://127.0.0.1:4"),
        ];
        assert_eq!(
            with(&vars, CONFIG, "b").await,
            url("http://127.0.0.1:4", ENV_STS)
        );
    }

    #[tokio::test]
    async fn ignore_flag_from_profile_or_environment() {
        assert_eq!(with(&[], CONFIG, "c").await, Configured::Ignored);
        let vars = [(ENV_IGNORE, "TRUE"), (ENV_STS, "http://127.0.0.1:4")];
        assert_eq!(with(&vars, CONFIG, "a").await, Configured::Ignored);
        let vars = [(ENV_IGNORE, "false")];
        assert!(matches!(
            with(&vars, CONFIG, "a").await,
            Configured::Url { .. }
        ));
    }
}
