//! The background thread that fetches issuers' keys ahead of need, and the plugin's own
//! cache with the functions that start and stop it.

use std::sync::{Arc, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use super::{Issuer, KeyCache, Limits, lock};

/// What the thread is told: stop, or look again now (the issuers changed).
#[derive(Default)]
pub(super) struct Signal {
    pub(super) stop: bool,
    pub(super) woken: bool,
}

impl KeyCache {
    /// Starts the background thread that fetches keys ahead of need.
    pub fn start(self: &Arc<Self>) -> Refresher {
        lock(&self.signal).stop = false;
        let cache = Arc::clone(self);
        let thread = std::thread::Builder::new()
            .name("awsiam-jwt-keys".into())
            .spawn(move || cache.run())
            .map_err(|e| log::error!("the JWT key refresh thread did not start: {e}"))
            .ok();
        Refresher {
            cache: Arc::clone(self),
            thread,
        }
    }

    /// Fetches what is due, then sleeps until the next is due, the issuers change, or it
    /// is told to stop.
    fn run(&self) {
        loop {
            let next = self.refresh_due(Instant::now());
            let mut signal = lock(&self.signal);
            loop {
                if signal.stop {
                    return;
                }
                if std::mem::take(&mut signal.woken) {
                    break;
                }
                let wait = next.map_or(self.limits.refresh_interval, |t| {
                    t.saturating_duration_since(Instant::now())
                });
                if wait.is_zero() {
                    break;
                }
                signal = self
                    .wake
                    .wait_timeout(signal, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }

    /// Wakes the thread (if one runs) to look at the issuers again.
    pub(super) fn wake_refresher(&self) {
        lock(&self.signal).woken = true;
        self.wake.notify_all();
    }
}

/// The background thread of a cache; `stop` (or dropping it) ends it.
pub struct Refresher {
    cache: Arc<KeyCache>,
    thread: Option<JoinHandle<()>>,
}

impl Refresher {
    /// Ends the thread and waits for it (a fetch in flight ends within its timeouts).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        lock(&self.cache.signal).stop = true;
        self.cache.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The plugin's key cache, and its background thread while the plugin runs.
static CACHE: LazyLock<Arc<KeyCache>> =
    LazyLock::new(|| Arc::new(KeyCache::new(Limits::default())));
pub(super) static REFRESHER: Mutex<Option<Refresher>> = Mutex::new(None);

/// The plugin's key cache: the `KeySource` of logins.
pub fn cache() -> &'static KeyCache {
    &CACHE
}

/// Trusts these issuers and fetches their keys ahead of need, starting the background
/// thread if it is not running (plugin start, and every change of the issuers).
pub fn start(issuers: &[Issuer]) {
    CACHE.set_issuers(issuers);
    let mut refresher = lock(&REFRESHER);
    if refresher.is_none() {
        *refresher = Some(CACHE.start());
    }
}

/// Stops the background thread and forgets every key (plugin stop). Waits for a fetch in
/// flight: at most two requests of `FETCH_TIMEOUT` (discovery, then the key set). Call it
/// before `sts::transport::join_lookups`, whose resolver the fetches use.
pub fn stop() {
    if let Some(r) = lock(&REFRESHER).take() {
        r.stop();
    }
    CACHE.set_issuers(&[]);
}
