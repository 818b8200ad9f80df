//! HTTP transport to STS and the threads it needs: one shared agent (warm TLS sessions and
//! pooled connections), and a resolver whose name-lookup threads are tracked and joined at
//! plugin stop.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{LazyLock, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::config::Config;

pub const ACCEPT: &str = "application/xml";
const USER_AGENT: &str = concat!("auth_awsiam/", env!("CARGO_PKG_VERSION"));

/// Name lookups still running, each in a thread of ours. ureq's own resolver leaves a
/// timed-out lookup's thread behind, detached: it would run plugin code after the plugin
/// stopped (and after mysqld unloaded the library). Ours are joined at plugin stop.
static LOOKUPS: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

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
        let handle = thread::Builder::new()
            .name("auth_awsiam_dns".into())
            .spawn(move || {
                // No timeout here: the lookup runs synchronously in this thread.
                let _ = tx.send(DefaultResolver::default().resolve(
                    &uri,
                    &config,
                    NextTimeout::default(),
                ));
            })?;
        {
            let mut running = LOOKUPS.lock().unwrap_or_else(|e| e.into_inner());
            let (done, still): (Vec<_>, Vec<_>) =
                running.drain(..).partition(JoinHandle::is_finished);
            *running = still;
            running.push(handle);
            drop(running);
            for h in done {
                let _ = h.join();
            }
        }
        match rx.recv_timeout(*timeout.after) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(ureq::Error::Timeout(timeout.reason)),
            Err(RecvTimeoutError::Disconnected) => Err(ureq::Error::HostNotFound),
        }
    }
}

/// Waits for every name lookup still running (plugin stop). Bounded by the system
/// resolver's own timeouts.
pub fn join_lookups() {
    let running = std::mem::take(&mut *LOOKUPS.lock().unwrap_or_else(|e| e.into_inner()));
    for h in running {
        let _ = h.join();
    }
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
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.thread().name() == Some("auth_awsiam_dns"))
            .map(|h| h.thread().id())
            .collect();
        assert!(!ours.is_empty(), "the lookup thread is tracked");
        join_lookups();
        let left = LOOKUPS.lock().unwrap();
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
}
