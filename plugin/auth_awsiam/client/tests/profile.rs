//! The client plugin loads credentials like the token tool: the AssumeRole of a `role_arn`
//! profile goes to the sts-endpoint option when set, else to the endpoint the AWS
//! configuration sets; a failure is one sentence naming the host.
//!
//! The AWS configuration is read from the process environment, which a test must not change
//! (no `unsafe`, tests run in parallel): each case re-runs this test binary as a child with
//! its own environment, and the child (an ignored test, run only that way) answers one
//! challenge.

#[path = "../../token/tests/common/sts_double.rs"]
mod sts_double;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use auth_awsiam_client_core::respond::{self, Dialed};
use auth_awsiam_client_core::shared_credentials::REFRESH_BEFORE_EXPIRY;
use auth_awsiam_client_core::trust::Transport;
use auth_awsiam_core::challenge::answer::{self, Answer};
use auth_awsiam_core::challenge::{AnswerKind, Challenge, new_nonce};
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use sts_double::*;

/// Set in the child's environment: the child runs only then.
const CHILD: &str = "AUTH_AWSIAM_CLIENT_TEST_CHILD";
/// Set in the child's environment: the challenge offers `jwt` answers for this audience
/// (and the child prints the answer's kind and the nonce it was sent).
const CHILD_JWT_AUDIENCE: &str = "AUTH_AWSIAM_CLIENT_TEST_JWT_AUDIENCE";

/// The server's STS (where the token is signed for): never called by the client.
const SERVER_STS: &str = "sts.us-east-1.amazonaws.com";

/// Set in the child's environment: answer this many challenges at once, one per thread (a
/// pool opening its connections), and print CHILD-OK only if every one was answered.
const CHILD_ANSWERS: &str = "AUTH_AWSIAM_CLIENT_TEST_ANSWERS";

#[test]
#[ignore = "run as a child process by the tests of this file"]
fn child_answers_one_challenge() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let at_once: usize = std::env::var(CHILD_ANSWERS).map_or(1, |n| n.parse().unwrap());
    if at_once > 1 {
        let results: Vec<Result<String, String>> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..at_once)
                .map(|_| s.spawn(|| answer_one(None).0))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        match results.iter().find_map(|r| r.as_ref().err()) {
            None => println!("CHILD-OK"),
            Some(e) => println!("CHILD-FAILED: {e}"),
        }
        return;
    }
    let jwt_audience = std::env::var(CHILD_JWT_AUDIENCE).ok();
    let jwt = jwt_audience.is_some();
    let (answered, nonce) = answer_one(jwt_audience);
    match answered {
        Ok(a) if jwt => match answer::decode(a.as_bytes()) {
            Ok(Answer::Jwt(token)) => println!("CHILD-JWT {token} {nonce}"),
            other => println!("CHILD-FAILED: not a jwt answer: {other:?}"),
        },
        Ok(_) => println!("CHILD-OK"),
        Err(m) => println!("CHILD-FAILED: {m}"),
    }
}

/// Answers one challenge (offering a `jwt` answer for `jwt_audience`, if given): the
/// answer or the failure's message, and the challenge's nonce.
fn answer_one(jwt_audience: Option<String>) -> (Result<String, String>, String) {
    let challenge = Challenge {
        nonce: new_nonce().unwrap(),
        sts_host: SERVER_STS.into(),
        region: "us-east-1".into(),
        server_id: None,
        timeout: Duration::from_secs(10),
        answers: match jwt_audience {
            Some(_) => vec![AnswerKind::Jwt, AnswerKind::SigV4],
            None => vec![AnswerKind::SigV4],
        },
        jwt_audience,
    };
    // A server the client may answer: its own machine's, over the socket.
    let dialed = Dialed {
        host: "localhost",
        port: 3306,
        transport: Transport {
            local_socket: true,
            tls: None,
        },
    };
    let answered = respond::answer(&challenge.encode(), &dialed, &|k| std::env::var(k).ok())
        .map_err(|f| f.message());
    (answered, challenge.nonce.to_string())
}

fn config_dir(name: &str, profile_extra: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("auth_awsiam_client_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("credentials"),
        "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = baseSecret\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config"),
        format!(
            "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/AppRole\n\
source_profile = base\nrole_session_name = s1\n{profile_extra}\n"
        ),
    )
    .unwrap();
    dir
}

fn child(dir: &PathBuf, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "child_answers_one_challenge",
        "--nocapture",
    ])
    .env_clear()
    .env(CHILD, "1")
    .env("HOME", dir)
    .env("AWS_EC2_METADATA_DISABLED", "true")
    .env("AWS_CONFIG_FILE", dir.join("config"))
    .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
    .env("AUTH_AWSIAM_PROFILE", "app");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o: Output = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    out.lines()
        .find(|l| l.starts_with("CHILD-"))
        .unwrap_or_else(|| panic!("no answer from the child: {out}"))
        .to_string()
}

#[test]
fn sts_endpoint_option_takes_the_profiles_assume_role() {
    let sts = Double::start(assume_role_ok());
    let dir = config_dir("option", "");
    let r = child(&dir, &[("AUTH_AWSIAM_STS_ENDPOINT", &sts.url())]);
    assert_eq!(r, "CHILD-OK");
    assert_eq!(sts.actions(), ["AssumeRole"]);
}

