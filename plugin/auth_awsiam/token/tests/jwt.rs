//! `--jwt` against the project's test issuer, tools/sts_double (neither LocalStack nor moto
//! implements GetWebIdentityToken): the claims of what the tool prints, and one sentence
//! for each way STS refuses.
//!
//! The double's binary: AUTH_AWSIAM_STS_DOUBLE, else `sts_double` next to this tool's binary
//! (a workspace `cargo test` builds both). Without either the tests do nothing and say why,
//! except in CI, where they fail.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::option_file::options_of;
use common::*;

const DOUBLE_ENV: &str = "AUTH_AWSIAM_STS_DOUBLE";
const NS: &str = "https://sts.amazonaws.com/";
const ROLE: &str = "arn:aws:iam::111111111111:role/team/db/AppRole";
const KEY: &str = "AKIDJWTROLE";

fn double_binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var(DOUBLE_ENV)
        && !p.is_empty()
    {
        return Some(PathBuf::from(p));
    }
    let sibling = Path::new(BIN).with_file_name("sts_double");
    if sibling.exists() {
        return Some(sibling);
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty());
    assert!(
        !ci,
        "{DOUBLE_ENV} is not set and no sts_double is built, but CI is: the --jwt tests must run in CI"
    );
    // Straight to stderr: cargo test hides an eprintln! of a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "jwt tests: no sts_double ({DOUBLE_ENV}, or cargo build -p sts_double), so --jwt was not checked"
    );
    None
}

/// The double, started with `args`, stopped when dropped.
struct Issuer {
    bin: PathBuf,
    dir: PathBuf,
    ok: String,
}

