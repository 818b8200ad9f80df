//! The `start`, `stop` and `sign` commands: the double as a background process of a test.

use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::options::Options;

/// Lifetime `start` gives the server it spawns.
const START_LIFETIME_SECS: u64 = 30 * 60;
/// How long `start` waits for the server to listen, and `stop` for it to exit.
const WAIT: Duration = Duration::from_secs(20);
/// What `serve --announce` prints once it listens.
pub const READY: &str = "ready";
/// The include line that names the issuer's plain-HTTP URL, which `sign` calls.
const ISSUER_HTTP_LINE: &str = "--let $sts_double_issuer_http = http://";

/// Written whole or not at all, so that a reader never sees half a file.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
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
pub fn start(o: Options, args: &[String]) -> Result<(), String> {
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
        .arg("--json")
        .arg(dir.join("ports.json"))
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
        .args(
            o.switch_dir
                .is_none()
                .then(|| ["--switch-dir".into(), dir.to_path_buf()])
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
pub fn stop(o: Options) -> Result<(), String> {
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

/// `sign --dir DIR [--kid KID]`: reads HEADER, a newline and PAYLOAD (JSON texts) on
/// standard input, has the running double sign them (`POST /_double/sign`), prints the
/// JWT. For tests that need a token AWS would never mint, signed by the issuer's key.
pub fn sign(o: Options) -> Result<(), String> {
    let dir = state_dir(&o)?;
    let ports = fs::read_to_string(dir.join("ports.inc"))
        .map_err(|e| format!("cannot read {}: {e}", dir.join("ports.inc").display()))?;
    let authority = ports
        .lines()
        .find_map(|l| l.strip_prefix(ISSUER_HTTP_LINE))
        .ok_or("no issuer in ports.inc: is the double running?")?;
    let mut input = String::new();
    io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| e.to_string())?;
    let input = input.trim_end_matches('\n');
    let path = match &o.kid {
        Some(kid) => format!("/_double/sign?kid={kid}"),
        None => "/_double/sign".to_string(),
    };
    let mut stream =
        TcpStream::connect(authority).map_err(|e| format!("cannot reach {authority}: {e}"))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{input}",
        input.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or("no answer")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("the double refused to sign: {body}"));
    }
    println!("{body}");
    Ok(())
}
