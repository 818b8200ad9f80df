//! `sts_double`: a stand-in for AWS STS that answers correctly or fails in one precise way,
//! for auth_awsiam's fault tests and benchmarks, and the test issuer of AWS-issued JWTs. It
//! is used *in addition to* LocalStack, never instead of it: LocalStack is the real STS of
//! the tests, this double is what a dead, slow or lying STS looks like, and the
//! `GetWebIdentityToken` that neither LocalStack nor moto implements.
//!
//! # Choosing a behaviour: one port per mode
//!
//! Every mode listens on its own port, so a test picks a behaviour by the endpoint it
//! configures (`SET GLOBAL auth_awsiam_sts_endpoint = 'http://127.0.0.1:PORT'`) and the
//! endpoint it mints tokens for; no control request, no shared state between tests or
//! between concurrent logins. The modes (see [`modes::Mode`]):
//!
//! | mode | answer |
//! | --- | --- |
//! | `ok` | GetCallerIdentity, GetWebIdentityToken and AssumeRole after `--latency-ms` (caller: see [`callers`]; AssumeRole: [`assume_role`]) |
//! | `hang_accept` | reads the request, never answers |
//! | `hang_body` | status line, headers and a part of the body, then nothing |
//! | `http_500`, `http_503` | HTTP 500 InternalFailure, HTTP 503 ServiceUnavailable |
//! | `garbage` | bytes that are not HTTP, then close |
//! | `redirect` | HTTP 302 to another host |
//! | `huge_body` | HTTP 200 with a 10 MB body |
//! | `close` | reads the request, closes without answering |
//! | `slow` | a correct success, one byte every 200 ms |
//! | `throttling` | HTTP 400, STS error code `Throttling` |
//! | `rejected` | HTTP 403, STS error code `SignatureDoesNotMatch` |
//! | `throttle_switch` | `throttling` while the file `--throttle-switch` names exists, else `ok` |
//! | `phased` | what the file `--phase-file` says at each request: `hang`, `throttle`, `error` (HTTP 500), else `ok`, which with `--secret-key` answers only requests SigV4-signed with that key (others: HTTP 403 `SignatureDoesNotMatch`) |
//!
//! HTTPS: `--https NAME=CERT,KEY` adds a listener that answers like `ok` over TLS with
//! that certificate chain and key (PEM files), on its own port, announced as
//! `https://localhost:PORT` (see `tls`). Certificates are made at test time, never
//! committed.
//!
//! # The token issuer
//!
//! `GetWebIdentityToken` ([`web_identity`]) mints JWTs signed by the double's issuer: keys
//! made at start ([`keys`]), discovery and JWKS served on a port of their own over HTTP
//! and, with `--issuer-https CERT,KEY`, over HTTPS too ([`issuer`]); the tokens' `iss` is
//! the HTTPS URL when there is one, else the HTTP one. The issuer's faults are switched at
//! run time by files ([`switches`]).
//!
//! Each connection gets its own thread and keep-alive is honoured, so the double is never
//! the bottleneck of a login benchmark (its CPU per answer is a few microseconds).
//!
//! # Commands
//!
//! ```text
//! sts_double serve [--listen MODE=ADDR]... [--latency-ms N] [--arn TEMPLATE]
//!                  [--https NAME=CERT,KEY]... [--throttle-switch FILE]
//!                  [--phase-file FILE] [--secret-key KEY]
//!                  [--issuer-https CERT,KEY] [--switch-dir DIR]
//!                  [--caller KEY=ARN]... [--org KEY=ORG_ID]... [--ou KEY=PATH]...
//!                  [--account-of KEY=ACCOUNT]... [--hang-key KEY]... [--reject-key KEY]...
//!                  [--ou-string KEY=PATH]... [--principal-tag KEY=TAG=VALUE]...
//!                  [--origin-subject KEY=SUBJECT]... [--deny-audience AUD]...
//!                  [--deny-tagging] [--federation-disabled ACCOUNT]...
//!                  [--max-payload-bytes N]
//!                  [--pid-file F] [--mtr-include F] [--json F] [--max-lifetime SECS]
//! sts_double start --dir DIR [serve options]   # serve in the background, return when ready
//! sts_double stop --dir DIR                    # stop what `start` started, by its PID
//! sts_double sign --dir DIR [--kid KID] <HEADER\nPAYLOAD   # a JWT signed by the issuer
//! ```
//!
//! Without `--listen`, every mode listens on its own free port of 127.0.0.1. `--arn`
//! defaults to `arn:aws:sts::{account}:assumed-role/AppRole/sts-double` (`{account}` is
//! replaced). KEY is an access key ID. `--account-of KEY=ACCOUNT` answers requests
//! signed with `KEY` as `ACCOUNT` (a server whose credentials moved to another account);
//! `--hang-key KEY` never answers them (an STS that hangs for one caller, such as the
//! server's own lookup, and answers the others); `--reject-key KEY` answers them HTTP 403
//! `InvalidClientTokenId` (credentials that are not valid there). `--mtr-include` writes one mysqltest line per mode,
//! `--let $sts_double_MODE = http://127.0.0.1:PORT`, for an MTR test to `--source`;
//! `--let $sts_double_https_NAME = https://localhost:PORT` for each HTTPS listener;
//! `--let $sts_double_throttle_switch_file = FILE`; `--let $sts_double_issuer = URL` (the
//! tokens' `iss`), `--let $sts_double_issuer_http = http://127.0.0.1:PORT`,
//! `--let $sts_double_issuer_https = https://localhost:PORT` (with `--issuer-https`) and
//! `--let $sts_double_switch_dir = DIR`. `start` writes `DIR/sts_double.pid`,
//! `DIR/ports.inc` (the include), `DIR/ports.json` (the same for scripts: `--json` writes
//! the include's names and values as one JSON object) and `DIR/sts_double.log`, makes the throttle switch
//! `DIR/throttle.on`, the phase file `DIR/phase` (the include names it as
//! `$sts_double_phase_file`) and the switch directory DIR unless others are given, and gives
//! the server a lifetime of 30 minutes, so a test that dies before its `stop` leaves nothing
//! running for long.

