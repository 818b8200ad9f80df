//! What each listener does with a request: answer like STS, or fail in one precise way.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use crate::http::{self, Request};
use crate::sigv4;

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
/// The account answered when the access key ID is not 12 digits (LocalStack's default).
pub const DEFAULT_ACCOUNT: &str = "000000000000";

/// How the `ok` mode answers.
#[derive(Clone, Debug)]
pub struct Answer {
    /// Sleep before each success.
    pub latency: Duration,
    /// The caller's ARN; `{account}` is replaced by the account.
    pub arn_template: String,
    /// While this file exists, `throttle_switch` answers Throttling.
    pub throttle_switch: Option<PathBuf>,
    /// `(access key ID, account)`: requests signed with that key are answered as that
    /// account, as if the key belonged to it (`--account-of`).
    pub accounts: Vec<(String, String)>,
    /// Requests signed with these access key IDs are never answered, in the modes that
    /// otherwise answer a success (`--hang-key`): one caller's STS hangs, the others' not.
    /// (`phased` ignores these and `reject_keys`: it refuses by signature instead.)
    pub hang_keys: Vec<String>,
    /// Requests signed with these access key IDs are answered HTTP 403
    /// InvalidClientTokenId, in the same modes (`--reject-key`): one caller's
    /// credentials are not valid there.
    pub reject_keys: Vec<String>,
    /// What `phased` does (see `Phase`); no file: `ok`.
    pub phase_file: Option<PathBuf>,
    /// `phased` answers only requests signed with this secret key (see `sigv4`).
    pub secret_key: Option<String>,
}

impl Answer {
    /// Whether a request gets no answer (its key is in `hang_keys`).
    pub fn hangs_for(&self, request: &Request) -> bool {
        let key = key_id(request);
        self.hang_keys.iter().any(|k| k == key)
    }

    /// Whether a request is rejected (its key is in `reject_keys`).
    pub fn rejects(&self, request: &Request) -> bool {
        let key = key_id(request);
        self.reject_keys.iter().any(|k| k == key)
    }

    /// The account a request is answered as: `--account-of` for its key, else `account_of`.
    pub fn account_for(&self, request: &Request) -> String {
        let key = key_id(request);
        self.accounts
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| account_of(request), |(_, account)| account.clone())
    }

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
                (403, error_body("Sender", "SignatureDoesNotMatch"))
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
        match mode {
            Mode::ThrottleSwitch if throttled => error(&mut stream, 400, "Sender", "Throttling")?,
            Mode::Ok | Mode::ThrottleSwitch if answer.hangs_for(&request) => {
                return hang(&mut reader);
            }
            Mode::Ok | Mode::ThrottleSwitch if answer.rejects(&request) => {
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
            Mode::Slow if answer.hangs_for(&request) => return hang(&mut reader),
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

fn error_body(kind: &str, code: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
         <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>sts_double answers {code}</Message>\n  \
         </Error>\n  <RequestId>00000000-0000-0000-0000-000000000000</RequestId>\n</ErrorResponse>\n"
    )
}

fn error(stream: &mut TcpStream, status: u16, kind: &str, code: &str) -> io::Result<()> {
    http::write_response(stream, status, &[], error_body(kind, code).as_bytes())
}

/// The access key ID of a request's credential ('' if it has none).
fn key_id(request: &Request) -> &str {
    request
        .header("authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|cred| cred.split('/').next())
        .unwrap_or("")
}

/// The account a request was signed for: the access key ID of its credential when that is
/// 12 digits (as LocalStack reads it), else `DEFAULT_ACCOUNT`.
pub fn account_of(request: &Request) -> String {
    let key_id = key_id(request);
    if key_id.len() == 12 && key_id.bytes().all(|b| b.is_ascii_digit()) {
        key_id.to_string()
    } else {
        DEFAULT_ACCOUNT.to_string()
    }
}

/// A GetCallerIdentity success for a well-formed request, else STS's answer to a request
/// that is not one.
pub fn success_or_invalid(request: &Request, answer: &Answer) -> (u16, String) {
    if request.method != "POST" || !request.body.contains("Action=GetCallerIdentity") {
        return (400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code></Error></ErrorResponse>\n".into());
    }
    let account = answer.account_for(request);
    let arn = answer.arn_template.replace("{account}", &account);
    (200, success_body(&arn, &account))
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
    fn account_from_a_12_digit_key_id() {
        let mut r = Request::default();
        r.headers.push((
            "authorization".into(),
            "AWS4-HMAC-SHA256 Credential=111111111111/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=ab".into(),
        ));
        assert_eq!(account_of(&r), "111111111111");
        r.headers[0].1 =
            "AWS4-HMAC-SHA256 Credential=ASIAXXXX/20260101/us-east-1/sts/aws4_request".into();
        assert_eq!(account_of(&r), DEFAULT_ACCOUNT);
        assert_eq!(account_of(&Request::default()), DEFAULT_ACCOUNT);
    }

    #[test]
    fn keys_answered_as_another_account_or_not_at_all() {
        let signed_by = |key: &str| {
            let mut r = Request {
                method: "POST".into(),
                body: "Action=GetCallerIdentity&Version=2011-06-15".into(),
                ..Request::default()
            };
            r.headers.push((
                "authorization".into(),
                format!("AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/sts/aws4_request"),
            ));
            r
        };
        let answer = Answer {
            latency: Duration::ZERO,
            arn_template: "arn:aws-cn:iam::{account}:user/u".into(),
            throttle_switch: None,
            accounts: vec![("111111111111".into(), "210987654321".into())],
            hang_keys: vec!["123456789012".into()],
            reject_keys: vec!["333333333333".into()],
            phase_file: None,
            secret_key: None,
        };
        let (status, body) = success_or_invalid(&signed_by("111111111111"), &answer);
        assert_eq!(status, 200);
        assert!(body.contains("<Arn>arn:aws-cn:iam::210987654321:user/u</Arn>"));
        assert!(body.contains("<Account>210987654321</Account>"));
        let (_, body) = success_or_invalid(&signed_by("222222222222"), &answer);
        assert!(
            body.contains("<Account>222222222222</Account>"),
            "others as before"
        );
        assert!(answer.hangs_for(&signed_by("123456789012")));
        assert!(!answer.hangs_for(&signed_by("111111111111")));
        assert!(answer.rejects(&signed_by("333333333333")));
        assert!(!answer.rejects(&signed_by("123456789012")));
    }

    #[test]
    fn success_names_the_session() {
        let body = success_body("arn:aws:sts::1:assumed-role/AppRole/s1", "1");
        assert!(body.contains("<UserId>AROASTSDOUBLE00000000:s1</UserId>"));
        assert!(body.contains("<Account>1</Account>"));
    }
}
