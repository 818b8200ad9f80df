//! The benchmark: every scenario of issue 10 against one server, with ratios to the
//! caching_sha2_password baseline measured in the same run, then the `bench:` lines.
//!
//! Sections, in order: cached token against the baseline (socket and TCP+TLS, 1 to 64
//! clients); every login verified by STS (cache off) at each double's latency; soaks of
//! 100,000 logins (baseline, fresh tokens with default settings, cached token) that give
//! mysqld's CPU per login and its memory growth.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::load::Stop;
use crate::scenario::{Bench, Measured, Path, Sizes, median};
use crate::table::{BenchLines, Table, fig, ratio};
use crate::target::{Target, Transport};
use crate::tokens::{self, Passwords, SignFor};

const CONCURRENCY: [usize; 4] = [1, 4, 16, 64];
const FRESH_CONCURRENCY: [usize; 2] = [16, 64];
/// Clients of the soaks, and of the cells the CPU figures are taken from.
pub(crate) const SOAK_CLIENTS: usize = 16;
pub(crate) const SHA2_USER: &str = "bench_sha2";
pub(crate) const SHA2_PASSWORD: &str = "bench-password";
const REGION: &str = "us-east-1";
/// Long enough for a cached token to stay cached through its section.
pub(crate) const CACHED_TTL: u32 = 900;

/// An STS double and the latency it answers with.
#[derive(Clone, Debug)]
pub struct Double {
    pub latency_ms: u32,
    pub authority: String,
}

fn parse_double(s: &str) -> Result<Double, String> {
    let (ms, authority) = s
        .split_once('=')
        .ok_or_else(|| format!("--sts wants LATENCY_MS=HOST:PORT, got '{s}'"))?;
    let latency_ms = ms.parse().map_err(|_| format!("bad latency in '{s}'"))?;
    Ok(Double {
        latency_ms,
        authority: authority.to_string(),
    })
}

#[derive(Args)]
pub struct SuiteArgs {
    /// The server's Unix socket (root logs in there without a password).
    #[arg(long)]
    socket: PathBuf,
    /// HOST:PORT of the server's TCP port, used with TLS.
    #[arg(long)]
    tcp: String,
    /// CA certificate of the server's TLS certificate.
    #[arg(long)]
    ca: PathBuf,
    #[arg(long)]
    server_pid: u32,
    /// LATENCY_MS=HOST:PORT of an STS double; one with latency 0 is required.
    #[arg(long = "sts", value_parser = parse_double, required = true)]
    sts: Vec<Double>,
    /// PIDs of the doubles, whose CPU is counted on the client side.
    #[arg(long = "helper-pid")]
    helper_pids: Vec<u32>,
    /// The ARN the doubles answer: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
    #[arg(long)]
    arn: String,
    /// Seconds in all: every scenario with small counts (CI).
    #[arg(long)]
    smoke: bool,
    /// Seconds per measured cell (default 2; smoke 0.25).
    #[arg(long)]
    seconds: Option<f64>,
    /// Rounds per cell, the median kept (default 3; smoke 1).
    #[arg(long)]
    rounds: Option<usize>,
    /// Logins per soak (default 100000; smoke 400).
    #[arg(long)]
    soak: Option<u64>,
}

/// Role and account of an assumed-role ARN.
fn role_and_account(arn: &str) -> Result<(String, String), String> {
    let bad = || format!("--arn wants arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, got '{arn}'");
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, "sts", _, account, resource] = parts[..] else {
        return Err(bad());
    };
    let mut names = resource.split('/');
    match (names.next(), names.next()) {
        (Some("assumed-role"), Some(role)) if !role.is_empty() => {
            Ok((role.to_string(), account.to_string()))
        }
        _ => Err(bad()),
    }
}

pub(crate) struct Suite {
    pub(crate) bench: Bench,
    pub(crate) sizes: Sizes,
    pub(crate) role: String,
    pub(crate) socket: Transport,
    pub(crate) tls: Transport,
    pub(crate) sts: Vec<Double>,
    pub(crate) problems: Vec<String>,
    pub(crate) lines: BenchLines,
}

