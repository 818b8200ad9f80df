//! HTTP transport to STS and the threads it needs: one shared agent (warm TLS sessions and
//! pooled connections), and a resolver whose name-lookup threads are tracked and joined at
//! plugin stop.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{LazyLock, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::config::Config;

pub const ACCEPT: &str = "application/xml";
const USER_AGENT: &str = concat!("auth_awsiam/", env!("CARGO_PKG_VERSION"));

/// Most STS exchanges in flight at once. A flood of logins (good or bad tokens that pass
/// the local checks) must not grow without bound, nor get the server's address throttled
/// by STS: at the cap a login is refused at once (sts_busy) rather than queued behind
/// requests that may all be waiting for a timeout. 64 in flight at STS's usual 10-50 ms
/// is well over 1,000 verifications a second.
pub const MAX_STS_REQUESTS: usize = 64;
/// Most name-lookup threads alive at once. A lookup normally takes milliseconds and is
/// needed only for a new connection; threads pile up only when the resolver hangs, which
/// is when they must not grow without bound.
pub const MAX_LOOKUPS: usize = 16;

/// A counting limit without waiting: `try_take` gives a slot or nothing.
#[derive(Debug)]
pub struct Slots {
    in_use: AtomicUsize,
    max: usize,
}

/// A slot taken from `Slots`, given back when dropped.
#[derive(Debug)]
pub struct Slot<'a>(&'a Slots);

impl Slots {
    pub const fn new(max: usize) -> Self {
        Slots {
            in_use: AtomicUsize::new(0),
            max,
        }
    }

    pub fn max(&self) -> usize {
        self.max
    }

    pub fn try_take(&self) -> Option<Slot<'_>> {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.in_use.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The slots of STS exchanges (see `MAX_STS_REQUESTS`).
pub static STS_REQUESTS: Slots = Slots::new(MAX_STS_REQUESTS);

/// The error a resolver gives when `MAX_LOOKUPS` threads are already alive.
#[derive(Debug)]
pub struct LookupsBusy;

impl std::fmt::Display for LookupsBusy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{MAX_LOOKUPS} name lookups are already running")
    }
}

impl std::error::Error for LookupsBusy {}

/// Whether a ureq error is our resolver's `LookupsBusy`.
pub fn is_lookups_busy(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<LookupsBusy>()))
}

/// Name-lookup threads still alive, at most `max`. ureq's own resolver leaves a timed-out
/// lookup's thread behind, detached: it would run plugin code after the plugin stopped
/// (and after mysqld unloaded the library). Ours are joined at plugin stop.
pub struct Lookups {
    running: Mutex<Vec<JoinHandle<()>>>,
    max: usize,
}

impl Lookups {
    pub const fn new(max: usize) -> Self {
        Lookups {
            running: Mutex::new(Vec::new()),
            max,
        }
    }

    /// Runs `job` in a new tracked thread, unless `max` are alive.
    pub fn spawn(&self, job: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (done, still): (Vec<_>, Vec<_>) = running.drain(..).partition(JoinHandle::is_finished);
        *running = still;
        if running.len() >= self.max {
            return Err(std::io::Error::other(LookupsBusy));
        }
        let handle = thread::Builder::new()
            .name("auth_awsiam_dns".into())
            .spawn(job)?;
        running.push(handle);
        drop(running);
        for h in done {
            let _ = h.join();
        }
        Ok(())
    }

    /// Waits for every thread still alive. Bounded by the system resolver's own timeouts.
    pub fn join_all(&self) {
        let running = std::mem::take(&mut *self.running.lock().unwrap_or_else(|e| e.into_inner()));
        for h in running {
            let _ = h.join();
        }
    }
}

static LOOKUPS: Lookups = Lookups::new(MAX_LOOKUPS);

/// ureq's default resolver run in a tracked thread, bounded by the request's timeout.
#[derive(Debug)]
struct JoinedResolver;

impl Resolver for JoinedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        // An IP literal (a loopback endpoint, say) needs no lookup, hence no thread.
        if uri.host().is_some_and(|h| {
            h.trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok()
        }) {
            return DefaultResolver::default().resolve(uri, config, NextTimeout::default());
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let (uri, config) = (uri.clone(), config.clone());
        LOOKUPS.spawn(move || {
            // No timeout here: the lookup runs synchronously in this thread.
            let _ =
                tx.send(DefaultResolver::default().resolve(&uri, &config, NextTimeout::default()));
        })?;
        match rx.recv_timeout(*timeout.after) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(ureq::Error::Timeout(timeout.reason)),
            Err(RecvTimeoutError::Disconnected) => Err(ureq::Error::HostNotFound),
        }
    }
}

