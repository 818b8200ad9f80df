//! How warm the STS connection pool stays under load: fresh-token verifications from many
//! threads at once against an STS (normally `tools/sts_double` with some latency), then
//! the share of STS requests that had to open a new connection, read from the same
//! counters a DBA reads (`Auth_awsiam_sts_connections`, `Auth_awsiam_sts_requests`).
//!
//! ```text
//! cargo run --release -p auth_awsiam_core --example sts_reuse -- ENDPOINT [THREADS] [LOGINS] [GAP_MS]
//! ```
//!
//! `ENDPOINT` is `http://127.0.0.1:PORT` or `https://localhost:PORT` (then the CA of the
//! double's certificate must be trusted: `SSL_CERT_FILE=ca.pem`). Defaults: 64 threads,
//! 3,000 logins, after 1,000 logins of warm-up, and a pause of 0 to `GAP_MS` (default 2)
//! between two logins of a thread, which stands for the rest of a real login (connect,
//! handshake, the client's own work) and makes the connections come back to the pool at
//! the uneven times real logins do. Every login signs a fresh token (nothing is answered
//! from a cache) and goes through the plugin's own checks and exchange.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use auth_awsiam_core::config::{Config, parse_endpoint};
use auth_awsiam_core::metrics::{COUNTERS, Snapshot};
use auth_awsiam_core::request::sign;
use auth_awsiam_core::sts;
use aws_credential_types::Credentials;

const WARM_UP: usize = 1000;

fn run(
    cfg: &Config,
    threads: usize,
    logins: usize,
    gap_ms: u64,
) -> (Snapshot, Snapshot, f64, usize) {
    let creds = Credentials::new("123456789012", "secret", None, None, "sts_reuse");
    let host = &cfg.endpoint.as_ref().expect("an endpoint").authority;
    let left = AtomicUsize::new(logins);
    let failed = AtomicUsize::new(0);
    let before = COUNTERS.snapshot();
    let started = Instant::now();
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while left
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok()
                {
                    if gap_ms > 0 {
                        let us = RandomState::new().hash_one(Instant::now()) % (gap_ms * 1000);
                        thread::sleep(Duration::from_micros(us));
                    }
                    let now = SystemTime::now();
                    let token = sign(host, "us-east-1", None, &creds, now).expect("signed");
                    let result = sts::precheck(&token, cfg, true, now)
                        .and_then(|target| sts::call(&target, &token, cfg));
                    // Counts every failure; shows the first three.
                    if let Err(e) = result
                        && failed.fetch_add(1, Ordering::Relaxed) < 3
                    {
                        eprintln!("login failed: {e}");
                    }
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    (before, COUNTERS.snapshot(), secs, failed.into_inner())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(endpoint) = args.first() else {
        eprintln!("usage: sts_reuse ENDPOINT [THREADS] [LOGINS]");
        std::process::exit(2);
    };
    let threads = args.get(1).map_or(64, |s| s.parse().expect("THREADS"));
    let logins = args.get(2).map_or(3000, |s| s.parse().expect("LOGINS"));
    let gap_ms = args.get(3).map_or(2, |s| s.parse().expect("GAP_MS"));
    let cfg = Config {
        endpoint: parse_endpoint(endpoint).expect("endpoint"),
        ..Config::default()
    };
    let _ = run(&cfg, threads, WARM_UP, gap_ms);
    let (before, after, secs, failed) = run(&cfg, threads, logins, gap_ms);
    let requests = after.sts_requests - before.sts_requests;
    let opened = after.sts_connections - before.sts_connections;
    println!(
        "endpoint {endpoint}  threads {threads}  gap 0-{gap_ms} ms  logins {logins} \
         (after {WARM_UP} of warm-up)  failed {failed}  {:.0} logins/s",
        logins as f64 / secs
    );
    println!(
        "STS requests {requests}  new connections {opened}  new-connection share {:.2}%  \
         (since start: {} of {})",
        100.0 * opened as f64 / requests.max(1) as f64,
        after.sts_connections,
        after.sts_requests
    );
}
