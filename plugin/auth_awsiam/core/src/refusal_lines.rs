//! How many refusal lines the error log gets: at most `LINES_PER_INTERVAL` in each
//! `INTERVAL`, then one summary line with how many were left out, by reason.
//!
//! Anyone who can reach the server's port can make logins fail, as fast as the server
//! answers (thousands a second on a small machine): a line for each would fill the disk
//! and bury every other line. The counters (`Auth_awsiam_failures*`) still count every
//! refusal; the lines are for the details, and the first ones of a storm show them.
//!
//! Why constants and not a setting: the budget only decides how many *examples* of a storm
//! are written, never what is counted, and a DBA who wants none can already set
//! `auth_awsiam_log_verbosity = 1`. 50 lines a minute is more than any healthy server
//! refuses (so nothing is left out in ordinary operation, and every line of a test or an
//! investigation is there), and bounds a storm to about 3,000 lines an hour (under 1 MB)
//! where it would otherwise write millions.
//!
//! `sts_throttled` lines have their own, stricter limit with advice (`sts::throttle`) and
//! do not use this budget.
//!
//! Lock-free: every refused login passes here, and refused logins are what an attacker
//! sends. The summary of an interval is written by the first login of any outcome after
//! it ended, or at plugin stop.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::Reason;

/// Length of one interval of the budget.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// Refusal lines written per interval; past that they are counted for the summary.
pub const LINES_PER_INTERVAL: u32 = 50;

/// The budget's state (see the module documentation).
pub struct Budget {
    base: Instant,
    /// Start of the current interval, in ms since `base`.
    started_ms: AtomicU64,
    /// Lines written (or tried) in the current interval.
    logged: AtomicU32,
    /// Lines left out, per reason (indexed by `Reason as usize`).
    left_out: [AtomicU64; Reason::ALL.len()],
    /// Some line was left out since the last summary.
    pending: AtomicBool,
}

impl Budget {
    pub fn new(base: Instant) -> Self {
        Budget {
            base,
            started_ms: AtomicU64::new(0),
            logged: AtomicU32::new(0),
            left_out: std::array::from_fn(|_| AtomicU64::new(0)),
            pending: AtomicBool::new(false),
        }
    }

