//! Where the logins go and what one login is: connect, `SELECT 1`, close.

use std::path::PathBuf;
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, SslOpts};

/// The server's largest packet, given up front: without it the client library asks the
/// server with an extra query on every connection, which is not part of a login.
const MAX_ALLOWED_PACKET: usize = 64 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a client reaches the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// The Unix socket (secure transport for the server: no TLS needed).
    Socket(PathBuf),
    /// TCP with TLS, the server certificate checked against `ca` (its name is not: the
    /// server's auto-generated certificate names no host).
    TcpTls {
        host: String,
        port: u16,
        ca: PathBuf,
    },
}

impl Transport {
    pub fn label(&self) -> &'static str {
        match self {
            Transport::Socket(_) => "socket",
            Transport::TcpTls { .. } => "tcp+tls",
        }
    }
}

/// Everything but the password, which changes per login when tokens are fresh.
#[derive(Clone)]
pub struct Target {
    base: Opts,
}

impl Target {
    pub fn new(transport: &Transport, user: &str) -> Target {
        let builder = OptsBuilder::new()
            .user(Some(user))
            .max_allowed_packet(Some(MAX_ALLOWED_PACKET))
            // Never swap a TCP connection for the socket behind the caller's back.
            .prefer_socket(false)
            // auth_awsiam asks for mysql_clear_password; a token is not a secret beyond its
            // short life, and the transport is a socket or TLS (the server insists).
            .enable_cleartext_plugin(true)
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT));
        let builder = match transport {
            Transport::Socket(path) => builder.socket(Some(path.to_string_lossy())),
            Transport::TcpTls { host, port, ca } => builder
                .ip_or_hostname(Some(host.clone()))
                .tcp_port(*port)
                .ssl_opts(Some(
                    SslOpts::default()
                        .with_root_cert_path(Some(ca.clone()))
                        .with_danger_skip_domain_validation(true),
                )),
        };
        Target {
            base: builder.into(),
        }
    }

    /// One login as the benchmark counts it: connect (handshake and authentication),
    /// `SELECT 1` (the session works), close.
    pub fn login(&self, password: &str) -> Result<(), String> {
        let opts = OptsBuilder::from_opts(self.base.clone()).pass(Some(password));
        let mut conn = Conn::new(opts).map_err(|e| e.to_string())?;
        match conn.query_first::<u8, _>("SELECT 1") {
            Ok(Some(1)) => Ok(()),
            Ok(other) => Err(format!("SELECT 1 returned {other:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A session for statements of the benchmark itself (settings, counters).
    pub fn session(&self, password: &str) -> Result<Conn, String> {
        let opts = OptsBuilder::from_opts(self.base.clone()).pass(Some(password));
        Conn::new(opts).map_err(|e| e.to_string())
    }
}
