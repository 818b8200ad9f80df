//! Caller STS answers, keyed by the SHA-256 of the token. Only the STS answer is cached:
//! every local check and the policy run again on each login. The lock is held only for a
//! map operation, never across the STS call.

use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::identity::Caller;

pub type Key = [u8; 32];

struct Remembered {
    caller: Caller,
    expires: Instant,
    seq: u64,
}

/// A bounded map indexed by expiry: expired entries, and when it is full the entry that
/// expires soonest (the one worth least), are evicted in O(log n) each, never by a scan
/// (a scan of a full cache under the lock cost more than the rest of a login).
#[derive(Default)]
pub struct Cache {
    entries: HashMap<Key, Remembered>,
    /// (expires, seq) of every entry; seq orders entries expiring at the same instant.
    by_expiry: BTreeMap<(Instant, u64), Key>,
    next_seq: u64,
    /// Bumped by `clear`; an answer obtained under an older generation is not stored.
    generation: u64,
}

impl Cache {
    pub fn get(&mut self, key: &Key, now: Instant) -> Option<Caller> {
        let entry = self.entries.get(key)?;
        if entry.expires > now {
            return Some(entry.caller.clone());
        }
        self.remove(key);
        None
    }

    fn remove(&mut self, key: &Key) {
        if let Some(old) = self.entries.remove(key) {
            self.by_expiry.remove(&(old.expires, old.seq));
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Stores an answer for `lifetime`, unless the cache was cleared since `generation`.
    pub fn put(
        &mut self,
        key: Key,
        caller: Caller,
        lifetime: Duration,
        capacity: usize,
        generation: u64,
        now: Instant,
    ) {
        if capacity == 0 || lifetime.is_zero() || generation != self.generation {
            return;
        }
        self.remove(&key);
        if self.entries.len() >= capacity {
            self.evict_expired(now);
        }
        while self.entries.len() >= capacity {
            let Some((_, soonest)) = self.by_expiry.pop_first() else {
                break;
            };
            self.entries.remove(&soonest);
        }
        let (expires, seq) = (now + lifetime, self.next_seq);
        self.next_seq += 1;
        self.by_expiry.insert((expires, seq), key);
        self.entries.insert(
            key,
            Remembered {
                caller,
                expires,
                seq,
            },
        );
    }

    /// Drops every entry expired at `now`: they are the front of the expiry index.
    fn evict_expired(&mut self, now: Instant) {
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            self.entries.remove(&key);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_expiry.clear();
        self.generation += 1;
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The cache key of a token: the SHA-256 of its wire form, every byte of it (the bytes
/// the client sent, as `token::wire_form` gives them: hashing them directly costs no
/// re-encoding). A token that differs in any byte is another entry.
pub fn key(wire_form: &[u8]) -> Key {
    Sha256::digest(wire_form).into()
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| Mutex::new(Cache::default()));

fn with<T>(f: impl FnOnce(&mut Cache) -> T) -> T {
    f(&mut CACHE.lock().unwrap_or_else(|e| e.into_inner()))
}

pub fn get(key: &Key) -> Option<Caller> {
    with(|c| c.get(key, Instant::now()))
}

pub fn generation() -> u64 {
    with(|c| c.generation())
}

pub fn put(key: Key, caller: Caller, lifetime: Duration, capacity: usize, generation: u64) {
    with(|c| c.put(key, caller, lifetime, capacity, generation, Instant::now()));
}

pub fn clear() {
    with(Cache::clear);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::parse_arn;

    fn v(n: u32) -> Caller {
        let arn = format!("arn:aws:sts::123456789012:assumed-role/R{n}/s1");
        Caller {
            principal: parse_arn(&arn).unwrap(),
            arn,
            user_id: String::new(),
            access_key_id: "AKIDEXAMPLE".into(),
            claims: None,
        }
    }

    fn k(n: u32) -> Key {
        key(format!("token{n}").as_bytes())
    }

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn hit_until_expiry() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), 10 * SEC, 10, 0, t0);
        assert!(!c.is_empty());
        assert_eq!(c.get(&k(1), t0 + 9 * SEC), Some(v(1)));
        assert_eq!(c.get(&k(1), t0 + 10 * SEC), None);
        assert!(c.is_empty(), "expired entry removed on lookup");
        assert_eq!(c.get(&k(2), t0), None);
    }

    #[test]
    fn bounded_evicts_expired_then_oldest() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), 100 * SEC, 3, 0, t0);
        c.put(k(2), v(2), SEC, 3, 0, t0);
        c.put(k(3), v(3), 100 * SEC, 3, 0, t0);
        // Full: the expired entry (2) goes first, not the oldest (1).
        c.put(k(4), v(4), 100 * SEC, 3, 0, t0 + 2 * SEC);
        assert_eq!(c.len(), 3);
        assert!(c.get(&k(1), t0 + 2 * SEC).is_some());
        assert!(c.get(&k(2), t0 + 2 * SEC).is_none());
        // Full with nothing expired: the oldest (1) goes.
        c.put(k(5), v(5), 100 * SEC, 3, 0, t0 + 2 * SEC);
        assert!(c.get(&k(1), t0 + 2 * SEC).is_none());
        assert!(c.get(&k(5), t0 + 2 * SEC).is_some());
        assert_eq!(c.len(), 3);
    }

    /// An entry is expired from the instant it expires, for eviction as for lookup.
    #[test]
    fn an_entry_expiring_now_is_evicted_before_a_live_one() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), 100 * SEC, 3, 0, t0);
        c.put(k(2), v(2), SEC, 3, 0, t0);
        c.put(k(3), v(3), 100 * SEC, 3, 0, t0);
        c.put(k(4), v(4), 100 * SEC, 3, 0, t0 + SEC);
        assert!(
            c.get(&k(1), t0 + SEC).is_some(),
            "the oldest live entry stays"
        );
        assert!(c.get(&k(2), t0 + SEC).is_none());
        assert_eq!(c.len(), 3);
    }

    /// A full cache drops every expired entry, not just enough for the new one: expired
    /// entries are worth nothing, and keeping them would evict live ones sooner later.
    #[test]
    fn a_full_cache_drops_every_expired_entry() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), SEC, 3, 0, t0);
        c.put(k(2), v(2), SEC, 3, 0, t0);
        c.put(k(3), v(3), 100 * SEC, 3, 0, t0);
        // At the instant 1 and 2 expire, the full cache takes 4: both go.
        c.put(k(4), v(4), 100 * SEC, 3, 0, t0 + SEC);
        assert_eq!(c.len(), 2);
        assert_eq!(c.by_expiry.len(), 2);
        assert!(c.get(&k(3), t0 + SEC).is_some() && c.get(&k(4), t0 + SEC).is_some());
    }

    #[test]
    fn reinsert_same_key_keeps_one_entry() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), SEC, 2, 0, t0);
        c.put(k(1), v(1), SEC, 2, 0, t0);
        assert_eq!(c.len(), 1);
        assert_eq!(c.by_expiry.len(), 1);
    }

    #[test]
    fn disabled_and_stale_generation_store_nothing() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), SEC, 0, 0, t0);
        c.put(k(1), v(1), Duration::ZERO, 10, 0, t0);
        assert!(c.is_empty());
        let g = c.generation();
        c.clear();
        c.put(k(1), v(1), SEC, 10, g, t0);
        assert!(c.is_empty(), "answer from before a clear is dropped");
        c.put(k(1), v(1), SEC, 10, c.generation(), t0);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn keys_differ_per_token() {
        assert_ne!(k(1), k(2));
        assert_eq!(k(1), k(1));
    }

    /// The key covers the whole token: a token that differs from a verified one in any
    /// field, first or last, at its first or its last character, is another key. (A key of
    /// some fields only, or of a prefix of the encoded token, would answer a forged
    /// signature or session token from the cache.)
    #[test]
    fn a_change_anywhere_in_the_token_is_another_key() {
        use crate::token::Token;
        use crate::token::tests::sample;
        let t = sample();
        let genuine = key(t.encode().as_bytes());
        type Change = (&'static str, fn(&mut Token));
        let changes: [Change; 9] = [
            ("host", |t| t.host.push('x')),
            ("date", |t| t.amz_date.replace_range(14..15, "6")),
            ("credential", |t| t.credential.replace_range(0..1, "B")),
            ("signed headers", |t| t.signed_headers.push('x')),
            ("signature, first digit", |t| {
                let c = if t.signature.starts_with('b') {
                    "c"
                } else {
                    "b"
                };
                t.signature.replace_range(0..1, c);
            }),
            ("signature, last digit", |t| {
                let c = if t.signature.ends_with('b') { "c" } else { "b" };
                t.signature.replace_range(63..64, c);
            }),
            ("server id", |t| t.server_id = Some("db2".into())),
            ("session token, first", |t| {
                t.session_token.as_mut().unwrap().replace_range(0..1, "G")
            }),
            ("session token, last", |t| {
                t.session_token.as_mut().unwrap().push('A')
            }),
        ];
        for (what, change) in changes {
            let mut other = t.clone();
            change(&mut other);
            assert_ne!(other, t, "{what}: the change changes the token");
            assert_ne!(key(other.encode().as_bytes()), genuine, "{what}");
        }
    }
}
