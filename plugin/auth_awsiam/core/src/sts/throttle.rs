//! What the plugin does when STS says "slow down" (`Throttling`, HTTP 429, ...): the retry
//! policy, and the error-log notice that tells a DBA what to change.
//!
//! The retry policy, decided so that a login storm never becomes a retry storm:
//!
//! - a throttled login is retried **once at most**, after a jittered pause
//!   (`RETRY_PAUSE_MIN`..`RETRY_PAUSE_MAX`, so retries from many logins do not arrive at
//!   STS together again);
//! - only if the login's STS budget (`auth_awsiam_sts_timeout`, counted from its first
//!   request) still holds the pause and `MIN_RETRY_TIME` for the second request, whose
//!   own timeout is what is left: the two requests together never outlast the setting;
//! - only while the process-wide retry quota has tokens: a token bucket like the AWS
//!   SDKs' retry quota. A retry costs `RETRY_COST`, a verified caller gives one back, up
//!   to `RETRY_QUOTA`. Under sustained throttling the quota is empty after
//!   `RETRY_QUOTA / RETRY_COST` retries, and from then on a throttled login is refused at
//!   once: extra requests are at most that burst plus one per `RETRY_COST` verified
//!   callers.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Shortest pause before the retry of a throttled request.
pub const RETRY_PAUSE_MIN: Duration = Duration::from_millis(100);
/// Longest pause before the retry of a throttled request.
pub const RETRY_PAUSE_MAX: Duration = Duration::from_millis(400);
/// Least time the second request must still have, after the pause, to be worth sending.
pub const MIN_RETRY_TIME: Duration = Duration::from_millis(500);
/// Tokens of the retry quota when full.
pub const RETRY_QUOTA: u32 = 50;
/// Tokens one retry takes; a verified caller gives one back.
pub const RETRY_COST: u32 = 5;
/// Least time between two error-log lines about throttled logins.
pub const NOTICE_INTERVAL: Duration = Duration::from_secs(60);

/// A token bucket of retries, shared by all logins (see the module documentation).
#[derive(Debug)]
pub struct RetryQuota {
    tokens: AtomicU32,
    max: u32,
}

impl RetryQuota {
    pub const fn new(max: u32) -> Self {
        RetryQuota {
            tokens: AtomicU32::new(max),
            max,
        }
    }

    /// Takes the cost of one retry, if the quota holds it.
    pub fn try_spend(&self) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                t.checked_sub(RETRY_COST)
            })
            .is_ok()
    }

    /// A verified caller: one token back.
    pub fn refund(&self) {
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < self.max).then_some(t + 1)
            });
    }

    pub fn tokens(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }

    fn refill(&self) {
        self.tokens.store(self.max, Ordering::Release);
    }
}

/// The quota of the plugin's STS requests.
pub static RETRIES: RetryQuota = RetryQuota::new(RETRY_QUOTA);

/// Why a throttled request was not retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRetry {
    /// Too little of `auth_awsiam_sts_timeout` is left.
    NoTime,
    /// The retry quota is used up: STS has been throttling for a while.
    NoQuota,
}

impl NoRetry {
    pub fn why(self) -> &'static str {
        match self {
            NoRetry::NoTime => "not retried: too little of auth_awsiam_sts_timeout left",
            NoRetry::NoQuota => {
                "not retried: the retry quota is used up (STS has been throttling for a while)"
            }
        }
    }
}

/// The pause before retrying a throttled request, `spent` after the login's first request
/// began, or why there is no retry. Takes the retry's cost from `quota`.
pub fn retry_pause(
    spent: Duration,
    sts_timeout: Duration,
    quota: &RetryQuota,
) -> Result<Duration, NoRetry> {
    let pause = jittered_pause();
    if spent + pause + MIN_RETRY_TIME > sts_timeout {
        return Err(NoRetry::NoTime);
    }
    if !quota.try_spend() {
        return Err(NoRetry::NoQuota);
    }
    Ok(pause)
}

/// A pause drawn uniformly from `RETRY_PAUSE_MIN..RETRY_PAUSE_MAX`.
fn jittered_pause() -> Duration {
    // RandomState is seeded from the OS per instance: random enough to spread retries.
    let random = RandomState::new().hash_one(Instant::now());
    let span = (RETRY_PAUSE_MAX - RETRY_PAUSE_MIN).as_millis() as u64;
    RETRY_PAUSE_MIN + Duration::from_millis(random % span.max(1))
}

