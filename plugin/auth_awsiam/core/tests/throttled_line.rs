//! A storm of throttled logins writes one error-log line, with its advice, per notice
//! interval, while every refusal is still counted. Its own test binary: the log sink and
//! the throttle notice's state are process-wide.

use std::ffi::{CStr, c_char, c_int};
use std::sync::Mutex;

use auth_awsiam_core::auth::{self, Login};
use auth_awsiam_core::error::{Reason, Refusal};
use auth_awsiam_core::logging;
use auth_awsiam_core::metrics::COUNTERS;
use auth_awsiam_core::sts::throttle::ADVICE;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn capture(_level: c_int, message: *const c_char) {
    // The logger passes a valid NUL-terminated string for the call's duration.
    let line = unsafe { CStr::from_ptr(message) };
    LINES
        .lock()
        .unwrap()
        .push(line.to_string_lossy().into_owned());
}

#[test]
fn throttled_refusals_are_all_counted_and_logged_once_per_interval() {
    logging::install(Some(capture));
    logging::set_verbosity(2);
    let login = Login {
        user: "AppRole",
        client_user: "AppRole",
        host: "localhost",
        auth_string: "",
        token: None,
        secure_transport: true,
    };
    let before = COUNTERS.snapshot();
    for _ in 0..3 {
        auth::report_refusal(
            &login,
            Refusal::new(Reason::StsThrottled, "STS answered Throttling"),
        );
    }
    let after = COUNTERS.snapshot();
    assert_eq!(
        after.failures_sts_throttled - before.failures_sts_throttled,
        3
    );
    assert_eq!(after.failures - before.failures, 3);
    let lines = LINES.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("access denied for 'AppRole'@'localhost': sts_throttled: "),
        "{lines:?}"
    );
    assert!(lines[0].contains(ADVICE), "{lines:?}");
}
