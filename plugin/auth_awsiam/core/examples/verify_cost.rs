//! What one verification costs the plugin's own code, outside the server, for instruction
//! counts that do not depend on how busy the machine is: run it under
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*verify_cost*measured*'`
//! (or `perf stat -e instructions`), then divide by the count. It also prints the CPU time
//! per login of the process itself. Under valgrind, SHA-256 runs in software (valgrind
//! hides the CPU's SHA extensions); natively it takes about 1 us for a token.
//!
//! ```text
//! cargo build --release -p auth_awsiam_core --example verify_cost
//! verify_cost hit N ENDPOINT      # N logins with one token, the cache warm
//! verify_cost fresh N ENDPOINT    # N logins, each with a new token, the cache on
//! verify_cost nocache N ENDPOINT  # N logins, each with a new token, the cache off
//! ```
//!
//! `ENDPOINT` is an STS that answers GetCallerIdentity for account 000000000000, normally
//! `tools/sts_double` (`http://127.0.0.1:PORT`, or `https://localhost:PORT` with
//! `SSL_CERT_FILE=ca.pem`). Each login goes through `auth::verify` and `auth::report`
//! (decision, then the log line and counters) as `awsiam_authenticate` does, with the
//! default log verbosity and a log sink that drops the lines, and with the token length the
//! benchmark sends (a 1,000-character session token). Tokens are signed before the measured
//! loop starts.

mod common;

use std::time::SystemTime;

use auth_awsiam_core::auth::{self, Login};
use auth_awsiam_core::config::{Config, parse_endpoint};
use auth_awsiam_core::logging;
use auth_awsiam_core::request::sign;
use aws_credential_types::Credentials;
use common::{drop_line, no_server, process_cpu_seconds};

const ACCOUNT: &str = "000000000000";
const ROLE: &str = "BenchRole";
const SESSION_TOKEN_LEN: usize = 1000;

fn token(host: &str, n: usize) -> Vec<u8> {
    let session: String = format!("{n:08}")
        .chars()
        .cycle()
        .take(SESSION_TOKEN_LEN)
        .collect();
    let creds = Credentials::new("ASIABENCHVERIFY00001", "secret", Some(session), None, "x");
    sign(host, "us-east-1", None, &creds, SystemTime::now())
        .expect("signed")
        .encode()
        .into_bytes()
}

/// The measured loop (the name callgrind's --toggle-collect matches).
#[inline(never)]
fn measured(tokens: &[Vec<u8>], n: usize, cfg: &Config) -> usize {
    let mut ok = 0;
    for i in 0..n {
        let login = Login {
            user: ROLE,
            client_user: ROLE,
            host: "localhost",
            auth_string: "",
            token: Some(&tokens[i % tokens.len()]),
            secure_transport: true,
        };
        let result = auth::verify(&login, cfg, SystemTime::now(), &no_server);
        auth::report(&login, &result);
        ok += usize::from(result.is_ok());
    }
    ok
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, n, endpoint] = &args[..] else {
        eprintln!("usage: verify_cost hit|fresh|nocache N ENDPOINT");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("a count");
    let mut cfg = Config {
        endpoint: parse_endpoint(endpoint).expect("an endpoint"),
        allowed_accounts: vec![ACCOUNT.into()],
        ..Config::default()
    };
    let host = cfg
        .endpoint
        .as_ref()
        .expect("an endpoint")
        .authority
        .clone();
    let tokens: Vec<Vec<u8>> = match mode.as_str() {
        "hit" => vec![token(&host, 0)],
        "fresh" => (0..n + 1).map(|i| token(&host, i)).collect(),
        "nocache" => {
            cfg.cache_size = 0;
            (0..n + 1).map(|i| token(&host, i)).collect()
        }
        _ => panic!("mode: hit, fresh or nocache"),
    };
    logging::install(Some(drop_line));
    // One login outside the window: the connection to STS, the cache entry for `hit`.
    assert_eq!(measured(&tokens[n.min(tokens.len() - 1)..], 1, &cfg), 1);
    let cpu_before = process_cpu_seconds();
    let ok = measured(&tokens, n, &cfg);
    let cpu = process_cpu_seconds() - cpu_before;
    assert_eq!(ok, n, "every login admitted");
    println!(
        "{mode}: {n} logins admitted, {:.1} us of CPU each (this process, user + system)",
        cpu * 1e6 / n as f64
    );
}