/// What a DBA can do about throttling; written with the first throttled login of a while.
pub const ADVICE: &str = "STS is throttling this server's GetCallerIdentity calls. \
    To need fewer: let clients reuse a token for many connections within \
    auth_awsiam_cache_ttl (a cached token costs no STS call; raise auth_awsiam_cache_ttl \
    or auth_awsiam_cache_size if Auth_awsiam_cache_hits stays low), mint fresh tokens \
    less often, spread them over regional STS endpoints (sts.REGION.amazonaws.com: \
    each region has its own quota), or ask AWS for a higher STS request quota";

/// When the last notice was written, and how many throttled logins went unlogged since.
static NOTICE: Mutex<Option<(Instant, u64)>> = Mutex::new(None);

/// Plugin start: a full retry quota, and the next throttled login gets its line.
pub fn reset() {
    RETRIES.refill();
    *NOTICE.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Whether a throttled login's refusal gets its log line: the first one in each
/// `NOTICE_INTERVAL` does, with `ADVICE` and the count of those left unlogged since the
/// last one; the others are only counted (in `Auth_awsiam_failures_sts_throttled` too), so
/// that a storm does not flood the error log.
pub fn notice() -> Option<String> {
    notice_at(&NOTICE, Instant::now())
}

fn notice_at(state: &Mutex<Option<(Instant, u64)>>, now: Instant) -> Option<String> {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    match state.as_mut() {
        Some((last, unlogged)) if now.duration_since(*last) < NOTICE_INTERVAL => {
            *unlogged += 1;
            None
        }
        _ => {
            let unlogged = state.map_or(0, |(_, n)| n);
            *state = Some((now, 0));
            let mut text = ADVICE.to_string();
            if unlogged > 0 {
                text.push_str(&format!(
                    ". {unlogged} more throttled logins were refused since the last such line, not logged one by one"
                ));
            }
            Some(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_are_jittered_within_bounds() {
        let pauses: Vec<Duration> = (0..200).map(|_| jittered_pause()).collect();
        assert!(
            pauses
                .iter()
                .all(|p| (RETRY_PAUSE_MIN..RETRY_PAUSE_MAX).contains(p))
        );
        let distinct: std::collections::HashSet<_> = pauses.iter().collect();
        assert!(distinct.len() > 50, "{} distinct pauses", distinct.len());
    }

    #[test]
    fn a_retry_needs_time_left_and_quota() {
        let quota = RetryQuota::new(2 * RETRY_COST);
        let timeout = Duration::from_secs(5);
        // Not enough time: the quota is not touched.
        assert_eq!(
            retry_pause(timeout - MIN_RETRY_TIME, timeout, &quota),
            Err(NoRetry::NoTime)
        );
        assert_eq!(
            retry_pause(Duration::ZERO, Duration::from_millis(550), &quota),
            Err(NoRetry::NoTime)
        );
        assert_eq!(quota.tokens(), 2 * RETRY_COST);
        let pause = retry_pause(Duration::from_millis(20), timeout, &quota).unwrap();
        assert!(pause >= RETRY_PAUSE_MIN);
        assert!(retry_pause(Duration::ZERO, timeout, &quota).is_ok());
        assert_eq!(
            retry_pause(Duration::ZERO, timeout, &quota),
            Err(NoRetry::NoQuota)
        );
        // Answers refill it, one token each, never past the top.
        for _ in 0..RETRY_COST {
            quota.refund();
        }
        assert!(retry_pause(Duration::ZERO, timeout, &quota).is_ok());
        for _ in 0..100 {
            quota.refund();
        }
        assert_eq!(quota.tokens(), 2 * RETRY_COST);
    }

    #[test]
    fn notices_are_rate_limited_and_count_the_rest() {
        let state = Mutex::new(None);
        let t0 = Instant::now();
        let first = notice_at(&state, t0).unwrap();
        assert!(first.contains("regional STS endpoints") && first.contains("cache_ttl"));
        assert!(!first.contains("more throttled logins"));
        for s in 1..=5 {
            assert_eq!(notice_at(&state, t0 + Duration::from_secs(s)), None);
        }
        let next = notice_at(&state, t0 + NOTICE_INTERVAL).unwrap();
        assert!(next.ends_with(
            "5 more throttled logins were refused since the last such line, not logged one by one"
        ));
        assert_eq!(notice_at(&state, t0 + NOTICE_INTERVAL), None);
    }
}
