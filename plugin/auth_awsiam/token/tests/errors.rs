//! Every failure of the tool is one sentence on standard error: what failed, which host or
//! ARN, and what to check; never an SDK error chain or a Debug dump, never a secret.

mod common;

use std::process::Output;

use common::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/AppRole";

/// The one line the tool printed, checked for the things no message may hold.
fn sentence(o: &Output, exit: i32) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(exit), "{e}");
    assert!(o.stdout.is_empty(), "nothing on standard output");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    let line = e
        .trim_end()
        .strip_prefix("auth_awsiam_token: ")
        .unwrap()
        .to_string();
    for raw in [
        "dispatch failure",
        "Error {",
        "code:",
        "io error",
        "DisplayErrorContext",
    ] {
        assert!(!line.contains(raw), "SDK text {raw:?} in: {line}");
    }
    for secret in [SECRET, ROLE_SECRET, ROLE_SESSION_TOKEN, "Signature="] {
        assert!(!line.contains(secret), "a secret in: {line}");
    }
    line
}

#[test]
fn unresolvable_endpoint_names_the_host() {
    let dir = sandbox("err_dns");
    let o = run(
        &dir,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--endpoint",
            "https://nonexistent.invalid",
            "--assume-role",
            ROLE,
        ],
    );
    let m = sentence(&o, 1);
    assert_eq!(
        m,
        format!(
            "cannot assume role {ROLE}: the host name nonexistent.invalid does not resolve; \
check --endpoint and this machine's DNS"
        )
    );
}

#[test]
fn unresolvable_profile_endpoint_names_the_setting() {
    let dir = sandbox("err_dns_profile");
    role_profile(&dir, "endpoint_url = https://nonexistent.invalid", "");
    let m = sentence(&run(&dir, &[], &["--profile", "app"]), 2);
    assert_eq!(
        m,
        format!(
            "cannot assume role {ROLE} of profile 'app': the host name nonexistent.invalid does \
not resolve; check endpoint_url of profile 'app' and this machine's DNS"
        )
    );
}

#[test]
fn assume_role_refused_by_sts_says_why_and_what_to_check() {
    let sts = Double::start(sts_error(
        400,
        "ValidationError",
        "1 validation error detected: Value at 'roleArn' failed to satisfy constraint",
    ));
    let dir = sandbox("err_refused");
    let o = run(
        &dir,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--endpoint",
            &sts.url(),
            "--assume-role",
            ROLE,
        ],
    );
    let m = sentence(&o, 1);
    assert_eq!(sts.actions(), ["AssumeRole"]);
    assert!(
        m.starts_with(&format!(
            "cannot assume role {ROLE}: STS at {} answered ValidationError: 1 validation error",
            sts.authority()
        )),
        "{m}"
    );
    assert!(m.ends_with("check the role ARN (arn:aws:iam::ACCOUNT:role/NAME) and the session name (2 to 64 characters of A-Z a-z 0-9 +=,.@-)"), "{m}");
}

#[test]
fn profile_role_refused_by_sts_names_the_profile() {
    let sts = Double::start(sts_error(
        403,
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/base is not authorized to perform: sts:AssumeRole",
    ));
    let dir = sandbox("err_denied");
    role_profile(&dir, "", "");
    let o = run(&dir, &[], &["--profile", "app", "--endpoint", &sts.url()]);
    let m = sentence(&o, 2);
    assert!(
        m.starts_with(&format!(
            "cannot assume role {ROLE} of profile 'app': STS at {} answered AccessDenied: User:",
            sts.authority()
        )),
        "{m}"
    );
    assert!(m.contains("trust policy"), "{m}");
}

#[test]
fn bad_role_arn_is_refused_before_any_call() {
    let sts = Double::start(assume_role_ok());
    let dir = sandbox("err_badarn");
    let o = run(
        &dir,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--endpoint",
            &sts.url(),
            "--assume-role",
            "AppRole",
        ],
    );
    let m = sentence(&o, 2);
    assert!(
        m.starts_with("bad --assume-role 'AppRole': expected a role ARN"),
        "{m}"
    );
    assert!(sts.actions().is_empty());
}

#[test]
fn unwritable_output_names_the_file() {
    let dir = sandbox("err_output");
    let path = dir.join("missing-dir").join("t.cnf");
    let o = run(
        &dir,
        &KEYS,
        &["--region", "us-east-1", "--output", path.to_str().unwrap()],
    );
    let m = sentence(&o, 1);
    assert!(
        m.starts_with(&format!("cannot write the token to {}", path.display()))
            && m.ends_with("check that the directory exists and is writable"),
        "{m}"
    );
}

#[test]
fn output_that_is_a_directory_is_refused_and_nothing_is_left() {
    let dir = sandbox("err_output_dir");
    let path = dir.join("a-directory");
    std::fs::create_dir(&path).unwrap();
    let o = run(
        &dir,
        &KEYS,
        &["--region", "us-east-1", "--output", path.to_str().unwrap()],
    );
    let m = sentence(&o, 1);
    assert!(
        m.starts_with(&format!(
            "cannot write the token to {}: cannot replace it:",
            path.display()
        )) && m.ends_with("check that it is not a directory"),
        "{m}"
    );
    assert_eq!(std::fs::read_dir(&path).unwrap().count(), 0);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["a-directory", "config", "credentials"],
        "no temporary file left"
    );
}
