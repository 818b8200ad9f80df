//! The C ABI driven the way the shim drives it: init, settings, logins, counters, start,
//! deinit, init again. One test: the plugin state is process-global.

mod common;

use std::ffi::{CStr, CString, c_char, c_int};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use auth_awsiam_core::config::Setting;
use auth_awsiam_core::ffi::*;
use auth_awsiam_core::request::sign;
use aws_credential_types::Credentials;
use common::fake_sts;

static LOG: Mutex<Vec<(c_int, String)>> = Mutex::new(Vec::new());

extern "C" fn sink(level: c_int, message: *const c_char) {
    let m = unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned();
    LOG.lock().unwrap().push((level, m));
}

fn logged(needle: &str) -> bool {
    LOG.lock().unwrap().iter().any(|(_, m)| m.contains(needle))
}

fn set_str(setting: c_int, value: &str) -> Result<(), String> {
    let v = CString::new(value).unwrap();
    let mut err = [0 as c_char; 256];
    let rc = unsafe { awsiam_setting_set_str(setting, v.as_ptr(), err.as_mut_ptr(), err.len()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(unsafe { CStr::from_ptr(err.as_ptr()) }
            .to_string_lossy()
            .into_owned())
    }
}

/// Room the shim gives a mapped account name: `sizeof(info->authenticated_as)`.
const AUTHENTICATED_AS_LEN: usize = 32 * 3 + 1;

fn login(user: &[u8], token: Option<&[u8]>, auth: &[u8], out: &mut [c_char]) -> c_int {
    login_over(1, user, token, auth, out)
}

/// A login over a connection that is (`secure` = 1) or is not (0) TLS or a local socket.
fn login_over(
    secure: c_int,
    user: &[u8],
    token: Option<&[u8]>,
    auth: &[u8],
    out: &mut [c_char],
) -> c_int {
    let mut mapped = [0x55 as c_char; AUTHENTICATED_AS_LEN];
    let verdict = login_mapped_over(secure, user, user, token, auth, out, &mut mapped);
    if verdict == ALLOW {
        assert_eq!(mapped[0], 0, "no rule: no mapped account");
    }
    verdict
}

/// A login through an anonymous account (user '') by a client that sent the name `client`,
/// whose mapped account (if any) is written into `mapped`.
fn login_anonymous(
    client: &[u8],
    token: Option<&[u8]>,
    auth: &[u8],
    out: &mut [c_char],
    mapped: &mut [c_char],
) -> c_int {
    login_mapped_over(1, b"", client, token, auth, out, mapped)
}

fn login_mapped_over(
    secure: c_int,
    user: &[u8],
    client_user: &[u8],
    token: Option<&[u8]>,
    auth: &[u8],
    out: &mut [c_char],
    mapped: &mut [c_char],
) -> c_int {
    let l = AwsiamLogin {
        user: user.as_ptr().cast(),
        user_len: user.len(),
        client_user: client_user.as_ptr().cast(),
        client_user_len: client_user.len(),
        host: b"10.1.2.3".as_ptr().cast(),
        host_len: 8,
        auth_string: auth.as_ptr().cast(),
        auth_string_len: auth.len(),
        token: token.map_or(std::ptr::null(), |t| t.as_ptr()),
        token_len: token.map_or(0, <[u8]>::len),
        secure_transport: secure,
    };
    unsafe {
        awsiam_authenticate(
            &l,
            out.as_mut_ptr(),
            out.len(),
            mapped.as_mut_ptr(),
            mapped.len(),
        )
    }
}

const ALLOW: c_int = Verdict::Allow as c_int;
const DENY: c_int = Verdict::Deny as c_int;
const ENDPOINT: c_int = Setting::StsEndpoint as c_int;
const ALLOWED_ACCOUNTS: c_int = Setting::AllowedAccounts as c_int;
const LOG_VERBOSITY: c_int = Setting::LogVerbosity as c_int;
const SERVER_ID: c_int = Setting::ServerId as c_int;
const TOKEN_MAX_AGE: c_int = Setting::TokenMaxAge as c_int;
const CACHE_TTL: c_int = Setting::CacheTtl as c_int;
const REQUIRE_SECURE_TRANSPORT: c_int = Setting::RequireSecureTransport as c_int;

#[test]
fn the_c_abi_end_to_end() {
    assert_eq!(unsafe { awsiam_init(Some(sink)) }, 0);
    // Read through the pointer the shim gets (tests/header.rs holds its layout).
    let counters = || unsafe { &*awsiam_counters() }.snapshot();

    // Settings: validated, precise errors, cut to the buffer.
    let bad = CString::new("http://10.0.0.1:4566").unwrap();
    let mut err = [0 as c_char; 256];
    assert_ne!(
        unsafe { awsiam_setting_check(ENDPOINT, bad.as_ptr(), err.as_mut_ptr(), 256) },
        0
    );
    assert!(
        unsafe { CStr::from_ptr(err.as_ptr()) }
            .to_str()
            .unwrap()
            .contains("loopback")
    );
    let mut tiny = [0x7f as c_char; 8];
    assert_ne!(
        unsafe { awsiam_setting_check(ENDPOINT, bad.as_ptr(), tiny.as_mut_ptr(), 8) },
        0
    );
    assert_eq!(unsafe { CStr::from_ptr(tiny.as_ptr()) }.to_bytes().len(), 7);
    assert_ne!(
        unsafe { awsiam_setting_check(99, bad.as_ptr(), std::ptr::null_mut(), 0) },
        0
    );
    assert_eq!(
        unsafe { awsiam_setting_check(ENDPOINT, std::ptr::null(), std::ptr::null_mut(), 0) },
        0
    );
    assert!(
        set_str(ALLOWED_ACCOUNTS, "1234")
            .unwrap_err()
            .contains("12-digit")
    );

    // Auth strings.
    let good = b"arn:aws:iam::123456789012:role/App*";
    assert_eq!(
        unsafe {
            awsiam_auth_string_check(good.as_ptr().cast(), good.len(), err.as_mut_ptr(), 256)
        },
        0
    );
    let bad = b"arn:aws:iam::123456789012:role/service-role/AppRole";
    assert_ne!(
        unsafe { awsiam_auth_string_check(bad.as_ptr().cast(), bad.len(), err.as_mut_ptr(), 256) },
        0
    );
    assert!(
        unsafe { CStr::from_ptr(err.as_ptr()) }
            .to_str()
            .unwrap()
            .contains("cannot name a path")
    );
    let not_utf8 = b"arn:\xff";
    assert_ne!(
        unsafe { awsiam_auth_string_check(not_utf8.as_ptr().cast(), 5, err.as_mut_ptr(), 256) },
        0
    );
    assert!(
        unsafe { CStr::from_ptr(err.as_ptr()) }
            .to_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert_eq!(
        unsafe { awsiam_auth_string_check(std::ptr::null(), 0, err.as_mut_ptr(), 256) },
        0
    );

    // Logins refused before any I/O, counted and logged.
    let mut out = [0 as c_char; 512];
    assert_eq!(login(b"AppRole", None, b"", &mut out), DENY);
    assert!(logged("access denied for 'AppRole'@'10.1.2.3': no_token:"));
    assert_eq!(
        unsafe {
            awsiam_authenticate(
                std::ptr::null(),
                out.as_mut_ptr(),
                out.len(),
                std::ptr::null_mut(),
                0,
            )
        },
        DENY
    );
    assert_eq!(
        login(b"\xff\xfe", Some(b"garbage\0"), b"\xff", &mut out),
        DENY
    );
    assert_eq!(counters().failures, 3, "failures");
    assert_eq!(counters().failures_no_token, 1, "failures_no_token");
    assert_eq!(
        counters().failures_token_invalid,
        1,
        "failures_token_invalid"
    );
    assert_eq!(
        counters().failures_internal,
        1,
        "failures_internal (NULL login)"
    );

    // A full login against a fake STS, with the verbosity that logs successes.
    let addr = fake_sts("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
    set_str(ENDPOINT, &format!("http://{addr}")).unwrap();
    set_str(ALLOWED_ACCOUNTS, "123456789012").unwrap();
    awsiam_setting_set_num(LOG_VERBOSITY, 3);
    let creds = Credentials::new(
        "123456789012",
        "secret",
        Some("c2Vzc2lvbg==".into()),
        None,
        "t",
    );
    let token = sign(&addr, "us-east-1", None, &creds, SystemTime::now())
        .unwrap()
        .encode();
    let mut packet = token.clone().into_bytes();
    packet.push(0);
    assert_eq!(login(b"AppRole", Some(&packet), b"", &mut out), ALLOW);
    let arn = unsafe { CStr::from_ptr(out.as_ptr()) }
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(arn, "arn:aws:sts::123456789012:assumed-role/AppRole/s1");
    assert!(logged(
        "'AppRole'@'10.1.2.3' authenticated as arn:aws:sts::123456789012:assumed-role/AppRole/s1"
    ));
    assert_eq!(counters().successes, 1, "successes");
    // The ARN is cut to fit a small buffer.
    let mut small = [0 as c_char; 10];
    assert_eq!(login(b"AppRole", Some(&packet), b"", &mut small), ALLOW);
    assert_eq!(
        unsafe { CStr::from_ptr(small.as_ptr()) }.to_str().unwrap(),
        "arn:aws:s"
    );
    assert_eq!(counters().cache_hits, 1, "cache_hits");
    assert!(counters().sts_requests > 0, "sts_requests");
    assert!(
        counters().sts_time_us > 0,
        "sts_time_us grows with the STS exchanges"
    );

    // The transport flag crosses the C ABI: the same good token over a plain TCP
    // connection is refused (before the cache), unless secure transport is not required.
    let before = counters();
    assert_eq!(
        login_over(0, b"AppRole", Some(&packet), b"", &mut out),
        DENY
    );
    assert!(logged(
        "access denied for 'AppRole'@'10.1.2.3': insecure_transport:"
    ));
    let after = counters();
    assert_eq!(
        after.failures_insecure_transport - before.failures_insecure_transport,
        1
    );
    assert_eq!(
        after.cache_hits, before.cache_hits,
        "refused before the cache"
    );
    awsiam_setting_set_num(REQUIRE_SECURE_TRANSPORT, 0);
    assert_eq!(
        login_over(0, b"AppRole", Some(&packet), b"", &mut out),
        ALLOW
    );
    awsiam_setting_set_num(REQUIRE_SECURE_TRANSPORT, 1);
    assert_eq!(
        login_over(2, b"AppRole", Some(&packet), b"", &mut out),
        ALLOW
    );

    // A settings change the cached answers depend on empties the cache: the next login
    // goes to STS again. One they do not depend on (a longer TTL) keeps it.
    let cached_or_sts = |what: &str, out: &mut [c_char]| {
        let before = counters();
        assert_eq!(login(b"AppRole", Some(&packet), b"", out), ALLOW, "{what}");
        let after = counters();
        match (
            after.cache_hits - before.cache_hits,
            after.sts_requests - before.sts_requests,
        ) {
            (1, 0) => "cache",
            (0, 1) => "sts",
            other => panic!("{what}: (cache hits, STS requests) grew by {other:?}"),
        }
    };
    assert_eq!(cached_or_sts("unchanged", &mut out), "cache");
    awsiam_setting_set_num(CACHE_TTL, 120);
    assert_eq!(cached_or_sts("longer TTL", &mut out), "cache");
    awsiam_setting_set_num(TOKEN_MAX_AGE, 600);
    assert_eq!(cached_or_sts("token max age", &mut out), "sts");
    assert_eq!(cached_or_sts("then cached again", &mut out), "cache");
    // (A token without a server ID is refused while one is set: set it and clear it.)
    set_str(SERVER_ID, "db1").unwrap();
    set_str(SERVER_ID, "").unwrap();
    assert_eq!(cached_or_sts("server id", &mut out), "sts");
    set_str(ENDPOINT, "http://127.0.0.1:9").unwrap();
    set_str(ENDPOINT, &format!("http://{addr}")).unwrap();
    assert_eq!(cached_or_sts("endpoint", &mut out), "sts");

    // Wrong role: refused, and the log line names the caller.
    assert_eq!(login(b"Other", Some(&packet), b"", &mut out), DENY);
    assert!(logged(
        "access denied for 'Other'@'10.1.2.3': role_mismatch:"
    ));
    // ... its unique ID and access key ID, never the secret or the session token.
    assert!(logged(
        "(caller arn:aws:sts::123456789012:assumed-role/AppRole/s1, user ID 'X', access key ID '123456789012')"
    ));

    // A proxy account's rule maps the caller: the account name comes back for the shim to
    // copy into authenticated_as, and the log says so from verbosity 2 (MySQL's own proxy
    // check follows, and may refuse).
    awsiam_setting_set_num(LOG_VERBOSITY, 2);
    let rules = b"arn:aws:iam::123456789012:role/Ops => ops, arn:aws:iam::123456789012:role/App* => developers";
    let mut mapped = [0x55 as c_char; AUTHENTICATED_AS_LEN];
    assert_eq!(
        login_anonymous(b"alice", Some(&packet), rules, &mut out, &mut mapped),
        ALLOW
    );
    assert_eq!(
        unsafe { CStr::from_ptr(mapped.as_ptr()) }.to_str().unwrap(),
        "developers"
    );
    // The proxy account is anonymous: the line names the user the client sent, and the
    // account it came through.
    assert!(logged(
        "'alice'@'10.1.2.3' through account '' authenticated as arn:aws:sts::123456789012:assumed-role/AppRole/s1 \
         (user ID 'X', access key ID '123456789012'), mapped to 'developers' by rule 2"
    ));
    // No rule matches: its own reason and counter.
    let others = b"arn:aws:iam::123456789012:role/Ops => ops";
    assert_eq!(
        login_anonymous(b"bob", Some(&packet), others, &mut out, &mut mapped),
        DENY
    );
    assert!(logged(
        "access denied for 'bob'@'10.1.2.3' through account '': no_matching_rule:"
    ));
    assert_eq!(counters().failures_no_matching_rule, 1);
    // A buffer that could not hold every valid name is refused before anything else: a
    // name is never cut into another account's name.
    let internal = counters().failures_internal;
    let mut short = [0 as c_char; 32];
    assert_eq!(
        login_anonymous(b"", Some(&packet), rules, &mut out, &mut short),
        DENY
    );
    assert_eq!(counters().failures_internal, internal + 1);
    assert!(logged(
        "access denied for ''@'10.1.2.3': internal: the server passed no room for a mapped account name"
    ));
    awsiam_setting_set_num(LOG_VERBOSITY, 3);

    // Nothing secret in any log line.
    let sig = token.rsplit('.').next().unwrap();
    for (_, m) in LOG.lock().unwrap().iter() {
        assert!(
            !m.contains("c2Vzc2lvbg==") && !m.contains("secret") && !m.contains(sig),
            "{m}"
        );
    }

    // Start: the server learns its own account through aws-config's environment provider.
    unsafe {
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_ACCESS_KEY_ID", "123456789012");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/auth_awsiam/config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/auth_awsiam/credentials",
        );
    }
    awsiam_start();
    let started = Instant::now();
    let mut account = [0 as c_char; 32];
    while unsafe { awsiam_server_account(account.as_mut_ptr(), account.len()) } == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "server account not learned"
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        unsafe { CStr::from_ptr(account.as_ptr()) }
            .to_str()
            .unwrap(),
        "123456789012"
    );
    assert!(logged("server AWS account is 123456789012"));
    awsiam_deinit();

    // Installed again in the same process: the logger still reaches the (new) sink.
    LOG.lock().unwrap().clear();
    assert_eq!(unsafe { awsiam_init(Some(sink)) }, 0);
    assert_eq!(counters().failures, 0, "counters reset by init");
    // ... and the settings: the endpoint set before is gone, so is the cached answer.
    assert_eq!(login(b"AppRole", Some(&packet), b"", &mut out), DENY);
    assert!(logged("host_not_allowed"));
    assert_eq!(login(b"u", None, b"", &mut out), DENY);
    assert!(logged("no_token"));
    awsiam_deinit();
    // After deinit nothing is written to the old sink.
    LOG.lock().unwrap().clear();
    assert_eq!(login(b"u", None, b"", &mut out), DENY);
    assert!(LOG.lock().unwrap().is_empty());
}
