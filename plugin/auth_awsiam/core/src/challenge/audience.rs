//! Which audiences a challenge answer may be signed for: the names by which clients reach
//! this server. The client plugin signs the `host[:port]` it dialed, so an answer obtained
//! by a server that relays our challenge names that server, not this one. (A relay that
//! clients reach by this server's own name, through DNS or a shared host, is caught by the
//! channel binding instead: `channel.rs`.)
//!
//! `auth_awsiam_challenge_audiences`:
//! - `''` (default): this server's own names for this connection: over TCP its host name
//!   and the address the connection reached, with that port, plus `localhost` with that
//!   port when the connection arrived over loopback; over a local socket `localhost` alone;
//! - `'*'`: any audience (relay protection by name off);
//! - `'name[:port],...'`: exactly these; an entry without a port matches every port.
//!
//! Addresses are compared as addresses: `[::ffff:10.0.0.5]` is `10.0.0.5`, and IPv6
//! literals match whatever way they are written.

use std::net::{IpAddr, SocketAddr};

use crate::syntax;

/// Most entries in the setting.
pub const MAX_ENTRIES: usize = 100;
/// The name a client signs when it reaches the server over a local socket.
pub const LOCALHOST: &str = "localhost";
/// Where Linux tells the host name (no `unsafe` needed to read it).
const HOSTNAME_FILE: &str = "/proc/sys/kernel/hostname";

/// The host part of a name: an address compares as an address.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Host {
    Name(String),
    Address(IpAddr),
}

impl Host {
    fn parse(host: &str) -> Host {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        match bare.parse::<IpAddr>() {
            Ok(ip) => Host::Address(ip.to_canonical()),
            Err(_) => Host::Name(host.to_string()),
        }
    }

    fn show(&self) -> String {
        match self {
            Host::Name(n) => n.clone(),
            Host::Address(IpAddr::V4(ip)) => ip.to_string(),
            Host::Address(IpAddr::V6(ip)) => format!("[{ip}]"),
        }
    }
}

/// Which ports a name matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ports {
    /// A DBA's entry written without a port: every port.
    Any,
    /// Exactly this port, or exactly no port (a local socket's `localhost`).
    Exactly(Option<u16>),
}

/// One accepted name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerName {
    host: Host,
    ports: Ports,
}

/// `host[:port]` already syntax-checked, as a host and a port.
fn split(s: &str) -> Option<(Host, Option<u16>)> {
    if !syntax::is_authority(s) {
        return None;
    }
    let (host, port) = syntax::split_authority(s);
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((Host::parse(host), port))
}

impl ServerName {
    /// A name as a DBA or a user writes it: `host[:port]`, lowercase; without a port it
    /// names every port. (The client plugin's server lists use it too.)
    pub fn parse(s: &str) -> Option<ServerName> {
        let (host, port) = split(s)?;
        let ports = port.map_or(Ports::Any, |p| Ports::Exactly(Some(p)));
        Some(ServerName { host, ports })
    }

    /// Whether `authority` (`host[:port]`) is this name.
    pub fn names(&self, authority: &str) -> bool {
        split(authority).is_some_and(|(host, port)| self.matches(&host, port))
    }

    fn own(host: Host, port: Option<u16>) -> ServerName {
        ServerName {
            host,
            ports: Ports::Exactly(port),
        }
    }

    fn matches(&self, host: &Host, port: Option<u16>) -> bool {
        self.host == *host
            && match self.ports {
                Ports::Any => true,
                Ports::Exactly(p) => p == port,
            }
    }

    pub fn show(&self) -> String {
        let host = self.host.show();
        match self.ports {
            Ports::Exactly(Some(p)) => format!("{host}:{p}"),
            _ => host,
        }
    }
}

/// The parsed setting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Audiences {
    #[default]
    Own,
    Any,
    Listed(Vec<ServerName>),
}

