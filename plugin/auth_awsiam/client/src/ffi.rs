//! The C ABI of auth_awsiam_client_core.h: the only `unsafe` in the crate. Each function
//! converts its arguments (NULL-safe, lengths honoured), calls one safe function and
//! converts the result; no panic ever unwinds into the client program. No logic here.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_uint};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::options;
use crate::respond::{self, Dialed};
use crate::shared_credentials;
use crate::trust::{Tls, Transport};

auth_awsiam_core::c_struct! {
    /// The server dialed and how it was reached, as the client library's connection handle
    /// says.
    pub struct AwsiamClientConnection = "awsiam_client_connection" {
        /// The host dialed (NULL: unknown) and the port.
        pub host: *const c_char,
        pub port: c_uint,
        /// 1 over a Unix socket, named pipe or shared memory.
        pub local_socket: c_int,
        /// 1 when the connection is TLS.
        pub tls: c_int,
        /// 1 when the client library verified the server certificate (ssl-mode VERIFY_CA
        /// or VERIFY_IDENTITY).
        pub tls_verified: c_int,
        /// The server certificate (DER) of the TLS handshake; NULL if none could be read.
        pub tls_certificate: *const u8,
        pub tls_certificate_len: usize,
    }
}

/// Return value of success; anything else is a failure with a message in `err`.
const OK: c_int = 0;
const FAILED: c_int = 1;

/// A (pointer, length) pair as bytes; NULL or zero length is empty.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes for the duration of the call.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees `len` readable bytes at `ptr`.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// A NUL-terminated string; NULL is `None`, invalid UTF-8 is lossy.
///
/// # Safety
/// `ptr` is NULL or a valid NUL-terminated string.
unsafe fn string(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: the caller guarantees a NUL-terminated string.
        Some(String::from_utf8_lossy(unsafe { CStr::from_ptr(ptr) }.to_bytes()).into_owned())
    }
}

/// Writes `s` NUL-terminated into `buf` (capacity `cap`), cut at a UTF-8 boundary to fit.
///
/// # Safety
/// `buf` is NULL or valid for writing `cap` bytes.
unsafe fn write_c(buf: *mut c_char, cap: usize, s: &str) {
    if buf.is_null() || cap == 0 {
        return;
    }
    let mut n = s.len().min(cap - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: n + 1 <= cap bytes are writable at `buf`; source and buffer do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
}

/// # Safety
/// `name` and `value` are NULL or NUL-terminated; `err` is NULL or writable for `err_cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_client_option(
    name: *const c_char,
    value: *const c_char,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: caller guarantees on `name` and `value`.
        let (name, value) = unsafe { (string(name), string(value)) };
        options::set(name.as_deref().unwrap_or(""), value.as_deref())
    }))
    .unwrap_or_else(|_| Err("internal error while setting an option".into()));
    match result {
        Ok(()) => OK,
        Err(e) => {
            // SAFETY: caller guarantees on `err`.
            unsafe { write_c(err, err_cap, &e) };
            FAILED
        }
    }
}

