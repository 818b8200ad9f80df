//! The pieces a scenario is made of: the server's settings and counters (through an admin
//! session), one measured cell (rounds of load runs, the median kept), and the checks that
//! a cell really did what its name says.

use std::collections::BTreeMap;
use std::time::Duration;

use mysql::Conn;
use mysql::prelude::Queryable;

use crate::load::{self, Outcome, Plan, Stop};
use crate::target::Target;
use crate::tokens::Passwords;

/// An administrator's session over the socket (root, no password in the sandbox).
pub struct Admin(Conn);

impl Admin {
    pub fn connect(target: &Target) -> Result<Admin, String> {
        target
            .session("")
            .map(Admin)
            .map_err(|e| format!("admin session: {e}"))
    }

    pub fn exec(&mut self, statement: &str) -> Result<(), String> {
        self.0
            .query_drop(statement)
            .map_err(|e| format!("{statement}: {e}"))
    }

    /// A global system variable's value.
    pub fn variable(&mut self, name: &str) -> Result<String, String> {
        let value: Option<String> = self
            .0
            .query_first(format!("SELECT @@GLOBAL.{name}"))
            .map_err(|e| format!("SELECT @@GLOBAL.{name}: {e}"))?;
        value.ok_or_else(|| format!("no variable {name}"))
    }

    /// A global status counter.
    pub fn status(&mut self, name: &str) -> Result<u64, String> {
        let row: Option<(String, String)> = self
            .0
            .query_first(format!("SHOW GLOBAL STATUS LIKE '{name}'"))
            .map_err(|e| format!("SHOW GLOBAL STATUS LIKE '{name}': {e}"))?;
        row.and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| format!("no status counter {name}"))
    }

    /// Every global status counter whose name starts with `prefix` (a LIKE pattern's
    /// literal part), by name.
    pub fn statuses(&mut self, prefix: &str) -> Result<BTreeMap<String, u64>, String> {
        let rows: Vec<(String, String)> = self
            .0
            .query(format!("SHOW GLOBAL STATUS LIKE '{prefix}%'"))
            .map_err(|e| format!("SHOW GLOBAL STATUS LIKE '{prefix}%': {e}"))?;
        Ok(rows
            .into_iter()
            .filter_map(|(n, v)| Some((n, v.parse().ok()?)))
            .collect())
    }

    pub fn counters(&mut self) -> Result<Counters, String> {
        Ok(Counters {
            sts_requests: self.status("Auth_awsiam_sts_requests")?,
            sts_connections: self.status("Auth_awsiam_sts_connections")?,
            sts_time_us: self.status("Auth_awsiam_sts_time_us")?,
            cache_hits: self.status("Auth_awsiam_cache_hits")?,
            jwt_verified: self.status("Auth_awsiam_jwt_verified")?,
            threads_created: self.status("Threads_created")?,
        })
    }
}

/// The plugin's counters that tell which path logins took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub sts_requests: u64,
    /// Connections to STS opened (the rest of the requests reused a pooled one).
    pub sts_connections: u64,
    pub sts_time_us: u64,
    pub cache_hits: u64,
    /// JWTs whose signature and claims the plugin checked.
    pub jwt_verified: u64,
    /// mysqld's connection threads created (a login its thread cache could not serve).
    pub threads_created: u64,
}

impl Counters {
    fn minus(self, earlier: Counters) -> Counters {
        Counters {
            sts_requests: self.sts_requests.saturating_sub(earlier.sts_requests),
            sts_connections: self.sts_connections.saturating_sub(earlier.sts_connections),
            sts_time_us: self.sts_time_us.saturating_sub(earlier.sts_time_us),
            cache_hits: self.cache_hits.saturating_sub(earlier.cache_hits),
            jwt_verified: self.jwt_verified.saturating_sub(earlier.jwt_verified),
            threads_created: self.threads_created.saturating_sub(earlier.threads_created),
        }
    }
}

/// Which path every measured login must have taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Not an auth_awsiam login.
    Other,
    /// Answered from the token cache.
    CacheHit,
    /// Verified by STS.
    Sts,
    /// A JWT verified in the plugin, with no STS request.
    Jwt,
}

/// One load run and what the plugin's counters said about it.
#[derive(Clone, Debug)]
pub struct Measured {
    pub outcome: Outcome,
    pub counters: Counters,
}

impl Measured {
    /// Mean STS answer time seen by the server, in milliseconds.
    pub fn sts_mean_ms(&self) -> Option<f64> {
        let c = self.counters;
        (c.sts_requests > 0).then(|| c.sts_time_us as f64 / c.sts_requests as f64 / 1000.0)
    }

    /// Share of logins for which mysqld created a thread (its thread cache was empty).
    pub fn new_thread_share(&self) -> Option<f64> {
        let logins = self.outcome.logins;
        (logins > 0).then(|| self.counters.threads_created as f64 / logins as f64)
    }

    /// Share of STS requests that opened a new connection (0: all on kept connections).
    pub fn new_connection_share(&self) -> Option<f64> {
        let c = self.counters;
        (c.sts_requests > 0).then(|| c.sts_connections as f64 / c.sts_requests as f64)
    }

