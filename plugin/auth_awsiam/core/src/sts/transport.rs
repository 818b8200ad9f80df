//! HTTP transport to STS: one shared agent (a pool of warm connections sized for the most
//! requests that can be in flight, TLS sessions resumed), the caps on concurrent requests,
//! and the bridge to the plugin's own resolver (`resolve`), whose threads are joined at
//! plugin stop.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver as UreqResolver};
use ureq::unversioned::transport::{
    ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};

use crate::config::Config;
use crate::metrics;
use crate::syntax::quoted;

pub use super::resolve::MAX_LOOKUPS;
use super::resolve::{LookupError, Resolver};

pub const ACCEPT: &str = "application/xml";
const USER_AGENT: &str = concat!("auth_awsiam/", env!("CARGO_PKG_VERSION"));

/// Most STS exchanges in flight at once for any token. A flood of logins (good or bad
/// tokens that pass the local checks) must not grow without bound, nor get the server's
/// address throttled by STS: at the cap a login is refused at once (sts_busy) rather than
/// queued behind requests that may all be waiting for a timeout. 64 in flight at STS's
/// usual 10-50 ms is well over 1,000 verifications a second.
pub const MAX_STS_REQUESTS: usize = 64;
/// More exchanges, on top of those, that only tokens of known credentials (`known`: a
/// credential that logged in here within the last 15 minutes) may use. Anyone can send
/// well-formed tokens that pass the local checks and hold a slot until STS answers (or,
/// when STS hangs, until `auth_awsiam_sts_timeout`); without a reserve, 64 such clients
/// would refuse every fresh login with sts_busy. On top rather than out of the 64, so
/// that new credentials (a fleet starting, which cannot be told from forgeries before STS
/// answers) keep all they had: the clients that logged in lately keep 16 requests in
/// flight (hundreds of verifications a second at STS's usual latency) whatever the flood.
pub const RESERVED_STS_REQUESTS: usize = 16;
/// Idle connections kept, per STS host and in all: as many as can be busy at once, so
/// every connection a finished request gives back can serve a later one, and a steady
/// load opens no new connection. (ureq's defaults, 3 per host and 10 in all, made a third
/// of the requests at 64 concurrent logins open a connection.)
pub const MAX_IDLE_CONNECTIONS: usize = MAX_STS_REQUESTS + RESERVED_STS_REQUESTS;
/// How long an idle connection is kept. Under load connections are reused within
/// milliseconds; an idle one is closed by us before a load balancer's idle timeout
/// (commonly 60 s) can close it under a request. A connection the other end closed
/// anyway is noticed before use and replaced.
pub const MAX_IDLE_AGE: Duration = Duration::from_secs(30);
/// Input and output buffer of a connection. An STS request is a few KiB (the session token
/// is most of it) and an answer well under 1 KiB; ureq's default of 128 KiB each would
/// make the idle pool cost up to 20 MiB instead of 2.5 MiB.
pub const CONNECTION_BUFFER_BYTES: usize = 16 * 1024;
/// Most addresses of one name tried (ureq's own limit).
const MAX_ADDRESSES: usize = 16;

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

/// The slots of STS exchanges: a shared part for every token, and a reserve on top that
/// only tokens of known credentials may use (see `RESERVED_STS_REQUESTS`).
#[derive(Debug)]
pub struct StsSlots {
    shared: Slots,
    reserve: Slots,
}

impl StsSlots {
    pub const fn new(shared: usize, reserved: usize) -> Self {
        StsSlots {
            shared: Slots::new(shared),
            reserve: Slots::new(reserved),
        }
    }

    /// A slot for a token: a known credential's takes one of the reserve first (leaving the
    /// shared ones to others), then a shared one; any other takes a shared one only.
    pub fn try_take(&self, known: bool) -> Option<Slot<'_>> {
        if known {
            self.reserve.try_take().or_else(|| self.shared.try_take())
        } else {
            self.shared.try_take()
        }
    }

    pub fn shared(&self) -> usize {
        self.shared.max()
    }

    pub fn reserved(&self) -> usize {
        self.reserve.max()
    }
}

