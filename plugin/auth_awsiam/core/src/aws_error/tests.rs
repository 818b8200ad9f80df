use super::*;
use aws_credential_types::provider::error::CredentialsError;

/// An error with a message and a source, like hyper's and aws-smithy's wrappers.
#[derive(Debug)]
struct Wrap(&'static str, Option<Box<dyn Error + Send + Sync>>);

impl std::fmt::Display for Wrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Error for Wrap {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.1.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}

fn attempt(host: Option<&str>) -> Attempt {
    Attempt {
        action: "cannot assume role arn:aws:iam::123456789012:role/AppRole".into(),
        host: host.map(str::to_string),
        endpoint_settings: "--endpoint".into(),
    }
}

/// What the SDK gives for a name that does not resolve (hyper-util's chain).
fn dns_failure() -> CredentialsError {
    let io =
        std::io::Error::other("failed to lookup address information: Name or service not known");
    let dns = Wrap("dns error", Some(Box::new(io)));
    let client = Wrap("client error (Connect)", Some(Box::new(dns)));
    let connector = ConnectorError::io(Box::new(client));
    CredentialsError::provider_error(Wrap("dispatch failure", Some(Box::new(connector))))
}

#[test]
fn dns_failure_names_the_host_and_what_to_check() {
    let e = dns_failure();
    assert_eq!(cause(&e), Cause::Dns);
    let m = explain(&attempt(Some("nonexistent.invalid")), &e);
    assert_eq!(
        m,
        "cannot assume role arn:aws:iam::123456789012:role/AppRole: the host name \
nonexistent.invalid does not resolve; check --endpoint and this machine's DNS"
    );
    assert!(!m.contains("dispatch failure") && !m.contains('\n'));
}

#[test]
fn connection_failures() {
    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    let e = ConnectorError::io(Box::new(Wrap("tcp connect error", Some(Box::new(refused)))));
    assert_eq!(cause(&e), Cause::Refused);
    let m = explain(&attempt(Some("127.0.0.1:1")), &e);
    assert!(
        m.contains("127.0.0.1:1 refused the connection; check --endpoint"),
        "{m}"
    );
    let e = ConnectorError::timeout(Box::new(Wrap("slow", None)));
    assert_eq!(cause(&e), Cause::Timeout);
    let e = ConnectorError::io(Box::new(Wrap("connection reset", None)));
    assert_eq!(cause(&e), Cause::Connect("connection reset".into()));
    let m = explain(&attempt(Some("h")), &e);
    assert!(m.contains("cannot connect to h (connection reset)"), "{m}");
}

#[test]
fn sts_error_codes_get_their_own_hint_and_no_debug_dump() {
    let meta = ErrorMetadata::builder()
        .code("ValidationError")
        .message("1 validation error detected: Value 'x' at 'roleArn' failed to satisfy constraint")
        .build();
    let e = CredentialsError::provider_error(Wrap("service error", Some(Box::new(meta))));
    let m = explain(&attempt(Some("sts.us-east-1.amazonaws.com")), &e);
    assert!(m.starts_with("cannot assume role arn:aws:iam::123456789012:role/AppRole: STS at sts.us-east-1.amazonaws.com answered ValidationError: 1 validation error"), "{m}");
    assert!(m.contains("check the role ARN"), "{m}");
    assert!(!m.contains("Error {") && !m.contains("code:"), "{m}");
    for (code, hint) in [
        ("AccessDenied", "trust policy"),
        ("InvalidClientTokenId", "check your AWS credentials"),
        ("ExpiredToken", "refresh them"),
        ("RegionDisabledException", "activate STS"),
        ("Throttling", "STS documentation"),
    ] {
        let c = Cause::Service {
            code: code.into(),
            message: "m".into(),
        };
        let m = sentence(&attempt(Some("h")), &c);
        assert!(m.contains(code) && m.contains(hint), "{m}");
    }
}

#[test]
fn without_a_host_the_cause_is_still_one_line() {
    let e = CredentialsError::provider_error(Wrap("profile `x` was not defined", None));
    let m = explain(&attempt(None), &e);
    assert!(m.ends_with(": profile `x` was not defined"), "{m}");
    let m = sentence(&attempt(None), &Cause::Dns);
    assert!(
        m.ends_with(
            "a host name does not resolve; check the profile's credential source (SSO, \
credential_process, web identity, instance metadata) and the network"
        ),
        "{m}"
    );
    // Control characters and long texts from outside are quoted and cut.
    let long = Cause::Other(format!("a\nb{}", "x".repeat(500)));
    let m = sentence(&attempt(None), &long);
    assert!(!m.contains('\n') && m.len() < 400, "{m}");
}

#[test]
fn error_chains_are_described_once() {
    let e = CredentialsError::not_loaded("no file");
    assert_eq!(
        describe(&e),
        "the credential provider was not enabled: no file"
    );
}
