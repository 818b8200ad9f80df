//! One client connection: dial the server, greet the client in its place, read who the
//! client is, log in at the server as that user with the machine's AWS identity, hand the
//! client the server's verdict, then relay. One log line per login, never a token.

use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::deadline::Bounded;
use crate::handshake::{ChangeUser, Greeting, Response};
use crate::local::Local;
use crate::login::{self, Answers, Outcome};
use crate::relay;
use crate::signer::Signer;
use crate::wire::{self, Packet};

/// What every session shares.
pub struct Settings {
    /// The server as given (`host:port`): the host is the name its certificate must
    /// carry, and with the port the audience a challenge answer is signed for.
    pub host: String,
    pub port: u16,
    pub tls: Arc<ClientConfig>,
    /// The MySQL user to log in as, whatever the client sends.
    pub user: Option<String>,
    /// The users a token may go to (`--token-users`).
    pub token_users: Vec<String>,
    pub connect_timeout: Duration,
    /// Bound on the whole login, the client's packets and the server's (not on each
    /// read: `deadline.rs`).
    pub handshake_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    pub signer: Signer,
}

/// `ER_HANDSHAKE_ERROR` and `ER_ACCESS_DENIED_ERROR`, for refusals the proxy makes itself.
const ER_HANDSHAKE_ERROR: u16 = 1043;
const ER_ACCESS_DENIED_ERROR: u16 = 1045;

/// Serves one client until it leaves.
pub fn serve(mut client: Local, settings: Arc<Settings>) {
    let started = Instant::now();
    let peer = client.peer();
    match login(&mut client, &settings) {
        Ok(Session {
            user,
            arn,
            server,
            tls,
            again,
            ok: (seq, ok),
        }) => {
            log::info!(
                "{peer}: logged in as {user:?} at {}:{} {} ({} ms)",
                settings.host,
                settings.port,
                with_identity(arn.as_deref()),
                started.elapsed().as_millis()
            );
            // The login's bounds end with it: a busy server may stop reading for long.
            let ready = client
                .set_read_timeout(None)
                .and_then(|()| client.set_write_timeout(None))
                .and_then(|()| server.set_read_timeout(None))
                .and_then(|()| server.set_write_timeout(None))
                .and_then(|()| wire::write_packet(&mut client, seq, &ok));
            if let Err(e) = ready {
                log::warn!("{peer} ({user:?}): client: {e}");
                return;
            }
            let (idle, step) = (settings.idle_timeout, settings.handshake_timeout);
            let again = Arc::new(LoginAgain {
                peer: peer.clone(),
                ..again
            });
            match relay::run(client, server, tls, idle, again, step) {
                relay::End::Closed => {}
                relay::End::Idle => log::info!("{peer} ({user:?}): closed, idle"),
                relay::End::Failed(e) => log::warn!("{peer} ({user:?}): {e}"),
            }
        }
        Err(Refusal {
            user,
            reason,
            reply,
        }) => {
            log::warn!("{peer}: login as {user:?} refused: {reason}");
            if let Some((seq, packet)) = reply {
                let _ = wire::write_packet(&mut client, seq, &packet);
            }
        }
    }
}

/// A logged-in session, ready to relay.
struct Session {
    user: String,
    /// The AWS identity the login was signed with, if known (`identity.rs`).
    arn: Option<String>,
    server: TcpStream,
    tls: ClientConnection,
    again: LoginAgain,
    /// The server's OK, and its sequence number for the client.
    ok: (u8, Vec<u8>),
}

/// What a change of user needs: the session's settings, the client's capabilities (to
/// read its command), the server connection's (to write ours), the certificate (for a
/// challenge answer's channel).
struct LoginAgain {
    settings: Arc<Settings>,
    peer: String,
    client_capabilities: u32,
    server_capabilities: u32,
    certificate: Vec<u8>,
}

