//! The thread pool (issue 20): while many clients log in with fresh tokens that STS takes
//! 50 ms to verify, how long does a `SELECT 1` take on another application's open
//! caching_sha2_password session? The plugin waits for STS inside the login, on whichever
//! server thread runs it: with a thread per connection that thread is the login's own;
//! with thread_pool.so it is one of a thread group's few workers, which the pool must see
//! as stalled before another may run. tools/inside/bench.sh runs this against the server
//! as it is (`--label off`) and again after restarting it with thread_pool.so (`--label on`).
//!
//! The session's round trips are timed alone first (calm), then during the logins; the
//! figures are the percentiles of the round trips that started inside the logins' window.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use mysql::prelude::Queryable;

use crate::ffi::LibMysql;
use crate::load::{self, Plan, Stop};
use crate::scenario::Admin;
use crate::suite::{REGION, SHA2_PASSWORD, SHA2_USER, available_threads};
use crate::table::{BenchLines, Table, fig};
use crate::target::{FirstAnswer, Target, Transport};
use crate::tokens::{self, Passwords, SignFor};

/// The MySQL user of the logins (an auth_awsiam account, named after the doubles' role).
const POOL_USER: &str = "BenchRole";
/// Distinct tokens the logins take in turn (the cache is off: each goes to STS anyway).
const TOKENS: usize = 2000;
/// Round trips timed alone, before the logins.
const CALM_TRIPS: usize = 2000;

#[derive(Args)]
pub struct PoolArgs {
    /// The server's Unix socket (root logs in there without a password).
    #[arg(long)]
    socket: PathBuf,
    /// MySQL's client library, which makes the logins.
    #[arg(long, default_value = "libmysqlclient.so.24")]
    libmysqlclient: String,
    /// HOST:PORT of the STS double the logins' tokens are verified at (bench.sh: 50 ms).
    #[arg(long)]
    sts: String,
    /// Its latency, for the table's title.
    #[arg(long, default_value_t = 50)]
    sts_latency_ms: u32,
    /// The AWS account the double answers for the tokens.
    #[arg(long)]
    account: String,
    /// `off` or `on`: names the figures (threadpool_off_..., threadpool_on_...).
    #[arg(long)]
    label: String,
    /// Clients logging in at once.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// How long they log in.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long)]
    server_pid: Option<u32>,
}

