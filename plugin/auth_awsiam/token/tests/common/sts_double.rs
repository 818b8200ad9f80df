//! A tiny STS double for tests: records where each request went (Host, path, Action) and
//! answers every request with one canned body. Also used by the client plugin's tests.

#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// The key, secret and session token the double hands out for a role.
pub const ROLE_KEY: &str = "ASIAROLEFROMDOUBLE";
pub const ROLE_SECRET: &str = "roleSecretFromTheDouble";
pub const ROLE_SESSION_TOKEN: &str = "cm9sZSBzZXNzaW9uIHRva2Vu";

pub fn assume_role_ok() -> (u16, String) {
    assume_role_until("2099-01-01T00:00:00Z")
}

/// AssumeRole's answer with credentials that expire at `expiration` (ISO 8601, UTC).
pub fn assume_role_until(expiration: &str) -> (u16, String) {
    (
        200,
        format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<AssumeRoleResult><Credentials><AccessKeyId>{ROLE_KEY}</AccessKeyId>\
<SecretAccessKey>{ROLE_SECRET}</SecretAccessKey><SessionToken>{ROLE_SESSION_TOKEN}</SessionToken>\
<Expiration>{expiration}</Expiration></Credentials>\
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/AppRole/s1</Arn>\
<AssumedRoleId>AROAEXAMPLE:s1</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>\
<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>"
        ),
    )
}

pub fn sts_error(status: u16, code: &str, message: &str) -> (u16, String) {
    (
        status,
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
<RequestId>r2</RequestId></ErrorResponse>"
        ),
    )
}

/// One request the double received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub host: String,
    pub path: String,
    pub body: String,
}

/// An STS double on 127.0.0.1 answering every request with one canned answer.
pub struct Double {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Double {
    pub fn start(answer: (u16, String)) -> Double {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let (mut host, mut length) = (String::new(), 0usize);
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    let (name, value) = h.split_once(':').unwrap_or((&h, ""));
                    match name.trim().to_ascii_lowercase().as_str() {
                        "host" => host = value.trim().to_string(),
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                log.lock().unwrap().push(Seen {
                    host,
                    path,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let (status, text) = &answer;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Double { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The actions (AssumeRole, ...) received, in order.
    pub fn actions(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|s| {
                s.body
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("Action="))
                    .unwrap_or("?")
                    .to_string()
            })
            .collect()
    }
}
