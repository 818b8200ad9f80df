//! Where the logins go and what one login is: connect, `SELECT 1`, close.

use std::ffi::CString;
use std::path::PathBuf;
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, SslOpts};

use crate::ffi::{self, ConnectArgs, LibMysql, MysqlOption, OptValue};

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

/// How a login's first packet answers the server, with `libmysqlclient`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstAnswer {
    /// For the server's default plugin (caching_sha2_password), as a client does by
    /// default; an account of another plugin then costs an auth switch (one more round
    /// trip), as with `mysql --enable-cleartext-plugin`.
    ServerDefault,
    /// The token itself, for mysql_clear_password, as `mysql --enable-cleartext-plugin
    /// --default-auth=mysql_clear_password` sends it: no auth switch for auth_awsiam.
    Cleartext,
}

/// A login through `libmysqlclient`: everything but the password, as C strings.
#[derive(Clone)]
struct LibTarget {
    lib: &'static LibMysql,
    host: Option<CString>,
    port: u32,
    socket: Option<CString>,
    ca: Option<CString>,
    user: CString,
    plugin_dir: Option<CString>,
    first: FirstAnswer,
}

#[derive(Clone)]
enum Client {
    /// The Rust `mysql` crate, which always answers first for caching_sha2_password.
    Rust(Opts),
    Lib(Box<LibTarget>),
}

/// Everything but the password, which changes per login when tokens are fresh.
#[derive(Clone)]
pub struct Target {
    client: Client,
}

fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

impl Target {
    /// A login through `libmysqlclient` (loaded from `lib`), answering first as `first`
    /// says; `plugin_dir` is where it finds client plugins (else its default).
    pub fn lib(
        lib: &'static LibMysql,
        transport: &Transport,
        user: &str,
        first: FirstAnswer,
        plugin_dir: Option<&str>,
    ) -> Target {
        let (mut host, mut port, mut socket, mut ca) = (None, 0, None, None);
        match transport {
            Transport::Socket(path) => socket = Some(c_string(&path.to_string_lossy())),
            Transport::TcpTls {
                host: h,
                port: p,
                ca: c,
            } => {
                host = Some(c_string(h));
                port = u32::from(*p);
                ca = Some(c_string(&c.to_string_lossy()));
            }
        }
        Target {
            client: Client::Lib(Box::new(LibTarget {
                lib,
                host,
                port,
                socket,
                ca,
                user: c_string(user),
                plugin_dir: plugin_dir.map(c_string),
                first,
            })),
        }
    }

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
            client: Client::Rust(builder.into()),
        }
    }

    /// One login as the benchmark counts it: connect (handshake and authentication),
    /// `SELECT 1` (the session works), close.
    pub fn login(&self, password: &str) -> Result<(), String> {
        let base = match &self.client {
            Client::Rust(base) => base,
            Client::Lib(t) => return t.login(password),
        };
        let opts = OptsBuilder::from_opts(base.clone()).pass(Some(password));
        let mut conn = Conn::new(opts).map_err(|e| e.to_string())?;
        match conn.query_first::<u8, _>("SELECT 1") {
            Ok(Some(1)) => Ok(()),
            Ok(other) => Err(format!("SELECT 1 returned {other:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A session for statements of the benchmark itself (settings, counters), over the
    /// Rust client.
    pub fn session(&self, password: &str) -> Result<Conn, String> {
        let Client::Rust(base) = &self.client else {
            return Err("admin sessions use the Rust client".into());
        };
        let opts = OptsBuilder::from_opts(base.clone()).pass(Some(password));
        Conn::new(opts).map_err(|e| e.to_string())
    }
}

impl LibTarget {
    fn login(&self, password: &str) -> Result<(), String> {
        let password = c_string(password);
        let mut options = vec![(
            MysqlOption::ConnectTimeout,
            OptValue::Uint(CONNECT_TIMEOUT.as_secs() as u32),
        )];
        match &self.ca {
            Some(ca) => options.extend([
                (MysqlOption::Protocol, OptValue::Uint(ffi::PROTOCOL_TCP)),
                (
                    MysqlOption::SslMode,
                    OptValue::Uint(ffi::SSL_MODE_VERIFY_CA),
                ),
                (MysqlOption::SslCa, OptValue::Str(ca)),
            ]),
            None => options.push((MysqlOption::Protocol, OptValue::Uint(ffi::PROTOCOL_SOCKET))),
        }
        // auth_awsiam asks for mysql_clear_password; the transport is a socket or TLS.
        options.push((MysqlOption::EnableCleartextPlugin, OptValue::Bool(true)));
        match self.first {
            FirstAnswer::ServerDefault => {}
            FirstAnswer::Cleartext => options.push((
                MysqlOption::DefaultAuth,
                OptValue::Str(c"mysql_clear_password"),
            )),
        }
        if let Some(dir) = &self.plugin_dir {
            options.push((MysqlOption::PluginDir, OptValue::Str(dir)));
        }
        self.lib.login(&ConnectArgs {
            host: self.host.as_deref(),
            port: self.port,
            socket: self.socket.as_deref(),
            user: &self.user,
            password: &password,
            options: &options,
        })
    }
}
