//! The benchmark: every scenario of issue 10 against one server, with ratios to the
//! caching_sha2_password baseline measured in the same run, then the `bench:` lines.
//!
//! Sections, in order (each in its own module): cached token against the baseline (socket
//! and TCP+TLS, 1 to 64 clients, `cached`); every login verified by STS (cache off) at each
//! double's latency, over HTTP and HTTPS (`fresh`); auth_awsiam_challenge logins
//! (`challenge`); the same through auth_awsiam_proxy, and its cost per round trip
//! (`proxy`); AWS-issued JWTs verified in the plugin (`jwt`); soaks of 100,000 logins (baseline, fresh tokens with default settings,
//! cached token) that give mysqld's CPU per login and its memory growth (`soak`); the
//! fault storm, bogus tokens while STS fails in turn, with a bystander's login time
//! against its calm one (`storm`). Every login of a figure goes through libmysqlclient,
//! MySQL's own client library.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::challenge::CHALLENGE_USER;
use crate::ffi::LibMysql;
use crate::jwt::JwtArgs;
use crate::load::Stop;
use crate::scenario::{Bench, Measured, Path, Sizes, median};
use crate::storm::StormArgs;
use crate::table::BenchLines;
use crate::target::{FirstAnswer, Target, Transport};
use crate::tokens::{self, Passwords, SignFor};

/// Clients of the soaks, and of the cells the CPU figures are taken from.
pub(crate) const SOAK_CLIENTS: usize = 16;
pub(crate) const SHA2_USER: &str = "bench_sha2";
pub(crate) const SHA2_PASSWORD: &str = "bench-password";
pub(crate) const REGION: &str = "us-east-1";
/// mysqld's thread cache for the benchmark: above the largest concurrency, 64.
const THREAD_CACHE: usize = 128;
/// Long enough for a cached token to stay cached through its section.
pub(crate) const CACHED_TTL: u32 = 900;

/// An STS double, the latency it answers with, and its HTTPS listener if it has one.
#[derive(Clone, Debug)]
pub struct Double {
    pub latency_ms: u32,
    pub authority: String,
    pub https: Option<String>,
}

/// LATENCY_MS=HOST:PORT.
fn parse_double(s: &str) -> Result<(u32, String), String> {
    let (ms, authority) = s
        .split_once('=')
        .ok_or_else(|| format!("--sts wants LATENCY_MS=HOST:PORT, got '{s}'"))?;
    let latency_ms = ms.parse().map_err(|_| format!("bad latency in '{s}'"))?;
    Ok((latency_ms, authority.to_string()))
}

/// The doubles by latency, each HTTPS listener with the plain one of its latency.
fn doubles(http: &[(u32, String)], https: &[(u32, String)]) -> Result<Vec<Double>, String> {
    let mut all: Vec<Double> = http
        .iter()
        .map(|(ms, a)| Double {
            latency_ms: *ms,
            authority: a.clone(),
            https: None,
        })
        .collect();
    for (ms, a) in https {
        let d = all
            .iter_mut()
            .find(|d| d.latency_ms == *ms)
            .ok_or_else(|| format!("--sts-https {ms}=...: no --sts {ms}=... to go with it"))?;
        d.https = Some(a.clone());
    }
    all.sort_by_key(|d| d.latency_ms);
    if all.first().map(|d| d.latency_ms) != Some(0) {
        return Err("an STS double with latency 0 is needed (--sts 0=HOST:PORT)".into());
    }
    Ok(all)
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
    sts: Vec<(u32, String)>,
    /// LATENCY_MS=HOST:PORT of the HTTPS listener of a double (its certificate's CA in
    /// the system trust store, which the plugin reads).
    #[arg(long = "sts-https", value_parser = parse_double)]
    sts_https: Vec<(u32, String)>,
    /// MySQL's client library, which makes every measured login.
    #[arg(long, default_value = "libmysqlclient.so.24")]
    libmysqlclient: String,
    /// CPUs mysqld may run on (its pinning), for the CPU bound of the fresh logins.
    #[arg(long, default_value_t = 1)]
    server_cpus: usize,
    /// Where libmysqlclient finds auth_awsiam_client.so (else its default).
    #[arg(long)]
    plugin_dir: Option<String>,
    /// PIDs of the doubles, whose CPU is counted on the client side.
    #[arg(long = "helper-pid")]
    helper_pids: Vec<u32>,
    /// The ARN the doubles answer: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
    #[arg(long)]
    arn: String,
    /// HOST:PORT of the fault storm's STS double (its `phased` listener, checking
    /// signatures with the benchmark's secret key).
    #[arg(long)]
    storm_sts: String,
    /// The phase file of that double.
    #[arg(long)]
    storm_phase_file: PathBuf,
    /// The server's error log (the fault storm measures its growth).
    #[arg(long)]
    error_log: PathBuf,
    /// The 0 ms double's test issuer URL (the JWTs' `iss`), for the JWT section.
    #[arg(long)]
    jwt_issuer: String,
    /// The audience the JWTs are minted for and the server takes.
    #[arg(long)]
    jwt_audience: String,
    /// The token tool that mints the JWTs (GetWebIdentityToken).
    #[arg(long, default_value = "auth_awsiam_token")]
    token_tool: PathBuf,
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
    /// auth_awsiam_proxy's Unix socket, the proxy in front of this server (the proxy
    /// section runs only with it).
    #[arg(long)]
    proxy_socket: Option<PathBuf>,
    /// Only these sections (repeatable), e.g. `--only jwt` to profile one. The fresh
    /// section's ratios need the cached one's baselines, the challenge section's both,
    /// the proxy section's the challenge section's: those then run too.
    #[arg(long, value_enum)]
    only: Vec<Section>,
}

