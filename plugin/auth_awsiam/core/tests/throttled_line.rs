//! A storm of throttled logins writes one error-log line, with its advice, per notice
//! interval, while every refusal is still counted. Its own test binary: the log sink and
//! the throttle notice's state are process-wide.

mod log_capture;

use auth_awsiam_core::auth::{self, Login};
use auth_awsiam_core::error::{Reason, Refusal};
use auth_awsiam_core::metrics::COUNTERS;
use auth_awsiam_core::sts::throttle::ADVICE;

#[test]
fn throttled_refusals_are_all_counted_and_logged_once_per_interval() {
    log_capture::start(2);
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
    let lines = log_capture::lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("access denied for 'AppRole'@'localhost': sts_throttled: "),
        "{lines:?}"
    );
    assert!(lines[0].contains(ADVICE), "{lines:?}");
}