impl Suite {
    pub(crate) fn sql(&mut self, statement: &str) -> Result<(), String> {
        self.bench.admin.exec(statement)
    }

    pub(crate) fn use_double(&mut self, d: &Double) -> Result<SignFor, String> {
        self.sql(&format!(
            "SET GLOBAL auth_awsiam_sts_endpoint = 'http://{}'",
            d.authority
        ))?;
        Ok(SignFor {
            host: d.authority.clone(),
            region: REGION.into(),
        })
    }

    /// One measured run; a run that failed its checks is noted and still shown.
    pub(crate) fn run(
        &mut self,
        what: &str,
        target: &Target,
        pw: &Passwords,
        threads: usize,
        stop: Stop,
        path: Path,
    ) -> Result<Measured, String> {
        let m = self.bench.measure(target, pw, threads, stop)?;
        if let Some(p) = m.problem(path) {
            self.problems
                .push(format!("{what}, {threads} clients: {p}"));
        }
        Ok(m)
    }

    fn rounds(
        &mut self,
        what: &str,
        target: &Target,
        pw: &Passwords,
        threads: usize,
        path: Path,
    ) -> Result<Measured, String> {
        let runs = (0..self.sizes.rounds)
            .map(|_| {
                self.run(
                    what,
                    target,
                    pw,
                    threads,
                    Stop::After(self.sizes.cell),
                    path,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(median(runs))
    }

    /// caching_sha2_password and a cached auth_awsiam token, round by round in turns so
    /// that a change of the machine's load hits both alike. Returns the baselines.
    fn cached_section(&mut self) -> Result<BTreeMap<(&'static str, usize), Measured>, String> {
        let sts0 = self.sts[0].clone();
        let sign_for = self.use_double(&sts0)?;
        self.sql(&format!("SET GLOBAL auth_awsiam_cache_ttl = {CACHED_TTL}"))?;
        let token = Passwords::one(tokens::sign_one(&sign_for, u64::MAX)?);
        let sha2 = Passwords::one(SHA2_PASSWORD);
        let mut table = Table::new(
            "Cached token against caching_sha2_password (median of rounds)",
            &[
                "transport",
                "clients",
                "sha2 /s",
                "cached /s",
                "ratio",
                "sha2 us",
                "cached us",
                "+us/hit",
                "cpu ratio",
                "mysqld cores",
                "client cores",
                "others",
            ],
        );
        let mut baselines = BTreeMap::new();
        for transport in [self.socket.clone(), self.tls.clone()] {
            let (base_t, iam_t) = (
                Target::new(&transport, SHA2_USER),
                Target::new(&transport, &self.role),
            );
            for c in CONCURRENCY {
                let (mut b, mut i) = (Vec::new(), Vec::new());
                for round in 0..self.sizes.rounds {
                    let stop = Stop::After(self.sizes.cell);
                    let base = |s: &mut Suite| {
                        s.run(
                            "caching_sha2_password",
                            &base_t,
                            &sha2,
                            c,
                            stop,
                            Path::Other,
                        )
                    };
                    if round % 2 == 0 {
                        b.push(base(self)?);
                        i.push(self.run("cached", &iam_t, &token, c, stop, Path::CacheHit)?);
                    } else {
                        i.push(self.run("cached", &iam_t, &token, c, stop, Path::CacheHit)?);
                        b.push(base(self)?);
                    }
                }
                let (b, i) = (median(b), median(i));
                let (bo, io) = (&b.outcome, &i.outcome);
                let r = ratio(Some(io.rate()), Some(bo.rate()));
                let extra = io.server_us_per_login().zip(bo.server_us_per_login());
                // Logins per second of mysqld CPU, cached over baseline: what the ratio
                // would be with a core to itself, whoever else used the machine.
                let cpu_r = ratio(bo.server_us_per_login(), io.server_us_per_login());
                let label = transport.label();
                table.row(vec![
                    label.into(),
                    c.to_string(),
                    fig(Some(bo.rate()), 0),
                    fig(Some(io.rate()), 0),
                    fig(r, 2),
                    fig(bo.server_us_per_login(), 0),
                    fig(io.server_us_per_login(), 0),
                    fig(extra.map(|(a, b)| a - b), 1),
                    fig(cpu_r, 2),
                    format!(
                        "{}/{}",
                        fig(bo.server_cores(), 2),
                        fig(io.server_cores(), 2)
                    ),
                    format!(
                        "{}/{}",
                        fig(bo.client_cores(), 2),
                        fig(io.client_cores(), 2)
                    ),
                    format!("{}/{}", fig(bo.other_cores(), 2), fig(io.other_cores(), 2)),
                ]);
                let tag = if label == "socket" { "" } else { "tls_" };
                self.lines
                    .add(format!("baseline_rate_{tag}c{c}"), Some(bo.rate()), 0);
                self.lines
                    .add(format!("cached_rate_{tag}c{c}"), Some(io.rate()), 0);
                self.lines.add(format!("cached_ratio_{tag}c{c}"), r, 2);
                self.lines
                    .add(format!("cached_cpu_ratio_{tag}c{c}"), cpu_r, 2);
                baselines.insert((label, c), b);
            }
        }
        println!("{}", table.render());
        Ok(baselines)
    }

    /// Every login verified by STS: the cache off, each double's latency in turn.
    fn fresh_section(
        &mut self,
        baselines: &BTreeMap<(&'static str, usize), Measured>,
    ) -> Result<(), String> {
        self.sql("SET GLOBAL auth_awsiam_cache_ttl = 0")?;
        let mut table = Table::new(
            "Every login verified by STS (cache off), socket",
            &[
                "STS latency",
                "clients",
                "logins/s",
                "vs sha2",
                "bound /s",
                "efficiency",
                "STS mean ms",
                "mysqld us",
                "mysqld cores",
                "client cores",
                "others",
            ],
        );
        let target = Target::new(&self.socket, &self.role);
        for d in self.sts.clone() {
            let sign_for = self.use_double(&d)?;
            let pw = Passwords::list(tokens::sign_many(
                &sign_for,
                u64::from(d.latency_ms) << 32,
                self.sizes.fresh_tokens,
                available_threads(),
            )?);
            for c in FRESH_CONCURRENCY {
                let what = format!("fresh, STS {} ms", d.latency_ms);
                let m = self.rounds(&what, &target, &pw, c, Path::Sts)?;
                let o = &m.outcome;
                let base = baselines.get(&("socket", c)).map(|b| b.outcome.rate());
                let bound = (d.latency_ms > 0).then(|| c as f64 * 1000.0 / d.latency_ms as f64);
                let efficiency = ratio(Some(o.rate()), bound);
                table.row(vec![
                    format!("{} ms", d.latency_ms),
                    c.to_string(),
                    fig(Some(o.rate()), 0),
                    fig(ratio(Some(o.rate()), base), 2),
                    fig(bound, 0),
                    fig(efficiency, 2),
                    fig(m.sts_mean_ms(), 2),
                    fig(o.server_us_per_login(), 0),
                    fig(o.server_cores(), 2),
                    fig(o.client_cores(), 2),
                    fig(o.other_cores(), 2),
                ]);
                let ms = d.latency_ms;
                self.lines
                    .add(format!("fresh_rate_{ms}ms_c{c}"), Some(o.rate()), 0);
                self.lines.add(
                    format!("fresh_ratio_{ms}ms_c{c}"),
                    ratio(Some(o.rate()), base),
                    2,
                );
                if bound.is_some() {
                    self.lines
                        .add(format!("fresh_efficiency_{ms}ms_c{c}"), efficiency, 2);
                }
                if ms == 0 && c == SOAK_CLIENTS {
                    let b = baselines
                        .get(&("socket", c))
                        .and_then(|b| b.outcome.server_us_per_login());
                    let extra = o.server_us_per_login().zip(b).map(|(f, b)| f - b);
                    self.lines
                        .add("cpu_us_per_verification_cache_off", extra, 0);
                }
            }
        }
        println!("{}", table.render());
        Ok(())
    }
}

pub(crate) fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Accounts for the benchmark and a first login of each kind, so that a broken set-up
/// fails with the server's own message before any figure is taken.
fn prepare(s: &mut Suite, account: &str) -> Result<(), String> {
    let role = s.role.clone();
    for statement in [
        format!("DROP USER IF EXISTS '{SHA2_USER}'@'%', '{role}'@'%'"),
        format!(
            "CREATE USER '{SHA2_USER}'@'%' IDENTIFIED WITH caching_sha2_password BY '{SHA2_PASSWORD}'"
        ),
        format!("CREATE USER '{role}'@'%' IDENTIFIED WITH auth_awsiam"),
        format!("SET GLOBAL auth_awsiam_allowed_accounts = '{account}'"),
    ] {
        s.sql(&statement)?;
    }
    let sts0 = s.sts[0].clone();
    let sign_for = s.use_double(&sts0)?;
    let token = tokens::sign_one(&sign_for, 0)?;
    for transport in [s.socket.clone(), s.tls.clone()] {
        let label = transport.label();
        Target::new(&transport, SHA2_USER)
            .login(SHA2_PASSWORD)
            .map_err(|e| format!("first caching_sha2_password login over {label}: {e}"))?;
        Target::new(&transport, &role)
            .login(&token)
            .map_err(|e| format!("first auth_awsiam login over {label}: {e}"))?;
    }
    Ok(())
}

pub fn main(args: &SuiteArgs) -> Result<bool, String> {
    let mut sizes = if args.smoke {
        Sizes::SMOKE
    } else {
        Sizes::FULL
    };
    if let Some(s) = args.seconds {
        sizes.cell = Duration::from_secs_f64(s);
    }
    sizes.rounds = args.rounds.unwrap_or(sizes.rounds).max(1);
    sizes.soak = args.soak.unwrap_or(sizes.soak).max(2);
    let (role, account) = role_and_account(&args.arn)?;
    let (host, port) = args
        .tcp
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse().ok()?)))
        .ok_or_else(|| format!("--tcp wants HOST:PORT, got '{}'", args.tcp))?;
    let mut sts = args.sts.clone();
    sts.sort_by_key(|d| d.latency_ms);
    if sts.first().map(|d| d.latency_ms) != Some(0) {
        return Err("an STS double with latency 0 is needed (--sts 0=HOST:PORT)".into());
    }
    let socket = Transport::Socket(args.socket.clone());
    let admin = crate::scenario::Admin::connect(&Target::new(&socket, "root"))?;
    let mut suite = Suite {
        bench: Bench {
            admin,
            server_pid: args.server_pid,
            helper_pids: args.helper_pids.clone(),
        },
        sizes,
        role,
        tls: Transport::TcpTls {
            host,
            port,
            ca: args.ca.clone(),
        },
        socket,
        sts,
        problems: Vec::new(),
        lines: BenchLines::default(),
    };
    prepare(&mut suite, &account)?;
    let baselines = suite.cached_section()?;
    suite.fresh_section(&baselines)?;
    suite.soak_section()?;
    for p in &suite.problems {
        println!("PROBLEM: {p}");
    }
    suite
        .lines
        .add("problems", Some(suite.problems.len() as f64), 0);
    print!("{}", suite.lines.render());
    Ok(suite.problems.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_gives_role_and_account() {
        assert_eq!(
            role_and_account("arn:aws:sts::123456789012:assumed-role/BenchRole/loadgen"),
            Ok(("BenchRole".into(), "123456789012".into()))
        );
        assert!(role_and_account("arn:aws:iam::123456789012:root").is_err());
        assert!(role_and_account("BenchRole").is_err());
    }

    #[test]
    fn doubles_parse() {
        let d = parse_double("20=127.0.0.1:4601").unwrap();
        assert_eq!((d.latency_ms, d.authority.as_str()), (20, "127.0.0.1:4601"));
        assert!(parse_double("127.0.0.1:4601").is_err());
        assert!(parse_double("x=127.0.0.1:4601").is_err());
    }
}
