//! What each listener does with a request: answer like STS, or fail in one precise way.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::assume_role::{self, Sessions};
use crate::callers::Callers;
use crate::fault::{FIXED_REQUEST_ID, Fault};
use crate::http::{self, Request};
use crate::issuer::Issuer;
use crate::options::Policy;
use crate::{query, sigv4, web_identity};

/// One way of answering. Each mode gets its own listening port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A GetCallerIdentity success, after the configured latency; keep-alive.
    Ok,
    /// Accepts the connection, reads the request, never answers.
    HangAccept,
    /// Sends the status line, headers and part of the body, then never the rest.
    HangBody,
    /// HTTP 500, STS error code InternalFailure.
    Http500,
    /// HTTP 503, STS error code ServiceUnavailable.
    Http503,
    /// Bytes that are not HTTP at all, then closes.
    Garbage,
    /// HTTP 302 to another host.
    Redirect,
    /// HTTP 200 with a 10 MB body.
    HugeBody,
    /// Reads the request and closes the connection without a byte of answer.
    Close,
    /// A correct success, sent one byte at a time, far slower than any STS timeout.
    Slow,
    /// HTTP 400, STS error code Throttling (what STS answers when rate-limited).
    Throttling,
    /// HTTP 403, STS error code SignatureDoesNotMatch (what STS answers to a forged
    /// signature, which LocalStack cannot show: it checks no signature).
    Rejected,
    /// `throttling` while the switch file (`--throttle-switch`) exists, else `ok`: STS
    /// throttling for a while, as long as a test wants, then answering again.
    ThrottleSwitch,
    /// What the phase file (`--phase-file`) says at each request: `hang` (like
    /// `hang_accept`), `throttle` (like `throttling`), `error` (like `http_500`), anything
    /// else `ok`, where, given `--secret-key`, a request not signed with that key is
    /// answered `SignatureDoesNotMatch` (after the same latency): an STS that goes
    /// through faults in turn while forgeries arrive.
    Phased,
}

/// What a `phased` listener does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Hang,
    Throttle,
    Error,
    Ok,
}

impl Phase {
    pub fn from_text(text: &str) -> Phase {
        match text.trim() {
            "hang" => Phase::Hang,
            "throttle" => Phase::Throttle,
            "error" => Phase::Error,
            _ => Phase::Ok,
        }
    }
}

impl Mode {
    pub const ALL: [Mode; 14] = [
        Mode::Ok,
        Mode::HangAccept,
        Mode::HangBody,
        Mode::Http500,
        Mode::Http503,
        Mode::Garbage,
        Mode::Redirect,
        Mode::HugeBody,
        Mode::Close,
        Mode::Slow,
        Mode::Throttling,
        Mode::Rejected,
        Mode::ThrottleSwitch,
        Mode::Phased,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Ok => "ok",
            Mode::HangAccept => "hang_accept",
            Mode::HangBody => "hang_body",
            Mode::Http500 => "http_500",
            Mode::Http503 => "http_503",
            Mode::Garbage => "garbage",
            Mode::Redirect => "redirect",
            Mode::HugeBody => "huge_body",
            Mode::Close => "close",
            Mode::Slow => "slow",
            Mode::Throttling => "throttling",
            Mode::Rejected => "rejected",
            Mode::ThrottleSwitch => "throttle_switch",
            Mode::Phased => "phased",
        }
    }

    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Size of the `huge_body` answer.
pub const HUGE_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Pause between two bytes of the `slow` answer: about 100 s for a whole answer.
const SLOW_BYTE_PAUSE: Duration = Duration::from_millis(200);
/// Longest a hanging connection is held if the client never gives up.
pub const HANG_LIMIT: Duration = Duration::from_secs(600);
/// Where `redirect` sends the client (a port nothing listens on).
const REDIRECT_TO: &str = "http://127.0.0.1:1/";

