//! Test helpers: a tiny fake STS on 127.0.0.1, for faults LocalStack cannot produce; the
//! log lines a test writes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

pub fn success_xml(arn: &str, account: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROAEXAMPLE:s1</UserId>\
         <Account>{account}</Account></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    )
}

pub fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )
}

pub fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// What the fake STS received.
pub struct Received {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn read_request(stream: &mut std::net::TcpStream) -> Received {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (n, v) = line.split_once(':').unwrap();
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    Received {
        request_line: request_line.trim_end().to_string(),
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

/// Serves `connections` connections with `respond`, then returns what it received.
pub fn fake_sts(
    connections: usize,
    respond: impl Fn(&Received) -> Option<Vec<u8>> + Send + 'static,
) -> (String, thread::JoinHandle<Vec<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        listener.set_nonblocking(false).unwrap();
        for _ in 0..connections {
            let (mut stream, _) = listener.accept().unwrap();
            let req = read_request(&mut stream);
            match respond(&req) {
                Some(bytes) => {
                    let _ = stream.write_all(&bytes);
                }
                // Hang: hold the connection open past the client's timeout.
                None => thread::sleep(Duration::from_secs(3)),
            }
            seen.push(req);
        }
        seen
    });
    (addr, handle)
}

/// A fake STS that serves every connection until the test process ends, answering the
/// n-th request (from 0) with `respond(n)`; returns its address and the request count.
pub fn counting_sts(
    respond: impl Fn(usize) -> Vec<u8> + Send + 'static,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = read_request(&mut stream);
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(&respond(n));
        }
    });
    (addr, count)
}

/// How long a fake server holds a connection it does not answer.
pub const HANG: Duration = Duration::from_secs(3);

/// A fake HTTP server on 127.0.0.1 that serves every connection, each in its own thread,
/// until the test process ends: `respond` answers each request, or with `None` holds the
/// connection for `HANG` without answering (a slow server). Returns its address.
pub fn serve(respond: impl Fn(&Received) -> Option<Vec<u8>> + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let respond = std::sync::Arc::new(respond);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let respond = respond.clone();
            thread::spawn(move || {
                let req = read_request(&mut stream);
                match respond(&req) {
                    Some(bytes) => {
                        let _ = stream.write_all(&bytes);
                    }
                    None => thread::sleep(HANG),
                }
            });
        }
    });
    addr
}

thread_local! {
    /// The lines of the thread inside `logged_by`, if it is.
    static LOGGED: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// Keeps the lines of the threads inside `logged_by`; every other line is dropped.
struct ThreadLogger;

impl log::Log for ThreadLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }

    fn log(&self, record: &log::Record) {
        LOGGED.with(|l| {
            if let Some(lines) = l.borrow_mut().as_mut() {
                lines.push(record.args().to_string());
            }
        });
    }

    fn flush(&self) {}
}

/// The lines `f` logs on this thread, from info up. Per thread, so that tests running
/// in parallel each see their own lines only; the `log` logger of the unit tests is this
/// one (the plugin's own, `logging`, is never installed in them).
pub fn logged_by(f: impl FnOnce()) -> Vec<String> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    static LOGGER: ThreadLogger = ThreadLogger;
    INSTALL.call_once(|| {
        log::set_logger(&LOGGER).expect("no other logger in the unit tests");
        log::set_max_level(log::LevelFilter::Info);
    });
    LOGGED.with(|l| *l.borrow_mut() = Some(Vec::new()));
    f();
    LOGGED.with(|l| l.borrow_mut().take().unwrap_or_default())
}