    /// Why this run does not count, if it does not: errors, no login at all, or logins
    /// that did not take the path the scenario is about.
    pub fn problem(&self, path: Path) -> Option<String> {
        let o = &self.outcome;
        if o.errors > 0 {
            return Some(format!(
                "{} failed logins (first: {})",
                o.errors,
                o.first_error.as_deref().unwrap_or("?")
            ));
        }
        if o.logins == 0 {
            return Some("no login completed".into());
        }
        let c = self.counters;
        match path {
            Path::Other => None,
            Path::CacheHit if c.cache_hits < o.logins => Some(format!(
                "{} logins but only {} cache hits",
                o.logins, c.cache_hits
            )),
            Path::Sts if c.sts_requests < o.logins => Some(format!(
                "{} logins but only {} STS requests",
                o.logins, c.sts_requests
            )),
            Path::Jwt if c.jwt_verified < o.logins => Some(format!(
                "{} logins but only {} JWTs verified",
                o.logins, c.jwt_verified
            )),
            Path::Jwt if c.sts_requests > 0 => {
                Some(format!("JWT logins made {} STS requests", c.sts_requests))
            }
            _ => None,
        }
    }
}

/// Logins per client thread before each measured window (connection set-up, caches).
pub const WARMUP: usize = 1;

/// What the suite needs to run a cell: the admin session and the processes to watch.
pub struct Bench {
    pub admin: Admin,
    pub server_pid: u32,
    pub helper_pids: Vec<u32>,
}

impl Bench {
    pub fn measure(
        &mut self,
        target: &Target,
        passwords: &Passwords,
        threads: usize,
        stop: Stop,
    ) -> Result<Measured, String> {
        let plan = Plan {
            threads,
            stop,
            warmup: WARMUP,
            server_pid: Some(self.server_pid),
            helper_pids: self.helper_pids.clone(),
        };
        // Read when the window opens: the warm-up logins (which open the pool's
        // connections) are not counted.
        let mut before = Err("the window never opened".to_string());
        let admin = &mut self.admin;
        let outcome = load::run(target, passwords, &plan, &mut || before = admin.counters());
        let counters = self.admin.counters()?.minus(before?);
        Ok(Measured { outcome, counters })
    }
}

/// The run of median rate among rounds.
pub fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by(|a, b| a.outcome.rate().total_cmp(&b.outcome.rate()));
    runs.swap_remove(runs.len() / 2)
}

/// How long one cell runs and how often, and how long the soaks are.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub cell: Duration,
    pub rounds: usize,
    pub soak: u64,
    /// Distinct tokens signed for a cache-off cell (taken in turn; with the cache off a
    /// repeated token is verified again anyway).
    pub fresh_tokens: usize,
    /// Each phase of the fault storm, and the calm before it.
    pub storm_phase: Duration,
    /// Clients sending bogus tokens in the fault storm.
    pub storm_clients: usize,
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        cell: Duration::from_secs(2),
        rounds: 3,
        soak: 100_000,
        fresh_tokens: 4000,
        storm_phase: Duration::from_secs(10),
        storm_clients: 64,
    };
    /// Seconds in all: every scenario runs, with small counts.
    pub const SMOKE: Sizes = Sizes {
        cell: Duration::from_millis(250),
        rounds: 1,
        soak: 400,
        fresh_tokens: 200,
        storm_phase: Duration::from_secs(1),
        storm_clients: 16,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::Snapshot;

    fn measured(logins: u64, errors: u64, millis: u64, counters: Counters) -> Measured {
        Measured {
            outcome: Outcome {
                logins,
                errors,
                first_error: (errors > 0).then(|| "Access denied".to_string()),
                elapsed: Duration::from_millis(millis),
                before: Snapshot::default(),
                after: Snapshot::default(),
            },
            counters,
        }
    }

    #[test]
    fn a_cell_counts_only_if_it_took_its_path() {
        let hits = Counters {
            cache_hits: 100,
            ..Counters::default()
        };
        assert_eq!(measured(100, 0, 1000, hits).problem(Path::CacheHit), None);
        let p = measured(100, 0, 1000, hits).problem(Path::Sts).unwrap();
        assert!(p.contains("only 0 STS requests"), "{p}");
        let p = measured(100, 2, 1000, hits).problem(Path::Other).unwrap();
        assert!(p.contains("2 failed logins (first: Access denied)"), "{p}");
        let p = measured(0, 0, 1000, hits).problem(Path::Other).unwrap();
        assert_eq!(p, "no login completed");
        let jwt = Counters {
            jwt_verified: 100,
            ..Counters::default()
        };
        assert_eq!(measured(100, 0, 1000, jwt).problem(Path::Jwt), None);
        let p = measured(100, 0, 1000, hits).problem(Path::Jwt).unwrap();
        assert!(p.contains("only 0 JWTs verified"), "{p}");
        let asked = Counters {
            sts_requests: 1,
            ..jwt
        };
        let p = measured(100, 0, 1000, asked).problem(Path::Jwt).unwrap();
        assert!(p.contains("made 1 STS requests"), "{p}");
    }

    #[test]
    fn median_and_sts_mean() {
        let c = Counters {
            sts_requests: 4,
            sts_connections: 1,
            sts_time_us: 80_000,
            cache_hits: 0,
            jwt_verified: 0,
            threads_created: 1,
        };
        let runs = vec![
            measured(300, 0, 1000, c),
            measured(100, 0, 1000, c),
            measured(200, 0, 1000, c),
        ];
        assert_eq!(median(runs).outcome.logins, 200);
        assert_eq!(measured(1, 0, 1, c).sts_mean_ms(), Some(20.0));
        assert_eq!(measured(1, 0, 1, c).new_connection_share(), Some(0.25));
        assert_eq!(measured(4, 0, 1, c).new_thread_share(), Some(0.25));
        let none = Counters::default();
        assert_eq!(measured(1, 0, 1, none).new_connection_share(), None);
    }
}
