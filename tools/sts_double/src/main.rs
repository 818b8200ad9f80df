//! `sts_double`: a stand-in for AWS STS `GetCallerIdentity` that answers correctly or fails
//! in one precise way, for auth_awsiam's fault tests and benchmarks. It is used *in
//! addition to* LocalStack, never instead of it: LocalStack is the real STS of the tests,
//! this double is what a dead, slow or lying STS looks like.
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
//! | `ok` | GetCallerIdentity success after `--latency-ms` (account = the 12-digit access key ID of the request's credential, else 000000000000, unless `--account-of` names another for that key; ARN from `--arn`); no answer at all to a key named by `--hang-key`, HTTP 403 InvalidClientTokenId to one named by `--reject-key` |
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
//! Each connection gets its own thread and keep-alive is honoured, so the double is never
//! the bottleneck of a login benchmark (its CPU per answer is a few microseconds).
//!
//! # Commands
//!
//! ```text
//! sts_double serve [--listen MODE=ADDR]... [--latency-ms N] [--arn TEMPLATE]
//!                  [--https NAME=CERT,KEY]... [--throttle-switch FILE]
//!                  [--phase-file FILE] [--secret-key KEY]
//!                  [--account-of KEY=ACCOUNT]... [--hang-key KEY]... [--reject-key KEY]...
//!                  [--pid-file F] [--mtr-include F] [--max-lifetime SECS]
//! sts_double start --dir DIR [serve options]   # serve in the background, return when ready
//! sts_double stop --dir DIR                    # stop what `start` started, by its PID
//! ```
//!
//! Without `--listen`, every mode listens on its own free port of 127.0.0.1. `--arn`
//! defaults to `arn:aws:sts::{account}:assumed-role/AppRole/sts-double` (`{account}` is
//! replaced). `--account-of KEY=ACCOUNT` answers requests signed with access key ID `KEY`
//! as `ACCOUNT` (a server whose credentials moved to another account); `--hang-key KEY`
//! never answers requests signed with `KEY` (an STS that hangs for one caller, such as the
//! server's own lookup, and answers the others); `--reject-key KEY` answers them HTTP 403
//! `InvalidClientTokenId` (credentials that are not valid there). `--mtr-include` writes one mysqltest line per mode,
//! `--let $sts_double_MODE = http://127.0.0.1:PORT`, for an MTR test to `--source`.
//! `--let $sts_double_https_NAME = https://localhost:PORT` for each HTTPS listener and
//! `--let $sts_double_throttle_switch_file = FILE`. `start` writes `DIR/sts_double.pid`,
//! `DIR/ports.inc` (the include) and `DIR/sts_double.log`, makes the throttle switch
//! `DIR/throttle.on` and the phase file `DIR/phase` unless they are given (the include
//! names the phase file as `$sts_double_phase_file`), and gives the server a lifetime of 30
//! minutes, so a test that dies before its `stop` leaves nothing running for long.

mod http;
mod modes;
mod sigv4;
mod tls;

