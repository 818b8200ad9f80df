//! Which STS each call goes to, with a `~/.aws/config` written by the test: the AssumeRole
//! call of a `role_arn` profile, and the host the token is signed for (the one the server
//! forwards to). The AWS settings follow the AWS SDKs' "service-specific endpoints"
//! (`endpoint_url`, `services`, AWS_ENDPOINT_URL[_STS], `ignore_configured_endpoint_urls`);
//! `--endpoint` overrides them all.

mod common;

use common::*;

fn token_host(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    decode(&String::from_utf8_lossy(&o.stdout)).host
}

#[test]
fn endpoint_option_also_takes_the_profiles_assume_role() {
    let sts = Double::start(assume_role_ok());
    let dir = sandbox("prof_endpoint");
    role_profile(&dir, "", "");
    let o = run(
        &dir,
        &[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")],
        &["--profile", "app", "--endpoint", &sts.url()],
    );
    assert_eq!(token_host(&o), sts.authority());
    assert_eq!(sts.actions(), ["AssumeRole"]);
    let t = decode(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(
        t.access_key_id(),
        ROLE_KEY,
        "signed with the role's credentials"
    );
    assert_eq!(t.session_token.as_deref(), Some(ROLE_SESSION_TOKEN));
}

#[test]
fn services_section_decides_both_calls() {
    let sts = Double::start(assume_role_ok());
    let dir = sandbox("prof_services");
    let section = format!("[services local]\nsts =\n  endpoint_url = {}\n", sts.url());
    role_profile(&dir, "services = local", &section);
    let o = run(&dir, &[], &["--profile", "app"]);
    assert_eq!(token_host(&o), sts.authority());
    assert_eq!(sts.actions(), ["AssumeRole"]);
    assert_eq!(sts.seen.lock().unwrap()[0].host, sts.authority());
}

#[test]
fn profile_endpoint_url_decides_both_calls() {
    let sts = Double::start(assume_role_ok());
    let dir = sandbox("prof_endpoint_url");
    role_profile(&dir, &format!("endpoint_url = {}", sts.url()), "");
    let o = run(&dir, &[], &["--profile", "app"]);
    assert_eq!(token_host(&o), sts.authority());
    assert_eq!(sts.actions(), ["AssumeRole"]);
}

#[test]
fn global_endpoint_variable_is_followed() {
    let sts = Double::start(assume_role_ok());
    let dir = sandbox("prof_env_global");
    let o = run(
        &dir,
        &[KEYS[0], KEYS[1], ("AWS_ENDPOINT_URL", &sts.url())],
        &["--region", "us-east-1"],
    );
    assert_eq!(token_host(&o), sts.authority());
    assert!(sts.actions().is_empty(), "no call needed for plain keys");
}

#[test]
fn ignore_configured_endpoint_urls_signs_for_the_official_host() {
    let sts = Double::start(assume_role_ok());
    let dir = sandbox("prof_ignore");
    std::fs::write(
        dir.join("config"),
        format!(
            "[profile keys]\nregion = eu-west-1\nendpoint_url = {}\nignore_configured_endpoint_urls = true\n",
            sts.url()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("credentials"),
        format!("[keys]\naws_access_key_id = AKIDKEYS\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let o = run(&dir, &[], &["--profile", "keys"]);
    assert_eq!(token_host(&o), "sts.eu-west-1.amazonaws.com");
    let o = run(
        &dir,
        &[
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ("AWS_ENDPOINT_URL_STS", &sts.url()),
        ],
        &["--profile", "keys"],
    );
    assert_eq!(token_host(&o), "sts.eu-west-1.amazonaws.com");
}

#[test]
fn ignore_configured_endpoint_urls_also_holds_for_the_assume_role() {
    let sts = Double::start(assume_role_ok());
    let dir = sandbox("prof_ignore_role");
    let section = format!("[services local]\nsts =\n  endpoint_url = {}\n", sts.url());
    role_profile(
        &dir,
        "services = local\nignore_configured_endpoint_urls = true",
        &section,
    );
    // The official host is unreachable from the test (or refuses the keys): what matters is
    // that the configured endpoint was not used, and that the message names the host.
    let o = run(&dir, &[], &["--profile", "app"]);
    assert!(!o.status.success());
    assert!(sts.actions().is_empty(), "{:?}", sts.actions());
    assert!(
        stderr(&o).contains("sts.us-east-1.amazonaws.com"),
        "{}",
        stderr(&o)
    );
}
