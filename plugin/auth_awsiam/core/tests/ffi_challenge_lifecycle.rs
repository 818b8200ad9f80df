//! The challenge plugin's start and settings through its C ABI: it cannot start, nor issue
//! a challenge, while auth_awsiam (which holds the settings and the log sink) is not
//! running; a number setting set through the ABI is the one its challenges announce. One
//! test: the plugin state is process-global.

use std::ffi::c_int;

use auth_awsiam_core::ffi::*;

const ALLOW: c_int = Verdict::Allow as c_int;
/// `AWSIAM_CHALLENGE_TIMEOUT` of `enum awsiam_setting`.
const TIMEOUT: c_int = 13;

fn login() -> AwsiamLogin {
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
        secure_transport: 1,
    }
}

fn issue() -> (c_int, String) {
    let mut c = AwsiamChallenge {
        message: [0; 1024],
        message_len: 0,
        issued_us: 0,
    };
    let verdict = unsafe { awsiam_challenge_issue(&login(), &mut c) };
    let text = String::from_utf8_lossy(&c.message[..c.message_len]).into_owned();
    (verdict, text)
}

#[test]
fn needs_auth_awsiam_and_announces_its_settings() {
    // auth_awsiam not started: the challenge plugin neither starts nor issues.
    assert_ne!(awsiam_challenge_init(), 0);
    assert_eq!(issue().0, AWSIAM_UNAVAILABLE);

    assert_eq!(unsafe { awsiam_init(None) }, 0);
    assert_eq!(awsiam_challenge_init(), 0);
    let (verdict, text) = issue();
    assert_eq!(verdict, ALLOW);
    assert!(text.contains("\ntimeout=10\n"), "{text}");
    awsiam_setting_set_num(TIMEOUT, 42);
    let (_, text) = issue();
    assert!(text.contains("\ntimeout=42\n"), "{text}");

    // Stopped again: unavailable, not refused (nothing is logged for it).
    awsiam_deinit();
    assert_eq!(issue().0, AWSIAM_UNAVAILABLE);
}
