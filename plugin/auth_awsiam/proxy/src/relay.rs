//! After the login: the client's bytes to the server and the server's to the client, one
//! thread each way, with no parsing but the client's packet headers (to see a command
//! start). The TLS session to the server is shared by both threads under a lock held only
//! to encrypt or decrypt, never across a blocking read or write.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustls::ClientConnection;

use crate::local::Local;

/// Bytes read at once from either side.
const CHUNK: usize = 16 * 1024;
/// How often a side blocked in a read looks at the idle clock.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// `COM_CHANGE_USER`: a new login on the same connection, which the proxy does not carry.
const COM_CHANGE_USER: u8 = 0x11;

/// How a relay ended.
#[derive(Debug)]
pub enum End {
    /// One side closed.
    Closed,
    /// Nothing either way for the idle timeout.
    Idle,
    /// An error on one side.
    Failed(String),
}

struct Shared {
    tls: Mutex<ClientConnection>,
    /// Milliseconds since `start` of the last byte either way.
    last: AtomicU64,
    start: Instant,
    idle: Option<Duration>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ClientConnection> {
        self.tls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let now = self.start.elapsed();
        now.saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }

    /// A read timed out: is the connection idle for good?
    fn is_idle(&self) -> bool {
        self.idle.is_some_and(|limit| self.idle_for() >= limit)
    }
}

/// Copies both ways until one side closes, fails, or both are idle for `idle`.
pub fn run(client: Local, server: TcpStream, tls: ClientConnection, idle: Option<Duration>) -> End {
    let shared = Arc::new(Shared {
        tls: Mutex::new(tls),
        last: AtomicU64::new(0),
        start: Instant::now(),
        idle,
    });
    let timeout = idle.map(|_| IDLE_CHECK);
    let clones = (|| -> io::Result<_> {
        client.set_read_timeout(timeout)?;
        server.set_read_timeout(timeout)?;
        Ok((client.try_clone()?, server.try_clone()?))
    })();
    let (client_w, server_w) = match clones {
        Ok(c) => c,
        Err(e) => return End::Failed(format!("cannot relay: {e}")),
    };
    let up = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || to_server(client, server_w, &shared))
    };
    let down = from_server(server, client_w, &shared);
    let up = up
        .join()
        .unwrap_or_else(|_| End::Failed("the relay thread panicked".into()));
    match (up, down) {
        (End::Failed(e), _) | (_, End::Failed(e)) => End::Failed(e),
        (End::Idle, _) | (_, End::Idle) => End::Idle,
        _ => End::Closed,
    }
}

/// The client's packets to the server. Reads headers to know where a command starts.
fn to_server(mut client: Local, mut server: TcpStream, shared: &Shared) -> End {
    let end = (|| -> Result<End, String> {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let mut header = [0u8; 4];
            match read_full(&mut client, &mut header, shared) {
                Ok(true) => {}
                Ok(false) => return Ok(End::Closed),
                Err(e) if is_timeout(&e) => return Ok(End::Idle),
                Err(e) => return Err(format!("client: {e}")),
            }
            let mut left =
                usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
            // The header goes with the payload's first bytes, once they are known: a
            // command is seen before any of it reaches the server.
            let mut pending: &[u8] = &header;
            let mut first = header[3] == 0;
            if left == 0 {
                send(&mut server, shared, pending)?;
            }
            while left > 0 {
                let want = left.min(buf.len());
                let n = match read_some(&mut client, &mut buf[..want], shared) {
                    Ok(0) => return Ok(End::Closed),
                    Ok(n) => n,
                    Err(e) if is_timeout(&e) => return Ok(End::Idle),
                    Err(e) => return Err(format!("client: {e}")),
                };
                if first && buf[0] == COM_CHANGE_USER {
                    // Forwarding it would log in with whatever the client sends: close
                    // instead (the client sees the connection lost, and reconnects).
                    return Err("the client sent COM_CHANGE_USER, which auth_awsiam_proxy does not carry yet: the connection is closed (open a new one to change user)".into());
                }
                first = false;
                if !pending.is_empty() {
                    send(&mut server, shared, pending)?;
                    pending = &[];
                }
                send(&mut server, shared, &buf[..n])?;
                left -= n;
            }
        }
    })();
    // The other way stops too: no half-open relay.
    let _ = server.shutdown(Shutdown::Both);
    client.shutdown(Shutdown::Both);
    end.unwrap_or_else(End::Failed)
}

/// Encrypts `plain` and writes it to the server.
fn send(server: &mut TcpStream, shared: &Shared, plain: &[u8]) -> Result<(), String> {
    let mut tls = shared.lock();
    tls.writer()
        .write_all(plain)
        .map_err(|e| format!("server: {e}"))?;
    while tls.wants_write() {
        tls.write_tls(server).map_err(|e| format!("server: {e}"))?;
    }
    Ok(())
}

/// The server's bytes, decrypted, to the client.
fn from_server(mut server: TcpStream, mut client: Local, shared: &Shared) -> End {
    let end = (|| -> Result<End, String> {
        let mut raw = vec![0u8; CHUNK];
        let mut plain = vec![0u8; CHUNK];
        loop {
            let n = match read_some(&mut server, &mut raw, shared) {
                Ok(0) => return Ok(End::Closed),
                Ok(n) => n,
                Err(e) if is_timeout(&e) => return Ok(End::Idle),
                Err(e) => return Err(format!("server: {e}")),
            };
            let mut out = Vec::new();
            let mut closed = false;
            {
                let mut tls = shared.lock();
                let mut input = &raw[..n];
                while !input.is_empty() {
                    tls.read_tls(&mut input)
                        .map_err(|e| format!("server: {e}"))?;
                    tls.process_new_packets()
                        .map_err(|e| format!("server TLS: {e}"))?;
                    loop {
                        match tls.reader().read(&mut plain) {
                            Ok(0) => {
                                closed = true;
                                break;
                            }
                            Ok(k) => out.extend_from_slice(&plain[..k]),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => return Err(format!("server TLS: {e}")),
                        }
                    }
                }
                while tls.wants_write() {
                    tls.write_tls(&mut server)
                        .map_err(|e| format!("server: {e}"))?;
                }
            }
            client.write_all(&out).map_err(|e| format!("client: {e}"))?;
            if closed {
                return Ok(End::Closed);
            }
        }
    })();
    let _ = server.shutdown(Shutdown::Both);
    client.shutdown(Shutdown::Both);
    end.unwrap_or_else(End::Failed)
}

/// Reads some bytes, waiting through read timeouts until the connection is idle.
fn read_some(r: &mut impl Read, buf: &mut [u8], shared: &Shared) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Ok(n) => {
                shared.touch();
                return Ok(n);
            }
            Err(e) if is_timeout(&e) && !shared.is_idle() => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Fills `buf`; `false` at a clean end before its first byte.
fn read_full(r: &mut impl Read, buf: &mut [u8], shared: &Shared) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match read_some(r, &mut buf[got..], shared)? {
            0 if got == 0 => return Ok(false),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(true)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
