//! Freshness: a token is good for `auth_awsiam_token_max_age` from the earlier of its
//! signing time (x-amz-date) and the moment this server first saw it.
//!
//! A client clock may run ahead of the server's by up to `MAX_FUTURE_SKEW`. Measured from
//! the signing time alone, such a token would live `max_age + skew` on this server; so the
//! first sighting of a future-dated token is remembered, and its window starts then. Only
//! future-dated tokens are remembered (ordinary ones cost no lock), for as long as they
//! could still be fresh, at most `MAX_REMEMBERED` at once; past that the entries closest
//! to expiry are forgotten first, and a forgotten token falls back to its signing time
//! (so the worst case is the old `max_age + skew`, never more).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::error::{Reason, Refusal, refuse};
use crate::token::Token;

/// How far in the future a signing time may be (client clock skew).
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(300);
/// Most future-dated tokens remembered at once (about 100 bytes each).
pub const MAX_REMEMBERED: usize = 10_000;

/// First sightings of future-dated tokens, keyed by signature (one per signed request).
pub struct Memory {
    /// signature -> (first seen, forget after)
    seen: Mutex<HashMap<String, (SystemTime, SystemTime)>>,
    /// Entries in `seen`, readable without the lock (the common case is zero).
    len: AtomicUsize,
    capacity: usize,
}

impl Memory {
    pub fn new(capacity: usize) -> Self {
        Memory {
            seen: Mutex::new(HashMap::new()),
            len: AtomicUsize::new(0),
            capacity,
        }
    }

    /// When the token's window starts: min(signed, first seen), remembering `now` as the
    /// first sighting of a token signed after `now`.
    pub fn window_start(&self, token: &Token, cfg: &Config, now: SystemTime) -> SystemTime {
        let signed = token.signing_time();
        if signed <= now && self.len.load(Ordering::Acquire) == 0 {
            return signed;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((first, _)) = seen.get(&token.signature) {
            return signed.min(*first);
        }
        if signed <= now {
            return signed;
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, (_, forget)| *forget > now);
        }
        if seen.len() >= self.capacity
            && let Some(soonest) = seen
                .iter()
                .min_by_key(|(_, (_, forget))| *forget)
                .map(|(k, _)| k.clone())
        {
            seen.remove(&soonest);
        }
        if self.capacity > 0 {
            // Past signed + max_age the signing time alone expires the token.
            seen.insert(token.signature.clone(), (now, signed + cfg.token_max_age));
        }
        self.len.store(seen.len(), Ordering::Release);
        now
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.len.store(0, Ordering::Release);
    }
}

static MEMORY: LazyLock<Memory> = LazyLock::new(|| Memory::new(MAX_REMEMBERED));

/// Forgets every sighting (plugin stop).
pub fn forget_all() {
    MEMORY.clear();
}

/// Refuses a token signed too far in the future, or whose window has passed.
pub fn check(token: &Token, cfg: &Config, now: SystemTime) -> Result<(), Refusal> {
    check_in(&MEMORY, token, cfg, now)
}

fn check_in(memory: &Memory, token: &Token, cfg: &Config, now: SystemTime) -> Result<(), Refusal> {
    let signed = token.signing_time();
    if let Ok(ahead) = signed.duration_since(now)
        && ahead > MAX_FUTURE_SKEW
    {
        return Err(refuse(
            Reason::TokenFromFuture,
            format!(
                "the token was signed at {}, {} s in the future (client clock wrong?)",
                token.amz_date,
                ahead.as_secs()
            ),
        ));
    }
    let start = memory.window_start(token, cfg, now);
    let age = now.duration_since(start).unwrap_or(Duration::ZERO);
    if age <= cfg.token_max_age {
        return Ok(());
    }
    let since = if start < signed {
        format!(
            "ahead of this server's clock, first seen here {} s ago",
            age.as_secs()
        )
    } else {
        format!("{} s ago", age.as_secs())
    };
    Err(refuse(
        Reason::TokenExpired,
        format!(
            "the token was signed at {} ({since}); the limit is {} s",
            token.amz_date,
            cfg.token_max_age.as_secs()
        ),
    ))
}