/// The suite's sections, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Cached,
    Fresh,
    Challenge,
    Proxy,
    Jwt,
    Soak,
    Storm,
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
    pub(crate) lib: &'static LibMysql,
    pub(crate) plugin_dir: Option<String>,
    pub(crate) server_cpus: usize,
    pub(crate) sizes: Sizes,
    pub(crate) role: String,
    pub(crate) socket: Transport,
    pub(crate) tls: Transport,
    pub(crate) sts: Vec<Double>,
    pub(crate) problems: Vec<String>,
    pub(crate) lines: BenchLines,
    /// Before the first challenge login: the 0 ms double's AssumeRole count and the
    /// server's Auth_awsiam_challenge_successes. The client plugin's credential loads over
    /// its logins are counted from there (challenge.rs).
    pub(crate) assume_role_before: Option<(u64, u64)>,
    /// Challenge logins per second with the client plugin, by clients (challenge.rs), for
    /// the proxy section's ratios.
    pub(crate) challenge_rates: std::collections::BTreeMap<usize, f64>,
}

impl Suite {
    pub(crate) fn sql(&mut self, statement: &str) -> Result<(), String> {
        self.bench.admin.exec(statement)
    }

    /// Points the server at a double, over HTTPS or plain HTTP; tokens for it are signed
    /// for that authority.
    pub(crate) fn use_double(&mut self, d: &Double, https: bool) -> Result<SignFor, String> {
        let (scheme, authority) = match (&d.https, https) {
            (Some(a), true) => ("https", a),
            (None, true) => return Err(format!("the {} ms double has no HTTPS", d.latency_ms)),
            (_, false) => ("http", &d.authority),
        };
        self.sql(&format!(
            "SET GLOBAL auth_awsiam_sts_endpoint = '{scheme}://{authority}'"
        ))?;
        Ok(SignFor {
            host: authority.clone(),
            region: REGION.into(),
        })
    }

