//! The C ABI of auth_awsiam_core_challenge.h: the entry points of auth_awsiam_challenge.
//! Same rules as the rest of `ffi`: arguments converted NULL-safe, one safe call, every
//! entry point behind `catch_unwind`, no logic here.

use std::ffi::{c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use super::{
    ALLOW, AwsiamLogin, DENY, INVALID, LoginArgs, admit, guarded, has_room_for_account, packet,
    panicked,
};
use crate::abi::c_struct;
use crate::challenge::login as challenge_login;
use crate::challenge::{self, Challenge};
use crate::error::{Reason, refuse};

/// `AWSIAM_UNAVAILABLE`: auth_awsiam is not running; nothing was logged.
pub const AWSIAM_UNAVAILABLE: c_int = 2;

c_struct! {
    /// Kept by the shim between issuing and verifying.
    pub struct AwsiamChallenge = "awsiam_challenge" {
        pub message: [u8; challenge::MAX_CHALLENGE_LEN],
        pub message_len: usize,
        pub issued_us: u64,
    }
}

c_struct! {
    /// What the shim knows of the client's connection.
    pub struct AwsiamConnection = "awsiam_connection" {
        /// The connection's TCP socket, or -1 (a local socket, pipe or shared memory).
        pub socket: c_int,
        /// 1 when the connection is TLS.
        pub tls: c_int,
        /// This server's certificate (DER) on a TLS connection; NULL if it could not be read.
        pub tls_certificate: *const u8,
        pub tls_certificate_len: usize,
    }
}

/// `awsiam_connection.socket` of a connection that is not TCP.
const NO_SOCKET: c_int = -1;

/// The address and port a TCP connection reached, from its socket.
fn local_address(socket: c_int) -> Option<std::net::SocketAddr> {
    use std::os::fd::FromRawFd;
    // Only the documented "no socket" value is skipped: any other descriptor, 0 included
    // (a daemon that closed its stdin reuses it), may be the connection's.
    if socket == NO_SOCKET {
        return None;
    }
    // SAFETY: the shim passes the connection's open socket, borrowed for this call;
    // ManuallyDrop keeps it open. Only getsockname is called on it (an error for a
    // socket that is not TCP gives None).
    let stream = std::mem::ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(socket) });
    stream.local_addr().ok()
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_challenge_init() -> c_int {
    guarded(
        "awsiam_challenge_init",
        INVALID,
        || match challenge_login::init() {
            Ok(()) => 0,
            Err(_) => INVALID,
        },
    )
}

/// # Safety
/// `login` is NULL or valid as for `awsiam_authenticate` (its token is ignored);
/// `challenge` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_challenge_issue(
    login: *const AwsiamLogin,
    challenge: *mut AwsiamChallenge,
) -> c_int {
    guarded("awsiam_challenge_issue", DENY, || {
        if !crate::plugin::is_running() {
            return AWSIAM_UNAVAILABLE;
        }
        // SAFETY: caller guarantees `login` and `challenge` are NULL or valid.
        let (Some(l), Some(out)) = (unsafe { login.as_ref() }, unsafe { challenge.as_mut() })
        else {
            return DENY;
        };
        // SAFETY: forwarded caller guarantee.
        let args = unsafe { LoginArgs::from(l) };
        let Ok(issued) = challenge_login::issue_now(&args.login(None)) else {
            return DENY;
        };
        let message = issued.encode();
        if message.len() > out.message.len() {
            return DENY;
        }
        out.message[..message.len()].copy_from_slice(&message);
        out.message_len = message.len();
        out.issued_us = challenge_login::clock_us();
        ALLOW
    })
}

/// # Safety
/// `login` as for `awsiam_authenticate` (its token is the client's answer, NULL if none);
/// `challenge` is NULL or the one `awsiam_challenge_issue` filled for this connection;
/// `connection` is NULL or valid, its certificate NULL or readable for its length;
/// `external_user` and `mapped_account` as for `awsiam_authenticate`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_challenge_verify(
    login: *const AwsiamLogin,
    challenge: *const AwsiamChallenge,
    connection: *const AwsiamConnection,
    external_user: *mut c_char,
    external_user_cap: usize,
    mapped_account: *mut c_char,
    mapped_account_cap: usize,
) -> c_int {
    let verdict = catch_unwind(AssertUnwindSafe(|| {
        if !crate::plugin::is_running() {
            return AWSIAM_UNAVAILABLE;
        }
        // SAFETY: caller guarantees `login`, `challenge` and `connection` are NULL or valid.
        let (Some(l), Some(c), Some(conn)) = (
            unsafe { login.as_ref() },
            unsafe { challenge.as_ref() },
            unsafe { connection.as_ref() },
        ) else {
            let refusal = refuse(
                Reason::Internal,
                "the server passed no login, challenge or connection",
            );
            challenge_login::report_refusal(&LoginArgs::empty().login(None), refusal);
            return DENY;
        };
        // SAFETY: forwarded caller guarantees.
        let (args, answer) = unsafe { (LoginArgs::from(l), packet(l)) };
        let login = args.login(answer);
        let waited = Duration::from_micros(challenge_login::clock_us().saturating_sub(c.issued_us));
        let message = &c.message[..c.message_len.min(c.message.len())];
        let Ok(issued) = Challenge::decode(message) else {
            let refusal = refuse(Reason::Internal, "the server's own challenge is unreadable");
            challenge_login::report_refusal(&login, refusal);
            return DENY;
        };
        if let Err(refusal) = has_room_for_account(mapped_account, mapped_account_cap) {
            challenge_login::report_refusal(&login, refusal);
            return DENY;
        }
        let connection = challenge_login::Connection {
            local: local_address(conn.socket),
            // SAFETY: caller guarantees the certificate is NULL or readable for its length;
            // a TLS connection without one is passed on as empty, and refused.
            tls_certificate: (conn.tls != 0)
                .then(|| unsafe { super::bytes(conn.tls_certificate, conn.tls_certificate_len) }),
        };
        match challenge_login::authenticate(&login, &issued, waited, connection) {
            // SAFETY: forwarded caller guarantees; room checked above.
            Ok(admitted) => unsafe {
                admit(
                    &admitted,
                    external_user,
                    external_user_cap,
                    mapped_account,
                    mapped_account_cap,
                )
            },
            Err(_) => DENY,
        }
    }));
    verdict.unwrap_or_else(|_| {
        challenge_login::count_panic();
        panicked("a challenge login")
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_challenge_counters() -> *const challenge_login::Counters {
    &challenge_login::COUNTERS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn the_address_a_tcp_connection_reached() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        // The server side of the connection reached the listener's address.
        assert_eq!(
            local_address(accepted.as_raw_fd()),
            Some(listener.local_addr().unwrap())
        );
        assert_eq!(local_address(NO_SOCKET), None);
        // Still open: local_address borrowed it.
        drop(client);
        assert!(accepted.local_addr().is_ok());
    }
}