/// How the `ok` mode answers.
#[derive(Debug)]
pub struct Answer {
    /// Sleep before each success.
    pub latency: Duration,
    /// Who signed a request (GetCallerIdentity and GetWebIdentityToken answer alike).
    pub callers: Callers,
    /// While this file exists, `throttle_switch` answers Throttling.
    pub throttle_switch: Option<PathBuf>,
    /// What GetWebIdentityToken refuses.
    pub policy: Policy,
    /// Signs GetWebIdentityToken's tokens and serves their keys.
    pub issuer: Arc<Issuer>,
    /// What `phased` does (see `Phase`); no file: `ok`.
    pub phase_file: Option<PathBuf>,
    /// `phased` answers only requests signed with this secret key (see `sigv4`); it
    /// ignores the callers' hang and reject profiles: it refuses by signature instead.
    pub secret_key: Option<String>,
    /// AssumeRole's credentials and count.
    pub sessions: Sessions,
}

impl Answer {
    /// The phase the phase file names now (read at each request: a test changes it).
    pub fn phase(&self) -> Phase {
        self.phase_file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .map_or(Phase::Ok, |text| Phase::from_text(&text))
    }

    /// A success for a request signed with the secret key (or any, without one), else
    /// STS's answer to a bad signature.
    fn checked(&self, request: &Request) -> (u16, String) {
        match &self.secret_key {
            Some(secret) if !sigv4::verify(request, secret) => {
                let f = Fault::sender(
                    403,
                    "SignatureDoesNotMatch",
                    "sts_double answers SignatureDoesNotMatch",
                );
                (403, f.xml(FIXED_REQUEST_ID))
            }
            _ => success_or_invalid(request, self),
        }
    }
}

/// Serves one connection in `mode` until the client closes it (or the mode closes it).
pub fn serve(mut stream: TcpStream, mode: Mode, answer: &Answer) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = io::BufReader::new(stream.try_clone()?);
    loop {
        let Some(request) = http::read_request(&mut reader)? else {
            return Ok(());
        };
        let throttled = mode == Mode::ThrottleSwitch
            && answer.throttle_switch.as_ref().is_some_and(|f| f.exists());
        let caller = answer.callers.resolve(&key_id_of(&request));
        match mode {
            Mode::ThrottleSwitch if throttled => error(&mut stream, 400, "Sender", "Throttling")?,
            Mode::Ok | Mode::ThrottleSwitch if caller.profile.hang => return hang(&mut reader),
            Mode::Ok | Mode::ThrottleSwitch if caller.profile.reject => {
                error(&mut stream, 403, "Sender", "InvalidClientTokenId")?
            }
            Mode::Ok | Mode::ThrottleSwitch => {
                thread::sleep(answer.latency);
                let (status, body) = success_or_invalid(&request, answer);
                http::write_response(&mut stream, status, &[], body.as_bytes())?;
                if request.wants_close {
                    return Ok(());
                }
            }
            Mode::Phased => match answer.phase() {
                Phase::Hang => return hang(&mut reader),
                Phase::Throttle => error(&mut stream, 400, "Sender", "Throttling")?,
                Phase::Error => error(&mut stream, 500, "Receiver", "InternalFailure")?,
                Phase::Ok => {
                    thread::sleep(answer.latency);
                    let (status, body) = answer.checked(&request);
                    http::write_response(&mut stream, status, &[], body.as_bytes())?;
                    if request.wants_close {
                        return Ok(());
                    }
                }
            },
            Mode::HangAccept => return hang(&mut reader),
            Mode::HangBody => {
                stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 4096\r\n\r\n\
                      <GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">",
                )?;
                stream.flush()?;
                return hang(&mut reader);
            }
            Mode::Http500 => error(&mut stream, 500, "Receiver", "InternalFailure")?,
            Mode::Http503 => error(&mut stream, 503, "Receiver", "ServiceUnavailable")?,
            Mode::Throttling => error(&mut stream, 400, "Sender", "Throttling")?,
            Mode::Rejected => error(&mut stream, 403, "Sender", "SignatureDoesNotMatch")?,
            Mode::Garbage => {
                stream
                    .write_all(b"\x16\x03\x01\x00\xffthis is not HTTP\r\n\x00\x01\x02\r\n\r\n")?;
                return Ok(());
            }
            Mode::Redirect => {
                http::write_response(&mut stream, 302, &[("Location", REDIRECT_TO)], b"")?
            }
            Mode::HugeBody => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {HUGE_BODY_BYTES}\r\n\r\n"
                );
                stream.write_all(head.as_bytes())?;
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..HUGE_BODY_BYTES / chunk.len() {
                    stream.write_all(&chunk)?;
                }
                return Ok(());
            }
            Mode::Close => return Ok(()),
            Mode::Slow if caller.profile.hang => return hang(&mut reader),
            Mode::Slow => {
                let (status, body) = success_or_invalid(&request, answer);
                let whole = http::response_bytes(status, &[], body.as_bytes());
                for byte in whole {
                    stream.write_all(&[byte])?;
                    stream.flush()?;
                    thread::sleep(SLOW_BYTE_PAUSE);
                }
            }
        }
    }
}

