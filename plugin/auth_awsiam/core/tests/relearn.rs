//! The server's own account after a change of the STS endpoint or region, through the
//! plugin's settings as the shim applies them: forgotten at once, learned again from the
//! new STS at once when no accounts are configured, else only once they are emptied. Its
//! own test binary: it sets the process environment (the server's AWS credentials).

mod common;

use std::time::{Duration, Instant};

use auth_awsiam_core::config::Setting;
use auth_awsiam_core::server_identity::{self, State};
use auth_awsiam_core::{config, plugin};

fn set(setting: Setting, value: &str) {
    plugin::set_str(setting as i32, value).unwrap();
}

/// Waits for the server's own account to be `want`.
fn learned(want: &str) {
    let started = Instant::now();
    while server_identity::account().as_deref() != Some(want) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "account {want} not learned: {:?}",
            server_identity::state()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_new_endpoint_or_region_means_a_new_account() {
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDSERVER");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/auth_awsiam/config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/auth_awsiam/credentials",
        );
    }
    let first = common::fake_sts("arn:aws:iam::111122223333:user/db");
    let second = common::fake_sts("arn:aws:iam::444455556666:user/db");

    plugin::init(None);
    set(Setting::StsEndpoint, &format!("http://{first}"));
    plugin::start();
    learned("111122223333");

    // Another endpoint, no accounts configured: the old account is gone at once, the new
    // one learned from the new STS.
    set(Setting::StsEndpoint, &format!("http://{second}"));
    assert_ne!(
        server_identity::account().as_deref(),
        Some("111122223333"),
        "the old account outlived the change"
    );
    learned("444455556666");

    // Another region: learned again (the same STS answers the same account here).
    set(Setting::Region, "eu-west-1");
    assert_eq!(server_identity::account(), None);
    learned("444455556666");

    // With accounts configured, a change only forgets it; emptying them learns it again.
    set(Setting::AllowedAccounts, "123456789012");
    set(Setting::StsEndpoint, &format!("http://{first}"));
    assert_eq!(server_identity::state(), State::Stale);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        server_identity::state(),
        State::Stale,
        "no lookup meanwhile"
    );
    set(Setting::AllowedAccounts, "");
    learned("111122223333");

    // Settings that name no other STS keep it.
    set(Setting::ServerId, "db1");
    set(Setting::AllowedPartitions, "aws");
    plugin::set_num(Setting::StsTimeout as i32, 9);
    assert_eq!(server_identity::account().as_deref(), Some("111122223333"));
    assert_eq!(config::current().effective_region(), "eu-west-1");
    plugin::deinit();
}
