//! AWS credentials loaded once per process and shared by all its connections (issue 22).
//!
//! Without it every connection loaded them again: a `role_arn` profile cost one AssumeRole
//! per connection, so a pool of 100 connections opening at once sent 100 AssumeRole calls
//! against an STS quota per account that AWS does not raise; and every connection read the
//! profile files and built an HTTPS client. Now a source of credentials (the profile, the
//! region, the STS endpoint of credential loading and the process's `AWS_*` environment)
//! is loaded once, and again only when its credentials near their expiry. Connections that
//! need a source being loaded wait for that one load instead of starting their own.
//!
//! What is kept is the credentials alone: never written anywhere, dropped at the plugin's
//! deinit. A failed load is not kept: the next connection tries again.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;

/// Expiring credentials (a role's, SSO's, instance metadata's) are loaded again this long
/// before they expire, as the AWS SDKs refresh ahead: a token signed now is checked by STS
/// when the server forwards it, and a role's session must still be valid then.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);
/// Credentials that do not expire (keys in the environment or a credentials file) are
/// loaded again after this long, so that a long-running process picks up a rotated key.
pub const RELOAD_UNEXPIRING_AFTER: Duration = Duration::from_secs(15 * 60);
/// Most sources kept. Each is one configuration of the process (a profile, a region); more
/// means the `AWS_*` environment keeps changing, and the oldest are forgotten.
pub const MAX_SOURCES: usize = 32;

/// Where credentials come from: what the user chose and, as a keyed hash, the `AWS_*`
/// variables aws-config reads (a process that changes them gets what they now say).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Source {
    pub profile: Option<String>,
    pub region: String,
    pub sts_url: Option<String>,
    pub aws_environment: u64,
}

/// A keyed hash of the process's `AWS_*` variables. The key is random per process, so the
/// hash says nothing about the secrets among them.
pub fn aws_environment() -> u64 {
    static KEY: LazyLock<RandomState> = LazyLock::new(RandomState::new);
    let mut vars: Vec<_> = std::env::vars_os()
        .filter(|(name, _)| name.as_encoded_bytes().starts_with(b"AWS_"))
        .collect();
    vars.sort();
    KEY.hash_one(&vars)
}

struct Held {
    credentials: Credentials,
    loaded_at: Instant,
}

impl Held {
    /// Whether these credentials may still sign a login at `now`.
    fn usable(&self, now: Instant, wall: SystemTime) -> bool {
        match self.credentials.expiry() {
            Some(expiry) => wall
                .checked_add(REFRESH_BEFORE_EXPIRY)
                .is_some_and(|t| t < expiry),
            None => now.saturating_duration_since(self.loaded_at) < RELOAD_UNEXPIRING_AFTER,
        }
    }
}

/// One source's credentials; its lock is held while they load, so one load is in flight.
#[derive(Default)]
struct Slot(Mutex<Option<Held>>);

/// The credentials of each source. The process has one ([`PROCESS`]); tests make their own.
#[derive(Default)]
pub struct SharedCredentials {
    slots: Mutex<HashMap<Source, Arc<Slot>>>,
}

/// The process's credentials, shared by every connection.
pub static PROCESS: LazyLock<SharedCredentials> = LazyLock::new(SharedCredentials::default);

