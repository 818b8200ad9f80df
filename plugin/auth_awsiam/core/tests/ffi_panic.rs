//! A panic on the login path is a refusal: `awsiam_authenticate` (and
//! `awsiam_challenge_verify`) catches it, answers DENY (never ALLOW, even for a login STS
//! approved) and counts the login once, in `failures_internal`.
//!
//! The panic is injected without any hook in the plugin: this test binary (its own
//! process) registers, before the plugin can, a `log` logger that panics on the plugin's
//! own records. `auth::authenticate` logs every outcome after deciding it, so the login
//! panics after the decision, inside the real `catch_unwind` of `awsiam_authenticate`.

mod common;

use std::ffi::{CStr, c_char, c_int};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use auth_awsiam_core::config::Setting;
use auth_awsiam_core::ffi::*;
use auth_awsiam_core::request::sign;
use aws_credential_types::Credentials;
use log::{LevelFilter, Log, Metadata, Record};

/// Panics on the plugin's records while armed.
struct PanickingLogger;
static ARMED: AtomicBool = AtomicBool::new(false);

impl Log for PanickingLogger {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }

    fn log(&self, record: &Record) {
        if ARMED.load(Ordering::SeqCst) && record.target().starts_with("auth_awsiam") {
            panic!("injected by the test: the log line of a login");
        }
    }

    fn flush(&self) {}
}
static LOGGER: PanickingLogger = PanickingLogger;

/// What the plugin sends to the server error log (through the shim's callback).
static SINK: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn sink(_level: c_int, message: *const c_char) {
    let m = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    SINK.lock().unwrap().push(m.into_owned());
}

fn login(token: Option<&[u8]>, out: &mut [c_char]) -> c_int {
    let l = login_record(token);
    let mut mapped = [0 as c_char; 97];
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

fn login_record(token: Option<&[u8]>) -> AwsiamLogin {
    let user = b"AppRole";
    AwsiamLogin {
        user: user.as_ptr().cast(),
        user_len: user.len(),
        client_user: std::ptr::null(),
        client_user_len: 0,
        host: b"10.1.2.3".as_ptr().cast(),
        host_len: 8,
        auth_string: std::ptr::null(),
        auth_string_len: 0,
        token: token.map_or(std::ptr::null(), |t| t.as_ptr()),
        token_len: token.map_or(0, <[u8]>::len),
        secure_transport: 1,
    }
}

#[test]
fn a_panic_while_deciding_a_login_is_deny_and_failures_internal() {
    log::set_logger(&LOGGER).expect("the first logger of this process");
    log::set_max_level(LevelFilter::Trace);
    // The plugin's own registration then fails harmlessly (see logging::install).
    assert_eq!(unsafe { awsiam_init(Some(sink)) }, 0);
    let counters = || unsafe { &*awsiam_counters() }.snapshot();

    let addr = common::fake_sts("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
    let set = |setting: Setting, value: &str| {
        let v = std::ffi::CString::new(value).unwrap();
        let rc = unsafe {
            awsiam_setting_set_str(setting as c_int, v.as_ptr(), std::ptr::null_mut(), 0)
        };
        assert_eq!(rc, 0, "{setting:?} = {value}");
    };
    set(Setting::StsEndpoint, &format!("http://{addr}"));
    set(Setting::AllowedAccounts, "123456789012");
    // No cache: each login goes to STS and decides afresh.
    awsiam_setting_set_num(Setting::CacheSize as c_int, 0);
    let creds = Credentials::new("123456789012", "secret", None, None, "t");
    let packet = sign(&addr, "us-east-1", None, &creds, SystemTime::now())
        .unwrap()
        .encode()
        .into_bytes();
    let mut out = [0 as c_char; 256];

    // Unarmed, this login is allowed: the injected panic below is what refuses it.
    assert_eq!(login(Some(&packet), &mut out), Verdict::Allow as c_int);

    for (what, token) in [
        ("a login STS approved", Some(packet.as_slice())),
        ("a login without a token", None),
    ] {
        out.fill(0);
        SINK.lock().unwrap().clear();
        let before = counters();
        ARMED.store(true, Ordering::SeqCst);
        let verdict = login(token, &mut out);
        ARMED.store(false, Ordering::SeqCst);
        let after = counters();
        assert_eq!(verdict, Verdict::Deny as c_int, "{what}");
        assert_eq!(
            after.failures_internal - before.failures_internal,
            1,
            "{what}: failures_internal"
        );
        // Counted once, as what it finally was: refused.
        assert_eq!(after.failures - before.failures, 1, "{what}: failures");
        assert_eq!(after.successes, before.successes, "{what}: successes");
        assert_eq!(after.failures_no_token, before.failures_no_token, "{what}");
        assert_eq!(out[0], 0, "{what}: no external user written");
        let log = SINK.lock().unwrap();
        assert!(
            log.iter()
                .any(|m| m.contains("access denied: internal: a panic was caught")),
            "{what}: {log:?}"
        );
    }

    // The challenge plugin's login path: the same, and in its own failures once.
    assert_eq!(awsiam_challenge_init(), 0);
    let challenge_failures = || {
        unsafe { &*awsiam_challenge_counters() }
            .failures
            .load(Ordering::SeqCst)
    };
    let mut issued = AwsiamChallenge {
        message: [0; 1024],
        message_len: 0,
        issued_us: 0,
    };
    let no_answer = login_record(None);
    assert_eq!(
        unsafe { awsiam_challenge_issue(&no_answer, &mut issued) },
        Verdict::Allow as c_int
    );
    let socket = AwsiamConnection {
        socket: -1,
        tls: 0,
        tls_certificate: std::ptr::null(),
        tls_certificate_len: 0,
    };
    let mut mapped = [0 as c_char; 97];
    let (before, failures_before) = (counters(), challenge_failures());
    SINK.lock().unwrap().clear();
    ARMED.store(true, Ordering::SeqCst);
    let verdict = unsafe {
        awsiam_challenge_verify(
            &no_answer,
            &issued,
            &socket,
            out.as_mut_ptr(),
            out.len(),
            mapped.as_mut_ptr(),
            mapped.len(),
        )
    };
    ARMED.store(false, Ordering::SeqCst);
    let after = counters();
    assert_eq!(verdict, Verdict::Deny as c_int);
    assert_eq!(challenge_failures() - failures_before, 1);
    assert_eq!(after.failures - before.failures, 1);
    assert_eq!(after.failures_internal - before.failures_internal, 1);
    assert!(
        SINK.lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("a panic was caught while deciding a challenge login")),
    );
    awsiam_deinit();
}
