//! `auth_awsiam_loadgen`: a native login load generator for MySQL, and the benchmark of
//! auth_awsiam against caching_sha2_password built on it (tools/bench.sh runs `suite`).
//!
//!   auth_awsiam_loadgen run --socket S --user U --password P --threads 16 --seconds 3 \
//!       [--libmysqlclient libmysqlclient.so.24 [--first-packet] [--plugin-dir DIR]]
//!   auth_awsiam_loadgen suite --socket S --tcp 127.0.0.1:3311 --ca CA --server-pid PID \
//!       --sts 0=127.0.0.1:PORT --sts 20=... --sts 50=...
//!   auth_awsiam_loadgen pool --socket S --sts 127.0.0.1:PORT --account A --label off|on

mod cached;
mod challenge;
mod ffi;
mod fresh;
mod jwt;
mod load;
mod pool;
mod procfs;
mod proxy;
mod scenario;
mod soak;
mod storm;
mod suite;
mod table;
mod target;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::ffi::LibMysql;
use crate::load::{Plan, Stop};
use crate::target::{FirstAnswer, Target, Transport};
use crate::tokens::{Passwords, SignFor};

#[derive(Parser)]
#[command(version, about = "Login load generator and auth_awsiam benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One load run: N threads, each connect, SELECT 1, close, again and again.
    Run(RunArgs),
    /// The whole benchmark: every scenario, the table with ratios, `bench:` lines.
    Suite(suite::SuiteArgs),
    /// An open session's SELECT 1 while many clients log in through a slow STS (run with
    /// the thread pool off, then on).
    Pool(pool::PoolArgs),
}

/// Where to connect.
#[derive(Args, Clone)]
struct Connect {
    /// The server's Unix socket.
    #[arg(long, conflicts_with = "tcp")]
    socket: Option<PathBuf>,
    /// HOST:PORT, with TLS (needs --ca).
    #[arg(long, requires = "ca")]
    tcp: Option<String>,
    /// CA certificate that signed the server's certificate.
    #[arg(long)]
    ca: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    connect: Connect,
    #[arg(long)]
    user: String,
    /// The password or token every login sends.
    #[arg(long, conflicts_with_all = ["token_file", "sign_for"])]
    password: Option<String>,
    /// A file of tokens, one per line, taken in turn.
    #[arg(long, conflicts_with = "sign_for")]
    token_file: Option<PathBuf>,
    /// Sign fresh tokens for this STS host (HOST:PORT the server is configured with).
    #[arg(long)]
    sign_for: Option<String>,
    /// How many distinct tokens to sign with --sign-for (taken in turn).
    #[arg(long, default_value_t = 1000)]
    sign_count: usize,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Run for this long...
    #[arg(long, conflicts_with = "count")]
    seconds: Option<f64>,
    /// ...or for this many logins.
    #[arg(long)]
    count: Option<u64>,
    /// Logins per thread before the measured window.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// mysqld's PID: its CPU and memory over the window are reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Log in through this libmysqlclient (else through the Rust client, which answers
    /// first for caching_sha2_password: an auth switch for auth_awsiam).
    #[arg(long)]
    libmysqlclient: Option<String>,
    /// With --libmysqlclient: send the password in the first packet, for
    /// mysql_clear_password (as `mysql --default-auth=mysql_clear_password`).
    #[arg(long, requires = "libmysqlclient")]
    first_packet: bool,
    /// With --libmysqlclient: where it finds client plugins (auth_awsiam_client).
    #[arg(long, requires = "libmysqlclient")]
    plugin_dir: Option<String>,
}

impl Connect {
    fn transport(&self) -> Result<Transport, String> {
        match (&self.socket, &self.tcp, &self.ca) {
            (Some(path), None, _) => Ok(Transport::Socket(path.clone())),
            (None, Some(addr), Some(ca)) => {
                let (host, port) = addr
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h.to_string(), p.parse().ok()?)))
                    .ok_or_else(|| format!("--tcp wants HOST:PORT, got '{addr}'"))?;
                Ok(Transport::TcpTls {
                    host,
                    port,
                    ca: ca.clone(),
                })
            }
            _ => Err("give --socket PATH, or --tcp HOST:PORT with --ca FILE".into()),
        }
    }
}

fn passwords(args: &RunArgs) -> Result<Passwords, String> {
    if let Some(p) = &args.password {
        return Ok(Passwords::one(p.clone()));
    }
    if let Some(file) = &args.token_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let list: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        if list.is_empty() {
            return Err(format!("{} holds no token", file.display()));
        }
        return Ok(Passwords::list(list));
    }
    if let Some(host) = &args.sign_for {
        let target = SignFor {
            host: host.clone(),
            region: args.region.clone(),
        };
        return Ok(Passwords::list(tokens::sign_many(
            &target,
            0,
            args.sign_count.max(1),
            args.threads,
        )?));
    }
    Err("give --password, --token-file or --sign-for".into())
}

fn run(args: &RunArgs) -> Result<bool, String> {
    let transport = args.connect.transport()?;
    let passwords = passwords(args)?;
    let stop = match (args.seconds, args.count) {
        (_, Some(n)) => Stop::Count(n),
        (Some(s), None) => Stop::After(Duration::from_secs_f64(s)),
        (None, None) => Stop::After(Duration::from_secs(5)),
    };
    let plan = Plan {
        threads: args.threads,
        stop,
        warmup: args.warmup,
        server_pid: args.server_pid,
        helper_pids: Vec::new(),
    };
    let target = match &args.libmysqlclient {
        None => Target::new(&transport, &args.user),
        Some(path) => {
            let first = if args.first_packet {
                FirstAnswer::Cleartext
            } else {
                FirstAnswer::ServerDefault
            };
            let lib = LibMysql::load(path)?;
            Target::lib(
                lib,
                &transport,
                &args.user,
                first,
                args.plugin_dir.as_deref(),
            )
        }
    };
    let o = load::run(&target, &passwords, &plan, &mut || {});
    println!("{}", table::run_line(transport.label(), args.threads, &o));
    if let Some(e) = &o.first_error {
        eprintln!("first error: {e}");
    }
    Ok(o.errors == 0 && o.logins > 0)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run(args),
        Command::Suite(args) => suite::main(args),
        Command::Pool(args) => pool::main(args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("auth_awsiam_loadgen: {e}");
            ExitCode::from(2)
        }
    }
}
