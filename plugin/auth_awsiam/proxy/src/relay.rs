//! After the login: the client's bytes to the server and the server's to the client, one
//! thread each way, with no parsing but the client's packet headers (to see a command
//! start). The TLS session to the server is shared by both threads under a lock held only
//! to encrypt or decrypt, never across a blocking read or write (`send` says how the
//! records still reach the server in order). A `COM_CHANGE_USER` is
//! a login: the client's side hands it to `Reauth`, and the server's replies go to it,
//! not to the client, until it is done. The proxy reads no replies, so it cannot tell
//! where one ends: a change of user sent before any of the previous command's reply came
//! back (a client that does not wait for replies) is refused, never given that reply as
//! the login's answer.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustls::ClientConnection;

use crate::handshake::COM_CHANGE_USER;
use crate::local::Local;
use crate::wire;

/// Bytes read at once from either side.
const CHUNK: usize = 16 * 1024;
/// How often a side blocked in a read looks at the idle clock.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// The commands the server does not answer (`COM_QUIT`, `COM_STMT_SEND_LONG_DATA`,
/// `COM_STMT_CLOSE`): after them no reply is awaited.
const NO_REPLY: [u8; 3] = [0x01, 0x18, 0x19];
/// `ER_NET_PACKETS_OUT_OF_ORDER`, for a change of user the proxy cannot carry out.
const ER_NET_PACKETS_OUT_OF_ORDER: u16 = 1156;

/// A new login on the open connection (`COM_CHANGE_USER`), carried out by the session.
pub trait Reauth: Send + Sync {
    /// Logs in again for the client's command `payload`, over `server` (its packets are the
    /// server's replies); returns the packet for the client (the server's OK or ERR).
    fn change_user(&self, payload: &[u8], server: &mut dyn ReadWrite) -> Result<Vec<u8>, String>;
}

