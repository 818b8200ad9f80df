//! The listeners: loopback TCP and/or a Unix socket (the security boundary: whoever can
//! connect logs in with the proxy's AWS identity), a bound on connections, and a graceful
//! stop on SIGTERM or SIGINT (no new connections; the open ones drain).

use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::local::Local;
use crate::session::{self, Settings};
use crate::wire;

/// How often the accept loop looks at the stop flag while no client comes.
const POLL: Duration = Duration::from_millis(100);
/// `ER_CON_COUNT_ERROR`.
const ER_CON_COUNT_ERROR: u16 = 1040;

static STOP: AtomicBool = AtomicBool::new(false);

/// Whether a stop signal came: no new connections, the open ones drain.
pub fn stopping() -> bool {
    STOP.load(Ordering::SeqCst)
}

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Stop on SIGTERM and SIGINT; SIGPIPE is an error on the write, not death.
pub fn install_signals() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

pub struct Listeners {
    pub tcp: Option<TcpListener>,
    pub unix: Option<UnixListener>,
}

/// Accepts until a stop signal, then waits up to `drain` for the open sessions.
pub fn run(
    listeners: Listeners,
    settings: Arc<Settings>,
    max_connections: usize,
    drain: Duration,
) -> io::Result<()> {
    if let Some(l) = &listeners.tcp {
        l.set_nonblocking(true)?;
    }
    if let Some(l) = &listeners.unix {
        l.set_nonblocking(true)?;
    }
    let active = Arc::new(AtomicUsize::new(0));
    let fds: Vec<RawFd> = (listeners.tcp.iter().map(AsRawFd::as_raw_fd))
        .chain(listeners.unix.iter().map(AsRawFd::as_raw_fd))
        .collect();
    while !STOP.load(Ordering::SeqCst) {
        // A client is accepted as soon as it connects, never after a nap.
        wait_for_clients(&fds);
        if let Some(l) = &listeners.tcp {
            match l.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false)?;
                    let _ = s.set_nodelay(true);
                    start(Local::Tcp(s), &settings, &active, max_connections);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => log::warn!("accept: {e}"),
            }
        }
        if let Some(l) = &listeners.unix {
            match l.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false)?;
                    start(Local::Unix(s), &settings, &active, max_connections);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => log::warn!("accept: {e}"),
            }
        }
    }
    let open = active.load(Ordering::SeqCst);
    log::info!(
        "stopping: no new connections; {open} open, waiting up to {} s for them",
        drain.as_secs()
    );
    let until = Instant::now() + drain;
    while active.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        std::thread::sleep(POLL);
    }
    let left = active.load(Ordering::SeqCst);
    if left > 0 {
        log::warn!("stopped with {left} connections still open");
    } else {
        log::info!("stopped");
    }
    Ok(())
}

/// Waits until a listener has a client waiting, a signal comes, or `POLL` passes (to look
/// at the stop flag).
fn wait_for_clients(fds: &[RawFd]) {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let timeout = libc::c_int::try_from(POLL.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `polled` is a live array of `polled.len()` pollfd for the call; poll only
    // writes their `revents`. An error (EINTR from the stop signal) is a wake-up too.
    unsafe {
        libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, timeout);
    }
}

/// One of --max-connections, held by a session.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn start(mut client: Local, settings: &Arc<Settings>, active: &Arc<AtomicUsize>, max: usize) {
    if active.fetch_add(1, Ordering::SeqCst) >= max {
        active.fetch_sub(1, Ordering::SeqCst);
        log::warn!(
            "{}: refused: {max} connections open (--max-connections)",
            client.peer()
        );
        let mut p = vec![0xFF];
        p.extend_from_slice(&ER_CON_COUNT_ERROR.to_le_bytes());
        p.extend_from_slice(b"#08004Too many connections (auth_awsiam_proxy --max-connections)");
        let _ = wire::write_packet(&mut client, 0, &p);
        return;
    }
    let settings = Arc::clone(settings);
    let done = Slot(Arc::clone(active));
    let spawned = std::thread::Builder::new()
        .name("session".into())
        .spawn(move || {
            // Given back when the session ends, however it ends (a panic too).
            let _slot = done;
            session::serve(client, settings);
        });
    if let Err(e) = spawned {
        // The closure, and with it the slot, was dropped: given back.
        log::warn!("cannot start a session thread: {e}");
    }
}