impl Issuer {
    fn start(name: &str, args: &[&str]) -> Option<Issuer> {
        let bin = double_binary()?;
        let dir =
            std::env::temp_dir().join(format!("auth_awsiam_jwt_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let status = Command::new(&bin)
            .arg("start")
            .arg("--dir")
            .arg(&dir)
            .args(["--listen", "ok=127.0.0.1:0", "--caller"])
            .arg(format!("{KEY}={ROLE}"))
            .args(args)
            .status()
            .unwrap();
        assert!(status.success());
        let ports = std::fs::read_to_string(dir.join("ports.inc")).unwrap();
        let ok = ports
            .lines()
            .find_map(|l| l.strip_prefix("--let $sts_double_ok = "))
            .unwrap()
            .to_string();
        Some(Issuer { bin, dir, ok })
    }

    /// The tool with KEY's credentials, at the double's `ok` endpoint.
    fn run(&self, name: &str, args: &[&str]) -> Output {
        let home = sandbox(name);
        let env = [
            ("AWS_ACCESS_KEY_ID", KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ];
        let mut all = vec!["--region", "us-east-1", "--endpoint", &self.ok, "--jwt"];
        all.extend_from_slice(args);
        run(&home, &env, &all)
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = Command::new(&self.bin)
            .arg("stop")
            .arg("--dir")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn part(token: &str, n: usize) -> serde_json::Value {
    let p = token.trim().split('.').nth(n).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

#[test]
fn the_jwt_carries_what_was_asked() {
    let Some(d) = Issuer::start("claims", &[]) else {
        return;
    };
    let o = d.run(
        "jwt_claims",
        &[
            "--audience",
            "mysql://db1",
            "--signing-algorithm",
            "ES384",
            "--duration",
            "900",
            "--tag",
            "nonce=n1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let token = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(token.matches('.').count(), 2, "one JWT, one line");
    assert!(token.ends_with('\n') && token.lines().count() == 1);
    let header = part(&token, 0);
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("ES384"), Some("EC384_0"))
    );
    let claims = part(&token, 1);
    assert_eq!(claims["aud"], "mysql://db1");
    assert_eq!(claims["sub"], ROLE, "the role ARN, with its path");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        900
    );
    assert_eq!(claims[NS]["aws_account"], "111111111111");
    assert_eq!(claims[NS]["source_region"], "us-east-1");
    assert_eq!(claims[NS]["request_tags"]["nonce"], "n1");
    assert!(stderr(&o).is_empty());
}

#[test]
fn defaults_several_audiences_and_the_option_file() {
    let Some(d) = Issuer::start("options", &[]) else {
        return;
    };
    let o = d.run(
        "jwt_options",
        &[
            "--audience",
            "a",
            "--audience",
            "b",
            "--format",
            "option-file",
            "--user",
            "AppRole",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let options = options_of(&o.stdout, "client");
    assert_eq!(options.len(), 3, "{options:?}");
    assert_eq!(options[0], "--user=AppRole");
    assert_eq!(options[2], "--enable-cleartext-plugin");
    let token = options[1].strip_prefix("--password=").unwrap();
    assert_eq!(part(token, 0)["alg"], "RS256", "RS256 unless asked");
    let claims = part(token, 1);
    assert_eq!(claims["aud"], serde_json::json!(["a", "b"]));
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        300
    );
    assert!(claims[NS].get("request_tags").is_none());
}

/// The one line the tool printed on a refusal, checked for what no message may hold.
fn sentence(o: &Output, exit: i32) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(exit), "{e}");
    assert!(o.stdout.is_empty(), "nothing on standard output");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    for secret in [SECRET, "Signature=", "eyJ"] {
        assert!(!e.contains(secret), "{secret} in: {e}");
    }
    e.trim_end()
        .strip_prefix("auth_awsiam_token: ")
        .unwrap()
        .to_string()
}

#[test]
fn each_refusal_of_sts_says_what_to_do() {
    let Some(d) = Issuer::start(
        "refusals",
        &[
            "--deny-audience",
            "mysql://other",
            "--federation-disabled",
            "000000000000",
        ],
    ) else {
        return;
    };
    let m = sentence(&d.run("jwt_denied", &["--audience", "mysql://other"]), 1);
    assert!(
        m.starts_with("cannot get a web identity token for audience 'mysql://other': STS at 127.0.0.1:")
            && m.contains("answered AccessDenied: the caller's identity policy must allow sts:GetWebIdentityToken with the condition sts:IdentityTokenAudience naming 'mysql://other'"),
        "{m}"
    );
    // The double answers keys it does not know as account 000000000000, here disabled.
    let home = sandbox("jwt_disabled");
    let o = run(
        &home,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDOTHER"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ],
        &[
            "--region",
            "us-east-1",
            "--endpoint",
            &d.ok,
            "--jwt",
            "--audience",
            "a",
        ],
    );
    let m = sentence(&o, 1);
    assert!(m.contains("answered OutboundWebIdentityFederationDisabledException: outbound identity federation is not enabled in the caller's AWS account: enable it once with 'aws iam enable-outbound-web-identity-federation'"), "{m}");
}

#[test]
fn tags_need_their_permission_and_room() {
    let Some(d) = Issuer::start("tags", &["--deny-tagging"]) else {
        return;
    };
    let m = sentence(
        &d.run("jwt_tagging", &["--audience", "a", "--tag", "k=v"]),
        1,
    );
    assert!(
        m.contains("must also allow sts:TagGetWebIdentityToken"),
        "{m}"
    );
    drop(d);
    let Some(d) = Issuer::start("size", &["--max-payload-bytes", "600"]) else {
        return;
    };
    let long = format!("k={}", "v".repeat(256));
    let m = sentence(&d.run("jwt_size", &["--audience", "a", "--tag", &long]), 1);
    assert!(m.contains("answered JWTPayloadSizeExceededException: the token would be larger than STS allows: ask for fewer or shorter tags"), "{m}");
}

#[test]
fn local_refusals_need_no_issuer() {
    let home = sandbox("jwt_local");
    let o = run(
        &home,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--jwt",
            "--audience",
            "a",
            "--duration",
            "59",
        ],
    );
    assert_eq!(
        sentence(&o, 2),
        "bad --jwt request: duration 59 s: 60 to 3600 seconds are allowed"
    );
    let o = run(
        &home,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--endpoint",
            "https://sts.amazonaws.com",
            "--jwt",
            "--audience",
            "a",
        ],
    );
    assert!(
        sentence(&o, 2).starts_with("GetWebIdentityToken is not available on the global STS endpoint sts.amazonaws.com: use a regional endpoint such as https://sts.us-east-1.amazonaws.com (from --endpoint)"),
        "{}",
        stderr(&o)
    );
    let o = run(
        &home,
        &KEYS,
        &[
            "--region",
            "us-east-1",
            "--endpoint",
            "http://127.0.0.1:1",
            "--jwt",
            "--audience",
            "a",
        ],
    );
    assert_eq!(
        sentence(&o, 1),
        "cannot get a web identity token for audience 'a': 127.0.0.1:1 refused the connection; check --endpoint and that the endpoint is up"
    );
}
