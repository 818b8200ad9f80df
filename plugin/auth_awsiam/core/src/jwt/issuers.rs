//! The keys of the issuers a DBA trusts (`jwt_config`): the key cache logins read
//! (`KeyCache`, the `KeySource` of `jwt::verify`).
//!
//! Keys are fetched ahead of need by one background thread (`start` / `stop`): at start,
//! when the issuers change, and every `KEY_REFRESH_INTERVAL` (sooner, `RETRY_INTERVAL`,
//! after a failure). A login never waits for a fetch except when its `kid` is unknown: then
//! the issuer's keys are fetched once more, at most once per `MIN_REFETCH_INTERVAL` per
//! issuer, so a stream of forged kids costs the issuer one request per interval, not one
//! per login (a login that finds that issuer's fetch in flight waits for it instead, at
//! most two requests of `FETCH_TIMEOUT`, and then looks again). A fetch that fails keeps the last good keys: logins go on while the issuer is
//! unreachable. Every fetch is bounded in time (`FETCH_TIMEOUT`) and size (`MAX_JWKS_LEN`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::jwk::{Key, KeySet};
use super::{KeyMissing, KeySource};
pub use crate::jwt_config::Issuer;
use crate::metrics::COUNTERS;
use crate::syntax::{self, quoted};

mod fetch;
mod refresher;

use fetch::Fetcher;
pub use fetch::MAX_DISCOVERY_LEN;
use refresher::Signal;
pub use refresher::{Refresher, cache, start, stop};

/// How often an issuer's keys are fetched again. AWS publishes no rotation schedule
/// (jwt-facts.md 3.3); an unknown kid is fetched for at once anyway, so this only bounds
/// how long a key the issuer has withdrawn is still trusted here.
pub const KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// After a failed fetch, the next try: soon enough that a short outage heals by itself,
/// rare enough that a dead issuer costs nothing.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(60);
/// Least time between two fetches of one issuer's keys, whatever asks for them: a new
/// key's first logins wait at most this long, and a forged-kid storm causes one fetch per
/// interval.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Time limits of one fetch (connection, and the whole request with its body): those of
/// STS calls by default (config.rs), so an unknown kid costs a login no more than a token
/// STS verifies.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Most kids named in a refusal.
const MAX_SHOWN_KIDS: usize = 4;
/// The time and size limits of the cache (the constants above; tests shorten them).
#[derive(Clone, Debug)]
pub struct Limits {
    pub refresh_interval: Duration,
    pub retry_interval: Duration,
    pub min_refetch_interval: Duration,
    pub connect_timeout: Duration,
    pub fetch_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            refresh_interval: KEY_REFRESH_INTERVAL,
            retry_interval: RETRY_INTERVAL,
            min_refetch_interval: MIN_REFETCH_INTERVAL,
            connect_timeout: CONNECT_TIMEOUT,
            fetch_timeout: FETCH_TIMEOUT,
        }
    }
}

/// What is known of one issuer's keys.
struct State {
    /// The last good key set, kept whatever later fetches give.
    keys: Option<Arc<KeySet>>,
    /// The last fetch, good or not, and why it failed (cleared by a good one).
    attempted: Option<Instant>,
    error: Option<String>,
    /// Where the keys are, from the discovery document (else the documented path).
    jwks_url: Option<String>,
    /// When the background thread fetches next (`None`: at once).
    due: Option<Instant>,
}

struct Entry {
    issuer: Issuer,
    state: RwLock<State>,
    /// Held for a whole fetch: one fetch per issuer at a time.
    fetching: Mutex<()>,
}

/// The keys of the trusted issuers.
pub struct KeyCache {
    limits: Limits,
    fetcher: Fetcher,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    /// Fetches started (key sets, not discovery documents): the bound tests count.
    fetches: AtomicUsize,
    signal: Mutex<Signal>,
    wake: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read(e: &Entry) -> std::sync::RwLockReadGuard<'_, State> {
    e.state.read().unwrap_or_else(|e| e.into_inner())
}

fn write(e: &Entry) -> std::sync::RwLockWriteGuard<'_, State> {
    e.state.write().unwrap_or_else(|e| e.into_inner())
}

impl KeyCache {
    /// A cache that checks issuers' certificates against the system's trust store, like
    /// STS calls (rustls with the platform verifier).
    pub fn new(limits: Limits) -> KeyCache {
        Self::with_roots(limits, ureq::tls::RootCerts::PlatformVerifier)
    }

    fn with_roots(limits: Limits, roots: ureq::tls::RootCerts) -> KeyCache {
        KeyCache {
            fetcher: Fetcher::new(&limits, roots),
            limits,
            entries: Mutex::new(HashMap::new()),
            fetches: AtomicUsize::new(0),
            signal: Mutex::new(Signal::default()),
            wake: Condvar::new(),
        }
    }

    /// Trusts exactly these issuers from now on: the keys of the others are forgotten, the
    /// new ones are fetched by the background thread at once.
    pub fn set_issuers(&self, issuers: &[Issuer]) {
        {
            let mut entries = lock(&self.entries);
            entries.retain(|url, _| issuers.iter().any(|i| i.url() == url));
            for i in issuers {
                entries
                    .entry(i.url().to_string())
                    .or_insert_with(|| Self::new_entry(i));
            }
        }
        self.wake_refresher();
    }