use std::fs;
use std::io::{self, BufRead, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{self, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use modes::{Answer, Mode};

const USAGE: &str = "usage: sts_double serve|start|stop [options] (see the crate documentation)";
const DEFAULT_ARN: &str = "arn:aws:sts::{account}:assumed-role/AppRole/sts-double";
/// Lifetime `start` gives the server it spawns.
const START_LIFETIME_SECS: u64 = 30 * 60;
/// How long `start` waits for the server to listen, and `stop` for it to exit.
const WAIT: Duration = Duration::from_secs(20);
const READY: &str = "ready";

#[derive(Debug, Default)]
struct Options {
    listen: Vec<(Mode, String)>,
    latency: Duration,
    arn: Option<String>,
    pid_file: Option<PathBuf>,
    mtr_include: Option<PathBuf>,
    max_lifetime: Option<Duration>,
    dir: Option<PathBuf>,
    /// HTTPS listeners: name, certificate chain file, key file.
    https: Vec<(String, PathBuf, PathBuf)>,
    throttle_switch: Option<PathBuf>,
    phase_file: Option<PathBuf>,
    secret_key: Option<String>,
    /// `--account-of KEY=ACCOUNT`, in order.
    accounts: Vec<(String, String)>,
    /// `--hang-key KEY`, in order.
    hang_keys: Vec<String>,
    /// `--reject-key KEY`, in order.
    reject_keys: Vec<String>,
    /// Printed on stdout once listening (set by `start` for its child).
    announce: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                let (mode, addr) = v.split_once('=').ok_or("--listen takes MODE=ADDR")?;
                let mode = Mode::from_name(mode).ok_or(format!("unknown mode '{mode}'"))?;
                o.listen.push((mode, addr.to_string()));
            }
            "--latency-ms" => {
                let ms = value()?
                    .parse()
                    .map_err(|_| "--latency-ms takes a number")?;
                o.latency = Duration::from_millis(ms);
            }
            "--arn" => o.arn = Some(value()?.clone()),
            "--pid-file" => o.pid_file = Some(value()?.into()),
            "--mtr-include" => o.mtr_include = Some(value()?.into()),
            "--max-lifetime" => {
                let s = value()?
                    .parse()
                    .map_err(|_| "--max-lifetime takes seconds")?;
                o.max_lifetime = Some(Duration::from_secs(s));
            }
            "--dir" => o.dir = Some(value()?.into()),
            "--https" => {
                let v = value()?;
                let (name, files) = v.split_once('=').ok_or("--https takes NAME=CERT,KEY")?;
                let (cert, key) = files.split_once(',').ok_or("--https takes NAME=CERT,KEY")?;
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return Err(format!("--https: bad name '{name}'"));
                }
                o.https.push((name.to_string(), cert.into(), key.into()));
            }
            "--throttle-switch" => o.throttle_switch = Some(value()?.into()),
            "--phase-file" => o.phase_file = Some(value()?.into()),
            "--secret-key" => o.secret_key = Some(value()?.clone()),
            "--account-of" => {
                let v = value()?;
                let (key, account) = v
                    .split_once('=')
                    .filter(|(k, a)| !k.is_empty() && is_account(a))
                    .ok_or("--account-of takes KEY=ACCOUNT (a 12-digit account)")?;
                o.accounts.push((key.to_string(), account.to_string()));
            }
            "--hang-key" => o.hang_keys.push(value()?.clone()),
            "--reject-key" => o.reject_keys.push(value()?.clone()),
            "--announce" => o.announce = true,
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(o)
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((cmd, rest)) => parse(rest).and_then(|o| match cmd.as_str() {
            "serve" => serve(o),
            "start" => start(o, rest),
            "stop" => stop(o),
            _ => Err(USAGE.to_string()),
        }),
        None => Err(USAGE.to_string()),
    };
    if let Err(e) = result {
        eprintln!("sts_double: {e}");
        process::exit(1);
    }
}

fn serve(o: Options) -> Result<(), String> {
    let listen = if o.listen.is_empty() {
        Mode::ALL
            .iter()
            .map(|m| (*m, "127.0.0.1:0".to_string()))
            .collect()
    } else {
        o.listen
    };
    let answer = Arc::new(Answer {
        latency: o.latency,
        arn_template: o.arn.unwrap_or_else(|| DEFAULT_ARN.to_string()),
        throttle_switch: o.throttle_switch.clone(),
        phase_file: o.phase_file.clone(),
        secret_key: o.secret_key.clone(),
        accounts: o.accounts,
        hang_keys: o.hang_keys,
        reject_keys: o.reject_keys,
    });
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
    if let Some(path) = &o.pid_file {
        write_atomically(path, &format!("{}\n", process::id()))?;
    }
    if let Some(path) = &o.mtr_include {
        write_atomically(path, &include)?;
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
                        let _ = tls::serve(stream, &name, config, &answer);
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
        let _ = fs::remove_file(path);
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

/// Written whole or not at all, so that a reader never sees half a file.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn state_dir(o: &Options) -> Result<&Path, String> {
    o.dir
        .as_deref()
        .ok_or_else(|| "--dir is needed".to_string())
}

/// Spawns `serve` in the background and returns once it listens.
fn start(o: Options, args: &[String]) -> Result<(), String> {
    let dir = state_dir(&o)?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let log = fs::File::create(dir.join("sts_double.log")).map_err(|e| e.to_string())?;
    // The serve options are the caller's, minus --dir.
    let mut serve_args: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--dir" {
            it.next();
        } else {
            serve_args.push(a.clone());
        }
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("serve")
        .args(&serve_args)
        .arg("--pid-file")
        .arg(dir.join("sts_double.pid"))
        .arg("--mtr-include")
        .arg(dir.join("ports.inc"))
        .arg("--max-lifetime")
        .arg(START_LIFETIME_SECS.to_string())
        .args(
            o.throttle_switch
                .is_none()
                .then(|| ["--throttle-switch".into(), dir.join("throttle.on")])
                .into_iter()
                .flatten(),
        )
        .args(
            o.phase_file
                .is_none()
                .then(|| ["--phase-file".into(), dir.join("phase")])
                .into_iter()
                .flatten(),
        )
        .arg("--announce")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let stdout = child.stdout.take().ok_or("no pipe to the server")?;
    let mut line = String::new();
    io::BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if line.trim() != READY {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "the server did not start; see {}",
            dir.join("sts_double.log").display()
        ));
    }
    Ok(())
}

