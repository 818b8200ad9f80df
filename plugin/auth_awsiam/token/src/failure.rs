//! The tool's failures: one sentence each (what failed, which host or ARN, what to check),
//! with the exit status it maps to. None holds a secret.

use auth_awsiam_core::aws_error::{self, Attempt};
use aws_credential_types::provider::error::CredentialsError;

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

pub const NO_CREDENTIALS_HELP: &str = "no AWS credentials found (looked in the environment \
variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile of --profile or AWS_PROFILE \
in ~/.aws/config and ~/.aws/credentials or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE \
including SSO and role chains, web identity (AWS_WEB_IDENTITY_TOKEN_FILE), ECS container \
credentials and EC2 instance metadata); run 'aws configure' or 'aws sso login', pass \
--profile NAME, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";

/// Missing credentials get the list of places looked at; a broken source (expired SSO
/// session, bad profile, unreachable or refusing STS) gets its own sentence.
pub fn credentials_failure(e: &CredentialsError, attempt: &Attempt) -> Failure {
    match e {
        CredentialsError::CredentialsNotLoaded(_) => Failure::Usage(NO_CREDENTIALS_HELP.into()),
        _ => Failure::Usage(aws_error::explain(attempt, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt() -> Attempt {
        Attempt {
            action: "cannot assume role R of profile 'app'".into(),
            host: Some("sts.us-east-1.amazonaws.com".into()),
            endpoint_settings: "--endpoint".into(),
        }
    }

    #[test]
    fn no_credentials_is_one_line_with_the_fixes() {
        let f = credentials_failure(&CredentialsError::not_loaded("x"), &attempt());
        let m = f.message();
        assert_eq!(f.exit_code(), 2);
        assert!(!m.contains('\n') && m.contains("aws sso login") && m.contains("AWS_PROFILE"));
    }

    #[test]
    fn broken_sources_name_the_attempt() {
        let e = CredentialsError::provider_error(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        let m = credentials_failure(&e, &attempt()).message().to_string();
        assert_eq!(
            m,
            "cannot assume role R of profile 'app': sts.us-east-1.amazonaws.com refused the \
connection; check --endpoint and that the endpoint is up"
        );
    }
}