/// Parses `auth_awsiam_challenge_audiences` (names are case-insensitive).
pub fn parse(value: &str) -> Result<Audiences, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(Audiences::Own);
    }
    if value == "*" {
        return Ok(Audiences::Any);
    }
    let mut entries = Vec::new();
    for item in value.split(',') {
        let item = item.trim().to_ascii_lowercase();
        let entry = ServerName::parse(&item).ok_or_else(|| {
            format!(
                "{} is not a host name or address with an optional :port",
                syntax::quoted(&item, 64)
            )
        })?;
        entries.push(entry);
    }
    if entries.len() > MAX_ENTRIES {
        return Err(format!("more than {MAX_ENTRIES} names"));
    }
    Ok(Audiences::Listed(entries))
}

/// The host name of this machine, lowercase, if it can be read.
pub fn host_name() -> Option<String> {
    std::fs::read_to_string(HOSTNAME_FILE)
        .ok()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| syntax::is_authority(h))
}

/// This server's own names for one connection. `local` is the address the connection
/// reached (TCP), `None` over a local socket. `localhost` names only connections that
/// really are local: a client that signs `localhost:3306` for a relay on its own machine
/// must not be let in by a server that is elsewhere.
fn own_names(local: Option<SocketAddr>, host_name: Option<&str>) -> Vec<ServerName> {
    let localhost = || Host::Name(LOCALHOST.into());
    let Some(addr) = local else {
        return vec![ServerName::own(localhost(), None)];
    };
    let port = Some(addr.port());
    // A dual-stack socket reports an IPv4 client's address as ::ffff:a.b.c.d.
    let ip = addr.ip().to_canonical();
    let mut names = vec![ServerName::own(Host::Address(ip), port)];
    if let Some(h) = host_name {
        names.push(ServerName::own(Host::parse(h), port));
    }
    if ip.is_loopback() {
        names.push(ServerName::own(localhost(), port));
    }
    names
}