/// Waits for every name lookup still running (plugin stop).
pub fn join_lookups() {
    LOOKUPS.join_all();
}

/// One shared agent per timeout pair: keeps TLS sessions and connections to STS warm.
static AGENT: LazyLock<Mutex<Option<(Duration, Duration, ureq::Agent)>>> =
    LazyLock::new(|| Mutex::new(None));

pub fn agent(cfg: &Config) -> ureq::Agent {
    let mut guard = AGENT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((c, t, a)) = guard.as_ref()
        && *c == cfg.connect_timeout
        && *t == cfg.sts_timeout
    {
        return a.clone();
    }
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(cfg.connect_timeout))
        .timeout_global(Some(cfg.sts_timeout))
        // A redirect is answered as a response and refused: never follow one.
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        // Only STS is ever called, directly: no proxy from the server's environment.
        .proxy(None)
        .accept(ACCEPT)
        .user_agent(USER_AGENT)
        .tls_config(tls)
        .build();
    let agent = ureq::Agent::with_parts(config, DefaultConnector::default(), JoinedResolver);
    *guard = Some((cfg.connect_timeout, cfg.sts_timeout, agent.clone()));
    agent
}

/// Drops the shared agent and its pooled connections (plugin stop).
pub fn reset_agent() {
    *AGENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lookups_are_joined_at_stop() {
        // "localhost" is a name (looked up, from /etc/hosts: no network).
        let uri: ureq::http::Uri = "http://localhost:9/".parse().unwrap();
        let config = ureq::Agent::config_builder().build();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::Exact(Duration::ZERO),
            ..NextTimeout::default()
        };
        // Whether or not the lookup beat the zero timeout, its thread is ours to join.
        let _ = JoinedResolver.resolve(&uri, &config, timeout);
        // Other tests may add lookups of their own meanwhile: follow ours by thread id.
        let ours: Vec<_> = LOOKUPS
            .running
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.thread().name() == Some("auth_awsiam_dns"))
            .map(|h| h.thread().id())
            .collect();
        assert!(!ours.is_empty(), "the lookup thread is tracked");
        join_lookups();
        let left = LOOKUPS.running.lock().unwrap();
        assert!(!left.iter().any(|h| ours.contains(&h.thread().id())));
        drop(left);
        // A lookup that finishes in time answers normally.
        let got = JoinedResolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert!(got.iter().any(|a| a.ip().is_loopback() && a.port() == 9));
        join_lookups();
    }

    #[test]
    fn ip_literals_need_no_lookup_thread() {
        let config = ureq::Agent::config_builder().build();
        for (uri, want) in [
            ("http://127.0.0.1:4566/", "127.0.0.1:4566"),
            ("http://[::1]:4566/", "[::1]:4566"),
        ] {
            let uri: ureq::http::Uri = uri.parse().unwrap();
            let got = JoinedResolver
                .resolve(&uri, &config, NextTimeout::default())
                .unwrap();
            assert_eq!(got[0].to_string(), want);
        }
    }

    #[test]
    fn lookup_threads_are_capped() {
        let lookups = Lookups::new(2);
        let (release, wait) = mpsc::channel::<()>();
        let wait = std::sync::Arc::new(Mutex::new(wait));
        for _ in 0..2 {
            let wait = wait.clone();
            lookups
                .spawn(move || {
                    let _ = wait.lock().unwrap().recv();
                })
                .unwrap();
        }
        let e = lookups.spawn(|| {}).unwrap_err();
        assert!(is_lookups_busy(&ureq::Error::Io(e)));
        assert!(!is_lookups_busy(&ureq::Error::HostNotFound));
        drop(release);
        lookups.join_all();
        lookups.spawn(|| {}).unwrap();
        lookups.join_all();
    }

    #[test]
    fn request_slots_are_capped_and_given_back() {
        let slots = Slots::new(2);
        let a = slots.try_take().unwrap();
        let _b = slots.try_take().unwrap();
        assert!(slots.try_take().is_none());
        drop(a);
        assert!(slots.try_take().is_some());
        assert_eq!(STS_REQUESTS.max(), MAX_STS_REQUESTS);
    }
}
