//! auth_awsiam_proxy: a local MySQL proxy that logs in to the server with this machine's
//! AWS identity (issue 19), so that any driver connects with no code change and no
//! password: to `localhost`, as the MySQL user (an IAM role's account).
//!
//!   auth_awsiam_proxy --server db1.example.com:3306 --ssl-ca /etc/mysql/ca.pem \
//!       [--socket /run/auth_awsiam/mysql.sock] [--listen 127.0.0.1:3306] [--user AppRole] \
//!       [--token-users AppRole]
//!
//! Whoever can connect to the proxy logs in with its AWS identity: it listens on loopback
//! or a Unix socket only.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use auth_awsiam_proxy::server::{self, Listeners};
use auth_awsiam_proxy::session::Settings;
use auth_awsiam_proxy::signer::{Aws, Signer};
use auth_awsiam_proxy::{logger, tls};

#[derive(Parser, Debug)]
#[command(
    name = "auth_awsiam_proxy",
    version,
    about = "A local MySQL proxy that logs in with this machine's AWS identity"
)]
struct Args {
    /// The MySQL server, HOST:PORT. HOST is the name its certificate must carry.
    #[arg(long)]
    server: String,
    /// The CA certificates (PEM) that signed the server's certificate (default: the
    /// system's trust store).
    #[arg(long)]
    ssl_ca: Option<PathBuf>,
    /// Where to listen for clients over TCP: a loopback address only. Default:
    /// 127.0.0.1:3306 when there is no --socket; with --socket, no TCP unless given (a
    /// loopback port is open to every local user, the socket only to its group).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// A Unix socket to listen on (mode 0660: the proxy's user and group).
    #[arg(long)]
    socket: Option<PathBuf>,
    /// The socket's group (a name in /etc/group, or a number): whose members may connect
    /// (default: the proxy's group).
    #[arg(long, requires = "socket")]
    socket_group: Option<String>,
    /// The MySQL user to log in as, whatever the client sends.
    #[arg(long)]
    user: Option<String>,
    /// The MySQL users (comma-separated) the proxy may send a token to, for accounts
    /// IDENTIFIED WITH auth_awsiam. The server asks for a token as it asks for any
    /// cleartext password (PAM and LDAP accounts too), so the proxy cannot tell an
    /// auth_awsiam account by the request: it sends none to a user not named here.
    /// Challenge accounts need no naming: their request is auth_awsiam's own.
    #[arg(long, value_delimiter = ',')]
    token_users: Vec<String>,
    /// The AWS region of the STS host tokens are signed for (default: AWS_REGION, else the
    /// AWS configuration's).
    #[arg(long)]
    region: Option<String>,
    /// The server's auth_awsiam_sts_endpoint, when it has one: tokens are signed for it.
    #[arg(long)]
    sts_endpoint: Option<String>,
    /// The server's auth_awsiam_server_id, when it has one.
    #[arg(long)]
    server_id: Option<String>,
    /// The AWS profile (default: AWS_PROFILE, else the default chain).
    #[arg(long)]
    profile: Option<String>,
    /// Where to answer HTTP health probes (200 while up, 503 while stopping), on any
    /// address: probes here never reach the server. A probe that opens the MySQL port
    /// instead counts against this host's max_connect_errors at the server.
    #[arg(long)]
    health_listen: Option<SocketAddr>,
    /// Most client connections open at once.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Seconds for a whole login (the client's packets and the server's).
    #[arg(long, default_value_t = 30)]
    handshake_timeout: u64,
    /// Seconds with nothing either way before a session is closed (0: never).
    #[arg(long, default_value_t = 0)]
    idle_timeout: u64,
    /// Seconds the open sessions get to finish after SIGTERM.
    #[arg(long, default_value_t = 30)]
    drain_timeout: u64,
}

