//! A bound on the whole login, not on each read: a peer that sends one byte at a time
//! would otherwise hold a session (and one of --max-connections) for as long as it likes.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::local::Local;

/// A stream whose every read and write must end by `until`.
pub struct Bounded<S> {
    pub inner: S,
    until: Instant,
}

/// What can be given a timeout for its next read and write.
pub trait Timed {
    fn set_timeouts(&self, t: Duration) -> io::Result<()>;
}

impl Timed for TcpStream {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
}

impl Timed for Local {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(t))?;
        self.set_write_timeout(Some(t))
    }
}

impl<T: Timed> Timed for &mut T {
    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        (**self).set_timeouts(t)
    }
}

impl<S: Timed> Bounded<S> {
    pub fn new(inner: S, until: Instant) -> Bounded<S> {
        Bounded { inner, until }
    }

    /// Gives the stream what is left of the time, or fails once there is none.
    fn arm(&self) -> io::Result<()> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(out_of_time());
        }
        self.inner.set_timeouts(left)
    }
}

/// The error of a login out of time. A socket's own timeout says "Resource temporarily
/// unavailable" (`WouldBlock`); this one says which bound it was.
fn out_of_time() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the login took longer than --handshake-timeout",
    )
}

/// The stream's timeout was what was left of the time: a timeout is the login's.
fn ours(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => out_of_time(),
        _ => e,
    }
}

impl<S: Read + Timed> Read for Bounded<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.inner.read(buf).map_err(ours)
    }
}

impl<S: Write + Timed> Write for Bounded<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        self.inner.write(buf).map_err(ours)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.arm()?;
        self.inner.flush().map_err(ours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn a_trickling_peer_runs_out_of_time() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let limit = Duration::from_millis(600);
        let started = Instant::now();
        let mut bounded = Bounded::new(Local::Unix(ours), started + limit);
        let feeder = std::thread::spawn(move || {
            // One byte every 100 ms: each read gets one well inside any per-read timeout.
            for _ in 0..30 {
                if theirs.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let mut byte = [0u8; 1];
        let e = loop {
            match bounded.read(&mut byte) {
                Ok(0) => panic!("the peer's 3 s of bytes ran out before the login's time did"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        let took = started.elapsed();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        assert!(took >= limit, "{took:?}");
        drop(bounded);
        feeder.join().unwrap();
    }

    #[test]
    fn a_silent_peer_times_out_at_the_deadline() {
        let (ours, _theirs) = UnixStream::pair().unwrap();
        let started = Instant::now();
        let mut bounded = Bounded::new(Local::Unix(ours), started + Duration::from_millis(300));
        let e = bounded.read(&mut [0u8; 1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains("--handshake-timeout"), "{e}");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
}
