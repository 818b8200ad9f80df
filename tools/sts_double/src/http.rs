//! Just enough HTTP/1.1 to be called by an STS client or to serve an issuer's keys: one
//! request at a time on a keep-alive connection, Content-Length bodies only.

use std::io::{self, BufRead, Write};

/// Largest request head or body accepted (a token's request is a few KiB).
const MAX_REQUEST_BYTES: usize = 64 * 1024;

#[derive(Debug, Default)]
pub struct Request {
    pub method: String,
    /// The request target as sent (`/`, `/.well-known/jwks.json`).
    pub path: String,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub wants_close: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Reads one request; `None` when the client closed the connection between requests.
pub fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut words = line.split(' ');
    let mut request = Request {
        method: words.next().unwrap_or("").to_string(),
        path: words.next().unwrap_or("").to_string(),
        ..Request::default()
    };
    let mut head_bytes = line.len();
    loop {
        line.clear();
        let n = reader.read_line(&mut line)?;
        head_bytes += n;
        if n == 0 || head_bytes > MAX_REQUEST_BYTES {
            return Err(invalid("request head cut short or too large"));
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            request
                .headers
                .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length: usize = request
        .header("content-length")
        .map(|v| v.parse().map_err(|_| invalid("bad content-length")))
        .transpose()?
        .unwrap_or(0);
    if length > MAX_REQUEST_BYTES {
        return Err(invalid("request body too large"));
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    request.body = String::from_utf8_lossy(&body).into_owned();
    request.wants_close = request
        .header("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    Ok(Some(request))
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Content type of STS's answers.
pub const XML: &str = "text/xml";
/// Content type of the issuer's discovery document and JWKS.
pub const JSON: &str = "application/json";

/// A whole response, with Content-Length and an XML content type.
pub fn response_bytes(status: u16, extra: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    typed_response_bytes(status, XML, extra, body)
}

/// A whole response, with Content-Length and `content_type`.
pub fn typed_response_bytes(
    status: u16,
    content_type: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        reason_phrase(status),
        body.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub fn write_response(
    out: &mut impl Write,
    status: u16,
    extra: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    out.write_all(&response_bytes(status, extra, body))?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_two_requests_from_one_connection() {
        let raw = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\nConnection: close\r\n\r\n";
        let mut r = io::BufReader::new(&raw[..]);
        let a = read_request(&mut r).unwrap().unwrap();
        assert_eq!(
            (a.method.as_str(), a.path.as_str(), a.body.as_str()),
            ("POST", "/", "abc")
        );
        assert!(!a.wants_close);
        assert_eq!(a.header("host"), Some("x"));
        let b = read_request(&mut r).unwrap().unwrap();
        assert!(b.wants_close);
        assert!(read_request(&mut r).unwrap().is_none());
    }

    #[test]
    fn refuses_oversized_bodies() {
        let raw = b"POST / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n";
        assert!(read_request(&mut io::BufReader::new(&raw[..])).is_err());
    }

    #[test]
    fn responses_carry_their_length() {
        let r = String::from_utf8(response_bytes(302, &[("Location", "http://h/")], b"")).unwrap();
        assert!(r.starts_with("HTTP/1.1 302 Found\r\n"));
        assert!(r.contains("Content-Length: 0\r\n") && r.contains("Location: http://h/\r\n"));
    }
}
