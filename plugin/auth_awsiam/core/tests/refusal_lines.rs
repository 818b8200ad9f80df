//! A burst of refused logins writes a bounded number of error-log lines, then one summary
//! with how many were left out and for which reasons, while every refusal is counted. Its
//! own test binary: the log sink and the budget of lines are process-wide (and its tests
//! take turns).

mod log_capture;

use std::sync::{Mutex, MutexGuard};

use auth_awsiam_core::auth::{self, Login};
use auth_awsiam_core::error::{Reason, Refusal};
use auth_awsiam_core::metrics::COUNTERS;
use auth_awsiam_core::refusal_lines::LINES_PER_INTERVAL;

/// Held by each test for its whole run: the lines and the budget are shared.
static SERIAL: Mutex<()> = Mutex::new(());

fn my_turn() -> MutexGuard<'static, ()> {
    // A test that failed holding it leaves it poisoned; the next one may still run.
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

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
    let _turn = my_turn();
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

#[test]
fn plugin_start_gives_a_full_budget_and_drops_what_was_left_out_before() {
    let _turn = my_turn();
    log_capture::start(2);
    auth::reset_refusal_lines();
    // The instance before: its budget spent, one line left out.
    for _ in 0..=LINES_PER_INTERVAL {
        auth::report_refusal(&login(), Refusal::new(Reason::StsRejected, "a refusal"));
    }
    // The plugin is started again, within the same interval.
    auth::reset_refusal_lines();
    log_capture::start(2);
    auth::report_refusal(&login(), Refusal::new(Reason::NoToken, "no token"));
    let lines = log_capture::lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("access denied for 'AppRole'@'10.0.0.9': no_token: "),
        "{lines:?}"
    );
    // The line left out before the start is not told by this instance.
    auth::flush_refusal_lines();
    assert_eq!(log_capture::lines(), lines);
}
