//! The auth string of CREATE/ALTER USER ... AS '...': written by a DBA, or read back from
//! mysql.user. Any input is accepted or refused with a message, never a panic; a string
//! that parses is accepted by the check the server runs.
#![no_main]

use auth_awsiam_core::policy::{check_auth_string, parse_auth_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let parsed = parse_auth_string(&s);
    assert_eq!(parsed.is_ok(), check_auth_string(&s).is_ok());
});