mod announce;
mod assume_role;
mod callers;
mod control;
mod fault;
mod http;
mod issuer;
mod keys;
mod modes;
mod options;
mod query;
mod sigv4;
mod switches;
mod timefmt;
mod tls;
mod web_identity;

use std::io::{self, Write};
use std::net::TcpListener;
use std::process;
use std::sync::Arc;
use std::thread;

use control::{READY, write_atomically};
use issuer::Issuer;
use modes::{Answer, Mode};
use options::Options;
use switches::Switches;

const USAGE: &str =
    "usage: sts_double serve|start|stop|sign [options] (see the crate documentation)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((cmd, rest)) => options::parse(rest).and_then(|o| match cmd.as_str() {
            "serve" => serve(o),
            "start" => control::start(o, rest),
            "stop" => control::stop(o),
            "sign" => control::sign(o),
            _ => Err(USAGE.to_string()),
        }),
        None => Err(USAGE.to_string()),
    };
    if let Err(e) = result {
        eprintln!("sts_double: {e}");
        process::exit(1);
    }
}

/// The issuer's listeners (HTTP, and HTTPS if asked) and its state; the include lines.
fn issuer(o: &Options, include: &mut String) -> Result<Arc<Issuer>, String> {
    let bind = |what: &str| {
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen for {what}: {e}"))
    };
    let http_listener = bind("the issuer")?;
    let http_url = format!(
        "http://{}",
        http_listener.local_addr().map_err(|e| e.to_string())?
    );
    include.push_str(&format!("--let $sts_double_issuer_http = {http_url}\n"));
    let mut url = http_url;
    let mut https = None;
    if let Some((cert, key)) = &o.issuer_https {
        let config = tls::server_config(cert, key)?;
        let listener = bind("the issuer over HTTPS")?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        url = format!("https://localhost:{port}");
        include.push_str(&format!("--let $sts_double_issuer_https = {url}\n"));
        https = Some((listener, config));
    }
    include.push_str(&format!("--let $sts_double_issuer = {url}\n"));
    if let Some(dir) = &o.switch_dir {
        include.push_str(&format!(
            "--let $sts_double_switch_dir = {}\n",
            dir.display()
        ));
    }
    eprintln!("sts_double: token issuer {url}");
    let issuer = Arc::new(Issuer::new(url, Switches::new(o.switch_dir.clone()))?);
    let shared = Arc::clone(&issuer);
    thread::spawn(move || issuer::accept_loop(http_listener, None, shared));
    if let Some((listener, config)) = https {
        let shared = Arc::clone(&issuer);
        thread::spawn(move || issuer::accept_loop(listener, Some(config), shared));
    }
    Ok(issuer)
}

