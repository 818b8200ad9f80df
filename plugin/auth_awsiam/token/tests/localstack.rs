//! The tool against a real STS (LocalStack at AUTH_AWSIAM_TEST_STS_ENDPOINT): --assume-role
//! goes to the same endpoint, and the server side accepts the token it mints.
//!
//! Without the variable the test does nothing and says why, except in CI, where it fails.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, SystemTime};

use auth_awsiam_core::auth::{Login, verify};
use auth_awsiam_core::config::{Config, parse_endpoint};
use auth_awsiam_core::policy::no_allowed_account;

const ENDPOINT_ENV: &str = "AUTH_AWSIAM_TEST_STS_ENDPOINT";

#[test]
fn assume_role_token_is_accepted() {
    let ep = match std::env::var(ENDPOINT_ENV) {
        Ok(v) if !v.is_empty() => v,
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty());
            assert!(
                !ci,
                "{ENDPOINT_ENV} is not set but CI is: the LocalStack test must run in CI"
            );
            // Straight to stderr: cargo test hides an eprintln! of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "localstack test: {ENDPOINT_ENV} is not set, so --assume-role was not checked against STS"
            );
            return;
        }
    };
    let dir = std::env::temp_dir().join(format!("auth_awsiam_cli_ls_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("empty"), "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_auth_awsiam_token"))
        .env_clear()
        .env("HOME", &dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("empty"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("empty"))
        .env("AWS_ACCESS_KEY_ID", "123456789012")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .args([
            "--region",
            "us-east-1",
            "--endpoint",
            &ep,
            "--server-id",
            "db-test",
        ])
        .args([
            "--assume-role",
            "arn:aws:iam::123456789012:role/AppRole",
            "--role-session-name",
            "cli-test",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();

    let cfg = Config {
        endpoint: parse_endpoint(&ep).unwrap(),
        allowed_accounts: vec!["123456789012".into()],
        server_id: Some("db-test".into()),
        cache_size: 0,
        ..Config::default()
    };
    let login = Login {
        user: "AppRole",
        client_user: "AppRole",
        host: "127.0.0.1",
        auth_string: "",
        token: Some(token.as_bytes()),
        secure_transport: true,
    };
    let no_server = |_: Duration| Err(no_allowed_account("not needed"));
    let id = verify(&login, &cfg, SystemTime::now(), &no_server)
        .map_err(|(r, _)| r)
        .unwrap();
    assert_eq!(
        id.caller.arn,
        "arn:aws:sts::123456789012:assumed-role/AppRole/cli-test"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
