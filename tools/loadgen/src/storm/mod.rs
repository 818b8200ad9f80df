//! The fault storm (issue 23): clients that cannot log in keep the STS slots and the error
//! log busy while STS goes through its faults, and the server must still serve everyone
//! else.
//!
//! `storm_clients` (64) clients send well-formed bogus tokens, as fast as they are refused:
//! made-up access key IDs, or the regular client's own key ID with a made-up session token,
//! all signed with a wrong secret. The phased STS double hangs, then throttles, then answers
//! errors, then answers again (after its latency; a forgery gets SignatureDoesNotMatch, as
//! from STS). Meanwhile, over the socket, through libmysqlclient:
//!
//! - a caching_sha2_password user logs in and runs `SELECT 1` every 100 ms: its
//!   login+query time, against the same user's in the calm before the storm (same run);
//! - a regular IAM client, which logged in before the storm, logs in every 100 ms with a
//!   fresh token of its credential: once STS answers again, every one must get in (the
//!   reserve of STS slots for known credentials, sts::known);
//! - a newcomer logs in every 100 ms with a credential never seen before: it cannot be told
//!   from a forgery before STS answers, so it competes with the storm for the shared slots
//!   (shown, not required).
//!
//! Checked: no bogus token is let in; the counters add up (every refusal a client saw is
//! counted once, the groups sum to the total); the error log grows by a bounded amount.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use auth_awsiam_core::refusal_lines::{INTERVAL, LINES_PER_INTERVAL};

use crate::suite::{SHA2_PASSWORD, SHA2_USER, Suite};
use crate::table::{Table, fig, ratio};
use crate::target::{FirstAnswer, Target};
use crate::tokens::{self, BENCH_SECRET_KEY, Passwords, SignFor, Signer};

mod report;

/// Where the storm's STS double is, what drives it, and where the server logs.
#[derive(Clone, Debug)]
pub struct StormArgs {
    /// HOST:PORT of the double's `phased` listener.
    pub authority: String,
    /// The double's phase file.
    pub phase_file: PathBuf,
    /// The server's error log.
    pub error_log: PathBuf,
}

/// The phases, in order, as the double's phase file names them.
const PHASES: [&str; 4] = ["hang", "throttle", "error", "ok"];
/// How often the bystander and the IAM clients log in.
const PERIOD: Duration = Duration::from_millis(100);
/// `auth_awsiam_sts_timeout` during the storm: how long a hanging STS holds a slot.
const STS_TIMEOUT_S: u32 = 2;
/// The target for the bystander's p99 login+query time during the storm.
pub const TARGET_P99_MS: f64 = 100.0;
/// What forgeries are signed with: not the secret the double checks.
const WRONG_SECRET: &str = "not-the-secret-of-the-bench-key";
/// Bogus tokens, taken in turn (refused tokens are not cached: reuse costs nothing).
const BOGUS_TOKENS: usize = 2000;
/// Session token numbers: the regular client's, the newcomers', the forgeries'.
const REGULAR: u64 = 1 << 50;
const NEWCOMERS: u64 = 1 << 51;
const BOGUS: u64 = 1 << 52;
/// Error-log lines the server may write besides the plugin's during the storm.
const OTHER_LINES: u64 = 10;

/// What happened in one phase (attempts counted in the phase they started in).
#[derive(Default)]
struct Tally {
    bogus_refused: AtomicU64,
    bogus_let_in: AtomicU64,
    regular_ok: AtomicU64,
    regular_refused: AtomicU64,
    newcomer_ok: AtomicU64,
    newcomer_refused: AtomicU64,
    /// Failures other than a refusal (lost connections, the bystander's errors).
    other_errors: AtomicU64,
    first_other: Mutex<Option<String>>,
    /// The bystander's login+query times, ms.
    bystander_ms: Mutex<Vec<f64>>,
}

impl Tally {
    fn other(&self, e: String) {
        self.other_errors.fetch_add(1, Ordering::Relaxed);
        self.first_other
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
    }

