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
