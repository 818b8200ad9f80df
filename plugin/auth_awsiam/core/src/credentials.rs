//! Loading AWS credentials and the default region with aws-config, shared by the server
//! identity and the token tool. The HTTP client is rustls with ring, the same TLS stack as
//! ureq, with the platform's root certificates.

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::region::ProfileFileRegionProvider;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

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

/// The region from AWS_REGION / AWS_DEFAULT_REGION or the profile, without any network
/// call (the default chain would also ask the instance metadata service).
pub fn local_region() -> Option<String> {
    let rt = tokio::runtime::Builder::new_current_thread().build().ok()?;
    let chain = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::new());
    rt.block_on(chain.region()).map(|r: Region| r.to_string())
}

/// An error and its sources as text, each cause once (aws-config's `Debug` forms are long
/// and repeat themselves).
pub fn describe_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::error::CredentialsError;

    #[test]
    fn error_chains_are_described_once() {
        let e = CredentialsError::not_loaded("no file");
        assert_eq!(
            describe_error(&e),
            "the credential provider was not enabled: no file"
        );
    }
}
