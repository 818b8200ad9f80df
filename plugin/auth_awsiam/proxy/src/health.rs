//! `--health-listen`: an HTTP answer to "is the proxy up?" that never touches the server.
//!
//! A probe that opens the proxy's MySQL port and closes it again makes the proxy dial the
//! server and leave it in the handshake: MySQL counts that against the proxy's host, and
//! after `max_connect_errors` of them in a row blocks the host, every application behind
//! the proxy with it. Probes go here instead. It says nothing but "up" or "stopping", so
//! it may listen where a prober (the kubelet, on the pod's address) can reach it.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// How long a prober gets to send its request, and most of it read.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_REQUEST: usize = 4096;

/// Answers every request on `addr` until the process ends: `200 up` while the proxy takes
/// new connections, `503 stopping` once it drains (`stopping`). Returns the address bound
/// (port 0 in `addr`: one the system chose).
pub fn serve(addr: SocketAddr, stopping: fn() -> bool) -> io::Result<SocketAddr> {
    let listener =
        TcpListener::bind(addr).map_err(|e| io::Error::new(e.kind(), format!("{addr}: {e}")))?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new()
        .name("health".into())
        .spawn(move || {
            for probe in listener.incoming().flatten() {
                // One at a time: a probe is small, and a slow one waits only REQUEST_TIMEOUT.
                let _ = answer(probe, stopping());
            }
        })?;
    Ok(bound)
}

fn answer(mut probe: TcpStream, stopping: bool) -> io::Result<()> {
    probe.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    probe.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    // The request is read up to its blank line (or the limit) and not looked at: any path
    // and method get the same answer.
    let mut request = Vec::new();
    let mut buf = [0u8; 512];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < MAX_REQUEST {
        match probe.read(&mut buf)? {
            0 => break,
            n => request.extend_from_slice(&buf[..n]),
        }
    }
    let (status, body) = if stopping {
        ("503 Service Unavailable", "stopping\n")
    } else {
        ("200 OK", "up\n")
    };
    write!(
        probe,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    static STOPPING: AtomicBool = AtomicBool::new(false);

    fn get(addr: SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply
    }

    #[test]
    fn up_then_stopping() {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let addr = serve(any, || STOPPING.load(Ordering::SeqCst)).unwrap();
        assert_ne!(addr.port(), 0);
        let reply = get(addr);
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\nup\n"), "{reply}");
        STOPPING.store(true, Ordering::SeqCst);
        assert!(get(addr).starts_with("HTTP/1.1 503 "));
        // A prober that connects and says nothing holds it for REQUEST_TIMEOUT at most.
        let _silent = TcpStream::connect(addr).unwrap();
        assert!(get(addr).starts_with("HTTP/1.1 503 "));
    }
}