/// A connection to the server for `Reauth`.
pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

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
    /// Held by whoever writes TLS records to the server socket, taken before the `tls`
    /// lock is let go: records leave in the order they were made.
    writer: Mutex<()>,
    /// Milliseconds since `start` of the last byte either way.
    last: AtomicU64,
    start: Instant,
    idle: Option<Duration>,
    /// While a change of user is under way: where the server's bytes go instead of the
    /// client.
    divert: Mutex<Option<Sender<Vec<u8>>>>,
    /// How long the server gets to answer a login step.
    step: Duration,
    /// A command went to the server and not a byte of its reply has come back: a change
    /// of user now would take that reply for its own.
    awaiting: AtomicBool,
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
pub fn run(
    client: Local,
    server: TcpStream,
    tls: ClientConnection,
    idle: Option<Duration>,
    reauth: Arc<dyn Reauth>,
    step: Duration,
) -> End {
    let shared = Arc::new(Shared {
        tls: Mutex::new(tls),
        writer: Mutex::new(()),
        last: AtomicU64::new(0),
        start: Instant::now(),
        idle,
        divert: Mutex::new(None),
        step,
        awaiting: AtomicBool::new(false),
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
        std::thread::spawn(move || to_server(client, server_w, &shared, reauth.as_ref()))
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
fn to_server(
    mut client: Local,
    mut server: TcpStream,
    shared: &Shared,
    reauth: &dyn Reauth,
) -> End {
    let end = (|| -> Result<End, String> {
        let mut buf = vec![0u8; CHUNK];
        // The previous packet's number was 255, or it was full-size: the next one
        // continues the same exchange.
        let mut continues = false;
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
            // A command starts with sequence number 0, but so does the 256th packet of
            // one exchange (LOAD DATA LOCAL's file chunks count on past 255) and the
            // continuation of a full-size packet: those are not commands.
            let command_start = header[3] == 0 && !continues;
            continues = header[3] == 255 || left == wire::MAX_PAYLOAD;
            if command_start && left > 0 {
                // A command's first byte, before any of it goes on: a change of user is
                // a login, carried out here.
                let n = match read_some(&mut client, &mut buf[..1], shared) {
                    Ok(0) => return Ok(End::Closed),
                    Ok(n) => n,
                    Err(e) if is_timeout(&e) => return Ok(End::Idle),
                    Err(e) => return Err(format!("client: {e}")),
                };
                if buf[0] == COM_CHANGE_USER {
                    if let Some(why) = cannot_change_user(left, shared) {
                        let message = format!("auth_awsiam_proxy: {why}");
                        let err =
                            wire::error_packet(ER_NET_PACKETS_OUT_OF_ORDER, b"08S01", &message);
                        let _ = wire::write_packet(&mut client, 1, &err);
                        return Err(format!("change of user refused: {why}"));
                    }
                    let mut payload = vec![COM_CHANGE_USER; left];
                    if !read_full(&mut client, &mut payload[n..], shared)
                        .map_err(|e| format!("client: {e}"))?
                        && left > 1
                    {
                        return Ok(End::Closed);
                    }
                    let reply = change_user(&payload, &mut server, shared, reauth)?;
                    wire::write_packet(&mut client, 1, &reply)
                        .map_err(|e| format!("client: {e}"))?;
                    if reply.first() != Some(&0x00) {
                        // The server closes a connection whose change of user failed.
                        return Ok(End::Closed);
                    }
                    continue;
                }
                // Before the command goes: its reply may come back at once.
                shared
                    .awaiting
                    .store(!NO_REPLY.contains(&buf[0]), Ordering::SeqCst);
                send(&mut server, shared, &[&header[..], &buf[..n]].concat())?;
                left -= n;
            } else {
                send(&mut server, shared, &header)?;
            }
            while left > 0 {
                let want = left.min(buf.len());
                let n = match read_some(&mut client, &mut buf[..want], shared) {
                    Ok(0) => return Ok(End::Closed),
                    Ok(n) => n,
                    Err(e) if is_timeout(&e) => return Ok(End::Idle),
                    Err(e) => return Err(format!("client: {e}")),
                };
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

/// Encrypts `plain` and writes it to the server, with whatever records the other thread
/// left (`from_server`). The write blocks while the server is not reading, which it may
/// not do while it sends a large result: the `tls` lock is let go first, so the other
/// thread can go on decrypting that result, or the two would wait on each other.
fn send(server: &mut TcpStream, shared: &Shared, plain: &[u8]) -> Result<(), String> {
    let mut tls = shared.lock();
    tls.writer()
        .write_all(plain)
        .map_err(|e| format!("server: {e}"))?;
    let writing = shared.writer.lock().unwrap_or_else(PoisonError::into_inner);
    let mut records = take_records(&mut tls)?;
    drop(tls);
    loop {
        server
            .write_all(&records)
            .map_err(|e| format!("server: {e}"))?;
        let mut tls = shared.lock();
        records = take_records(&mut tls)?;
        if records.is_empty() {
            // Let go while the TLS lock is still held: records the other thread makes
            // from here on find no writer busy, and it writes them itself.
            drop(writing);
            return Ok(());
        }
    }
}

/// The TLS records made and not yet written, in order.
fn take_records(tls: &mut ClientConnection) -> Result<Vec<u8>, String> {
    let mut records = Vec::new();
    while tls.wants_write() {
        tls.write_tls(&mut records)
            .map_err(|e| format!("server TLS: {e}"))?;
    }
    Ok(records)
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
                // Records of TLS's own (a key update's answer): written now if no one
                // is writing, else left for the writer, which takes them after its own.
                if tls.wants_write()
                    && let Ok(_writing) = shared.writer.try_lock()
                {
                    let records = take_records(&mut tls)?;
                    drop(tls);
                    server
                        .write_all(&records)
                        .map_err(|e| format!("server: {e}"))?;
                }
            }
            let diverted = match shared
                .divert
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
            {
                Some(to) => {
                    // The change of user ends when its reader stops listening.
                    let _ = to.send(std::mem::take(&mut out));
                    true
                }
                None => false,
            };
            if !diverted && !out.is_empty() {
                shared.awaiting.store(false, Ordering::SeqCst);
                client.write_all(&out).map_err(|e| format!("client: {e}"))?;
            }
            if closed {
                return Ok(End::Closed);
            }
        }
    })();
    let _ = server.shutdown(Shutdown::Both);
    client.shutdown(Shutdown::Both);
    end.unwrap_or_else(End::Failed)
}

/// Why a change of user of `len` bytes cannot be carried out now, if it cannot.
fn cannot_change_user(len: usize, shared: &Shared) -> Option<String> {
    if len > wire::MAX_LOGIN_PACKET {
        // Never a real one (a user name, a database, attributes of at most 64 KiB).
        Some(format!(
            "a change of user of {len} bytes (the limit is {})",
            wire::MAX_LOGIN_PACKET
        ))
    } else if shared.awaiting.load(Ordering::SeqCst) {
        Some("a change of user came before the previous command's reply: read each reply before changing user".into())
    } else {
        None
    }
}

/// Carries out a change of user: the server's replies come to `reauth` while it runs.
fn change_user(
    payload: &[u8],
    server: &mut TcpStream,
    shared: &Shared,
    reauth: &dyn Reauth,
) -> Result<Vec<u8>, String> {
    let (to, from) = mpsc::channel();
    *shared.divert.lock().unwrap_or_else(PoisonError::into_inner) = Some(to);
    let mut diverted = Diverted {
        from,
        pending: Vec::new(),
        server,
        shared,
    };
    let result = reauth.change_user(payload, &mut diverted);
    *shared.divert.lock().unwrap_or_else(PoisonError::into_inner) = None;
    result
}

/// The server as `Reauth` sees it during a change of user: its decrypted bytes from the
/// other thread, and writes encrypted as any other.
struct Diverted<'a> {
    from: Receiver<Vec<u8>>,
    pending: Vec<u8>,
    server: &'a mut TcpStream,
    shared: &'a Shared,
}

impl Read for Diverted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            self.pending = self.from.recv_timeout(self.shared.step).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the server did not answer the change of user",
                )
            })?;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

impl Write for Diverted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        send(self.server, self.shared, buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
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
