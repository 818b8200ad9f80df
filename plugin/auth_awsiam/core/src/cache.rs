//! Caller STS answers, keyed by the SHA-256 of the token. Only the STS answer is cached:
//! every local check and the policy run again on each login. The lock is held only for a
//! map operation, never across the STS call.

use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::identity::Caller;

pub type Key = [u8; 32];

struct Entry {
    caller: Caller,
    expires: Instant,
    seq: u64,
}

/// A bounded map with insertion order, so the oldest entry can be evicted in O(log n).
#[derive(Default)]
pub struct Cache {
    entries: HashMap<Key, Entry>,
    order: BTreeMap<u64, Key>,
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
        let seq = entry.seq;
        self.entries.remove(key);
        self.order.remove(&seq);
        None
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
        if let Some(old) = self.entries.remove(&key) {
            self.order.remove(&old.seq);
        }
        if self.entries.len() >= capacity {
            self.evict_expired(now);
        }
        while self.entries.len() >= capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, key);
        self.entries.insert(
            key,
            Entry {
                caller,
                expires: now + lifetime,
                seq,
            },
        );
    }

    fn evict_expired(&mut self, now: Instant) {
        let order = &mut self.order;
        self.entries.retain(|_, e| {
            let keep = e.expires > now;
            if !keep {
                order.remove(&e.seq);
            }
            keep
        });
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.generation += 1;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The cache key of a token (its canonical encoded form).
pub fn key(encoded_token: &str) -> Key {
    Sha256::digest(encoded_token.as_bytes()).into()
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
        }
    }

    fn k(n: u32) -> Key {
        key(&format!("token{n}"))
    }

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn hit_until_expiry() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), 10 * SEC, 10, 0, t0);
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

    #[test]
    fn reinsert_same_key_keeps_one_entry() {
        let mut c = Cache::default();
        let t0 = Instant::now();
        c.put(k(1), v(1), SEC, 2, 0, t0);
        c.put(k(1), v(1), SEC, 2, 0, t0);
        assert_eq!(c.len(), 1);
        assert_eq!(c.order.len(), 1);
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
}
