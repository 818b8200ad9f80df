//! The two new inputs of auth_awsiam_challenge: the server's challenge as the client plugin
//! reads it (first byte even), and the client's answer as the server reads it (odd). A
//! challenge that decodes encodes back to itself; an answer that decodes carries its
//! binding and encodes back to the same answer.
#![no_main]

use auth_awsiam_core::challenge::{Challenge, answer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    if which % 2 == 0 {
        if let Ok(c) = Challenge::decode(raw) {
            let again = Challenge::decode(&c.encode()).expect("an encoded challenge decodes");
            assert!(again == c, "decode(encode(c)) != c");
        }
    } else if let Ok(token) = answer::decode(raw) {
        let wire = answer::encode(&token).expect("a decoded answer has its binding");
        let again = answer::decode(wire.as_bytes()).expect("an encoded answer decodes");
        assert!(again == token, "decode(encode(a)) != a");
    }
});