    fn new_entry(issuer: &Issuer) -> Arc<Entry> {
        Arc::new(Entry {
            issuer: issuer.clone(),
            state: RwLock::new(State {
                keys: None,
                attempted: None,
                error: None,
                jwks_url: None,
                due: None,
            }),
            fetching: Mutex::new(()),
        })
    }

    fn entry(&self, issuer: &Issuer) -> Arc<Entry> {
        lock(&self.entries)
            .entry(issuer.url().to_string())
            .or_insert_with(|| Self::new_entry(issuer))
            .clone()
    }

    /// Key sets fetched (or tried) so far.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Fetches an issuer's keys (the caller holds `entry.fetching`), reading the discovery
    /// document first when `discover`; keeps the last good keys on failure.
    fn refresh(&self, entry: &Entry, now: Instant, discover: bool) {
        let issuer = &entry.issuer;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        write(entry).attempted = Some(now);
        let known = read(entry).jwks_url.clone();
        let result = self.fetcher.key_set(issuer, known, discover);
        COUNTERS.add_jwt_key_fetch(result.is_err());
        let mut state = write(entry);
        match result {
            Ok((url, set)) => {
                if state
                    .keys
                    .as_ref()
                    .is_none_or(|old| kids(old) != kids(&set))
                {
                    log::info!(
                        "JWT issuer {}: keys {}{}",
                        quoted(issuer.url(), syntax::MAX_HOST_LEN),
                        kids(&set).join(", "),
                        if set.skipped.is_empty() {
                            String::new()
                        } else {
                            format!(" (left out: {})", set.skipped.join("; "))
                        }
                    );
                }
                state.keys = Some(Arc::new(set));
                state.error = None;
                state.jwks_url = Some(url);
                state.due = Some(now + self.limits.refresh_interval);
            }
            Err(why) => {
                log::warn!(
                    "JWT issuer {}: its keys could not be fetched ({why}); {}",
                    quoted(issuer.url(), syntax::MAX_HOST_LEN),
                    if state.keys.is_some() {
                        "the last keys fetched stay in use"
                    } else {
                        "its tokens are refused until they can be"
                    }
                );
                state.error = Some(why);
                state.due = Some(now + self.limits.retry_interval);
            }
        }
    }

    /// Fetches the keys of every issuer due at `now`; returns when the next one is due.
    pub fn refresh_due(&self, now: Instant) -> Option<Instant> {
        let entries: Vec<Arc<Entry>> = lock(&self.entries).values().cloned().collect();
        let due = |e: &Entry| read(e).due.unwrap_or(now);
        for entry in &entries {
            if due(entry) <= now {
                let _fetching = lock(&entry.fetching);
                // A login may have fetched them while this thread waited.
                if due(entry) <= now {
                    self.refresh(entry, now, true);
                }
            }
        }
        entries.iter().map(|e| due(e)).min()
    }

    /// `KeySource::key` at `now`.
    fn key_at(&self, issuer: &Issuer, kid: &str, now: Instant) -> Result<Arc<Key>, KeyMissing> {
        let entry = self.entry(issuer);
        let lookup = || read(&entry).keys.as_ref().and_then(|s| s.get(kid).cloned());
        if let Some(key) = lookup() {
            return Ok(key);
        }
        // Unknown kid: one fetch at a time per issuer; whoever waited for it looks again.
        let _fetching = lock(&entry.fetching);
        if let Some(key) = lookup() {
            return Ok(key);
        }
        let recent = read(&entry)
            .attempted
            .is_some_and(|t| now.saturating_duration_since(t) < self.limits.min_refetch_interval);
        if !recent {
            self.refresh(&entry, now, false);
            if let Some(key) = lookup() {
                return Ok(key);
            }
        }
        Err(missing(&entry, kid))
    }
}

fn kids(set: &KeySet) -> Vec<String> {
    set.keys
        .iter()
        .map(|k| {
            format!(
                "{} ({})",
                quoted(&k.kid, super::compact::MAX_KID_LEN),
                k.alg.name()
            )
        })
        .collect()
}

fn missing(entry: &Entry, kid: &str) -> KeyMissing {
    let state = read(entry);
    let issuer = quoted(entry.issuer.url(), syntax::MAX_HOST_LEN);
    let error = state
        .error
        .as_ref()
        .map_or(String::new(), |e| format!("; the last fetch failed: {e}"));
    match &state.keys {
        None => KeyMissing::Unavailable(format!(
            "the keys of issuer {issuer} have not been fetched yet{error}"
        )),
        Some(set) => {
            let mut known = kids(set);
            if known.len() > MAX_SHOWN_KIDS {
                known.truncate(MAX_SHOWN_KIDS);
                known.push("...".into());
            }
            KeyMissing::Unknown(format!(
                "issuer {issuer} has no key {} (it has {}){error}",
                quoted(kid, super::compact::MAX_KID_LEN),
                known.join(", ")
            ))
        }
    }
}

impl KeySource for KeyCache {
    fn key(&self, issuer: &Issuer, kid: &str) -> Result<Arc<Key>, KeyMissing> {
        self.key_at(issuer, kid, Instant::now())
    }
}

#[cfg(test)]
mod tests;
