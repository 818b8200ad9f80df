//! The proxy's login at the server, after its handshake response: the server switches to
//! the account's plugin and the proxy answers it, `auth_awsiam` with a token (the
//! cleartext plugin) and `auth_awsiam_challenge` with a signed answer, until the server
//! says OK or ERR. Nothing signed goes out before the server asked for that plugin, and
//! only over a connection the caller has already verified (`session.rs` dials).

use std::io::{Read, Write};

use crate::wire::{self, Malformed, Packet, Reader};

/// The client plugin an `auth_awsiam` account switches to: the token goes as the password.
pub const CLEARTEXT: &[u8] = b"mysql_clear_password";
/// The client plugin an `auth_awsiam_challenge` account switches to, with its challenge.
pub const CHALLENGE: &[u8] = b"auth_awsiam_client";
/// Auth switches one login may take: the server's switch to the account's plugin, and one
/// more (a server that keeps switching is not one the proxy logs in to).
pub const MAX_SWITCHES: usize = 2;

const OK: u8 = 0x00;
const MORE_DATA: u8 = 0x01;
const SWITCH: u8 = 0xFE;
const ERR: u8 = 0xFF;

/// What the proxy signs, given the server's request.
pub trait Answers {
    /// The password of an `auth_awsiam` account: a token (reused within its life).
    fn token(&mut self) -> Result<String, String>;
    /// The answer to an `auth_awsiam_challenge` challenge.
    fn challenge(&mut self, challenge: &[u8]) -> Result<String, String>;
}

/// How a login ended at the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server's OK packet, for the client.
    Ok(Vec<u8>),
    /// The server's ERR packet, for the client.
    Refused(Vec<u8>),
}

/// Why the proxy gave up on a login (the server's connection is then closed).
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    Io(String),
    Protocol(String),
    /// The account's plugin is none the proxy answers.
    Plugin(String),
    /// Nothing to answer with (no credentials, an untrusted challenge...).
    Answer(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Io(m) => write!(f, "the connection to the server failed: {m}"),
            Failure::Protocol(m) => write!(f, "the server's reply cannot be read: {m}"),
            Failure::Plugin(m) => f.write_str(m),
            Failure::Answer(m) => f.write_str(m),
        }
    }
}

impl From<Malformed> for Failure {
    fn from(m: Malformed) -> Failure {
        Failure::Protocol(m.0)
    }
}

/// Reads the server's replies to the proxy's handshake response, answers its auth
/// switches (each reply numbered after the packet it answers), and returns the outcome.
pub fn complete(
    server: &mut (impl Read + Write),
    answers: &mut dyn Answers,
) -> Result<Outcome, Failure> {
    let mut switches = 0;
    loop {
        let Packet { seq, payload } =
            wire::read_packet(server).map_err(|e| Failure::Io(e.to_string()))?;
        match payload.first() {
            Some(&OK) => return Ok(Outcome::Ok(payload)),
            Some(&ERR) => return Ok(Outcome::Refused(payload)),
            Some(&SWITCH) if switches < MAX_SWITCHES => {
                switches += 1;
                let mut r = Reader::new(&payload[1..]);
                let plugin = r.nul_str("auth switch: plugin name")?;
                let data = r.rest();
                let reply = answer(plugin, data, answers)?;
                wire::write_packet(server, seq.wrapping_add(1), &reply)
                    .map_err(|e| Failure::Io(e.to_string()))?;
            }
            Some(&SWITCH) => {
                return Err(Failure::Protocol(format!(
                    "the server switched plugins more than {MAX_SWITCHES} times"
                )));
            }
            Some(&MORE_DATA) => {
                return Err(Failure::Protocol(
                    "the server asked for more authentication data, which neither auth_awsiam nor auth_awsiam_challenge does".into(),
                ));
            }
            _ => return Err(Failure::Protocol("an empty or unknown reply".into())),
        }
    }
}

