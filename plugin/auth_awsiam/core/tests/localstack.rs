//! The whole login path against a real STS: LocalStack, at AUTH_AWSIAM_TEST_STS_ENDPOINT
//! (e.g. http://127.0.0.1:4566). LocalStack treats a 12-digit access key ID as that
//! account, returns working credentials from AssumeRole, and does not verify signatures.
//!
//! Without the variable the test does nothing and says why, except in CI, where it fails.

use std::io::Write;
use std::time::{Duration, SystemTime};

use auth_awsiam_core::auth::{self, Login};
use auth_awsiam_core::config::{self, Setting};
use auth_awsiam_core::error::Reason;
use auth_awsiam_core::{credentials, plugin, request, server_identity};
use aws_config::Region;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

const ENDPOINT_ENV: &str = "AUTH_AWSIAM_TEST_STS_ENDPOINT";
const ACCOUNT: &str = "123456789012";
const OTHER_ACCOUNT: &str = "111111111111";
const REGION: &str = "us-east-1";

fn endpoint() -> Option<String> {
    match std::env::var(ENDPOINT_ENV) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty());
            assert!(
                !ci,
                "{ENDPOINT_ENV} is not set but CI is: the LocalStack test must run in CI"
            );
            // Straight to stderr: cargo test hides an eprintln! of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "localstack test: {ENDPOINT_ENV} is not set, so nothing was checked against STS \
                 (start LocalStack and set it to run it)"
            );
            None
        }
    }
}

fn base_creds(account: &str) -> Credentials {
    Credentials::new(account, "test-secret", None, None, "localstack-test")
}

/// Temporary credentials for `role_arn`, assumed from `account`'s keys at the endpoint.
fn assume(endpoint: &str, account: &str, role_arn: &str, session: &str) -> Credentials {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sdk = credentials::loader()
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(SharedCredentialsProvider::new(base_creds(account)))
            .load()
            .await;
        AssumeRoleProvider::builder(role_arn)
            .session_name(session)
            .configure(&sdk)
            .build()
            .await
            .provide_credentials()
            .await
            .expect("AssumeRole against LocalStack")
    })
}

fn host_of(endpoint: &str) -> String {
    config::parse_endpoint(endpoint).unwrap().unwrap().authority
}

fn token(endpoint: &str, creds: &Credentials, time: SystemTime) -> Vec<u8> {
    let mut t = request::sign(&host_of(endpoint), REGION, None, creds, time)
        .unwrap()
        .encode()
        .into_bytes();
    t.push(0); // as the cleartext client plugin sends it
    t
}

fn login<'a>(user: &'a str, auth_string: &'a str, token: &'a [u8]) -> Login<'a> {
    Login {
        user,
        client_user: user,
        host: "127.0.0.1",
        auth_string,
        token: Some(token),
        secure_transport: true,
    }
}

fn set(setting: Setting, value: &str) {
    plugin::set_str(setting as i32, value).unwrap();
}

#[test]
fn logins_against_localstack() {
    let Some(ep) = endpoint() else { return };
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    plugin::init(None);
    set(Setting::StsEndpoint, &ep);
    set(Setting::Region, REGION);
    set(Setting::AllowedAccounts, ACCOUNT);
    let now = SystemTime::now();

    // An AppRole session of the allowed account logs in as AppRole.
    let app = assume(
        &ep,
        ACCOUNT,
        &format!("arn:aws:iam::{ACCOUNT}:role/AppRole"),
        "ls-test",
    );
    assert!(app.session_token().is_some());
    let t = token(&ep, &app, now);
    let id = auth::authenticate(&login("AppRole", "", &t)).expect("AppRole allowed");
    assert_eq!(
        id.caller.arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/AppRole/ls-test")
    );
    assert_eq!(id.mapped, None);

    // ...but not as another MySQL user.
    let e = auth::authenticate(&login("OtherRole", "", &t)).unwrap_err();
    assert_eq!(e.reason, Reason::RoleMismatch, "{e}");

    // A binding by ARN pattern works for any MySQL user name.
    let bound = format!("arn:aws:iam::{ACCOUNT}:role/App*");
    assert!(auth::authenticate(&login("app_user", &bound, &t)).is_ok());
    let e = auth::authenticate(&login(
        "app_user",
        "arn:aws:iam::123456789012:role/Nope",
        &t,
    ))
    .unwrap_err();
    assert_eq!(e.reason, Reason::BindingMismatch);

    // The same role name in another account is refused.
    let other = assume(
        &ep,
        OTHER_ACCOUNT,
        &format!("arn:aws:iam::{OTHER_ACCOUNT}:role/AppRole"),
        "ls-test",
    );
    let t_other = token(&ep, &other, now);
    let e = auth::authenticate(&login("AppRole", "", &t_other)).unwrap_err();
    assert_eq!(e.reason, Reason::AccountNotAllowed, "{e}");

    // Long-term keys answer as the account root, which is refused unless bound explicitly.
    let t_root = token(&ep, &base_creds(ACCOUNT), now);
    let e = auth::authenticate(&login("AppRole", "", &t_root)).unwrap_err();
    assert_eq!(e.reason, Reason::PrincipalTypeNotAllowed, "{e}");
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    let id =
        auth::authenticate(&login("breakglass", &root, &t_root)).expect("root bound explicitly");
    assert_eq!(id.caller.arn, root);

    // An old token never reaches STS.
    let old = token(&ep, &app, now - Duration::from_secs(3600));
    assert_eq!(
        auth::authenticate(&login("AppRole", "", &old))
            .unwrap_err()
            .reason,
        Reason::TokenExpired
    );

    // The server learns its own account from LocalStack; with no configured accounts that
    // account is the allowed one.
    set(Setting::AllowedAccounts, "");
    server_identity::start_with(config::current(), Some(base_creds(ACCOUNT)));
    let allowed =
        server_identity::allowed_accounts(Duration::from_secs(10)).expect("server account learned");
    assert_eq!(allowed.accounts, vec![ACCOUNT.to_string()]);
    assert!(auth::authenticate(&login("AppRole", "", &t)).is_ok());
    assert_eq!(
        auth::authenticate(&login("AppRole", "", &t_other))
            .unwrap_err()
            .reason,
        Reason::AccountNotAllowed
    );
    server_identity::stop();
    plugin::deinit();
}