/// A pool of 8 connections opening at once in one process: one AssumeRole, not 8 (the
/// credentials are loaded once per process, and the others wait for that load).
#[test]
fn a_pool_opening_at_once_assumes_the_role_once() {
    let sts = Double::start(assume_role_ok());
    let dir = config_dir("pool", "");
    let r = child(
        &dir,
        &[
            ("AUTH_AWSIAM_STS_ENDPOINT", &sts.url()),
            (CHILD_ANSWERS, "8"),
        ],
    );
    assert_eq!(r, "CHILD-OK");
    assert_eq!(sts.actions(), ["AssumeRole"]);
}

/// Credentials that expire within the refresh margin are loaded again for each connection:
/// a role session is never used to sign in its last minutes.
#[test]
fn credentials_near_their_expiry_are_not_reused() {
    let soon = SystemTime::now() + REFRESH_BEFORE_EXPIRY - Duration::from_secs(60);
    let sts = Double::start(assume_role_until(&iso8601(soon)));
    let dir = config_dir("expiring", "");
    let r = child(
        &dir,
        &[
            ("AUTH_AWSIAM_STS_ENDPOINT", &sts.url()),
            (CHILD_ANSWERS, "3"),
        ],
    );
    assert_eq!(r, "CHILD-OK");
    assert_eq!(sts.actions(), ["AssumeRole", "AssumeRole", "AssumeRole"]);
}

/// `t` as STS writes an expiration: 2026-12-06T14:00:00Z.
fn iso8601(t: SystemTime) -> String {
    DateTime::from(t).fmt(Format::DateTime).unwrap()
}

#[test]
fn services_section_takes_the_profiles_assume_role() {
    let sts = Double::start(assume_role_ok());
    let extra = format!(
        "services = local\n[services local]\nsts =\n  endpoint_url = {}",
        sts.url()
    );
    let dir = config_dir("services", &extra);
    assert_eq!(child(&dir, &[]), "CHILD-OK");
    assert_eq!(sts.actions(), ["AssumeRole"]);
}

#[test]
fn unreachable_sts_is_one_sentence_with_the_host() {
    let dir = config_dir("dns", "endpoint_url = https://nonexistent.invalid");
    let r = child(&dir, &[]);
    assert_eq!(
        r,
        "CHILD-FAILED: cannot assume role arn:aws:iam::123456789012:role/AppRole of profile \
'app': the host name nonexistent.invalid does not resolve; check endpoint_url of profile \
'app' and this machine's DNS"
    );
}

/// What STS answers a GetWebIdentityToken (the token is not checked by the client).
fn web_identity_token_ok() -> (u16, String) {
    (
        200,
        "<GetWebIdentityTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<GetWebIdentityTokenResult><WebIdentityToken>eyJh.eyJi.c2ln</WebIdentityToken>\
<Expiration>2099-01-01T00:00:00.000Z</Expiration></GetWebIdentityTokenResult>\
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetWebIdentityTokenResponse>"
            .into(),
    )
}

/// Offered a `jwt` answer first, the client asks the configured STS for a 60-second RS256
/// token for the challenge's audience, tagged with the challenge's nonce and the name it
/// dialed (no channel: the socket), and answers with it: no GetCallerIdentity is signed.
#[test]
fn a_jwt_offer_is_answered_with_a_token_tagged_for_the_challenge() {
    let sts = Double::start(web_identity_token_ok());
    let dir = config_dir("jwt", "");
    let r = child(
        &dir,
        &[
            ("AUTH_AWSIAM_STS_ENDPOINT", &sts.url()),
            ("AUTH_AWSIAM_PROFILE", "base"),
            (CHILD_JWT_AUDIENCE, "mysql://db1.example.com"),
        ],
    );
    let mut words = r.split(' ');
    assert_eq!(words.next(), Some("CHILD-JWT"), "{r}");
    assert_eq!(words.next(), Some("eyJh.eyJi.c2ln"), "{r}");
    let nonce = words.next().unwrap();
    assert_eq!(sts.actions(), ["GetWebIdentityToken"]);
    let body = sts.seen.lock().unwrap()[0].body.clone();
    let params: Vec<&str> = body.split('&').collect();
    for want in [
        "Audience.member.1=mysql%3A%2F%2Fdb1.example.com",
        "SigningAlgorithm=RS256",
        "DurationSeconds=60",
        "Tags.member.1.Key=auth-awsiam-nonce",
        &format!("Tags.member.1.Value={nonce}"),
        "Tags.member.2.Key=auth-awsiam-audience",
        "Tags.member.2.Value=localhost",
    ] {
        assert!(params.contains(&want), "{want} not in {body}");
    }
    assert!(
        !body.contains("Tags.member.3"),
        "no channel tag over a socket: {body}"
    );
}

/// STS refuses the tags (no sts:TagGetWebIdentityToken): the user reads which permission.
#[test]
fn a_refused_tagging_names_the_permission() {
    let denied = "User: arn:aws:sts::123456789012:assumed-role/AppRole/s1 is not authorized \
to perform: sts:TagGetWebIdentityToken";
    let sts = Double::start(sts_error(403, "AccessDenied", denied));
    let dir = config_dir("jwt_denied", "");
    let r = child(
        &dir,
        &[
            ("AUTH_AWSIAM_STS_ENDPOINT", &sts.url()),
            ("AUTH_AWSIAM_PROFILE", "base"),
            (CHILD_JWT_AUDIENCE, "mysql://db1.example.com"),
        ],
    );
    assert!(
        r.starts_with("CHILD-FAILED: cannot answer with a JWT: cannot get a web identity token")
            && r.contains("must also allow sts:TagGetWebIdentityToken"),
        "{r}"
    );
}
