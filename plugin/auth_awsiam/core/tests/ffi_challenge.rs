//! The challenge plugin's C ABI as the shim drives it, for its counters: every login
//! auth_awsiam_challenge refuses is in `Auth_awsiam_challenge_failures` (and its reason in
//! the shared `Auth_awsiam_failures_*`), including refusals decided at the C boundary;
//! `Auth_awsiam_challenge_issued` counts challenges sent, so a login refused before one
//! is sent (insecure transport) is not in it. One test: the plugin state is
//! process-global.

use std::ffi::{c_char, c_int};

use auth_awsiam_core::ffi::*;

const ALLOW: c_int = Verdict::Allow as c_int;
const DENY: c_int = Verdict::Deny as c_int;

fn login(secure: c_int) -> AwsiamLogin {
    let user = b"AppRole";
    AwsiamLogin {
        user: user.as_ptr().cast(),
        user_len: user.len(),
        client_user: std::ptr::null(),
        client_user_len: 0,
        host: b"10.1.2.3".as_ptr().cast(),
        host_len: 8,
        auth_string: std::ptr::null(),
        auth_string_len: 0,
        token: std::ptr::null(),
        token_len: 0,
        secure_transport: secure,
    }
}

/// A connection over the local socket, not TLS.
const SOCKET: AwsiamConnection = AwsiamConnection {
    socket: -1,
    tls: 0,
    tls_certificate: std::ptr::null(),
    tls_certificate_len: 0,
};

fn verify(l: &AwsiamLogin, c: *const AwsiamChallenge) -> c_int {
    verify_over(l, c, &SOCKET)
}

fn verify_over(l: &AwsiamLogin, c: *const AwsiamChallenge, conn: *const AwsiamConnection) -> c_int {
    let mut out = [0 as c_char; 256];
    let mut mapped = [0 as c_char; 97];
    unsafe {
        awsiam_challenge_verify(
            l,
            c,
            conn,
            out.as_mut_ptr(),
            out.len(),
            mapped.as_mut_ptr(),
            mapped.len(),
        )
    }
}

/// (issued, successes, failures) of the challenge plugin.
fn challenge_counters() -> (u64, u64, u64) {
    use std::sync::atomic::Ordering::Relaxed;
    let c = unsafe { &*awsiam_challenge_counters() };
    (
        c.issued.load(Relaxed),
        c.successes.load(Relaxed),
        c.failures.load(Relaxed),
    )
}

#[test]
fn every_refused_challenge_login_is_counted() {
    assert_eq!(unsafe { awsiam_init(None) }, 0);
    assert_eq!(awsiam_challenge_init(), 0);
    let shared = || unsafe { &*awsiam_counters() }.snapshot();
    let mut challenge = AwsiamChallenge {
        message: [0; 1024],
        message_len: 0,
        issued_us: 0,
    };

    // Over plain TCP no challenge is sent: refused, not issued.
    assert_eq!(
        unsafe { awsiam_challenge_issue(&login(0), &mut challenge) },
        DENY
    );
    assert_eq!(challenge_counters(), (0, 0, 1));
    assert_eq!(shared().failures_insecure_transport, 1);

    // Refusals at the C boundary: no challenge passed, an unreadable one.
    assert_eq!(verify(&login(1), std::ptr::null()), DENY);
    assert_eq!(challenge_counters(), (0, 0, 2));
    challenge.message[..7].copy_from_slice(b"garbage");
    challenge.message_len = 7;
    assert_eq!(verify(&login(1), &challenge), DENY);
    assert_eq!(challenge_counters(), (0, 0, 3));
    assert_eq!(shared().failures_internal, 2);

    // A challenge sent, and no answer to it.
    assert_eq!(
        unsafe { awsiam_challenge_issue(&login(1), &mut challenge) },
        ALLOW
    );
    assert_eq!(verify(&login(1), &challenge), DENY);
    assert_eq!(challenge_counters(), (1, 0, 4));
    assert_eq!(shared().failures_no_token, 1);
    assert_eq!(shared().failures, 4);

    // No connection passed; a TLS connection whose certificate the shim could not read
    // (no channel to compare an answer with).
    assert_eq!(verify_over(&login(1), &challenge, std::ptr::null()), DENY);
    let unreadable = AwsiamConnection { tls: 1, ..SOCKET };
    assert_eq!(verify_over(&login(1), &challenge, &unreadable), DENY);
    assert_eq!(challenge_counters(), (1, 0, 6));
    assert_eq!(shared().failures_internal, 4);
    assert_eq!(shared().failures, 6);
    awsiam_deinit();
}