    /// A login through libmysqlclient.
    pub(crate) fn target(&self, transport: &Transport, user: &str, first: FirstAnswer) -> Target {
        Target::lib(self.lib, transport, user, first, self.plugin_dir.as_deref())
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

    pub(crate) fn rounds(
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
}

/// The server's count of challenge logins let in.
pub(crate) const CHALLENGE_SUCCESSES: &str = "Auth_awsiam_challenge_successes";

/// How many AssumeRole calls the double at `authority` has answered (its
/// `GET /_double/counts`).
pub(crate) fn assume_role_calls(authority: &str) -> Result<u64, String> {
    use std::io::{Read, Write};
    let fail =
        |e: std::io::Error| format!("cannot read the STS double's counts at {authority}: {e}");
    let mut stream = std::net::TcpStream::connect(authority).map_err(fail)?;
    write!(
        stream,
        "GET /_double/counts HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .map_err(fail)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(fail)?;
    answer
        .lines()
        .find_map(|l| l.strip_prefix("assume_role="))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("the STS double at {authority} gave no AssumeRole count"))
}

pub(crate) fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Accounts for the benchmark and a first login of each kind, so that a broken set-up
/// fails with the server's own message before any figure is taken.
fn prepare(s: &mut Suite, account: &str) -> Result<(), String> {
    let role = s.role.clone();
    for statement in [
        // The plugin's settings that decide who may log in need its own privilege,
        // which nobody has when it is installed, root included.
        "GRANT AUTH_AWSIAM_ADMIN ON *.* TO CURRENT_USER()".to_string(),
        format!("DROP USER IF EXISTS '{SHA2_USER}'@'%', '{role}'@'%', '{CHALLENGE_USER}'@'%'"),
        format!(
            "CREATE USER '{SHA2_USER}'@'%' IDENTIFIED WITH caching_sha2_password BY '{SHA2_PASSWORD}'"
        ),
        format!("CREATE USER '{role}'@'%' IDENTIFIED WITH auth_awsiam"),
        format!(
            "CREATE USER '{CHALLENGE_USER}'@'%' IDENTIFIED WITH auth_awsiam_challenge AS 'arn:aws:iam::{account}:role/{role}'"
        ),
        format!("SET GLOBAL auth_awsiam_allowed_accounts = '{account}'"),
        // Enough cached connection threads for the most clients of any cell: with the
        // default (8 + max_connections / 100 = 13 here), 64 clients logging in at once made
        // mysqld create a thread for 71% of the logins (about +100 us each, baseline and
        // plugin alike), which is the server's configuration, not the plugin's cost.
        format!("SET GLOBAL thread_cache_size = {THREAD_CACHE}"),
    ] {
        s.sql(&statement)?;
    }
    let sts0 = s.sts[0].clone();
    let sign_for = s.use_double(&sts0, false)?;
    let token = tokens::sign_one(&sign_for, 0)?;
    for transport in [s.socket.clone(), s.tls.clone()] {
        let label = transport.label();
        s.target(&transport, SHA2_USER, FirstAnswer::ServerDefault)
            .login(SHA2_PASSWORD)
            .map_err(|e| format!("first caching_sha2_password login over {label}: {e}"))?;
        for first in [FirstAnswer::Cleartext, FirstAnswer::ServerDefault] {
            s.target(&transport, &role, first)
                .login(&token)
                .map_err(|e| format!("first auth_awsiam login ({first:?}) over {label}: {e}"))?;
        }
    }
    let socket = s.socket.clone();
    s.assume_role_before = Some((
        assume_role_calls(&sts0.authority)?,
        s.bench.admin.status(CHALLENGE_SUCCESSES)?,
    ));
    s.target(&socket, CHALLENGE_USER, FirstAnswer::ServerDefault)
        .login("")
        .map_err(|e| format!("first auth_awsiam_challenge login: {e}"))?;
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
    let sts = doubles(&args.sts, &args.sts_https)?;
    let lib = LibMysql::load(&args.libmysqlclient)?;
    let socket = Transport::Socket(args.socket.clone());
    let admin = crate::scenario::Admin::connect(&Target::new(&socket, "root"))?;
    let mut suite = Suite {
        bench: Bench {
            admin,
            server_pid: args.server_pid,
            helper_pids: args.helper_pids.clone(),
        },
        lib,
        plugin_dir: args.plugin_dir.clone(),
        server_cpus: args.server_cpus.max(1),
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
        assume_role_before: None,
        challenge_rates: Default::default(),
    };
    prepare(&mut suite, &account)?;
    let runs = |s: Section| args.only.is_empty() || args.only.contains(&s);
    let proxy = args.proxy_socket.as_ref().filter(|_| runs(Section::Proxy));
    let challenge = runs(Section::Challenge) || proxy.is_some();
    if runs(Section::Cached) || runs(Section::Fresh) || challenge {
        let baselines = suite.cached_section()?;
        if runs(Section::Fresh) || challenge {
            let fresh = suite.fresh_section(&baselines)?;
            if challenge {
                suite.challenge_section(&baselines, &fresh)?;
            }
        }
    }
    if let Some(socket) = proxy {
        suite.proxy_section(socket)?;
    }
    if runs(Section::Jwt) {
        suite.jwt_section(&JwtArgs {
            issuer: args.jwt_issuer.clone(),
            audience: args.jwt_audience.clone(),
            token_tool: args.token_tool.clone(),
        })?;
    }
    if runs(Section::Soak) {
        suite.soak_section()?;
    }
    if runs(Section::Storm) {
        suite.storm_section(&StormArgs {
            authority: args.storm_sts.clone(),
            phase_file: args.storm_phase_file.clone(),
            error_log: args.error_log.clone(),
        })?;
    }
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
        assert_eq!(d, (20, "127.0.0.1:4601".to_string()));
        assert!(parse_double("127.0.0.1:4601").is_err());
        assert!(parse_double("x=127.0.0.1:4601").is_err());
    }

    #[test]
    fn https_listeners_go_with_their_latency() {
        let http = [(20, "h:2".to_string()), (0, "h:1".to_string())];
        let all = doubles(&http, &[(20, "localhost:3".into())]).unwrap();
        assert_eq!(all[0].latency_ms, 0);
        assert_eq!(all[0].https, None);
        assert_eq!(all[1].https.as_deref(), Some("localhost:3"));
        assert!(doubles(&http, &[(50, "localhost:3".into())]).is_err());
        assert!(doubles(&http[..1], &[]).is_err(), "no 0 ms double");
    }
}
