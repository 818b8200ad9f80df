//! The default region found at plugin start: environment, else the profile, with no
//! network call. Its own test binary: it changes the process environment.

use std::time::Duration;

use auth_awsiam_core::{config, credentials, plugin};

#[test]
fn default_region_comes_from_env_then_profile() {
    let dir = std::env::temp_dir().join(format!("auth_awsiam_region_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg_file = dir.join("config");
    std::fs::write(&cfg_file, "[default]\nregion = eu-central-1\n").unwrap();
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", &cfg_file);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"));
        std::env::remove_var("AWS_REGION");
        std::env::remove_var("AWS_DEFAULT_REGION");
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_ACCESS_KEY_ID");
    }
    assert_eq!(credentials::local_region().as_deref(), Some("eu-central-1"));
    unsafe { std::env::set_var("AWS_REGION", "ap-south-1") };
    assert_eq!(credentials::local_region().as_deref(), Some("ap-south-1"));

    // At start, an empty auth_awsiam_region takes it; a configured one wins.
    plugin::init(None);
    plugin::start();
    assert_eq!(config::current().effective_region(), "ap-south-1");
    // No credentials anywhere: the server account stays unknown, with the reason.
    let e =
        auth_awsiam_core::server_identity::allowed_accounts(Duration::from_secs(15)).unwrap_err();
    assert!(e.detail.contains("no AWS credentials"), "{}", e.detail);
    plugin::set_str(config::Setting::Region as i32, "us-west-2").unwrap();
    assert_eq!(config::current().effective_region(), "us-west-2");
    plugin::deinit();

    unsafe { std::env::remove_var("AWS_REGION") };
    std::fs::write(&cfg_file, "").unwrap();
    assert_eq!(credentials::local_region(), None);
    std::fs::remove_dir_all(&dir).unwrap();
}