/// The `p`-th percentile (0..=100) of sorted `v`, nearest rank.
fn percentile(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

/// A `SELECT 1` on `conn`, timed, in milliseconds.
fn trip_ms(conn: &mut mysql::Conn) -> Result<f64, String> {
    let started = Instant::now();
    let one: Option<u8> = conn.query_first("SELECT 1").map_err(|e| e.to_string())?;
    if one != Some(1) {
        return Err(format!("SELECT 1 returned {one:?}"));
    }
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

pub fn main(args: &PoolArgs) -> Result<bool, String> {
    let socket = Transport::Socket(args.socket.clone());
    let mut admin = Admin::connect(&Target::new(&socket, "root"))?;
    let thread_handling: String = admin.variable("thread_handling")?;
    for statement in [
        "GRANT AUTH_AWSIAM_ADMIN ON *.* TO CURRENT_USER()".to_string(),
        format!("DROP USER IF EXISTS '{SHA2_USER}'@'%', '{POOL_USER}'@'%'"),
        format!(
            "CREATE USER '{SHA2_USER}'@'%' IDENTIFIED WITH caching_sha2_password BY '{SHA2_PASSWORD}'"
        ),
        format!("CREATE USER '{POOL_USER}'@'%' IDENTIFIED WITH auth_awsiam"),
        format!(
            "SET GLOBAL auth_awsiam_allowed_accounts = '{}'",
            args.account
        ),
        format!(
            "SET GLOBAL auth_awsiam_sts_endpoint = 'http://{}'",
            args.sts
        ),
        "SET GLOBAL auth_awsiam_cache_ttl = 0".to_string(),
    ] {
        admin.exec(&statement)?;
    }
    let sign_for = SignFor {
        host: args.sts.clone(),
        region: REGION.into(),
    };
    let passwords = Passwords::list(tokens::sign_many(
        &sign_for,
        7 << 40,
        TOKENS,
        available_threads(),
    )?);
    let lib = LibMysql::load(&args.libmysqlclient)?;
    let logins = Target::lib(lib, &socket, POOL_USER, FirstAnswer::Cleartext, None);
    logins
        .login(passwords.next())
        .map_err(|e| format!("first auth_awsiam login: {e}"))?;

    let mut session = Target::new(&socket, SHA2_USER)
        .session(SHA2_PASSWORD)
        .map_err(|e| format!("caching_sha2_password session: {e}"))?;
    let mut calm = Vec::with_capacity(CALM_TRIPS);
    for _ in 0..CALM_TRIPS {
        calm.push(trip_ms(&mut session)?);
    }
    calm.sort_by(f64::total_cmp);

    // The session's round trips run on their own thread for as long as the logins do;
    // those that started inside the logins' window count.
    let done = AtomicBool::new(false);
    let window: Mutex<Option<Instant>> = Mutex::new(None);
    let trips: Mutex<Vec<(Instant, f64)>> = Mutex::new(Vec::new());
    let plan = Plan {
        threads: args.clients,
        stop: Stop::After(Duration::from_secs_f64(args.seconds)),
        warmup: 1,
        server_pid: args.server_pid,
        helper_pids: Vec::new(),
    };
    let (outcome, probe) = std::thread::scope(|s| {
        let probe = s.spawn(|| -> Result<(), String> {
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let ms = trip_ms(&mut session)?;
                trips
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((started, ms));
            }
            Ok(())
        });
        let outcome = load::run(&logins, &passwords, &plan, &mut || {
            *window.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        });
        done.store(true, Ordering::Relaxed);
        (outcome, probe.join())
    });
    probe.map_err(|_| "the session's thread panicked".to_string())??;
    let opened = window
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .ok_or("the logins' window never opened")?;
    let closed = opened + outcome.elapsed;
    let mut loaded: Vec<f64> = trips
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .filter(|(t, _)| *t >= opened && *t <= closed)
        .map(|(_, ms)| ms)
        .collect();
    loaded.sort_by(f64::total_cmp);

    let l = &args.label;
    let mut table = Table::new(
        &format!(
            "Thread pool {l} (thread_handling {thread_handling}): a caching_sha2_password session's SELECT 1 while {} clients log in, every token verified by STS ({} ms)",
            args.clients, args.sts_latency_ms
        ),
        &[
            "logins/s",
            "login errors",
            "round trips",
            "calm p99 ms",
            "p50 ms",
            "p99 ms",
            "max ms",
        ],
    );
    let (p50, p99) = (percentile(&loaded, 50.0), percentile(&loaded, 99.0));
    table.row(vec![
        fig(Some(outcome.rate()), 0),
        outcome.errors.to_string(),
        loaded.len().to_string(),
        fig(percentile(&calm, 99.0), 2),
        fig(p50, 2),
        fig(p99, 2),
        fig(loaded.last().copied(), 2),
    ]);
    println!("{}", table.render());
    if let Some(e) = &outcome.first_error {
        println!("PROBLEM: a login failed: {e}");
    }
    let mut lines = BenchLines::default();
    lines.add(
        format!("threadpool_{l}_login_rate"),
        Some(outcome.rate()),
        0,
    );
    lines.add(
        format!("threadpool_{l}_select1_calm_p99_ms"),
        percentile(&calm, 99.0),
        2,
    );
    lines.add(format!("threadpool_{l}_select1_p50_ms"), p50, 2);
    lines.add(format!("threadpool_{l}_select1_p99_ms"), p99, 2);
    print!("{}", lines.render());
    Ok(outcome.errors == 0 && !loaded.is_empty())
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
        assert_eq!(percentile(&[], 99.0), None);
    }
}
