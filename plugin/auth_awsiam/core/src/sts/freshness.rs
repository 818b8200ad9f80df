//! Freshness: a token is good for `auth_awsiam_token_max_age` from the earlier of its
//! signing time (x-amz-date) and the moment this server first verified it.
//!
//! A client clock may run ahead of the server's by up to `MAX_FUTURE_SKEW`. Measured from
//! the signing time alone, such a token would live `max_age + skew` on this server; so the
//! first verification of a future-dated token is remembered, and its window starts then.
//!
//! Two steps, so that unauthenticated input never reaches the memory:
//!
//! - `check`, before STS, looks at the signing time alone (too far ahead, too old): no
//!   memory, no lock. Anyone can send a well-formed token with any date.
//! - `verified`, after STS said who signed, looks the token up and remembers its first
//!   verification if it is future-dated. Only a signature STS accepted can take a place in
//!   the memory; a forged one never does, however many are sent.
//!
//! A token whose memory says it is over (replayed more than max_age after its first
//! verification, while its own date still allows it) is thus refused after STS, not
//! before: one STS call for a signature STS already accepted once. A cache hit needs no
//! look-up: an answer is cached for at most the window left when it was verified.
//!
//! The memory holds only future-dated verified tokens, for as long as they could still be
//! fresh, at most `MAX_REMEMBERED` at once, indexed by when they are forgotten: the
//! entries that are over, and when full the one closest to expiry, go in O(log n) each,
//! never by a scan. A forgotten token falls back to its signing time (so the worst case is
//! the old `max_age + skew`, never more). Verified tokens that are not future-dated (every
//! ordinary login) take no lock while the memory is empty.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::error::{Reason, Refusal, refuse};
use crate::token::Token;

/// How far in the future a signing time may be (client clock skew).
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(300);
/// Most future-dated tokens remembered at once (about 200 bytes each).
pub const MAX_REMEMBERED: usize = 10_000;

/// First verifications of future-dated tokens, keyed by signature (one per signed request).
#[derive(Default)]
struct Sightings {
    /// signature -> (first verified, forget after, seq)
    first: HashMap<String, (SystemTime, SystemTime, u64)>,
    /// (forget after, seq) of every entry; seq orders entries forgotten at the same instant.
    by_forget: BTreeMap<(SystemTime, u64), String>,
    next_seq: u64,
}

impl Sightings {
    /// Drops every entry whose token its signing time alone now expires.
    fn drop_over(&mut self, now: SystemTime) {
        while let Some(entry) = self.by_forget.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let signature = entry.remove();
            self.first.remove(&signature);
        }
    }

    fn insert(&mut self, signature: &str, first: SystemTime, forget: SystemTime, capacity: usize) {
        if self.first.len() >= capacity {
            self.drop_over(first);
        }
        while self.first.len() >= capacity {
            let Some((_, soonest)) = self.by_forget.pop_first() else {
                break;
            };
            self.first.remove(&soonest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_forget.insert((forget, seq), signature.to_string());
        self.first
            .insert(signature.to_string(), (first, forget, seq));
    }
}

/// The memory of first verifications (see the module documentation).
pub struct Memory {
    seen: Mutex<Sightings>,
    /// Entries in `seen`, readable without the lock (the common case is zero).
    len: AtomicUsize,
    capacity: usize,
}

impl Memory {
    pub fn new(capacity: usize) -> Self {
        Memory {
            seen: Mutex::new(Sightings::default()),
            len: AtomicUsize::new(0),
            capacity,
        }
    }

    /// When the window of a token STS verified starts: min(signed, first verified),
    /// remembering `now` as the first verification of a token signed after `now`.
    fn window_start(&self, token: &Token, cfg: &Config, now: SystemTime) -> SystemTime {
        let signed = token.signing_time();
        if signed <= now && self.len.load(Ordering::Acquire) == 0 {
            return signed;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((first, _, _)) = seen.first.get(&token.signature) {
            return signed.min(*first);
        }
        if signed <= now || self.capacity == 0 {
            return signed;
        }
        // Past signed + max_age the signing time alone expires the token.
        seen.insert(
            &token.signature,
            now,
            signed + cfg.token_max_age,
            self.capacity,
        );
        self.len.store(seen.first.len(), Ordering::Release);
        now
    }

    /// Whether the token is remembered (tests).
    #[cfg(test)]
    pub fn remembers(&self, token: &Token) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.first.contains_key(&token.signature)
    }

    pub fn clear(&self) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.first.clear();
        seen.by_forget.clear();
        self.len.store(0, Ordering::Release);
    }
}

static MEMORY: LazyLock<Memory> = LazyLock::new(|| Memory::new(MAX_REMEMBERED));

/// Forgets every first verification (plugin stop).
pub fn forget_all() {
    MEMORY.clear();
}

