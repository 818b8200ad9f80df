//! The proxy's own side: its clients connect over loopback TCP or a Unix socket.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A client's connection to the proxy.
pub enum Local {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Local {
    pub fn try_clone(&self) -> io::Result<Local> {
        Ok(match self {
            Local::Tcp(s) => Local::Tcp(s.try_clone()?),
            Local::Unix(s) => Local::Unix(s.try_clone()?),
        })
    }

    pub fn shutdown(&self, how: Shutdown) {
        // Already closed by the peer is as good as closed.
        let _ = match self {
            Local::Tcp(s) => s.shutdown(how),
            Local::Unix(s) => s.shutdown(how),
        };
    }

    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Local::Tcp(s) => s.set_read_timeout(t),
            Local::Unix(s) => s.set_read_timeout(t),
        }
    }

    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Local::Tcp(s) => s.set_write_timeout(t),
            Local::Unix(s) => s.set_write_timeout(t),
        }
    }

    /// Who connected, for the log: the peer address, or the socket.
    pub fn peer(&self) -> String {
        match self {
            Local::Tcp(s) => s
                .peer_addr()
                .map_or_else(|_| "tcp".to_string(), |a| a.to_string()),
            Local::Unix(_) => "socket".to_string(),
        }
    }
}

impl Read for Local {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Local::Tcp(s) => s.read(buf),
            Local::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Local {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Local::Tcp(s) => s.write(buf),
            Local::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Local::Tcp(s) => s.flush(),
            Local::Unix(s) => s.flush(),
        }
    }
}