/// The slots of STS exchanges (see `MAX_STS_REQUESTS`, `RESERVED_STS_REQUESTS`).
pub static STS_REQUESTS: StsSlots = StsSlots::new(MAX_STS_REQUESTS, RESERVED_STS_REQUESTS);

/// The error the resolver gives when `MAX_LOOKUPS` names are already being looked up.
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

/// The lookup threads of the plugin (see `resolve`).
static RESOLVER: LazyLock<Arc<Resolver>> = LazyLock::new(|| Arc::new(Resolver::new()));

/// ureq's resolver interface over `resolve::Resolver`, bounded by the request's timeout
/// (also what fetches JWT issuers' keys: lookups with a timeout, threads joined at stop).
#[derive(Debug)]
pub(crate) struct PooledResolver;

impl UreqResolver for PooledResolver {
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
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(ureq::Error::HostNotFound);
        };
        let host_port =
            DefaultResolver::host_and_port(scheme, authority).ok_or(ureq::Error::HostNotFound)?;
        let addrs = RESOLVER
            .lookup(&host_port, *timeout.after)
            .map_err(|e| match e {
                LookupError::Busy => ureq::Error::Io(io::Error::other(LookupsBusy)),
                LookupError::Timeout => ureq::Error::Timeout(timeout.reason),
                LookupError::Stopping => {
                    ureq::Error::Io(io::Error::other("the plugin is stopping"))
                }
                LookupError::Failed(why) => ureq::Error::Io(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("name lookup of {host_port} failed: {why}"),
                )),
            })?;
        let mut out = self.empty();
        for a in config
            .ip_family()
            .keep_wanted(addrs.into_iter())
            .take(MAX_ADDRESSES)
        {
            out.push(a);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(out)
    }
}

/// Waits for the lookup threads to end (plugin stop).
pub fn join_lookups() {
    RESOLVER.stop();
}

/// Longest host name quoted from a certificate, and most names shown.
const MAX_CERT_NAME_LEN: usize = 128;
const MAX_CERT_NAMES_SHOWN: usize = 4;