    fn ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.base).as_millis() as u64
    }

    /// Whether a refusal for `reason` at `now` gets its line; the first return value is
    /// the summary of the interval that ended before it, to be written first, if one is
    /// due.
    pub fn take(&self, reason: Reason, now: Instant) -> (Option<String>, bool) {
        let summary = self.roll_over(now, false);
        if self.logged.fetch_add(1, Ordering::AcqRel) < LINES_PER_INTERVAL {
            return (summary, true);
        }
        self.left_out[reason as usize].fetch_add(1, Ordering::AcqRel);
        self.pending.store(true, Ordering::Release);
        (summary, false)
    }

    /// The summary of an interval that has ended with lines left out, if there is one
    /// (for logins that were let in: one atomic load while nothing is left out).
    pub fn due(&self, now: Instant) -> Option<String> {
        if !self.pending.load(Ordering::Acquire) {
            return None;
        }
        self.roll_over(now, false)
    }

    /// The summary of the lines left out so far, whether or not the interval has ended
    /// (plugin stop: nothing may stay untold).
    pub fn flush(&self, now: Instant) -> Option<String> {
        self.roll_over(now, true)
    }

    /// Starts a new interval if the current one has ended (or `force`), and returns the
    /// summary of what it left out. One thread wins the start; a line counted while it
    /// happens goes into one summary or the next, never none.
    fn roll_over(&self, now: Instant, force: bool) -> Option<String> {
        let started = self.started_ms.load(Ordering::Acquire);
        let now_ms = self.ms(now);
        let elapsed = now_ms.saturating_sub(started);
        if !force && elapsed < INTERVAL.as_millis() as u64 {
            return None;
        }
        self.started_ms
            .compare_exchange(started, now_ms, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        self.logged.store(0, Ordering::Release);
        if !self.pending.swap(false, Ordering::AcqRel) {
            return None;
        }
        let mut counts: Vec<(Reason, u64)> = Reason::ALL
            .iter()
            .map(|r| (*r, self.left_out[*r as usize].swap(0, Ordering::AcqRel)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        if total == 0 {
            return None;
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.name().cmp(b.0.name())));
        let by_reason: Vec<String> = counts
            .iter()
            .map(|(r, n)| format!("{} {n}", r.name()))
            .collect();
        Some(format!(
            "{total} more refused logins in the last {} s were not logged one by one ({}): \
             at most {LINES_PER_INTERVAL} refusal lines are written per {} s; the \
             Auth_awsiam_failures counters count every refusal",
            elapsed.div_ceil(1000),
            by_reason.join(", "),
            INTERVAL.as_secs()
        ))
    }

    /// A new budget (plugin start); what was left out before is dropped untold.
    pub fn reset(&self, now: Instant) {
        self.started_ms.store(self.ms(now), Ordering::Release);
        self.logged.store(0, Ordering::Release);
        for n in &self.left_out {
            n.store(0, Ordering::Release);
        }
        self.pending.store(false, Ordering::Release);
    }
}

/// The budget of this process's error-log lines.
pub static BUDGET: LazyLock<Budget> = LazyLock::new(|| Budget::new(Instant::now()));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_index_their_counters() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "{}", r.name());
        }
    }

    #[test]
    fn a_burst_gets_its_budget_of_lines_then_one_summary() {
        let t0 = Instant::now();
        let b = Budget::new(t0);
        let s = Duration::from_secs(1);
        for _ in 0..LINES_PER_INTERVAL {
            assert_eq!(b.take(Reason::StsRejected, t0 + s), (None, true));
        }
        for _ in 0..30 {
            assert_eq!(b.take(Reason::StsRejected, t0 + s), (None, false));
        }
        for _ in 0..12 {
            assert_eq!(b.take(Reason::StsBusy, t0 + 2 * s), (None, false));
        }
        assert_eq!(b.take(Reason::NoToken, t0 + 3 * s), (None, false));
        // Within the interval, nothing more: not even a login let in writes the summary.
        assert_eq!(b.due(t0 + INTERVAL - s), None);
        // The first refusal after it: the summary, then its own line (a new budget).
        let (summary, logged) = b.take(Reason::TokenExpired, t0 + INTERVAL);
        assert!(logged);
        assert_eq!(
            summary.as_deref(),
            Some(
                "43 more refused logins in the last 60 s were not logged one by one \
                 (sts_rejected 30, sts_busy 12, no_token 1): at most 50 refusal lines are \
                 written per 60 s; the Auth_awsiam_failures counters count every refusal"
            )
        );
        // Told once.
        assert_eq!(b.due(t0 + 2 * INTERVAL), None);
    }

    #[test]
    fn a_quiet_interval_writes_no_summary() {
        let t0 = Instant::now();
        let b = Budget::new(t0);
        for _ in 0..LINES_PER_INTERVAL {
            assert!(b.take(Reason::NoToken, t0).1);
        }
        assert_eq!(b.take(Reason::NoToken, t0 + INTERVAL), (None, true));
    }

    #[test]
    fn a_login_let_in_or_plugin_stop_writes_the_summary() {
        let t0 = Instant::now();
        let b = Budget::new(t0);
        for _ in 0..=LINES_PER_INTERVAL {
            b.take(Reason::StsRejected, t0);
        }
        let told = b.due(t0 + INTERVAL).unwrap();
        assert!(
            told.starts_with("1 more refused logins in the last 60 s"),
            "{told}"
        );
        for _ in 0..=LINES_PER_INTERVAL {
            b.take(Reason::StsRejected, t0 + INTERVAL);
        }
        // Plugin stop, before the interval ended.
        let flushed = b
            .flush(t0 + INTERVAL + Duration::from_millis(1500))
            .unwrap();
        assert!(
            flushed.starts_with("1 more refused logins in the last 2 s"),
            "{flushed}"
        );
        assert_eq!(b.flush(t0 + INTERVAL + Duration::from_secs(3)), None);
    }

    #[test]
    fn reset_starts_a_full_budget() {
        let t0 = Instant::now();
        let b = Budget::new(t0);
        for _ in 0..=LINES_PER_INTERVAL {
            b.take(Reason::StsRejected, t0);
        }
        b.reset(t0);
        assert_eq!(b.take(Reason::StsRejected, t0), (None, true));
        assert_eq!(b.flush(t0), None, "nothing left out since the reset");
    }

    /// Many threads refused at once: every refusal is either logged or in a summary.
    #[test]
    fn concurrent_refusals_are_all_told() {
        let t0 = Instant::now();
        let b = Budget::new(t0);
        let logged = AtomicU64::new(0);
        let summaries = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..8u32 {
                let (b, logged, summaries) = (&b, &logged, &summaries);
                s.spawn(move || {
                    for i in 0..500u32 {
                        // Time moves on: several intervals pass during the run.
                        let now = t0 + INTERVAL * (i / 100) + Duration::from_millis(u64::from(t));
                        let (summary, log) = b.take(Reason::StsRejected, now);
                        if log {
                            logged.fetch_add(1, Ordering::Relaxed);
                        }
                        summaries.lock().unwrap().extend(summary);
                    }
                });
            }
        });
        summaries
            .lock()
            .unwrap()
            .extend(b.flush(t0 + INTERVAL * 10));
        let left_out: u64 = summaries
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.split(' ').next().unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(logged.load(Ordering::Relaxed) + left_out, 8 * 500);
        assert!(logged.load(Ordering::Relaxed) <= 6 * u64::from(LINES_PER_INTERVAL));
    }
}