impl relay::Reauth for LoginAgain {
    fn change_user(
        &self,
        payload: &[u8],
        mut server: &mut dyn relay::ReadWrite,
    ) -> Result<Vec<u8>, String> {
        let s = &self.settings;
        let command = ChangeUser::parse(payload, self.client_capabilities).map_err(|e| e.0)?;
        let user = match &s.user {
            Some(u) => u.clone(),
            None => String::from_utf8_lossy(&command.user).into_owned(),
        };
        let to_server = command.to_server(user.as_bytes(), self.server_capabilities);
        wire::write_packet(&mut server, 0, &to_server).map_err(|e| format!("server: {e}"))?;
        let mut answers =
            s.signer
                .for_server(&s.host, s.port, &self.certificate, &user, &s.token_users);
        let peer = &self.peer;
        match login::complete(&mut server, &mut answers as &mut dyn Answers) {
            Ok(Outcome::Ok(ok)) => {
                log::info!(
                    "{peer}: changed user to {user:?} at {}:{} {}",
                    s.host,
                    s.port,
                    with_identity(answers.arn().as_deref())
                );
                Ok(ok)
            }
            Ok(Outcome::Refused(err)) => {
                let why = error_text(&err);
                log::warn!("{peer}: change of user to {user:?} refused: the server refused: {why}");
                Ok(err)
            }
            Err(e) => {
                log::warn!("{peer}: change of user to {user:?} refused: {e}");
                let message = format!("auth_awsiam_proxy: {e}");
                Ok(error_packet(ER_ACCESS_DENIED_ERROR, &message))
            }
        }
    }
}

/// A login that did not happen: who, why (for the log), and what the client gets, with
/// its sequence number (none when the client is gone).
struct Refusal {
    user: String,
    reason: String,
    reply: Option<(u8, Vec<u8>)>,
}

impl Refusal {
    /// Refused before the client could be told anything (it is gone, or silent).
    fn quiet(user: &str, reason: String) -> Refusal {
        Refusal {
            user: user.to_string(),
            reason,
            reply: None,
        }
    }

    /// Refused with an error of the proxy's own for the client.
    fn told(user: &str, reason: String, seq: u8, code: u16, message: &str) -> Refusal {
        Refusal {
            user: user.to_string(),
            reason,
            reply: Some((seq, error_packet(code, message))),
        }
    }
}

/// Logs in at the server for this client; on success the relay's parts and the server's
/// OK for the client. Sends the client nothing final: `serve` logs first, then answers,
/// so the log line of a login always comes before anything the client does next.
fn login(client: &mut Local, s: &Arc<Settings>) -> Result<Session, Refusal> {
    let ours = |e: &str| format!("auth_awsiam_proxy: {e}");
    let until = Instant::now() + s.handshake_timeout;
    let server =
        dial(s).map_err(|e| Refusal::told("?", e.clone(), 0, ER_HANDSHAKE_ERROR, &ours(&e)))?;
    let mut server = Bounded::new(server, until);
    let mut client = Bounded::new(client, until);
    let greeting = wire::read_packet(&mut server)
        .map_err(|e| Refusal::quiet("?", format!("no greeting from the server: {e}")))?;
    if greeting.payload.first() == Some(&0xFF) {
        // The server refused the connection itself (too many, host blocked): say so.
        return Err(Refusal {
            user: "?".into(),
            reason: format!(
                "the server refused the connection: {}",
                error_text(&greeting.payload)
            ),
            reply: Some((0, greeting.payload)),
        });
    }
    let greeting = Greeting::parse(&greeting.payload).map_err(|e| Refusal::quiet("?", e.0))?;
    let scramble: [u8; 20] = rand_scramble();
    wire::write_packet(&mut client, 0, &greeting.for_client(&scramble))
        .map_err(|e| Refusal::quiet("?", format!("client: {e}")))?;
    let Packet { seq, payload } = wire::read_packet(&mut client).map_err(|e| {
        let reason = if e.kind() == io::ErrorKind::UnexpectedEof {
            // The usual prober: harmless here, but not at the server (health.rs).
            "the client left before logging in; the server counts this against the proxy's host (max_connect_errors): point health probes at --health-listen".to_string()
        } else {
            format!("client: {e}")
        };
        Refusal::quiet("?", reason)
    })?;
    let reply_seq = seq.wrapping_add(1);
    let response = match Response::parse(&payload) {
        Ok(r) if r.ssl_request => {
            return Err(Refusal::told(
                "?",
                "the client asked for TLS".into(),
                reply_seq,
                ER_HANDSHAKE_ERROR,
                "auth_awsiam_proxy offers no TLS to its clients: it listens on loopback or a local socket; connect without TLS (--ssl-mode=DISABLED or PREFERRED)",
            ));
        }
        Ok(r) => r,
        Err(e) => {
            return Err(Refusal::told(
                "?",
                e.0.clone(),
                reply_seq,
                ER_HANDSHAKE_ERROR,
                &ours(&e.0),
            ));
        }
    };
    let user = match &s.user {
        Some(u) => u.clone(),
        None => String::from_utf8_lossy(&response.user).into_owned(),
    };
    if user.is_empty() {
        return Err(Refusal::told(
            "",
            "no user".into(),
            reply_seq,
            ER_ACCESS_DENIED_ERROR,
            "auth_awsiam_proxy: no user: connect with -u ROLE, or start the proxy with --user",
        ));
    }

    // The server: TLS first, verified; only then the login, in the client's name.
    let mut stream = start_tls(server, &response, &greeting, s)
        .map_err(|e| Refusal::told(&user, e.clone(), reply_seq, ER_HANDSHAKE_ERROR, &ours(&e)))?;
    let certificate = stream
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec())
        .unwrap_or_default();
    let sent = wire::write_packet(
        &mut stream,
        2,
        &response.to_server(&greeting, user.as_bytes(), true),
    );
    let mut answers = s
        .signer
        .for_server(&s.host, s.port, &certificate, &user, &s.token_users);
    let outcome = sent
        .map_err(|e| login::Failure::Io(e.to_string()))
        .and_then(|()| login::complete(&mut stream, &mut answers as &mut dyn Answers));
    let arn = answers.arn();
    match outcome {
        Ok(Outcome::Ok(ok)) => {
            let StreamOwned { conn, sock } = stream;
            let again = LoginAgain {
                settings: Arc::clone(s),
                peer: String::new(),
                client_capabilities: response.capabilities,
                server_capabilities: response.negotiated(&greeting),
                certificate,
            };
            Ok(Session {
                user,
                arn,
                server: sock.inner,
                tls: conn,
                again,
                ok: (reply_seq, ok),
            })
        }
        Ok(Outcome::Refused(err)) => Err(Refusal {
            reason: format!("the server refused: {}", error_text(&err)),
            user,
            reply: Some((reply_seq, err)),
        }),
        Err(e) => {
            let e = e.to_string();
            Err(Refusal::told(
                &user,
                e.clone(),
                reply_seq,
                ER_ACCESS_DENIED_ERROR,
                &ours(&e),
            ))
        }
    }
}