/// Whether `audience` (already syntax-checked) names this server. The error lists what
/// would have been accepted, for the log line.
pub fn check(
    audiences: &Audiences,
    audience: &str,
    local: Option<SocketAddr>,
    host_name: Option<&str>,
) -> Result<(), String> {
    let Some((host, port)) = split(audience) else {
        return Err(format!("'{audience}' is not a host[:port]"));
    };
    let (accepted, source) = match audiences {
        Audiences::Any => return Ok(()),
        Audiences::Own => (
            own_names(local, host_name),
            "this server's own names for this connection (auth_awsiam_challenge_audiences is empty)",
        ),
        Audiences::Listed(list) => (list.clone(), "auth_awsiam_challenge_audiences"),
    };
    if accepted.iter().any(|e| e.matches(&host, port)) {
        return Ok(());
    }
    let shown: Vec<String> = accepted.iter().map(ServerName::show).collect();
    Err(format!(
        "the answer is signed for audience '{audience}', not one of {source}: {}; if clients reach this server by that name, add it to auth_awsiam_challenge_audiences",
        shown.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Option<SocketAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn parse_setting() {
        assert_eq!(parse("").unwrap(), Audiences::Own);
        assert_eq!(parse("  ").unwrap(), Audiences::Own);
        assert_eq!(parse("*").unwrap(), Audiences::Any);
        let Audiences::Listed(l) =
            parse("DB1.example.com:3306, db2, [::FFFF:10.0.0.5]:3306").unwrap()
        else {
            panic!("listed");
        };
        assert_eq!(l[0].show(), "db1.example.com:3306");
        assert_eq!(l[1].show(), "db2");
        assert_eq!(l[2].show(), "10.0.0.5:3306");
        for bad in ["db1,,db2", "db1:0", "a b", "db1:3306:1", "*,db1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let many = vec!["db"; MAX_ENTRIES + 1].join(",");
        assert!(parse(&many).is_err());
        let most = vec!["db"; MAX_ENTRIES].join(",");
        assert!(parse(&most).is_ok());
    }

    /// The machine's name as the kernel holds it (what `hostname` prints), lowercase: the
    /// name a client dialling this server by its host name signs.
    #[test]
    fn host_name_is_the_kernels() {
        let kernel = std::fs::read_to_string(HOSTNAME_FILE).unwrap();
        let kernel = kernel.trim().to_ascii_lowercase();
        assert!(!kernel.is_empty());
        let expected = syntax::is_authority(&kernel).then_some(kernel);
        assert_eq!(host_name(), expected);
    }

    #[test]
    fn own_names_over_tcp_elsewhere_than_loopback() {
        let own = Audiences::Own;
        let local = addr("10.0.0.5:3306");
        for ok in ["10.0.0.5:3306", "db-host:3306", "[::ffff:10.0.0.5]:3306"] {
            assert!(check(&own, ok, local, Some("db-host")).is_ok(), "{ok}");
        }
        for refused in [
            "10.0.0.5:3307",
            "10.0.0.9:3306",
            "evil.example.com:3306",
            // A client that dialed a loopback name reached something on its own machine:
            // not this server, which it reached over 10.0.0.5.
            "localhost:3306",
            "127.0.0.1:3306",
            "localhost",
            "db-host",
        ] {
            let e = check(&own, refused, local, Some("db-host")).unwrap_err();
            assert!(e.contains("auth_awsiam_challenge_audiences"), "{e}");
            assert!(e.contains("10.0.0.5:3306"), "{e}");
        }
    }

    #[test]
    fn own_names_over_loopback() {
        let own = Audiences::Own;
        let local = addr("127.0.0.1:3306");
        for ok in ["127.0.0.1:3306", "localhost:3306", "db-host:3306"] {
            assert!(check(&own, ok, local, Some("db-host")).is_ok(), "{ok}");
        }
        for refused in ["localhost", "localhost:3307", "127.0.0.2:3306"] {
            assert!(
                check(&own, refused, local, Some("db-host")).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn own_names_ipv6_and_mapped() {
        let own = Audiences::Own;
        let local = addr("[::1]:3306");
        assert!(check(&own, "[::1]:3306", local, None).is_ok());
        assert!(check(&own, "[0:0:0:0:0:0:0:1]:3306", local, None).is_ok());
        assert!(check(&own, "localhost:3306", local, None).is_ok());
        let mapped = addr("[::ffff:127.0.0.1]:3306");
        assert!(check(&own, "127.0.0.1:3306", mapped, None).is_ok());
        assert!(check(&own, "[::ffff:127.0.0.1]:3306", mapped, None).is_ok());
        let v6 = addr("[2001:db8::5]:3306");
        assert!(check(&own, "[2001:0db8:0:0::5]:3306", v6, None).is_ok());
        assert!(check(&own, "[2001:db8::6]:3306", v6, None).is_err());
    }

    #[test]
    fn own_names_over_a_local_socket() {
        let own = Audiences::Own;
        assert!(check(&own, "localhost", None, Some("db-host")).is_ok());
        // A port means the client dialed TCP: it did not reach us over the socket.
        for refused in [
            "localhost:3306",
            "127.0.0.1:3306",
            "db-host",
            "db-host:3306",
        ] {
            assert!(
                check(&own, refused, None, Some("db-host")).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn listed_and_any() {
        let listed = parse("db1.example.com:3306,db2.example.com,10.0.0.5:3306").unwrap();
        let local = addr("127.0.0.1:3306");
        assert!(check(&listed, "db1.example.com:3306", local, None).is_ok());
        assert!(check(&listed, "db2.example.com:13306", local, None).is_ok());
        assert!(check(&listed, "db2.example.com", None, None).is_ok());
        assert!(check(&listed, "db1.example.com:3307", local, None).is_err());
        assert!(check(&listed, "[::ffff:10.0.0.5]:3306", local, None).is_ok());
        // A list replaces the own names.
        assert!(check(&listed, "127.0.0.1:3306", local, None).is_err());
        assert!(check(&Audiences::Any, "anything:1", local, None).is_ok());
    }

    #[test]
    fn entries_name_authorities() {
        let e = ServerName::parse("db1.example.com").unwrap();
        assert!(e.names("db1.example.com:3306") && e.names("db1.example.com"));
        assert!(!e.names("db2.example.com:3306") && !e.names("not a name"));
        let e = ServerName::parse("[::1]:3306").unwrap();
        assert!(e.names("[0::1]:3306") && !e.names("[::1]:3307") && !e.names("[::1]"));
        assert!(
            ServerName::parse("DB1").is_none(),
            "callers lowercase first"
        );
    }

    #[test]
    fn host_name_is_readable_here() {
        if let Some(h) = host_name() {
            assert!(syntax::is_authority(&h), "{h}");
        }
    }
}