fn main() -> ExitCode {
    logger::install();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let (host, port) = split_server(&args.server)?;
    let listen = match (args.listen, &args.socket) {
        (Some(addr), _) => Some(addr),
        (None, None) => Some(SocketAddr::from(([127, 0, 0, 1], 3306))),
        (None, Some(_)) => None,
    };
    if let Some(addr) = listen
        && !addr.ip().is_loopback()
    {
        return Err(format!(
            "--listen {addr}: not a loopback address. Whoever can connect logs in with this machine's AWS identity: listen on loopback or a Unix socket"
        ));
    }
    let default_region = match &args.region {
        Some(r) => r.clone(),
        None => std::env::var("AWS_REGION")
            .ok()
            .or_else(auth_awsiam_core::credentials::local_region)
            .ok_or("no AWS region: give --region or set AWS_REGION")?,
    };
    let group = args.socket_group.as_deref().map(group_id).transpose()?;
    let tls = tls::client_config(args.ssl_ca.as_deref())?;
    let listeners = Listeners {
        tcp: match listen {
            Some(addr) => {
                Some(TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?)
            }
            None => None,
        },
        unix: match &args.socket {
            Some(path) => Some(bind_socket(path, group)?),
            None => None,
        },
    };
    let settings = Arc::new(Settings {
        host: host.clone(),
        port,
        tls,
        user: args.user.clone(),
        connect_timeout: Duration::from_secs(10),
        handshake_timeout: Duration::from_secs(args.handshake_timeout.max(1)),
        idle_timeout: (args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout)),
        token_users: args.token_users.clone(),
        signer: Signer::new(
            Aws {
                region: args.region.clone(),
                sts_endpoint: args.sts_endpoint.clone(),
                server_id: args.server_id.clone(),
                profile: args.profile.clone(),
            },
            default_region,
        )?,
    });
    if let Some(addr) = args.health_listen {
        let bound = auth_awsiam_proxy::health::serve(addr, server::stopping)
            .map_err(|e| format!("cannot listen for health probes on {e}"))?;
        log::info!("health probes: http://{bound}/");
    }
    settings.signer.learn_identity();
    server::install_signals();
    log::info!(
        "auth_awsiam_proxy {}: {}{} -> {host}:{port} (TLS, certificate and name verified)",
        env!("CARGO_PKG_VERSION"),
        // The address bound: with port 0 in --listen, the one the system chose.
        listeners
            .tcp
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map_or(String::new(), |a| a.to_string()),
        args.socket
            .as_ref()
            .map_or(String::new(), |p| format!(" {}", p.display())),
    );
    let result = server::run(
        listeners,
        settings,
        args.max_connections,
        Duration::from_secs(args.drain_timeout),
    );
    if let Some(path) = &args.socket {
        let _ = std::fs::remove_file(path);
    }
    result.map_err(|e| e.to_string())
}

/// HOST:PORT, [V6]:PORT.
fn split_server(s: &str) -> Result<(String, u16), String> {
    let bad = || format!("--server wants HOST:PORT, got '{s}'");
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse::<u16>().map_err(|_| bad())?;
    let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // An IPv6 address, in brackets as in a URL.
        Some(v6) if v6.parse::<IpAddr>().is_ok_and(|a| a.is_ipv6()) => v6,
        Some(_) => return Err(bad()),
        None if host.is_empty() || host.contains(':') => return Err(bad()),
        None => host,
    };
    Ok((host.to_string(), port))
}

/// Listens on a Unix socket at `path` that is never, not for a moment, open to more than
/// its user and `group`: made in a directory only the proxy can enter, given its mode and
/// group there, then linked into place (the process's umask plays no part; a file already
/// at `path` is kept and the proxy does not start).
fn bind_socket(path: &Path, group: Option<u32>) -> Result<UnixListener, String> {
    let shown = |e: std::io::Error| format!("cannot listen on {}: {e}", path.display());
    // A socket left by a proxy that did not stop cleanly; anything else is kept.
    if std::fs::symlink_metadata(path).is_ok_and(|m| {
        use std::os::unix::fs::FileTypeExt;
        m.file_type().is_socket()
    }) {
        let _ = std::fs::remove_file(path);
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let private = parent.join(format!(".auth_awsiam_proxy.{}", std::process::id()));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&private)
        .map_err(shown)?;
    let made = private.join("socket");
    let bound = UnixListener::bind(&made)
        .and_then(|l| {
            std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o660))?;
            std::os::unix::fs::chown(&made, None, group)?;
            std::fs::hard_link(&made, path)?;
            Ok(l)
        })
        .map_err(shown);
    let _ = std::fs::remove_file(&made);
    let _ = std::fs::remove_dir(&private);
    bound
}

/// A group's ID, from a number or a name in /etc/group.
fn group_id(group: &str) -> Result<u32, String> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
    groups
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let gid = fields.nth(1)?.parse::<u32>().ok()?;
            (name == group).then_some(gid)
        })
        .next()
        .ok_or_else(|| {
            format!("--socket-group {group}: no such group in /etc/group (give its number)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn the_server_is_host_and_port() {
        assert_eq!(
            split_server("db1.example.com:3306").unwrap(),
            ("db1.example.com".into(), 3306)
        );
        assert_eq!(split_server("[::1]:3306").unwrap(), ("::1".into(), 3306));
        for bad in ["db1", "db1:x", ":3306", "db1:70000", "::1:3306"] {
            assert!(split_server(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_socket_is_its_user_and_groups_only() {
        let dir = std::env::temp_dir().join(format!("proxy-socket-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mysql.sock");
        let own_group = std::fs::metadata(&dir).unwrap().gid();
        let listener = bind_socket(&path, Some(own_group)).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o660);
        assert_eq!(meta.gid(), own_group);
        // Nothing left of where it was made, and clients reach it by its name.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::os::unix::net::UnixStream::connect(&path).unwrap();
        assert!(listener.accept().is_ok());
        // A second proxy on the same path replaces a stale socket, never a file.
        drop(listener);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "not a socket").unwrap();
        assert!(bind_socket(&path, None).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a socket");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_group_is_a_number_or_a_name() {
        assert_eq!(group_id("4242").unwrap(), 4242);
        assert_eq!(group_id("root").unwrap(), 0);
        let e = group_id("no-such-group-here").unwrap_err();
        assert!(e.contains("give its number"), "{e}");
    }
}
