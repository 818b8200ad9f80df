//! The counters behind the `Auth_awsiam_*` status variables. The shim reads them in place
//! through a pointer, so the layout mirrors `struct awsiam_counters` exactly.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Reason;

/// Declares the counters once: the `#[repr(C)]` struct the shim reads in place (same
/// fields, same order as `struct awsiam_counters`; tests/header.rs holds the header to it),
/// its one static instance, a plain `Snapshot`, and the field names.
/// `AtomicU64` has the size and alignment of `unsigned long long` on every supported target.
macro_rules! counters {
    ($($(#[$doc:meta])* $field:ident,)*) => {
        #[repr(C)]
        #[derive(Debug, Default)]
        pub struct Counters {
            $($(#[$doc])* pub $field: AtomicU64,)*
        }

        /// Plain copy of the counters, for tests and logs.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Snapshot {
            $(pub $field: u64,)*
        }

        /// The one instance; its address is stable for the life of the process.
        pub static COUNTERS: Counters = Counters {
            $($field: AtomicU64::new(0),)*
        };

        impl Counters {
            /// `struct awsiam_counters` in auth_awsiam_core.h.
            pub const C_STRUCT: &'static str = "awsiam_counters";
            /// Field names in declaration order: the header's fields and the shim's
            /// `Auth_awsiam_<name>` status variables.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($field),)*];

            fn all(&self) -> impl Iterator<Item = &AtomicU64> {
                [$(&self.$field,)*].into_iter()
            }

            pub fn snapshot(&self) -> Snapshot {
                Snapshot {
                    $($field: self.$field.load(Ordering::Relaxed),)*
                }
            }
        }

        impl Counters {
            /// The counter named `name` (a name of `Counters::FIELDS`).
            fn by_name(&self, name: &str) -> Option<&AtomicU64> {
                match name {
                    $(stringify!($field) => Some(&self.$field),)*
                    _ => None,
                }
            }
        }

        impl Snapshot {
            /// The value of the counter named `name` (a name of `Counters::FIELDS`).
            pub fn get(&self, name: &str) -> Option<u64> {
                match name {
                    $(stringify!($field) => Some(self.$field),)*
                    _ => None,
                }
            }
        }
    };
}

counters! {
    successes,
    failures,
    failures_no_token,
    failures_token_invalid,
    failures_token_expired,
    failures_server_id,
    failures_insecure_transport,
    failures_sts_unavailable,
    /// STS answered "slow down" (reason sts_throttled), even after a retry if one was made.
    failures_sts_throttled,
    /// Refused at the cap on concurrent STS requests or name lookups (reason sts_busy).
    failures_sts_busy,
    failures_sts_rejected,
    failures_account_not_allowed,
    failures_principal_mismatch,
    /// A proxy account's mapping rules: none matched the caller (reason no_matching_rule).
    failures_no_matching_rule,
    failures_internal,
    sts_requests,
    sts_errors,
    cache_hits,
    /// Microseconds spent in STS exchanges, in all (divide by sts_requests for a mean).
    sts_time_us,
    /// New connections opened to STS (TCP, plus TLS for https). Divided by sts_requests
    /// it is the share of requests that paid for a connection set-up.
    sts_connections,
    /// Second requests sent after a throttled answer (at most one per login).
    sts_retries,
    /// JWTs that passed every check of `jwt::verify` (the policy may still refuse the
    /// caller): logins that cost no STS call.
    jwt_verified,
    /// Key sets of JWT issuers fetched or tried (ahead of need, or for an unknown kid).
    jwt_key_fetches,
    /// Of those, the ones that failed (the last good keys stay in use).
    jwt_key_fetch_errors,
}

fn bump(c: &AtomicU64) {
    // Relaxed: counters are independent statistics, read without ordering needs.
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub fn reset(&self) {
        for c in self.all() {
            c.store(0, Ordering::Relaxed);
        }
    }

    pub fn add_success(&self) {
        bump(&self.successes);
    }

    /// Counts a refusal in the total and in its reason's group (the group names its
    /// counter: error.rs states that table once; a test holds every name to a field here).
    pub fn add_failure(&self, reason: Reason) {
        bump(&self.failures);
        if let Some(c) = self.by_name(reason.group().counter()) {
            bump(c);
        }
    }

    pub fn add_sts_request(&self) {
        bump(&self.sts_requests);
    }

    pub fn add_sts_error(&self) {
        bump(&self.sts_errors);
    }

    pub fn add_sts_connection(&self) {
        bump(&self.sts_connections);
    }

    pub fn add_sts_retry(&self) {
        bump(&self.sts_retries);
    }

    pub fn add_jwt_verified(&self) {
        bump(&self.jwt_verified);
    }

    /// One fetch of an issuer's key set, and whether it failed.
    pub fn add_jwt_key_fetch(&self, failed: bool) {
        bump(&self.jwt_key_fetches);
        if failed {
            bump(&self.jwt_key_fetch_errors);
        }
    }

    pub fn add_cache_hit(&self) {
        bump(&self.cache_hits);
    }

    pub fn add_sts_time(&self, spent: std::time::Duration) {
        let us = u64::try_from(spent.as_micros()).unwrap_or(u64::MAX);
        self.sts_time_us.fetch_add(us, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Group;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn layout_matches_the_c_struct() {
        assert_eq!(size_of::<Counters>(), Counters::FIELDS.len() * 8);
        assert_eq!(align_of::<Counters>(), align_of::<u64>());
        assert_eq!(offset_of!(Counters, successes), 0);
        let index = |name| Counters::FIELDS.iter().position(|f| *f == name).unwrap();
        assert_eq!(
            offset_of!(Counters, failures_internal),
            index("failures_internal") * 8
        );
        assert_eq!(offset_of!(Counters, sts_time_us), index("sts_time_us") * 8);
        // The snapshot reads the field of the same name.
        let c = Counters::default();
        c.add_cache_hit();
        assert_eq!(c.snapshot().cache_hits, 1);
    }

    /// Each reason is counted in the total and in exactly the counter its group names (the
    /// name the docs' tables use), and in no other.
    #[test]
    fn every_reason_counts_in_its_groups_counter() {
        for reason in Reason::ALL {
            let c = Counters::default();
            c.add_failure(reason);
            let s = c.snapshot();
            let counter = reason.group().counter();
            for field in Counters::FIELDS {
                let want = u64::from(*field == "failures" || *field == counter);
                assert_eq!(s.get(field), Some(want), "{reason}: {field}");
            }
        }
        assert_eq!(Snapshot::default().get("no_such_counter"), None);
        for group in Group::ALL {
            assert!(
                Counters::FIELDS.contains(&group.counter()),
                "{group:?} names a counter that does not exist"
            );
        }
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
        // Throttling has its own counter, apart from "unreachable" and "rejected".
        assert_eq!(s.failures_sts_throttled, 1);
        assert_eq!(s.failures_sts_unavailable, 0);
        assert_eq!(s.successes, 1);
        c.reset();
        assert_eq!(c.snapshot(), Snapshot::default());
    }
}
