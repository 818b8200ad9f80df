//! A burst of refused logins writes a bounded number of error-log lines, then one summary
//! with how many were left out and for which reasons, while every refusal is counted. Its
//! own test binary: the log sink and the budget of lines are process-wide.

mod log_capture;

use auth_awsiam_core::auth::{self, Login};
use auth_awsiam_core::error::{Reason, Refusal};
use auth_awsiam_core::metrics::COUNTERS;
use auth_awsiam_core::refusal_lines::LINES_PER_INTERVAL;

fn login() -> Login<'static> {
    Login {
        user: "AppRole",
        client_user: "AppRole",
        host: "10.0.0.9",
        auth_string: "",
        token: None,
        secure_transport: true,
    }
}

#[test]
fn a_burst_of_refusals_is_logged_within_a_budget_and_counted_in_full() {
    log_capture::start(2);
    auth::reset_refusal_lines();
    let before = COUNTERS.snapshot();
    let burst = u64::from(LINES_PER_INTERVAL) + 30;
    for i in 0..burst {
        let reason = if i % 3 == 0 {
            Reason::TokenExpired
        } else {
            Reason::StsRejected
        };
        auth::report_refusal(&login(), Refusal::new(reason, "a refusal of the burst"));
    }
    // Throttled logins keep their own line, with advice, outside the budget.
    auth::report_refusal(
        &login(),
        Refusal::new(Reason::StsThrottled, "STS answered Throttling"),
    );
    let after = COUNTERS.snapshot();
    assert_eq!(after.failures - before.failures, burst + 1);
    let lines = log_capture::lines();
    let denied = |reason: &str| {
        lines
            .iter()
            .filter(|l| {
                l.starts_with(&format!(
                    "access denied for 'AppRole'@'10.0.0.9': {reason}: "
                ))
            })
            .count()
    };
    assert_eq!(
        denied("sts_rejected") + denied("token_expired"),
        LINES_PER_INTERVAL as usize,
        "{lines:?}"
    );
    assert_eq!(denied("sts_throttled"), 1, "{lines:?}");
    assert_eq!(lines.len(), LINES_PER_INTERVAL as usize + 1, "{lines:?}");

    // Plugin stop (or the first login after the interval): the summary.
    auth::flush_refusal_lines();
    let lines = log_capture::lines();
    let summary = lines.last().unwrap();
    // 80 refusals: 27 token_expired (i % 3 == 0), 53 sts_rejected; the first 50 logged
    // (17 token_expired, 33 sts_rejected), 30 left out.
    assert!(
        summary.starts_with("30 more refused logins in the last "),
        "{summary}"
    );
    assert!(
        summary.contains("were not logged one by one (sts_rejected 20, token_expired 10)"),
        "{summary}"
    );
    assert!(
        summary.contains("the Auth_awsiam_failures counters count every refusal"),
        "{summary}"
    );
    // Told once.
    auth::flush_refusal_lines();
    assert_eq!(log_capture::lines().len(), lines.len());
}