/// How much of the token's freshness window is left at `now`.
pub fn left(token: &Token, cfg: &Config, now: SystemTime) -> Duration {
    let expires = MEMORY.window_start(token, cfg, now) + cfg.token_max_age;
    expires.duration_since(now).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::tests::sample;

    const S: Duration = Duration::from_secs(1);

    fn token(n: u8) -> Token {
        let mut t = sample();
        t.signature = format!("{n:02x}").repeat(32);
        t
    }

    /// The x-amz-date of a time.
    fn amz(t: SystemTime) -> String {
        let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let (days, rest) = (secs / 86_400, secs % 86_400);
        // Civil date from days (Howard Hinnant's algorithm, inverse of days_from_civil).
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + u64::from(m <= 2);
        let s = format!(
            "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        );
        assert_eq!(crate::token::amz_date_to_unix(&s), Some(secs));
        s
    }

    fn reason(r: Result<(), Refusal>) -> Option<Reason> {
        r.err().map(|e| e.reason)
    }

    #[test]
    fn window_from_signing_time() {
        let m = Memory::new(10);
        let (t, c) = (token(1), Config::default());
        let signed = t.signing_time();
        assert_eq!(reason(check_in(&m, &t, &c, signed + 900 * S)), None);
        assert_eq!(
            reason(check_in(&m, &t, &c, signed + 901 * S)),
            Some(Reason::TokenExpired)
        );
        assert_eq!(
            m.len.load(Ordering::Relaxed),
            0,
            "past tokens are not remembered"
        );
        // Its detail says how old it is, not "ahead of this server's clock".
        let e = check_in(&m, &t, &c, signed + 901 * S).unwrap_err();
        assert!(e.detail.contains("(901 s ago)"), "{}", e.detail);
    }

    /// Full, the memory forgets the sighting that expires soonest, not a later one.
    #[test]
    fn memory_forgets_the_soonest_to_expire_first() {
        let m = Memory::new(2);
        let c = Config::default();
        let base = token(40).signing_time();
        let signed_at = |n: u8, offset: u64| {
            let mut t = token(n);
            let secs = amz(base + Duration::from_secs(offset));
            t.amz_date = secs;
            t
        };
        let (t1, t2, t3) = (signed_at(41, 0), signed_at(42, 50), signed_at(43, 60));
        let now = base - 100 * S;
        for t in [&t1, &t2, &t3] {
            assert!(check_in(&m, t, &c, now).is_ok());
        }
        assert_eq!(m.len.load(Ordering::Relaxed), 2);
        // t2 is still remembered (first seen at `now`): expired 901 s after it.
        assert_eq!(
            reason(check_in(&m, &t2, &c, now + 901 * S)),
            Some(Reason::TokenExpired)
        );
        // t1 was forgotten: its window runs from its signing time again.
        assert_eq!(reason(check_in(&m, &t1, &c, now + 901 * S)), None);
    }

    /// A full memory drops every sighting whose token its signing time alone now expires
    /// (from the instant signed + max_age), before it forgets any other: those tokens fall
    /// back to their signing time.
    #[test]
    fn a_full_memory_drops_the_sightings_that_are_over() {
        let m = Memory::new(2);
        let c = Config::default();
        let (a, b) = (token(60), token(61));
        let signed = a.signing_time();
        assert_eq!(b.signing_time(), signed);
        // Both seen 100 s before their (future) signing time: remembered, full.
        for t in [&a, &b] {
            assert!(check_in(&m, t, &c, signed - 100 * S).is_ok());
        }
        assert_eq!(m.len.load(Ordering::Relaxed), 2);
        // At signed + max_age exactly, a new future-dated token arrives.
        let over = signed + c.token_max_age;
        let mut later = token(62);
        later.amz_date = amz(over + 100 * S);
        assert!(check_in(&m, &later, &c, over).is_ok());
        assert_eq!(m.len.load(Ordering::Relaxed), 1, "both sightings dropped");
        // So both are measured from their signing time again: exactly max_age old.
        for t in [&a, &b] {
            assert_eq!(reason(check_in(&m, t, &c, over)), None);
        }
    }

    #[test]
    fn a_memory_of_size_zero_remembers_nothing() {
        let m = Memory::new(0);
        let (t, c) = (token(50), Config::default());
        let first = t.signing_time() - 200 * S;
        assert!(check_in(&m, &t, &c, first).is_ok());
        assert_eq!(m.seen.lock().unwrap().len(), 0);
        // So the window runs from the signing time: fresh 200 s longer.
        assert!(check_in(&m, &t, &c, first + 1000 * S).is_ok());
    }

    #[test]
    fn a_future_dated_token_never_outlives_max_age() {
        let m = Memory::new(10);
        let (t, c) = (token(2), Config::default());
        let signed = t.signing_time();
        // Signed by a clock 200 s ahead: first seen at signed - 200.
        let first = signed - 200 * S;
        assert_eq!(reason(check_in(&m, &t, &c, first)), None);
        assert_eq!(reason(check_in(&m, &t, &c, first + 900 * S)), None);
        // Measured from its signing time it would still be fresh for 200 s more.
        let e = check_in(&m, &t, &c, first + 901 * S).unwrap_err();
        assert_eq!(e.reason, Reason::TokenExpired);
        assert!(
            e.detail.contains("first seen here 901 s ago"),
            "{}",
            e.detail
        );
        assert!(check_in(&m, &t, &c, signed + 899 * S).is_err());
        // Too far ahead is refused outright, and not remembered.
        let far = token(3);
        assert_eq!(
            reason(check_in(&m, &far, &c, far.signing_time() - 301 * S)),
            Some(Reason::TokenFromFuture)
        );
        assert_eq!(m.len.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let m = Memory::new(2);
        let c = Config::default();
        for n in 10..15 {
            let t = token(n);
            assert!(check_in(&m, &t, &c, t.signing_time() - 10 * S).is_ok());
            assert!(m.seen.lock().unwrap().len() <= 2);
            assert!(m.seen.lock().unwrap().contains_key(&t.signature));
        }
        m.clear();
        assert_eq!(m.len.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn left_is_measured_from_the_window_start() {
        let t = token(30);
        let c = Config::default();
        let signed = t.signing_time();
        assert_eq!(left(&t, &c, signed + 100 * S), 800 * S);
        assert_eq!(left(&t, &c, signed + 1000 * S), Duration::ZERO);
    }
}