/// # Safety
/// `challenge` is NULL or readable for `challenge_len` bytes; `connection` is NULL or
/// valid, its host NULL or NUL-terminated, its certificate NULL or readable for its length;
/// `answer` is writable for `answer_cap` bytes and `answer_len` for one `size_t`; `err` is
/// NULL or writable for `err_cap` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_client_answer(
    challenge: *const u8,
    challenge_len: usize,
    connection: *const AwsiamClientConnection,
    answer: *mut u8,
    answer_cap: usize,
    answer_len: *mut usize,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    // SAFETY: caller guarantees on `challenge` and `connection` (copied: the worker thread
    // below owns what it reads).
    let (raw, conn) = unsafe {
        (
            bytes(challenge, challenge_len).to_vec(),
            connection.as_ref().map(|c| {
                (
                    string(c.host),
                    c.port,
                    c.local_socket != 0,
                    (c.tls != 0).then(|| {
                        (
                            c.tls_verified != 0,
                            bytes(c.tls_certificate, c.tls_certificate_len).to_vec(),
                        )
                    }),
                )
            }),
        )
    };
    // A thread of its own: the caller may be inside an async runtime of its own, where
    // starting another one would panic; and a panic there ends at `join`.
    let worker = std::thread::Builder::new()
        .name("auth_awsiam_client".into())
        .spawn(move || {
            let (host, port, local_socket, tls) =
                conn.ok_or("the client plugin passed no connection")?;
            let dialed = Dialed {
                host: host.as_deref().unwrap_or(""),
                port,
                transport: Transport {
                    local_socket,
                    tls: tls.as_ref().map(|(verified, certificate)| Tls {
                        verified: *verified,
                        certificate,
                    }),
                },
            };
            respond::answer(&raw, &dialed, &|k| std::env::var(k).ok()).map_err(|f| f.message())
        });
    let result = match worker {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|_| Err("internal error (panic) while answering".into())),
        Err(e) => Err(format!("cannot start a thread: {e}")),
    };
    let result = result.and_then(|a| {
        if answer.is_null() || answer_len.is_null() || a.len() > answer_cap {
            Err(format!(
                "the answer of {} bytes does not fit the buffer",
                a.len()
            ))
        } else {
            Ok(a)
        }
    });
    match result {
        Ok(a) => {
            // SAFETY: checked non-NULL above; the caller guarantees `answer_cap` writable
            // bytes, of which a.len() are written, and one writable `size_t`.
            unsafe {
                std::ptr::copy_nonoverlapping(a.as_ptr(), answer, a.len());
                *answer_len = a.len();
            }
            OK
        }
        Err(e) => {
            // SAFETY: caller guarantees on `err`.
            unsafe { write_c(err, err_cap, &e) };
            FAILED
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_client_deinit() {
    let _ = catch_unwind(|| {
        options::clear();
        shared_credentials::PROCESS.clear();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(host: &CStr) -> AwsiamClientConnection {
        AwsiamClientConnection {
            host: host.as_ptr(),
            port: 3306,
            local_socket: 0,
            tls: 0,
            tls_verified: 0,
            tls_certificate: std::ptr::null(),
            tls_certificate_len: 0,
        }
    }

    fn answer_to(challenge: &[u8], conn: *const AwsiamClientConnection) -> (c_int, String) {
        let mut answer = [0u8; 16];
        let mut len = 0usize;
        let mut err = [0 as c_char; 400];
        let rc = unsafe {
            awsiam_client_answer(
                challenge.as_ptr(),
                challenge.len(),
                conn,
                answer.as_mut_ptr(),
                answer.len(),
                &mut len,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        assert_eq!(len, 0);
        let msg = unsafe { CStr::from_ptr(err.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        (rc, msg)
    }

    #[test]
    fn a_bad_challenge_fails_with_a_message() {
        let conn = connection(c"127.0.0.1");
        let (rc, msg) = answer_to(b"nope", &conn);
        assert_eq!(rc, FAILED);
        assert!(msg.contains("challenge"), "{msg}");
    }

    #[test]
    fn an_unverified_server_gets_no_answer() {
        use auth_awsiam_core::challenge::{AnswerKind, Challenge, new_nonce};
        let c = Challenge {
            nonce: new_nonce().unwrap(),
            sts_host: "sts.us-east-1.amazonaws.com".into(),
            region: "us-east-1".into(),
            server_id: None,
            timeout: std::time::Duration::from_secs(10),
            answers: vec![AnswerKind::SigV4],
            jwt_audience: None,
        };
        let mut conn = connection(c"evil.example.com");
        conn.tls = 1;
        conn.tls_certificate = b"x".as_ptr();
        conn.tls_certificate_len = 1;
        let (rc, msg) = answer_to(&c.encode(), &conn);
        assert_eq!(rc, FAILED);
        assert!(msg.contains("did not verify"), "{msg}");
    }

    #[test]
    fn null_arguments_are_safe() {
        let rc = unsafe {
            awsiam_client_answer(
                std::ptr::null(),
                10,
                std::ptr::null(),
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, FAILED);
        let mut conn = connection(c"x");
        conn.host = std::ptr::null();
        conn.tls = 1;
        let (rc, _) = answer_to(b"nope", &conn);
        assert_eq!(rc, FAILED);
        let rc = unsafe {
            awsiam_client_option(std::ptr::null(), std::ptr::null(), std::ptr::null_mut(), 0)
        };
        assert_eq!(rc, FAILED);
    }
}