/// The reply to a switch to `plugin` with its `data`.
fn answer(plugin: &[u8], data: &[u8], answers: &mut dyn Answers) -> Result<Vec<u8>, Failure> {
    if plugin == CLEARTEXT {
        let mut token = answers.token().map_err(Failure::Answer)?.into_bytes();
        // As libmysqlclient's cleartext plugin sends a password: NUL-terminated.
        token.push(0);
        Ok(token)
    } else if plugin == CHALLENGE {
        // The challenge is the switch's data, less a trailing NUL if the server added one.
        let challenge = data.strip_suffix(&[0]).unwrap_or(data);
        Ok(answers
            .challenge(challenge)
            .map_err(Failure::Answer)?
            .into_bytes())
    } else {
        Err(Failure::Plugin(format!(
            "the account logs in with the plugin {}: the proxy logs in only to accounts IDENTIFIED WITH auth_awsiam or auth_awsiam_challenge",
            String::from_utf8_lossy(&plugin[..plugin.len().min(64)])
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A server that replies with `replies` and keeps what the proxy sends it.
    struct Server {
        replies: Cursor<Vec<u8>>,
        sent: Vec<u8>,
    }

    impl Server {
        fn new(packets: &[(u8, &[u8])]) -> Server {
            let mut replies = Vec::new();
            for (seq, p) in packets {
                wire::write_packet(&mut replies, *seq, p).unwrap();
            }
            Server {
                replies: Cursor::new(replies),
                sent: Vec::new(),
            }
        }

        fn sent_packets(&self) -> Vec<Packet> {
            let mut r = self.sent.as_slice();
            let mut out = Vec::new();
            while !r.is_empty() {
                out.push(wire::read_packet(&mut r).unwrap());
            }
            out
        }
    }

    impl Read for Server {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.replies.read(buf)
        }
    }

    impl Write for Server {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.sent.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[derive(Default)]
    struct Signer {
        tokens: usize,
        challenges: Vec<Vec<u8>>,
    }

    impl Answers for Signer {
        fn token(&mut self) -> Result<String, String> {
            self.tokens += 1;
            Ok("awsiam1.token".into())
        }
        fn challenge(&mut self, challenge: &[u8]) -> Result<String, String> {
            self.challenges.push(challenge.to_vec());
            Ok("awsiamc2.answer".into())
        }
    }

    #[test]
    fn a_token_for_auth_awsiam_and_the_servers_ok() {
        let mut s = Server::new(&[
            (2, b"\xFEmysql_clear_password\0"),
            (4, b"\x00\x00\x00\x02\x00\x00\x00"),
        ]);
        let mut signer = Signer::default();
        let out = complete(&mut s, &mut signer).unwrap();
        assert_eq!(out, Outcome::Ok(b"\x00\x00\x00\x02\x00\x00\x00".to_vec()));
        let sent = s.sent_packets();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (sent[0].seq, sent[0].payload.as_slice()),
            (3, &b"awsiam1.token\0"[..])
        );
        assert_eq!(signer.tokens, 1);
    }

    #[test]
    fn a_challenge_answer_for_auth_awsiam_challenge() {
        let mut s = Server::new(&[
            (2, b"\xFEauth_awsiam_client\0awsiam-challenge/2\nnonce=x\n"),
            (4, b"\x00"),
        ]);
        let mut signer = Signer::default();
        assert!(matches!(complete(&mut s, &mut signer), Ok(Outcome::Ok(_))));
        assert_eq!(
            signer.challenges,
            vec![b"awsiam-challenge/2\nnonce=x\n".to_vec()]
        );
        assert_eq!(s.sent_packets()[0].payload, b"awsiamc2.answer");
        assert_eq!(signer.tokens, 0, "no token for a challenge account");
    }

    #[test]
    fn the_servers_refusal_is_handed_on() {
        let err = b"\xFF\x15\x04#28000Access denied for user 'AppRole'@'localhost'";
        let mut s = Server::new(&[(2, b"\xFEmysql_clear_password\0"), (4, err)]);
        let out = complete(&mut s, &mut Signer::default()).unwrap();
        assert_eq!(out, Outcome::Refused(err.to_vec()));
    }

    #[test]
    fn nothing_is_signed_for_another_plugin() {
        let mut s = Server::new(&[(2, b"\xFEcaching_sha2_password\0scramble\0")]);
        let mut signer = Signer::default();
        let e = complete(&mut s, &mut signer).unwrap_err();
        assert!(
            matches!(&e, Failure::Plugin(m) if m.contains("caching_sha2_password")),
            "{e:?}"
        );
        assert_eq!((signer.tokens, signer.challenges.len()), (0, 0));
        assert!(s.sent.is_empty());
    }

    #[test]
    fn a_server_that_keeps_switching_or_wants_more_is_left() {
        let switch: &[u8] = b"\xFEmysql_clear_password\0";
        let mut s = Server::new(&[(2, switch), (4, switch), (6, switch)]);
        assert!(matches!(
            complete(&mut s, &mut Signer::default()),
            Err(Failure::Protocol(_))
        ));
        let mut s = Server::new(&[(2, b"\x01\x04")]);
        assert!(matches!(
            complete(&mut s, &mut Signer::default()),
            Err(Failure::Protocol(_))
        ));
        let mut s = Server::new(&[]);
        assert!(matches!(
            complete(&mut s, &mut Signer::default()),
            Err(Failure::Io(_))
        ));
    }
}