fn dial(s: &Settings) -> Result<TcpStream, String> {
    use std::net::ToSocketAddrs;
    let addrs = (s.host.as_str(), s.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", s.host))?;
    let mut last = format!("{} resolves to no address", s.host);
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, s.connect_timeout) {
            Ok(t) => {
                t.set_read_timeout(Some(s.handshake_timeout))
                    .and_then(|()| t.set_write_timeout(Some(s.handshake_timeout)))
                    .map_err(|e| e.to_string())?;
                let _ = t.set_nodelay(true);
                return Ok(t);
            }
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

/// The SSLRequest, then the TLS handshake with the certificate and name checked.
fn start_tls(
    mut server: Bounded<TcpStream>,
    response: &Response,
    greeting: &Greeting,
    s: &Settings,
) -> Result<StreamOwned<ClientConnection, Bounded<TcpStream>>, String> {
    if greeting.capabilities & crate::handshake::caps::SSL == 0 {
        return Err(format!(
            "the server {}:{} offers no TLS, and a token or a challenge answer goes only to a server whose certificate was verified",
            s.host, s.port
        ));
    }
    wire::write_packet(&mut server, 1, &response.ssl_request_to_server(greeting))
        .map_err(|e| format!("server: {e}"))?;
    let mut conn = crate::tls::connection(&s.tls, &s.host)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut server)
            .map_err(|e| format!("TLS with {}:{}: {e}", s.host, s.port))?;
    }
    Ok(StreamOwned::new(conn, server))
}

/// The log's words for the AWS identity a login was signed with.
fn with_identity(arn: Option<&str>) -> String {
    match arn {
        Some(arn) => format!("with {arn}"),
        None => "with an AWS identity not known yet".to_string(),
    }
}

/// An ERR packet of the proxy's own: a refused login (SQLSTATE 28000, as the server's).
fn error_packet(code: u16, message: &str) -> Vec<u8> {
    wire::error_packet(code, b"28000", message)
}

/// The message of a server's ERR packet, for the log.
fn error_text(err: &[u8]) -> String {
    let text = err.get(9..).unwrap_or_default();
    let code = err
        .get(1..3)
        .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
    format!("{code} {}", String::from_utf8_lossy(text))
}

/// A scramble for a client password the proxy does not check: it need not be secret, only
/// well-formed (printable, no NUL), but it differs per connection as the server's would.
fn rand_scramble() -> [u8; 20] {
    let mut out = [0u8; 20];
    let _ = getrandom_fill(&mut out);
    for b in &mut out {
        *b = b'!' + (*b % 94);
    }
    out
}

fn getrandom_fill(buf: &mut [u8]) -> io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}
