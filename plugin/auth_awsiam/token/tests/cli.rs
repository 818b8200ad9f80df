//! The tool run as a user runs it, with a controlled environment (never the machine's own
//! AWS settings, never the instance metadata service).

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;

use common::option_file::options_of;
use common::*;

#[test]
fn no_credentials_is_a_clear_error() {
    let dir = sandbox("nocreds");
    let o = run(&dir, &[], &["--region", "us-east-1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("no AWS credentials found"), "{e}");
    assert!(
        e.contains("AWS_ACCESS_KEY_ID") && e.contains("aws sso login"),
        "{e}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn no_region_is_a_clear_error() {
    let dir = sandbox("noregion");
    let o = run(&dir, &KEYS, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("no AWS region"), "{e}");
    // Both names the tool reads, as the AWS CLI does.
    assert!(
        e.contains("AWS_REGION") && e.contains("AWS_DEFAULT_REGION"),
        "{e}"
    );
}

#[test]
fn bad_endpoint_is_a_clear_error() {
    let dir = sandbox("badendpoint");
    let o = run(
        &dir,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--endpoint",
            "http://192.0.2.1:4566",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad endpoint from --endpoint"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &dir,
        &[
            KEYS[0],
            KEYS[1],
            ("AWS_ENDPOINT_URL_STS", "sts.example.com"),
        ],
        &["--region", "us-east-1"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("AWS_ENDPOINT_URL_STS"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn official_endpoint_in_another_region_is_refused() {
    let dir = sandbox("regionmismatch");
    let o = run(
        &dir,
        &KEYS,
        &[
            "--region",
            "eu-west-1",
            "--endpoint",
            "https://sts.amazonaws.com",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("pass --region us-east-1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = sandbox("usage");
    assert_eq!(
        run(&dir, &KEYS, &["--format", "yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(
            &dir,
            &KEYS,
            &["--region", "us-east-1", "--signing-time", "soon"]
        )
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn mints_for_the_official_regional_host() {
    let dir = sandbox("official");
    let o = run(
        &dir,
        &KEYS,
        &["--region", "eu-west-1", "--server-id", "db1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("awsiam1.") && out.ends_with('\n') && out.lines().count() == 1);
    let t = decode(&out);
    assert_eq!(t.host, "sts.eu-west-1.amazonaws.com");
    assert_eq!(t.region(), "eu-west-1");
    assert_eq!(t.access_key_id(), "AKIDEXAMPLE");
    assert_eq!(t.server_id.as_deref(), Some("db1"));
    assert!(!out.contains("wJalrXUtnFEMI"));
    // China regions sign for the .com.cn host.
    let o = run(&dir, &KEYS, &["--region", "cn-north-1"]);
    assert_eq!(
        decode(&String::from_utf8(o.stdout).unwrap()).host,
        "sts.cn-north-1.amazonaws.com.cn"
    );
}

#[test]
fn endpoint_from_env_and_region_from_env() {
    let dir = sandbox("envendpoint");
    let env = [
        KEYS[0],
        KEYS[1],
        ("AWS_SESSION_TOKEN", "c2Vzc2lvbg=="),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4566"),
    ];
    let o = run(&dir, &env, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = decode(&String::from_utf8(o.stdout).unwrap());
    assert_eq!(t.host, "127.0.0.1:4566");
    assert_eq!(t.session_token.as_deref(), Some("c2Vzc2lvbg=="));
}

#[test]
fn profile_credentials() {
    let dir = sandbox("profile");
    std::fs::write(
        dir.join("credentials"),
        "[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s3cr3t\n",
    )
    .unwrap();
    let o = run(&dir, &[], &["--profile", "dev", "--region", "us-east-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        decode(&String::from_utf8(o.stdout).unwrap()).access_key_id(),
        "AKIDPROFILE"
    );
}

#[test]
fn option_file_written_private_with_old_signing_time() {
    let dir = sandbox("optionfile");
    let path = dir.join("my.cnf");
    let o = run(
        &dir,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--format",
            "option-file",
            "--user",
            "AppRole",
            "--output",
            path.to_str().unwrap(),
            "--signing-time",
            "2020-01-02T03:04:05Z",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "the token goes to the file only");
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "[client]");
    assert_eq!(lines[1], "user=AppRole");
    assert!(lines[2].starts_with("password=awsiam1."));
    assert_eq!(lines[3], "enable-cleartext-plugin");
    let t = decode(lines[2].strip_prefix("password=").unwrap());
    assert_eq!(t.amz_date, "20200102T030405Z");
}

/// `--format option-file --output FILE` with `more` arguments.
fn mint_option_file(dir: &Path, path: &Path, more: &[&str]) -> Output {
    let mut args = vec![
        "--region",
        "us-east-1",
        "--format",
        "option-file",
        "--output",
        path.to_str().unwrap(),
    ];
    args.extend(more);
    run(dir, &KEYS, &args)
}

/// The options the mysql client takes from the file: user, password, and the flag.
fn client_options(path: &Path) -> Vec<String> {
    options_of(&std::fs::read(path).unwrap(), "client")
}

#[test]
fn the_option_file_reader_reads_as_my_default_cc_does() {
    let file = "# c\n[client]\n user = a b # c\nx='q' \nz=\"a\\\"#\" #c\nw=C:\\new\\\nflag\n\
                [mysqld]\nskip=1\n[client]\nv=\"\"\nn=\u{e0}\n!include /x\n";
    assert_eq!(
        options_of(file.as_bytes(), "client"),
        [
            "--user=a b",
            "--x=q",
            "--z=a\"#",
            "--w=C:\new\\",
            "--flag",
            "--v=",
            // 'à' is C3 A0 in UTF-8, and A0 is a space in latin1: trimmed.
            "--n=\u{fffd}",
            "!include /x",
        ]
    );
}

#[test]
fn user_names_read_back_exactly() {
    let dir = sandbox("roundtrip");
    let path = dir.join("my.cnf");
    for name in [
        "AppRole",
        "ops #1",
        "O'Brien",
        "say \"hi\"",
        "\"quoted\"",
        "'single'",
        r"C:\new",
        "ends\\",
        "two  inner spaces",
        "a=b;c",
        "\u{e0}",
        &"\u{e9}".repeat(32),
    ] {
        let o = mint_option_file(&dir, &path, &["--user", name]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let options = client_options(&path);
        assert_eq!(options.len(), 3, "{name}: {options:?}");
        assert_eq!(options[0], format!("--user={name}"));
        assert!(options[1].starts_with("--password=awsiam1."), "{name}");
        assert_eq!(options[2], "--enable-cleartext-plugin");
    }
    // The usual name is written as it always was.
    let o = mint_option_file(&dir, &path, &["--user", "AppRole"]);
    assert!(o.status.success());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("\nuser=AppRole\n")
    );
}

#[test]
fn a_newline_in_the_user_name_adds_no_option() {
    let dir = sandbox("newline");
    let path = dir.join("my.cnf");
    let user = "AppRole\nplugin-dir=/tmp/evil\ndefault-auth=evil";
    let o = mint_option_file(&dir, &path, &["--user", user]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "auth_awsiam_token: bad --user 'AppRole?plugin-dir=/tmp/evil?def...': \
it holds a control character (such as a newline), which could add options to the option file\n"
    );
    assert!(o.stdout.is_empty());
    assert!(!path.exists(), "nothing written");
    // Nor on standard output.
    let o = run(
        &dir,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--format",
            "option-file",
            "--user",
            user,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_symbolic_link_at_the_output_is_replaced_not_followed() {
    let dir = sandbox("outlink");
    let victim = dir.join("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = dir.join("my.cnf");
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let o = mint_option_file(&dir, &path, &["--user", "AppRole"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert_eq!(std::fs::metadata(&victim).unwrap().mode() & 0o777, 0o644);
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.is_file(), "the link itself was replaced");
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(client_options(&path)[0], "--user=AppRole");
}

#[test]
fn an_existing_file_is_replaced_whole() {
    let dir = sandbox("existing");
    let path = dir.join("my.cnf");
    std::fs::write(&path, "[client]\nuser=old\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Another name for the old file: it keeps the old text, so the old file was not
    // rewritten in place (a reader of it never sees half a file).
    let other = dir.join("other-name");
    std::fs::hard_link(&path, &other).unwrap();
    let o = mint_option_file(&dir, &path, &["--user", "AppRole"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
    assert_eq!(client_options(&path)[0], "--user=AppRole");
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "[client]\nuser=old\n"
    );
    // No temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["config", "credentials", "my.cnf", "other-name"]);
}

#[test]
fn a_relative_output_is_written_in_the_current_directory() {
    let dir = sandbox("relative");
    let o = mint_option_file(&dir, Path::new("my.cnf"), &["--user", "AppRole"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(client_options(&dir.join("my.cnf"))[0], "--user=AppRole");
}