/// Whether the process-wide memory holds the token (tests).
#[cfg(test)]
pub fn remembers(token: &Token) -> bool {
    MEMORY.remembers(token)
}

/// Held by each test that remembers a token in the process-wide memory and looks at it
/// again, or empties it: `forget_all` in one test must not empty it under another.
#[cfg(test)]
pub fn process_memory_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Before STS: refuses a token signed too far in the future, or longer ago than the
/// window. The signing time only: nothing is remembered or looked up.
pub fn check(token: &Token, cfg: &Config, now: SystemTime) -> Result<(), Refusal> {
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
    window_left(token, cfg, signed, now).map(|_| ())
}

/// After STS verified the token (the login began at `now`): refuses it if its window,
/// counted from its first verification here when that was earlier than its date, has
/// passed; else how much of the window is left (what an answer may be cached for).
pub fn verified(token: &Token, cfg: &Config, now: SystemTime) -> Result<Duration, Refusal> {
    verified_in(&MEMORY, token, cfg, now)
}

fn verified_in(
    memory: &Memory,
    token: &Token,
    cfg: &Config,
    now: SystemTime,
) -> Result<Duration, Refusal> {
    let start = memory.window_start(token, cfg, now);
    window_left(token, cfg, start, now)
}

/// What is left of the window that starts at `start`, or the refusal of a token past it.
fn window_left(
    token: &Token,
    cfg: &Config,
    start: SystemTime,
    now: SystemTime,
) -> Result<Duration, Refusal> {
    let age = now.duration_since(start).unwrap_or(Duration::ZERO);
    if age <= cfg.token_max_age {
        return Ok((start + cfg.token_max_age)
            .duration_since(now)
            .unwrap_or(Duration::ZERO));
    }
    let since = if start < token.signing_time() {
        format!(
            "ahead of this server's clock, first verified here {} s ago",
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

    fn reason<T>(r: Result<T, Refusal>) -> Option<Reason> {
        r.err().map(|e| e.reason)
    }

    fn len(m: &Memory) -> usize {
        m.len.load(Ordering::Relaxed)
    }

    #[test]
    fn window_from_signing_time() {
        let m = Memory::new(10);
        let (t, c) = (token(1), Config::default());
        let signed = t.signing_time();
        assert_eq!(reason(check(&t, &c, signed + 900 * S)), None);
        assert_eq!(
            reason(check(&t, &c, signed + 901 * S)),
            Some(Reason::TokenExpired)
        );
        // Verified, the same: past tokens are not remembered.
        assert_eq!(verified_in(&m, &t, &c, signed + 100 * S), Ok(800 * S));
        assert_eq!(
            reason(verified_in(&m, &t, &c, signed + 901 * S)),
            Some(Reason::TokenExpired)
        );
        assert_eq!(len(&m), 0, "past tokens are not remembered");
        // Its detail says how old it is, not "ahead of this server's clock".
        let e = check(&t, &c, signed + 901 * S).unwrap_err();
        assert!(e.detail.contains("(901 s ago)"), "{}", e.detail);
    }

    /// Before STS nothing is remembered, however far ahead (within the skew) a token is
    /// dated: a forged signature must not take a place in the memory, nor its lock.
    #[test]
    fn the_check_before_sts_remembers_nothing() {
        let _turn = process_memory_turn();
        let c = Config::default();
        let t = token(70);
        let first = t.signing_time() - 200 * S;
        assert_eq!(reason(check(&t, &c, first)), None);
        assert!(!remembers(&t), "a token STS has not verified is remembered");
        // Verified, it is.
        assert_eq!(verified(&t, &c, first), Ok(900 * S));
        assert!(remembers(&t));
        assert_eq!(
            reason(verified(&t, &c, first + 901 * S)),
            Some(Reason::TokenExpired)
        );
        // Its date alone would still allow it: only the memory refuses it.
        assert_eq!(reason(check(&t, &c, first + 901 * S)), None);
    }

    /// Plugin stop forgets every first verification: a token's window runs from its signing
    /// time again.
    #[test]
    fn plugin_stop_forgets_first_verifications() {
        let _turn = process_memory_turn();
        let c = Config::default();
        let t = token(71);
        let first = t.signing_time() - 200 * S;
        assert_eq!(verified(&t, &c, first), Ok(900 * S));
        assert!(remembers(&t));
        forget_all();
        assert!(!remembers(&t));
        // 901 s after its first verification, but signed only 701 s before.
        assert_eq!(verified(&t, &c, first + 901 * S), Ok(199 * S));
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
            assert!(verified_in(&m, t, &c, now).is_ok());
        }
        assert_eq!(len(&m), 2);
        // t2 is still remembered (first verified at `now`): expired 901 s after it.
        assert_eq!(
            reason(verified_in(&m, &t2, &c, now + 901 * S)),
            Some(Reason::TokenExpired)
        );
        // t1 was forgotten: its window runs from its signing time again.
        assert_eq!(reason(verified_in(&m, &t1, &c, now + 901 * S)), None);
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
        // Both verified 100 s before their (future) signing time: remembered, full.
        for t in [&a, &b] {
            assert!(verified_in(&m, t, &c, signed - 100 * S).is_ok());
        }
        assert_eq!(len(&m), 2);
        // At signed + max_age exactly, a new future-dated token is verified.
        let over = signed + c.token_max_age;
        let mut later = token(62);
        later.amz_date = amz(over + 100 * S);
        assert!(verified_in(&m, &later, &c, over).is_ok());
        assert_eq!(len(&m), 1, "both sightings dropped");
        // So both are measured from their signing time again: exactly max_age old.
        for t in [&a, &b] {
            assert_eq!(reason(verified_in(&m, t, &c, over)), None);
        }
    }

    #[test]
    fn a_memory_of_size_zero_remembers_nothing() {
        let m = Memory::new(0);
        let (t, c) = (token(50), Config::default());
        let first = t.signing_time() - 200 * S;
        assert!(verified_in(&m, &t, &c, first).is_ok());
        assert_eq!(m.seen.lock().unwrap().first.len(), 0);
        // So the window runs from the signing time: fresh 200 s longer.
        assert!(verified_in(&m, &t, &c, first + 1000 * S).is_ok());
    }

    #[test]
    fn a_future_dated_token_never_outlives_max_age() {
        let m = Memory::new(10);
        let (t, c) = (token(2), Config::default());
        let signed = t.signing_time();
        // Signed by a clock 200 s ahead: first verified at signed - 200.
        let first = signed - 200 * S;
        assert_eq!(verified_in(&m, &t, &c, first), Ok(900 * S));
        assert_eq!(verified_in(&m, &t, &c, first + 900 * S), Ok(Duration::ZERO));
        // Measured from its signing time it would still be fresh for 200 s more.
        let e = verified_in(&m, &t, &c, first + 901 * S).unwrap_err();
        assert_eq!(e.reason, Reason::TokenExpired);
        assert!(
            e.detail.contains("first verified here 901 s ago"),
            "{}",
            e.detail
        );
        assert!(verified_in(&m, &t, &c, signed + 899 * S).is_err());
        // Too far ahead is refused outright, before STS.
        let far = token(3);
        assert_eq!(
            reason(check(&far, &c, far.signing_time() - 301 * S)),
            Some(Reason::TokenFromFuture)
        );
        // The skew limit itself is allowed.
        assert_eq!(reason(check(&far, &c, far.signing_time() - 300 * S)), None);
        assert_eq!(len(&m), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let m = Memory::new(2);
        let c = Config::default();
        for n in 10..15 {
            let t = token(n);
            assert!(verified_in(&m, &t, &c, t.signing_time() - 10 * S).is_ok());
            assert!(m.seen.lock().unwrap().first.len() <= 2);
            assert!(m.remembers(&t));
        }
        m.clear();
        assert_eq!(len(&m), 0);
        assert!(m.seen.lock().unwrap().by_forget.is_empty());
    }

    /// Every remembered token has exactly one place in the index it is forgotten by, through
    /// drops, evictions and repeats: eviction takes the index's front, never a scan.
    #[test]
    fn the_index_holds_every_entry_once() {
        let m = Memory::new(8);
        let c = Config::default();
        let base = token(0).signing_time();
        for n in 0..200u32 {
            let mut t = token((n % 256) as u8);
            t.signature = format!("{n:064x}");
            t.amz_date = amz(base + Duration::from_secs(u64::from(n % 7) * 30));
            let now = base - 100 * S + Duration::from_secs(u64::from(n) * 20);
            let _ = verified_in(&m, &t, &c, now);
            let _ = verified_in(&m, &t, &c, now);
            let seen = m.seen.lock().unwrap();
            assert_eq!(seen.first.len(), seen.by_forget.len());
            assert!(seen.first.len() <= 8);
            for (sig, (_, forget, seq)) in &seen.first {
                assert_eq!(seen.by_forget.get(&(*forget, *seq)), Some(sig));
            }
        }
    }

    #[test]
    fn left_is_measured_from_the_window_start() {
        let m = Memory::new(10);
        let t = token(30);
        let c = Config::default();
        let signed = t.signing_time();
        assert_eq!(verified_in(&m, &t, &c, signed + 100 * S), Ok(800 * S));
        assert_eq!(
            reason(verified_in(&m, &t, &c, signed + 1000 * S)),
            Some(Reason::TokenExpired)
        );
    }
}
