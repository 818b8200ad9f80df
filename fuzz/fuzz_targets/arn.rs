//! The caller ARN from the STS answer. A parsed ARN must print back to itself, so the ARN
//! logged and shown in @@external_user is the one STS said.
#![no_main]

use auth_awsiam_core::identity::parse_arn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(p) = parse_arn(&s) {
        let again = parse_arn(&p.arn()).expect("a printed principal parses");
        assert_eq!(again, p);
    }
});
