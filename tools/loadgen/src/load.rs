//! N client threads logging in as fast as the server lets them, for a time or a count; the
//! counters of the server (CPU, memory) and of the client taken around exactly that window.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use crate::procfs::Snapshot;
use crate::target::Target;
use crate::tokens::Passwords;

/// When a run ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    After(Duration),
    Count(u64),
}

/// One run's shape.
#[derive(Clone, Debug)]
pub struct Plan {
    pub threads: usize,
    pub stop: Stop,
    /// Logins per thread before the measured window (connection setup, caches).
    pub warmup: usize,
    /// mysqld, whose CPU and memory are read around the window.
    pub server_pid: Option<u32>,
    /// Other client-side processes (STS doubles), counted apart from the rest of the
    /// machine.
    pub helper_pids: Vec<u32>,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub logins: u64,
    pub errors: u64,
    /// The first error seen (the client library's message: user and host, never the
    /// password).
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub before: Snapshot,
    pub after: Snapshot,
}

fn per_second(n: f64, d: Duration) -> f64 {
    if d.is_zero() {
        0.0
    } else {
        n / d.as_secs_f64()
    }
}

fn delta(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    Some(b?.saturating_sub(a?))
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        per_second(self.logins as f64, self.elapsed)
    }

    pub fn server_cpu(&self) -> Option<Duration> {
        delta(self.before.server_cpu, self.after.server_cpu)
    }

    /// mysqld CPU per login, in microseconds.
    pub fn server_us_per_login(&self) -> Option<f64> {
        let cpu = self.server_cpu()?;
        (self.logins > 0).then(|| cpu.as_secs_f64() * 1e6 / self.logins as f64)
    }

    /// Cores' worth of CPU over the window.
    fn cores(&self, cpu: Option<Duration>) -> Option<f64> {
        cpu.map(|c| per_second(c.as_secs_f64(), self.elapsed))
    }

    pub fn server_cores(&self) -> Option<f64> {
        self.cores(self.server_cpu())
    }

    /// The load generator and its helpers.
    pub fn client_cores(&self) -> Option<f64> {
        let own = delta(self.before.own_cpu, self.after.own_cpu)?;
        let helpers = delta(self.before.helpers_cpu, self.after.helpers_cpu)?;
        self.cores(Some(own + helpers))
    }

    /// The load generator's and its helpers' CPU per login, in microseconds.
    pub fn client_us_per_login(&self) -> Option<f64> {
        let own = delta(self.before.own_cpu, self.after.own_cpu)?;
        let helpers = delta(self.before.helpers_cpu, self.after.helpers_cpu)?;
        (self.logins > 0).then(|| (own + helpers).as_secs_f64() * 1e6 / self.logins as f64)
    }

    /// Everything else the machine ran meanwhile (other users of a shared machine).
    pub fn other_cores(&self) -> Option<f64> {
        let busy = self.cores(delta(self.before.machine_busy, self.after.machine_busy))?;
        Some((busy - self.server_cores()? - self.client_cores()?).max(0.0))
    }

    pub fn rss_growth_kib(&self) -> Option<i64> {
        Some(self.after.server_rss_kib? as i64 - self.before.server_rss_kib? as i64)
    }
}

#[derive(Default)]
struct Tally {
    logins: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Tally {
    fn record(&self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.logins.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                self.first_error
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(e);
            }
        }
    }
}

/// Runs `plan` against `target`, each login taking the next of `passwords`. `at_window`
/// runs when the measured window opens, after every thread's warm-up logins (so that what
/// it reads, such as the server's counters, leaves the warm-up out).
pub fn run(
    target: &Target,
    passwords: &Passwords,
    plan: &Plan,
    at_window: &mut dyn FnMut(),
) -> Outcome {
    let threads = plan.threads.max(1);
    // Every thread's warm-up ends at `warmed`; the window's counters are read before any
    // thread passes `start_line`.
    let warmed = Barrier::new(threads + 1);
    let start_line = Barrier::new(threads + 1);
    let stop = AtomicBool::new(false);
    let issued = AtomicU64::new(0);
    let warm = Tally::default();
    let tally = Tally::default();
    let mut window: Option<(Snapshot, Instant)> = None;
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..plan.warmup {
                    warm.record(target.login(passwords.next()));
                }
                warmed.wait();
                start_line.wait();
                loop {
                    let more = match plan.stop {
                        Stop::After(_) => !stop.load(Ordering::Relaxed),
                        Stop::Count(n) => issued.fetch_add(1, Ordering::Relaxed) < n,
                    };
                    if !more {
                        break;
                    }
                    tally.record(target.login(passwords.next()));
                }
            });
        }
        warmed.wait();
        at_window();
        let before = Snapshot::take(plan.server_pid, &plan.helper_pids);
        start_line.wait();
        window = Some((before, Instant::now()));
        if let Stop::After(d) = plan.stop {
            std::thread::sleep(d);
            stop.store(true, Ordering::Relaxed);
        }
        // Leaving the scope joins the threads: the window closes when the last login ends.
    });
    let (before, started) = window.expect("the window opened");
    let elapsed = started.elapsed();
    let after = Snapshot::take(plan.server_pid, &plan.helper_pids);
    let errors = warm.errors.load(Ordering::Relaxed) + tally.errors.load(Ordering::Relaxed);
    let first_error = warm
        .first_error
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .or(tally
            .first_error
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()));
    Outcome {
        logins: tally.logins.load(Ordering::Relaxed),
        errors,
        first_error,
        elapsed,
        before,
        after,
    }
}
