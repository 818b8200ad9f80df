//! The counters behind the `Auth_awsiam_*` status variables. The shim reads them in place
//! through a pointer, so the layout mirrors `struct awsiam_counters` exactly.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Group, Reason};

/// Same fields, same order, as `struct awsiam_counters` in auth_awsiam_core.h.
/// `AtomicU64` has the size and alignment of `unsigned long long` on every supported target.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Counters {
    pub successes: AtomicU64,
    pub failures: AtomicU64,
    pub failures_no_token: AtomicU64,
    pub failures_token_invalid: AtomicU64,
    pub failures_token_expired: AtomicU64,
    pub failures_server_id: AtomicU64,
    pub failures_insecure_transport: AtomicU64,
    pub failures_sts_unavailable: AtomicU64,
    pub failures_sts_rejected: AtomicU64,
    pub failures_account_not_allowed: AtomicU64,
    pub failures_principal_mismatch: AtomicU64,
    pub failures_internal: AtomicU64,
    pub sts_requests: AtomicU64,
    pub sts_errors: AtomicU64,
    pub cache_hits: AtomicU64,
    /// Microseconds spent in STS exchanges, in all (divide by sts_requests for a mean).
    pub sts_time_us: AtomicU64,
}

/// Plain copy of the counters, for tests and logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub successes: u64,
    pub failures: u64,
    pub failures_no_token: u64,
    pub failures_token_invalid: u64,
    pub failures_token_expired: u64,
    pub failures_server_id: u64,
    pub failures_insecure_transport: u64,
    pub failures_sts_unavailable: u64,
    pub failures_sts_rejected: u64,
    pub failures_account_not_allowed: u64,
    pub failures_principal_mismatch: u64,
    pub failures_internal: u64,
    pub sts_requests: u64,
    pub sts_errors: u64,
    pub cache_hits: u64,
    pub sts_time_us: u64,
}

/// The one instance; its address is stable for the life of the process.
pub static COUNTERS: Counters = Counters {
    successes: AtomicU64::new(0),
    failures: AtomicU64::new(0),
    failures_no_token: AtomicU64::new(0),
    failures_token_invalid: AtomicU64::new(0),
    failures_token_expired: AtomicU64::new(0),
    failures_server_id: AtomicU64::new(0),
    failures_insecure_transport: AtomicU64::new(0),
    failures_sts_unavailable: AtomicU64::new(0),
    failures_sts_rejected: AtomicU64::new(0),
    failures_account_not_allowed: AtomicU64::new(0),
    failures_principal_mismatch: AtomicU64::new(0),
    failures_internal: AtomicU64::new(0),
    sts_requests: AtomicU64::new(0),
    sts_errors: AtomicU64::new(0),
    cache_hits: AtomicU64::new(0),
    sts_time_us: AtomicU64::new(0),
};

fn bump(c: &AtomicU64) {
    // Relaxed: counters are independent statistics, read without ordering needs.
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    fn all(&self) -> [&AtomicU64; 16] {
        [
            &self.successes,
            &self.failures,
            &self.failures_no_token,
            &self.failures_token_invalid,
            &self.failures_token_expired,
            &self.failures_server_id,
            &self.failures_insecure_transport,
            &self.failures_sts_unavailable,
            &self.failures_sts_rejected,
            &self.failures_account_not_allowed,
            &self.failures_principal_mismatch,
            &self.failures_internal,
            &self.sts_requests,
            &self.sts_errors,
            &self.cache_hits,
            &self.sts_time_us,
        ]
    }

    pub fn reset(&self) {
        for c in self.all() {
            c.store(0, Ordering::Relaxed);
        }
    }

    pub fn add_success(&self) {
        bump(&self.successes);
    }

    /// Counts a refusal in the total and in its reason's group.
    pub fn add_failure(&self, reason: Reason) {
        bump(&self.failures);
        bump(match reason.group() {
            Group::NoToken => &self.failures_no_token,
            Group::TokenInvalid => &self.failures_token_invalid,
            Group::TokenExpired => &self.failures_token_expired,
            Group::ServerId => &self.failures_server_id,
            Group::InsecureTransport => &self.failures_insecure_transport,
            Group::StsUnavailable => &self.failures_sts_unavailable,
            Group::StsRejected => &self.failures_sts_rejected,
            Group::AccountNotAllowed => &self.failures_account_not_allowed,
            Group::PrincipalMismatch => &self.failures_principal_mismatch,
            Group::Internal => &self.failures_internal,
        });
    }

    pub fn add_sts_request(&self) {
        bump(&self.sts_requests);
    }

    pub fn add_sts_error(&self) {
        bump(&self.sts_errors);
    }

    pub fn add_cache_hit(&self) {
        bump(&self.cache_hits);
    }

    pub fn add_sts_time(&self, spent: std::time::Duration) {
        let us = u64::try_from(spent.as_micros()).unwrap_or(u64::MAX);
        self.sts_time_us.fetch_add(us, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] =
            self.all().map(|x| x.load(Ordering::Relaxed));
        Snapshot {
            successes: a,
            failures: b,
            failures_no_token: c,
            failures_token_invalid: d,
            failures_token_expired: e,
            failures_server_id: f,
            failures_insecure_transport: g,
            failures_sts_unavailable: h,
            failures_sts_rejected: i,
            failures_account_not_allowed: j,
            failures_principal_mismatch: k,
            failures_internal: l,
            sts_requests: m,
            sts_errors: n,
            cache_hits: o,
            sts_time_us: p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn layout_matches_the_c_struct() {
        assert_eq!(size_of::<Counters>(), 16 * 8);
        assert_eq!(align_of::<Counters>(), align_of::<u64>());
        assert_eq!(offset_of!(Counters, successes), 0);
        assert_eq!(offset_of!(Counters, failures_internal), 11 * 8);
        assert_eq!(offset_of!(Counters, cache_hits), 14 * 8);
        assert_eq!(offset_of!(Counters, sts_time_us), 15 * 8);
    }

    #[test]
    fn failures_count_in_total_and_group() {
        let c = Counters::default();
        c.add_failure(Reason::HostNotAllowed);
        c.add_failure(Reason::StsThrottled);
        c.add_success();
        let s = c.snapshot();
        assert_eq!(s.failures, 2);
        assert_eq!(s.failures_token_invalid, 1);
        assert_eq!(s.failures_sts_unavailable, 1);
        assert_eq!(s.successes, 1);
        c.reset();
        assert_eq!(c.snapshot(), Snapshot::default());
    }
}