/// Stops the server `start` started: SIGTERM to the PID in its pid file, then waits.
fn stop(o: Options) -> Result<(), String> {
    let pid_file = state_dir(&o)?.join("sts_double.pid");
    let pid: u32 = fs::read_to_string(&pid_file)
        .map_err(|e| format!("cannot read {}: {e}", pid_file.display()))?
        .trim()
        .parse()
        .map_err(|_| format!("{} holds no PID", pid_file.display()))?;
    let status = Command::new("kill")
        .arg(pid.to_string())
        .status()
        .map_err(|e| format!("cannot run kill: {e}"))?;
    if !status.success() {
        return Err(format!("kill {pid} failed"));
    }
    let started = Instant::now();
    while is_running(pid) {
        if started.elapsed() > WAIT {
            return Err(format!("process {pid} did not exit"));
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = fs::remove_file(pid_file);
    Ok(())
}

/// Alive and not a zombie (a zombie waits for its reaper, which is not us).
fn is_running(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn spawn(mode: Mode) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let answer = Arc::new(Answer {
            latency: Duration::ZERO,
            arn_template: DEFAULT_ARN.into(),
            throttle_switch: Some(switch_file()),
            phase_file: Some(phase_file()),
            secret_key: Some(SECRET.into()),
            accounts: Vec::new(),
            hang_keys: Vec::new(),
            reject_keys: Vec::new(),
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
        fs::write(switch_file(), "").unwrap();
        let got = exchange(&addr, 2);
        assert_eq!(got.matches("<Code>Throttling</Code>").count(), 2, "{got}");
        fs::remove_file(switch_file()).unwrap();
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
            fs::write(phase_file(), phase).unwrap();
            let got = exchange(&addr, 1);
            assert!(got.contains(want), "{phase}: {got}");
        }
        fs::write(phase_file(), "hang").unwrap();
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        s.write_all(REQUEST.as_bytes()).unwrap();
        let mut buf = [0u8; 16];
        assert!(s.read(&mut buf).is_err(), "hang answered");
        fs::remove_file(phase_file()).unwrap();
    }

    #[test]
    fn close_answers_nothing() {
        assert_eq!(exchange(&spawn(Mode::Close), 1), "");
    }

    #[test]
    fn options_parse() {
        let args: Vec<String> = ["--listen", "ok=127.0.0.1:0", "--latency-ms", "20"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = parse(&args).unwrap();
        assert_eq!(o.listen, vec![(Mode::Ok, "127.0.0.1:0".to_string())]);
        assert_eq!(o.latency, Duration::from_millis(20));
        assert!(parse(&["--listen".to_string(), "bogus=1".to_string()]).is_err());
        let args: Vec<String> = [
            "--account-of",
            "123456789012=210987654321",
            "--hang-key",
            "111111111111",
            "--reject-key",
            "333333333333",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = parse(&args).unwrap();
        assert_eq!(
            o.accounts,
            vec![("123456789012".to_string(), "210987654321".to_string())]
        );
        assert_eq!(o.hang_keys, vec!["111111111111".to_string()]);
        assert_eq!(o.reject_keys, vec!["333333333333".to_string()]);
        for bad in ["123456789012", "=210987654321", "k=2109876543"] {
            let e = parse(&["--account-of".to_string(), bad.to_string()]).unwrap_err();
            assert!(e.contains("KEY=ACCOUNT"), "{bad}: {e}");
        }
    }
}