/// A lock whose holder panicked still guards plain data: take it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SharedCredentials {
    /// The credentials of `source`: the ones held, if still usable, with `None`; else what
    /// `load` returns, with what came with them (`Some`), kept for the next connections.
    /// Callers for the same source wait while one of them loads.
    pub fn get<T, E>(
        &self,
        source: &Source,
        load: impl FnOnce() -> Result<(Credentials, T), E>,
    ) -> Result<(Credentials, Option<T>), E> {
        let slot = {
            let mut slots = lock(&self.slots);
            if !slots.contains_key(source) && slots.len() >= MAX_SOURCES {
                slots.clear();
            }
            Arc::clone(slots.entry(source.clone()).or_default())
        };
        let mut held = lock(&slot.0);
        if let Some(h) = held
            .as_ref()
            .filter(|h| h.usable(Instant::now(), SystemTime::now()))
        {
            return Ok((h.credentials.clone(), None));
        }
        *held = None;
        let (credentials, with) = load()?;
        *held = Some(Held {
            credentials: credentials.clone(),
            loaded_at: Instant::now(),
        });
        Ok((credentials, Some(with)))
    }

    /// Forgets every credential (the plugin's deinit).
    pub fn clear(&self) {
        lock(&self.slots).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn source(profile: &str) -> Source {
        Source {
            profile: Some(profile.into()),
            region: "us-east-1".into(),
            sts_url: None,
            aws_environment: 0,
        }
    }

    fn creds(expiry: Option<SystemTime>) -> Credentials {
        Credentials::new(
            "ASIAEXAMPLE",
            "secret",
            Some("session".into()),
            expiry,
            "test",
        )
    }

    fn counting(
        loads: &AtomicUsize,
        expiry: Option<SystemTime>,
    ) -> impl FnOnce() -> Result<(Credentials, ()), String> + '_ {
        move || {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok((creds(expiry), ()))
        }
    }

    #[test]
    fn a_source_is_loaded_once() {
        let shared = SharedCredentials::default();
        let loads = AtomicUsize::new(0);
        let hour = Some(SystemTime::now() + Duration::from_secs(3600));
        let (_, first) = shared.get(&source("app"), counting(&loads, hour)).unwrap();
        assert!(first.is_some(), "the first connection loads");
        for _ in 0..10 {
            let (c, with) = shared.get(&source("app"), counting(&loads, hour)).unwrap();
            assert!(with.is_none());
            assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        // Another profile is another source.
        shared
            .get(&source("other"), counting(&loads, hour))
            .unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn connections_opening_at_once_wait_for_one_load() {
        let shared = SharedCredentials::default();
        let loads = AtomicUsize::new(0);
        let start = Barrier::new(8);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    start.wait();
                    shared
                        .get(&source("app"), || {
                            loads.fetch_add(1, Ordering::SeqCst);
                            // A slow AssumeRole: the others arrive while it runs.
                            std::thread::sleep(Duration::from_millis(200));
                            Ok::<_, String>((creds(None), ()))
                        })
                        .unwrap();
                });
            }
        });
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn credentials_near_expiry_are_loaded_again() {
        let shared = SharedCredentials::default();
        let loads = AtomicUsize::new(0);
        let soon = Some(SystemTime::now() + REFRESH_BEFORE_EXPIRY - Duration::from_secs(1));
        shared.get(&source("app"), counting(&loads, soon)).unwrap();
        shared.get(&source("app"), counting(&loads, soon)).unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        let later = Some(SystemTime::now() + REFRESH_BEFORE_EXPIRY + Duration::from_secs(60));
        shared.get(&source("app"), counting(&loads, later)).unwrap();
        shared.get(&source("app"), counting(&loads, later)).unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn unexpiring_credentials_are_reloaded_after_a_while() {
        let now = Instant::now();
        let held = Held {
            credentials: creds(None),
            loaded_at: now,
        };
        let wall = SystemTime::now();
        assert!(held.usable(now + RELOAD_UNEXPIRING_AFTER - Duration::from_secs(1), wall));
        assert!(!held.usable(now + RELOAD_UNEXPIRING_AFTER, wall));
    }

    #[test]
    fn a_failed_load_is_not_kept() {
        let shared = SharedCredentials::default();
        let failed: Result<(Credentials, Option<()>), String> =
            shared.get(&source("app"), || Err("STS said no".to_string()));
        assert_eq!(failed.unwrap_err(), "STS said no");
        let loads = AtomicUsize::new(0);
        let (_, with) = shared.get(&source("app"), counting(&loads, None)).unwrap();
        assert!(with.is_some());
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn cleared_credentials_are_loaded_again() {
        let shared = SharedCredentials::default();
        let loads = AtomicUsize::new(0);
        shared.get(&source("app"), counting(&loads, None)).unwrap();
        shared.clear();
        shared.get(&source("app"), counting(&loads, None)).unwrap();
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn sources_are_bounded() {
        let shared = SharedCredentials::default();
        let loads = AtomicUsize::new(0);
        for i in 0..=MAX_SOURCES {
            shared
                .get(&source(&format!("p{i}")), counting(&loads, None))
                .unwrap();
        }
        assert!(lock(&shared.slots).len() <= MAX_SOURCES);
    }

    #[test]
    fn the_environment_hash_is_stable_within_the_process() {
        assert_eq!(aws_environment(), aws_environment());
    }
}