fn serve(o: Options) -> Result<(), String> {
    let listen = if o.listen.is_empty() {
        Mode::ALL
            .iter()
            .map(|m| (*m, "127.0.0.1:0".to_string()))
            .collect()
    } else {
        o.listen.clone()
    };
    let mut include = String::new();
    let mut listeners = Vec::new();
    for (mode, addr) in listen {
        let listener =
            TcpListener::bind(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        include.push_str(&format!(
            "--let $sts_double_{} = http://{local}\n",
            mode.name()
        ));
        eprintln!("sts_double: {} on http://{local}", mode.name());
        listeners.push((mode, listener));
    }
    let mut https = Vec::new();
    for (name, cert, key) in &o.https {
        let config = tls::server_config(cert, key)?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot listen for https_{name}: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        include.push_str(&format!(
            "--let $sts_double_https_{name} = https://localhost:{port}\n"
        ));
        eprintln!("sts_double: https_{name} on https://localhost:{port}");
        https.push((format!("https_{name}"), config, listener));
    }
    if let Some(file) = &o.throttle_switch {
        include.push_str(&format!(
            "--let $sts_double_throttle_switch_file = {}\n",
            file.display()
        ));
    }
    if let Some(file) = &o.phase_file {
        include.push_str(&format!(
            "--let $sts_double_phase_file = {}\n",
            file.display()
        ));
    }
    let answer = Arc::new(Answer {
        latency: o.latency,
        callers: o.callers.clone(),
        throttle_switch: o.throttle_switch.clone(),
        policy: o.policy.clone(),
        issuer: issuer(&o, &mut include)?,
        phase_file: o.phase_file.clone(),
        secret_key: o.secret_key.clone(),
        sessions: Default::default(),
    });
    if let Some(path) = &o.pid_file {
        write_atomically(path, &format!("{}\n", process::id()))?;
    }
    if let Some(path) = &o.mtr_include {
        write_atomically(path, &include)?;
    }
    if let Some(path) = &o.json {
        write_atomically(path, &announce::json_of_include(&include))?;
    }
    for (mode, listener) in listeners {
        let answer = Arc::clone(&answer);
        thread::spawn(move || accept_loop(listener, mode, answer));
    }
    for (name, config, listener) in https {
        let answer = Arc::clone(&answer);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (name, config, answer) =
                    (name.clone(), Arc::clone(&config), Arc::clone(&answer));
                let _ = thread::Builder::new()
                    .name(format!("sts_double_{name}"))
                    .spawn(move || {
                        let respond = |r: &http::Request| {
                            thread::sleep(answer.latency);
                            let (status, body) = modes::success_or_invalid(r, &answer);
                            Some(http::response_bytes(status, &[], body.as_bytes()))
                        };
                        let _ = tls::serve(stream, &name, config, &respond);
                    });
            }
        });
    }
    if o.announce {
        println!("{READY}");
        let _ = io::stdout().flush();
    }
    match o.max_lifetime {
        Some(limit) => thread::sleep(limit),
        None => loop {
            thread::park();
        },
    }
    if let Some(path) = &o.pid_file {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn accept_loop(listener: TcpListener, mode: Mode, answer: Arc<Answer>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let answer = Arc::clone(&answer);
        // A thread per connection: a hanging mode must never delay another connection.
        let _ = thread::Builder::new()
            .name(format!("sts_double_{}", mode.name()))
            .spawn(move || {
                let _ = modes::serve(stream, mode, &answer);
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::path::PathBuf;
    use std::time::Duration;

    fn spawn(mode: Mode) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let answer = Arc::new(Answer {
            latency: Duration::ZERO,
            callers: callers::Callers::default(),
            throttle_switch: Some(switch_file()),
            policy: options::Policy::default(),
            issuer: Arc::new(
                Issuer::new("http://127.0.0.1:9".into(), Switches::default()).unwrap(),
            ),
            phase_file: Some(phase_file()),
            secret_key: Some(SECRET.into()),
            sessions: Default::default(),
        });
        thread::spawn(move || accept_loop(listener, mode, answer));
        addr
    }

    const REQUEST: &str = "POST / HTTP/1.1\r\nHost: h\r\nAuthorization: AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/sts/aws4_request\r\nContent-Length: 43\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15";

    fn exchange(addr: &str, requests: usize) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut all = String::new();
        for _ in 0..requests {
            s.write_all(REQUEST.as_bytes()).unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            all.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        all
    }

    #[test]
    fn ok_answers_twice_on_one_connection() {
        let got = exchange(&spawn(Mode::Ok), 2);
        assert_eq!(got.matches("HTTP/1.1 200 OK").count(), 2, "{got}");
        assert!(
            got.contains("<Arn>arn:aws:sts::123456789012:assumed-role/AppRole/sts-double</Arn>")
        );
    }

    #[test]
    fn throttling_is_an_sts_error() {
        let got = exchange(&spawn(Mode::Throttling), 1);
        assert!(got.starts_with("HTTP/1.1 400 Bad Request"));
        assert!(got.contains("<Code>Throttling</Code>"));
    }

    fn switch_file() -> PathBuf {
        std::env::temp_dir().join(format!("sts_double_test_{}.on", process::id()))
    }

    #[test]
    fn throttle_switch_throttles_while_the_file_exists() {
        let addr = spawn(Mode::ThrottleSwitch);
        std::fs::write(switch_file(), "").unwrap();
        let got = exchange(&addr, 2);
        assert_eq!(got.matches("<Code>Throttling</Code>").count(), 2, "{got}");
        std::fs::remove_file(switch_file()).unwrap();
        assert!(exchange(&addr, 1).starts_with("HTTP/1.1 200 OK"));
    }

    fn phase_file() -> PathBuf {
        std::env::temp_dir().join(format!("sts_double_test_{}.phase", process::id()))
    }

    const SECRET: &str = "test-secret";

    #[test]
    fn phased_follows_its_file_and_checks_signatures() {
        let addr = spawn(Mode::Phased);
        for (phase, want) in [
            ("throttle", "<Code>Throttling</Code>"),
            ("error", "HTTP/1.1 500"),
            // REQUEST's Authorization has no signature: not signed with the secret key.
            ("ok", "<Code>SignatureDoesNotMatch</Code>"),
        ] {
            std::fs::write(phase_file(), phase).unwrap();
            let got = exchange(&addr, 1);
            assert!(got.contains(want), "{phase}: {got}");
        }
        std::fs::write(phase_file(), "hang").unwrap();
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        s.write_all(REQUEST.as_bytes()).unwrap();
        let mut buf = [0u8; 16];
        assert!(s.read(&mut buf).is_err(), "hang answered");
        std::fs::remove_file(phase_file()).unwrap();
    }

    #[test]
    fn close_answers_nothing() {
        assert_eq!(exchange(&spawn(Mode::Close), 1), "");
    }
}
