//! Whom the client plugin answers. An answer is a GetCallerIdentity request signed with the
//! user's AWS credentials: whoever receives it learns the user's ARN and holds, for a few
//! minutes, a signed request that other services taking forwarded GetCallerIdentity proofs
//! may accept. So it goes only to a server that proved itself, or that the user named:
//!
//! - over TLS whose server certificate the client library verified (`--ssl-mode=VERIFY_CA`
//!   or `VERIFY_IDENTITY`): the server holds a certificate the user's CA vouches for;
//! - over a local socket (Unix socket, named pipe, shared memory): the server is this
//!   machine's, reached through a path the user chose;
//! - to a server the user listed in `trusted-servers` / `AUTH_AWSIAM_TRUSTED_SERVERS`, by
//!   the `host[:port]` dialed.
//!
//! And it is signed only for an STS host that is AWS's own (an official host of a
//! partition) or the endpoint the user configured: a server cannot make the client sign a
//! request for a host of the server's choosing.
//!
//! Everything here is decided before credentials are loaded.

use auth_awsiam_core::sts::hosts::official_host;
use auth_awsiam_core::syntax;

use crate::options::{Options, STS_ENDPOINT, TRUSTED_SERVERS};

/// The server's TLS session as the client library saw it.
#[derive(Clone, Copy, Debug)]
pub struct Tls<'a> {
    /// The client library verified the server certificate against the user's CA.
    pub verified: bool,
    /// The server certificate (DER) the handshake showed.
    pub certificate: &'a [u8],
}

/// How the client reached the server.
#[derive(Clone, Copy, Debug)]
pub struct Transport<'a> {
    /// A Unix socket (or a named pipe / shared memory): the server is this machine.
    pub local_socket: bool,
    /// `None` when the connection is not TLS.
    pub tls: Option<Tls<'a>>,
}

/// Why the client may answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trusted {
    VerifiedTls,
    LocalSocket,
    Named,
}

/// Whether to answer the server dialed as `dialed` (`host:port`, or `localhost` over a
/// socket) over `transport`. The error is a message for the user.
pub fn check(transport: &Transport, dialed: &str, opts: &Options) -> Result<Trusted, String> {
    if transport.tls.is_some_and(|t| t.verified) {
        return Ok(Trusted::VerifiedTls);
    }
    if transport.local_socket {
        return Ok(Trusted::LocalSocket);
    }
    if opts.trusts(dialed) {
        return Ok(Trusted::Named);
    }
    let how = if transport.tls.is_some() {
        "TLS, but the client did not verify the server certificate"
    } else {
        "not TLS"
    };
    Err(format!(
        "not answering {}: the connection is {how}, so the server has not proved who it is. Connect with --ssl-mode=VERIFY_IDENTITY (or VERIFY_CA) and --ssl-ca, or over the local socket; to answer this server anyway, add it to {} (host[:port])",
        syntax::quoted(dialed, 64),
        TRUSTED_SERVERS.env
    ))
}

/// Whether the challenge's STS host may be signed for: an official STS host, unless the
/// user configured the endpoint (then the client signs for that one, whatever the
/// challenge says).
pub fn check_sts_host(challenge_host: &str, opts: &Options) -> Result<(), String> {
    if opts.sts_host.is_some() || official_host(challenge_host).is_some() {
        return Ok(());
    }
    Err(format!(
        "not answering: the server asks for a request signed for {}, which is not an official AWS STS host; if it is your STS endpoint, set {} (or the {} option) to its URL",
        syntax::quoted(challenge_host, 64),
        STS_ENDPOINT.env,
        STS_ENDPOINT.option
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_awsiam_core::challenge::audience::ServerName;

    const CERT: &[u8] = b"der";

    fn tcp(tls: Option<Tls<'static>>) -> Transport<'static> {
        Transport {
            local_socket: false,
            tls,
        }
    }

    fn tls(verified: bool) -> Option<Tls<'static>> {
        Some(Tls {
            verified,
            certificate: CERT,
        })
    }

    #[test]
    fn a_verified_certificate_or_a_socket_is_enough() {
        let none = Options::default();
        assert_eq!(
            check(&tcp(tls(true)), "db1.example.com:3306", &none),
            Ok(Trusted::VerifiedTls)
        );
        let socket = Transport {
            local_socket: true,
            tls: None,
        };
        assert_eq!(check(&socket, "localhost", &none), Ok(Trusted::LocalSocket));
    }

    #[test]
    fn anything_else_is_refused_unless_named() {
        let none = Options::default();
        for (transport, says) in [(tcp(None), "not TLS"), (tcp(tls(false)), "did not verify")] {
            let e = check(&transport, "db1.example.com:3306", &none).unwrap_err();
            assert!(e.contains(says), "{e}");
            assert!(e.contains("'db1.example.com:3306'"), "{e}");
            assert!(e.contains("VERIFY_IDENTITY"), "{e}");
            assert!(e.contains("AUTH_AWSIAM_TRUSTED_SERVERS"), "{e}");
            // It must fit the client library's error buffer after its prefix.
            assert!(e.len() < 400, "{}", e.len());
        }
        let named = Options {
            trusted_servers: vec![ServerName::parse("db1.example.com:3306").unwrap()],
            ..Options::default()
        };
        assert_eq!(
            check(&tcp(None), "db1.example.com:3306", &named),
            Ok(Trusted::Named)
        );
        assert!(check(&tcp(None), "db1.example.com:3307", &named).is_err());
        assert!(check(&tcp(tls(false)), "db2.example.com:3306", &named).is_err());
    }

    #[test]
    fn only_official_or_configured_sts_hosts() {
        let none = Options::default();
        assert!(check_sts_host("sts.eu-west-1.amazonaws.com", &none).is_ok());
        assert!(check_sts_host("sts.amazonaws.com", &none).is_ok());
        assert!(check_sts_host("sts.cn-north-1.amazonaws.com.cn", &none).is_ok());
        for hostile in [
            "127.0.0.1:4566",
            "sts.evil.example.com",
            "vault.example.com",
            "sts.us-east-1.amazonaws.com.evil.example",
        ] {
            let e = check_sts_host(hostile, &none).unwrap_err();
            assert!(e.contains("AUTH_AWSIAM_STS_ENDPOINT"), "{e}");
            assert!(e.len() < 400, "{}", e.len());
        }
        let configured = Options {
            sts_host: Some("127.0.0.1:4566".into()),
            ..Options::default()
        };
        assert!(check_sts_host("127.0.0.1:4566", &configured).is_ok());
    }
}