/// Holds the connection open, reading and dropping whatever comes, until the client
/// closes it or `HANG_LIMIT` passes.
fn hang(reader: &mut io::BufReader<TcpStream>) -> io::Result<()> {
    reader.get_ref().set_read_timeout(Some(HANG_LIMIT))?;
    let mut sink = [0u8; 4096];
    while reader.read(&mut sink)? > 0 {}
    Ok(())
}

fn error(
    stream: &mut TcpStream,
    status: u16,
    kind: &'static str,
    code: &'static str,
) -> io::Result<()> {
    let fault = Fault {
        status,
        kind,
        code,
        message: format!("sts_double answers {code}"),
    };
    http::write_response(stream, status, &[], fault.xml(FIXED_REQUEST_ID).as_bytes())
}

/// The access key ID of the request's credential (empty if it has none): GetCallerIdentity
/// answers any request, signed or not, as it always has.
fn key_id_of(request: &Request) -> String {
    request
        .header("authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|cred| cred.split('/').next())
        .unwrap_or("")
        .to_string()
}

/// The answer to a well-formed GetCallerIdentity, GetWebIdentityToken or AssumeRole
/// request (or to a read of the counts), else STS's answer to a request that is none.
pub fn success_or_invalid(request: &Request, answer: &Answer) -> (u16, String) {
    let params = query::parse_form(&request.body);
    match (request.method.as_str(), query::param(&params, "Action")) {
        ("POST", Some("GetCallerIdentity")) => {
            let caller = answer.callers.resolve(&key_id_of(request));
            (200, success_body(&caller.session_arn, &caller.account))
        }
        ("POST", Some("GetWebIdentityToken")) => web_identity::answer(request, &params, answer),
        ("POST", Some("AssumeRole")) => answer.sessions.answer(&params),
        ("GET", _) if request.path == assume_role::COUNTS_PATH => (200, answer.sessions.counts()),
        _ => {
            let f = Fault::sender(400, "InvalidAction", "not an action the double answers");
            (400, f.xml(FIXED_REQUEST_ID))
        }
    }
}

/// The body STS answers to GetCallerIdentity.
pub fn success_body(arn: &str, account: &str) -> String {
    // A role session's unique ID is the role ID and the session name; anything else gets
    // a user-style ID. Neither is checked by anyone here.
    let user_id = match arn.split_once(":assumed-role/") {
        Some((_, rest)) => format!(
            "AROASTSDOUBLE00000000:{}",
            rest.rsplit('/').next().unwrap_or("session")
        ),
        None => "AIDASTSDOUBLE00000000".to_string(),
    };
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  \
         <GetCallerIdentityResult>\n    <Arn>{arn}</Arn>\n    <UserId>{user_id}</UserId>\n    \
         <Account>{account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    \
         <RequestId>00000000-0000-0000-0000-000000000000</RequestId>\n  </ResponseMetadata>\n\
         </GetCallerIdentityResponse>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mode::ALL {
            assert_eq!(Mode::from_name(m.name()), Some(m));
        }
        assert_eq!(Mode::from_name("nope"), None);
    }

    #[test]
    fn key_id_from_the_credential() {
        let mut r = Request::default();
        r.headers.push((
            "authorization".into(),
            "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=ab".into(),
        ));
        assert_eq!(key_id_of(&r), "111111111111");
        assert_eq!(key_id_of(&Request::default()), "");
    }

    #[test]
    fn success_names_the_session() {
        let body = success_body("arn:aws:sts::1:assumed-role/AppRole/s1", "1");
        assert!(body.contains("<UserId>AROASTSDOUBLE00000000:s1</UserId>"));
        assert!(body.contains("<Account>1</Account>"));
    }
}
