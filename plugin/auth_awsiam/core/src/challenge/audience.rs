//! Which audiences a challenge answer may be signed for: the names by which clients reach
//! this server. The client plugin signs the `host[:port]` it dialed, so an answer obtained
//! by a server that relays our challenge names that server, not this one.
//!
//! `auth_awsiam_challenge_audiences`:
//! - `''` (default): this server's own names: `localhost`, its host name, and the address
//!   and port this connection reached (so clients dialing an IP address or a loopback
//!   name need no setting);
//! - `'*'`: any audience (relay protection off);
//! - `'name[:port],...'`: exactly these; an entry without a port matches every port.

use std::net::SocketAddr;

use crate::syntax;

/// Most entries in the setting.
pub const MAX_ENTRIES: usize = 100;
/// The name a client signs when it reaches the server over a local socket.
pub const LOCALHOST: &str = "localhost";
/// Where Linux tells the host name (no `unsafe` needed to read it).
const HOSTNAME_FILE: &str = "/proc/sys/kernel/hostname";

/// One accepted name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    host: String,
    /// `None`: every port.
    port: Option<String>,
}

impl Entry {
    fn parse(s: &str) -> Option<Entry> {
        if !syntax::is_authority(s) {
            return None;
        }
        let (host, port) = syntax::split_authority(s);
        Some(Entry {
            host: host.to_string(),
            port: port.map(str::to_string),
        })
    }

    fn matches(&self, audience: &Entry) -> bool {
        self.host == audience.host && (self.port.is_none() || self.port == audience.port)
    }

    fn show(&self) -> String {
        match &self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

/// The parsed setting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Audiences {
    #[default]
    Own,
    Any,
    Listed(Vec<Entry>),
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
        let entry = Entry::parse(&item).ok_or_else(|| {
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
/// reached (TCP), `None` over a local socket.
fn own_names(local: Option<SocketAddr>, host_name: Option<&str>) -> Vec<Entry> {
    let port = local.map(|a| a.port().to_string());
    let mut names = vec![Entry {
        host: LOCALHOST.into(),
        port: port.clone(),
    }];
    if let Some(h) = host_name {
        names.push(Entry {
            host: h.to_string(),
            port: port.clone(),
        });
    }
    if let Some(addr) = local {
        // A dual-stack socket reports an IPv4 client's address as ::ffff:a.b.c.d.
        let canonical = SocketAddr::new(addr.ip().to_canonical(), addr.port());
        if let Some(e) = Entry::parse(&canonical.to_string()) {
            names.push(e);
        }
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
    let Some(signed) = Entry::parse(audience) else {
        return Err(format!("'{audience}' is not a host[:port]"));
    };
    let (accepted, source) = match audiences {
        Audiences::Any => return Ok(()),
        Audiences::Own => (
            own_names(local, host_name),
            "this server's own names (auth_awsiam_challenge_audiences is empty)",
        ),
        Audiences::Listed(list) => (list.clone(), "auth_awsiam_challenge_audiences"),
    };
    if accepted.iter().any(|e| e.matches(&signed)) {
        return Ok(());
    }
    let shown: Vec<String> = accepted.iter().map(Entry::show).collect();
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
        let Audiences::Listed(l) = parse("DB1.example.com:3306, db2").unwrap() else {
            panic!("listed");
        };
        assert_eq!(l[0].show(), "db1.example.com:3306");
        assert_eq!(l[1].show(), "db2");
        for bad in ["db1,,db2", "db1:0", "a b", "db1:3306:1", "*,db1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let many = vec!["db"; MAX_ENTRIES + 1].join(",");
        assert!(parse(&many).is_err());
    }

    #[test]
    fn own_names_over_tcp() {
        let own = Audiences::Own;
        let local = addr("10.0.0.5:3306");
        for ok in ["10.0.0.5:3306", "localhost:3306", "db-host:3306"] {
            assert!(check(&own, ok, local, Some("db-host")).is_ok(), "{ok}");
        }
        for refused in [
            "10.0.0.5:3307",
            "10.0.0.9:3306",
            "evil.example.com:3306",
            "localhost",
            "db-host",
        ] {
            let e = check(&own, refused, local, Some("db-host")).unwrap_err();
            assert!(e.contains("auth_awsiam_challenge_audiences"), "{e}");
            assert!(e.contains("10.0.0.5:3306"), "{e}");
        }
    }

    #[test]
    fn own_names_ipv6_and_mapped() {
        let own = Audiences::Own;
        assert!(check(&own, "[::1]:3306", addr("[::1]:3306"), None).is_ok());
        assert!(
            check(
                &own,
                "127.0.0.1:3306",
                addr("[::ffff:127.0.0.1]:3306"),
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn own_names_over_a_local_socket() {
        let own = Audiences::Own;
        assert!(check(&own, "localhost", None, None).is_ok());
        assert!(check(&own, "localhost:3306", None, None).is_ok());
        assert!(check(&own, "127.0.0.1:3306", None, None).is_err());
    }

    #[test]
    fn listed_and_any() {
        let listed = parse("db1.example.com:3306,db2.example.com").unwrap();
        let local = addr("127.0.0.1:3306");
        assert!(check(&listed, "db1.example.com:3306", local, None).is_ok());
        assert!(check(&listed, "db2.example.com:13306", local, None).is_ok());
        assert!(check(&listed, "db1.example.com:3307", local, None).is_err());
        // A list replaces the own names.
        assert!(check(&listed, "127.0.0.1:3306", local, None).is_err());
        assert!(check(&Audiences::Any, "anything:1", local, None).is_ok());
    }

    #[test]
    fn host_name_is_readable_here() {
        if let Some(h) = host_name() {
            assert!(syntax::is_authority(&h), "{h}");
        }
    }
}