    /// A login that must be refused (bogus) or may be (regular, newcomer).
    fn login(&self, result: Result<(), String>, ok: &AtomicU64, refused: &AtomicU64) {
        match result {
            Ok(()) => {
                ok.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) if e.contains("Access denied") => {
                refused.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => self.other(e),
        }
    }

    fn get(n: &AtomicU64) -> u64 {
        n.load(Ordering::Relaxed)
    }

    fn times(&self) -> Vec<f64> {
        self.bystander_ms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The `q`-quantile (0..=1) of `v`, by rank: the smallest value with at least that share
/// of values at or below it.
pub fn quantile(v: &[f64], q: f64) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len().max(1));
    s.get(rank - 1).copied()
}

/// Logs in with `target` every `PERIOD` (never two at once: a slow login delays the next)
/// until `stop`, handing each result and its time to `record`.
fn every_period(
    target: &Target,
    password: &dyn Fn() -> String,
    stop: &AtomicBool,
    record: &dyn Fn(Result<(), String>, Duration),
) {
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let result = target.login(&password());
        record(result, started.elapsed());
        next += PERIOD;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
}

fn set_phase(file: &FsPath, phase: &str) -> Result<(), String> {
    std::fs::write(file, phase).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

fn log_size(file: &FsPath) -> Result<u64, String> {
    std::fs::metadata(file)
        .map(|m| m.len())
        .map_err(|e| format!("cannot read {}: {e}", file.display()))
}

/// Lines in `file` from byte `from`.
fn lines_since(file: &FsPath, from: u64) -> Result<u64, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let tail = bytes.get(from as usize..).unwrap_or_default();
    Ok(tail.iter().filter(|b| **b == b'\n').count() as u64)
}

/// The most error-log lines a storm of `seconds` may add: the refusal lines' budget, a
/// summary and a throttling notice for each interval it touches, and the server's own.
fn log_line_bound(seconds: f64) -> u64 {
    let intervals = (seconds / INTERVAL.as_secs_f64()).ceil() as u64 + 1;
    intervals * (u64::from(LINES_PER_INTERVAL) + 2) + OTHER_LINES
}

/// Counter deltas of the plugin between two readings.
fn delta(
    a: &std::collections::BTreeMap<String, u64>,
    b: &std::collections::BTreeMap<String, u64>,
    name: &str,
) -> u64 {
    let get = |m: &std::collections::BTreeMap<String, u64>| m.get(name).copied().unwrap_or(0);
    get(b).saturating_sub(get(a))
}

impl Suite {
    pub(crate) fn storm_section(&mut self, args: &StormArgs) -> Result<(), String> {
        let clients = self.sizes.storm_clients;
        let phase_len = self.sizes.storm_phase;
        let sign_for = SignFor {
            host: args.authority.clone(),
            region: "us-east-1".into(),
        };
        set_phase(&args.phase_file, "ok")?;
        self.sql(&format!(
            "SET GLOBAL auth_awsiam_sts_endpoint = 'http://{}'",
            args.authority
        ))?;
        self.sql(&format!(
            "SET GLOBAL auth_awsiam_sts_timeout = {STS_TIMEOUT_S}"
        ))?;
        self.sql("SET GLOBAL auth_awsiam_cache_ttl = DEFAULT")?;
        self.sql("SET GLOBAL auth_awsiam_cache_size = DEFAULT")?;

        // Tokens, signed before the clock starts. The regular client's are distinct tokens
        // (dated a second apart, up to 10 minutes back) of one credential.
        let now = SystemTime::now();
        let logins_per_client =
            (PHASES.len() as u32 * phase_len).as_millis() / PERIOD.as_millis() + 10;
        let regular: Vec<String> = (0..logins_per_client as u64 + 1)
            .map(|k| {
                tokens::sign_as(
                    &sign_for,
                    &Signer::bench(REGULAR, BENCH_SECRET_KEY),
                    now - Duration::from_secs(k),
                )
            })
            .collect::<Result<_, _>>()?;
        let regular = Passwords::list(regular);
        let newcomers: Vec<String> = (0..logins_per_client as u64)
            .map(|k| {
                tokens::sign_as(
                    &sign_for,
                    &Signer::bench(NEWCOMERS + k, BENCH_SECRET_KEY),
                    now,
                )
            })
            .collect::<Result<_, _>>()?;
        let newcomers = Passwords::list(newcomers);
        let bogus: Vec<String> = (0..BOGUS_TOKENS as u64)
            .map(|i| {
                let signer = if i % 4 == 0 {
                    // The regular client's access key ID, a made-up session token.
                    Signer::bench(BOGUS + i, WRONG_SECRET)
                } else {
                    Signer::other_key(format!("ASIABOGUS{i:011}"), BOGUS + i, WRONG_SECRET)
                };
                tokens::sign_as(&sign_for, &signer, now)
            })
            .collect::<Result<_, _>>()?;
        let bogus = Passwords::list(bogus);

        let socket = self.socket.clone();
        let sha2_t = self.target(&socket, SHA2_USER, FirstAnswer::ServerDefault);
        let iam_t = self.target(&socket, &self.role.clone(), FirstAnswer::Cleartext);
        // Before the storm: the regular client logs in (so it is known), a forgery is
        // refused (the double checks signatures).
        iam_t
            .login(regular.next())
            .map_err(|e| format!("fault storm: the regular client's first login: {e}"))?;
        if iam_t.login(bogus.next()).is_ok() {
            return Err("fault storm: a forged token logged in before the storm".into());
        }

        // The calm: the bystander alone, as long as two phases.
        let calm = Tally::default();
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                every_period(&sha2_t, &|| SHA2_PASSWORD.into(), &stop, &|r, d| match r {
                    Ok(()) => calm
                        .bystander_ms
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(d.as_secs_f64() * 1e3),
                    Err(e) => calm.other(e),
                })
            });
            std::thread::sleep(phase_len * 2);
            stop.store(true, Ordering::Relaxed);
        });

        // The storm.
        let tallies: Vec<Tally> = PHASES.iter().map(|_| Tally::default()).collect();
        let current = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let tally = || &tallies[current.load(Ordering::Relaxed)];
        let mut readings = vec![self.bench.admin.statuses("Auth_awsiam_")?];
        let mut log_marks = vec![log_size(&args.error_log)?];
        let started = Instant::now();
        let mut failed: Option<String> = None;
        std::thread::scope(|s| {
            for _ in 0..clients {
                s.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        let t = tally();
                        t.login(iam_t.login(bogus.next()), &t.bogus_let_in, &t.bogus_refused);
                    }
                });
            }
            s.spawn(|| {
                every_period(&sha2_t, &|| SHA2_PASSWORD.into(), &stop, &|r, d| {
                    let t = tally();
                    match r {
                        Ok(()) => t
                            .bystander_ms
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(d.as_secs_f64() * 1e3),
                        Err(e) => t.other(e),
                    }
                })
            });
            s.spawn(|| {
                every_period(&iam_t, &|| regular.next().into(), &stop, &|r, _| {
                    let t = tally();
                    t.login(r, &t.regular_ok, &t.regular_refused);
                })
            });
            s.spawn(|| {
                every_period(&iam_t, &|| newcomers.next().into(), &stop, &|r, _| {
                    let t = tally();
                    t.login(r, &t.newcomer_ok, &t.newcomer_refused);
                })
            });
            for (i, phase) in PHASES.iter().enumerate() {
                if let Err(e) = set_phase(&args.phase_file, phase) {
                    failed.get_or_insert(e);
                }
                current.store(i, Ordering::Relaxed);
                std::thread::sleep(phase_len);
                match self.bench.admin.statuses("Auth_awsiam_") {
                    Ok(r) => readings.push(r),
                    Err(e) => {
                        failed.get_or_insert(e);
                    }
                }
                log_marks.push(log_size(&args.error_log).unwrap_or(0));
            }
            stop.store(true, Ordering::Relaxed);
            // Leaving the scope waits for every client's last login.
        });
        let seconds = started.elapsed().as_secs_f64();
        if let Some(e) = failed {
            return Err(format!("fault storm: {e}"));
        }
        let end = self.bench.admin.statuses("Auth_awsiam_")?;
        let log_end = log_size(&args.error_log)?;
        let log_lines = lines_since(&args.error_log, log_marks[0])?;
        self.sql("SET GLOBAL auth_awsiam_sts_timeout = DEFAULT")?;
        set_phase(&args.phase_file, "ok")?;

        self.storm_report(
            &calm, &tallies, &readings, &end, &log_marks, log_end, log_lines, seconds,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.99), Some(3.0));
        assert_eq!(quantile(&[], 0.99), None);
    }

    #[test]
    fn the_log_bound_counts_the_intervals_touched() {
        let per = u64::from(LINES_PER_INTERVAL) + 2;
        assert_eq!(log_line_bound(40.0), 2 * per + OTHER_LINES);
        assert_eq!(log_line_bound(61.0), 3 * per + OTHER_LINES);
    }
}