/// What is wrong with STS's certificate, when that is why a connection failed: the
/// certificate chain or name the system's trust store (rustls-platform-verifier) refused.
/// Other TLS failures (no common cipher, a peer that is not TLS) are not certificate
/// problems and give `None`.
pub fn tls_failure(e: &ureq::Error) -> Option<String> {
    use rustls::CertificateError as C;
    let tls = match e {
        ureq::Error::Rustls(t) => t,
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>()?,
        _ => return None,
    };
    let rustls::Error::InvalidCertificate(cert) = tls else {
        return None;
    };
    Some(match cert {
        C::UnknownIssuer => "its certificate is not issued by a CA in the system's trust store \
            (unknown issuer; the plugin reads the operating system's CA certificates)"
            .to_string(),
        C::NotValidForName => "its certificate is for another host name".to_string(),
        C::NotValidForNameContext { presented, .. } => {
            let names: Vec<String> = presented
                .iter()
                .take(MAX_CERT_NAMES_SHOWN)
                // rustls shows each name as `DnsName("host")` (or `IpAddress(...)`).
                .map(|n| {
                    let bare = n
                        .split_once('"')
                        .and_then(|(_, rest)| rest.rsplit_once('"'))
                        .map_or(n.as_str(), |(inner, _)| inner);
                    quoted(bare, MAX_CERT_NAME_LEN)
                })
                .collect();
            format!(
                "its certificate is for another host name (it names {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )
        }
        C::Expired | C::ExpiredContext { .. } => "its certificate has expired".to_string(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "its certificate is not valid yet (is this server's clock right?)".to_string()
        }
        C::Revoked => "its certificate is revoked".to_string(),
        other => format!("its certificate is refused ({other})"),
    })
}

/// ureq's own connector chain (TCP, then TLS for https), counting every connection it
/// sets up: `Auth_awsiam_sts_connections`, against `Auth_awsiam_sts_requests`, shows how
/// well the pool keeps connections warm.
#[derive(Debug, Default)]
struct CountingConnector(DefaultConnector);

impl Connector<()> for CountingConnector {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let made = self.0.connect(details, chained)?;
        if made.is_some() {
            metrics::COUNTERS.add_sts_connection();
        }
        Ok(made)
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
        .max_idle_connections(MAX_IDLE_CONNECTIONS)
        .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS)
        .max_idle_age(MAX_IDLE_AGE)
        .input_buffer_size(CONNECTION_BUFFER_BYTES)
        .output_buffer_size(CONNECTION_BUFFER_BYTES)
        .max_response_header_size(CONNECTION_BUFFER_BYTES)
        .build();
    let agent = ureq::Agent::with_parts(config, CountingConnector::default(), PooledResolver);
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
    fn names_are_looked_up_by_joined_threads() {
        // "localhost" is a name (looked up, from /etc/hosts: no network).
        let uri: ureq::http::Uri = "http://localhost:9/".parse().unwrap();
        let config = ureq::Agent::config_builder().build();
        let got = PooledResolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert!(got.iter().any(|a| a.ip().is_loopback() && a.port() == 9));
        // The https default port is filled in.
        let uri: ureq::http::Uri = "https://localhost/".parse().unwrap();
        let got = PooledResolver
            .resolve(&uri, &config, NextTimeout::default())
            .unwrap();
        assert!(got.iter().all(|a| a.port() == 443));
        assert!(RESOLVER.threads() >= 1);
        join_lookups();
        assert_eq!(RESOLVER.threads(), 0);
        // A busy resolver is told apart from other failures.
        let busy = ureq::Error::Io(io::Error::other(LookupsBusy));
        assert!(is_lookups_busy(&busy));
        assert!(!is_lookups_busy(&ureq::Error::HostNotFound));
    }

    #[test]
    fn ip_literals_need_no_lookup_thread() {
        let config = ureq::Agent::config_builder().build();
        for (uri, want) in [
            ("http://127.0.0.1:4566/", "127.0.0.1:4566"),
            ("http://[::1]:4566/", "[::1]:4566"),
        ] {
            let uri: ureq::http::Uri = uri.parse().unwrap();
            let got = PooledResolver
                .resolve(&uri, &config, NextTimeout::default())
                .unwrap();
            assert_eq!(got[0].to_string(), want);
        }
    }

    #[test]
    fn request_slots_are_capped_and_given_back() {
        let slots = Slots::new(2);
        let a = slots.try_take().unwrap();
        let _b = slots.try_take().unwrap();
        assert!(slots.try_take().is_none());
        drop(a);
        assert!(slots.try_take().is_some());
        assert_eq!(
            (STS_REQUESTS.shared(), STS_REQUESTS.reserved()),
            (MAX_STS_REQUESTS, RESERVED_STS_REQUESTS)
        );
    }

    /// Tokens of unknown credentials (anyone's, forgeries included) can fill the shared
    /// slots but never the reserve: a known credential still gets a slot.
    #[test]
    fn the_reserve_is_for_known_credentials_only() {
        let slots = StsSlots::new(3, 1);
        let flood: Vec<_> = (0..3).map(|_| slots.try_take(false).unwrap()).collect();
        assert!(slots.try_take(false).is_none(), "the reserve is not shared");
        let known = slots
            .try_take(true)
            .expect("a known credential gets the reserve");
        assert!(slots.try_take(true).is_none(), "all four are taken");
        drop(flood);
        // A known credential takes the reserve first, and spills into the shared slots.
        drop(known);
        let a = slots.try_take(true).unwrap();
        let b = slots.try_take(true).unwrap();
        let rest: Vec<_> = (0..3).filter_map(|_| slots.try_take(false)).collect();
        assert_eq!(rest.len(), 2, "the reserve first, then one shared slot");
        drop((a, b, rest));
    }
}
