//! The inputs of auth_awsiam_challenge, chosen by the first byte modulo 3: the server's
//! challenge as the client plugin reads it (0), the client's answer as the server reads it
//! (1), and a TLS certificate as both read it for the channel binding (2). A challenge that
//! decodes encodes back to itself; an answer that decodes carries its binding and encodes
//! back to the same answer; a channel value is always of the documented form.
#![no_main]

use auth_awsiam_core::challenge::{Challenge, answer};
use auth_awsiam_core::channel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(c) = Challenge::decode(raw) {
                let again = Challenge::decode(&c.encode()).expect("an encoded challenge decodes");
                assert!(again == c, "decode(encode(c)) != c");
            }
        }
        1 => {
            if let Ok(token) = answer::decode(raw) {
                let wire = answer::encode(&token).expect("a decoded answer has its binding");
                let again = answer::decode(wire.as_bytes()).expect("an encoded answer decodes");
                assert!(again == token, "decode(encode(a)) != a");
            }
        }
        _ => {
            if let Ok(v) = channel::tls_server_end_point(raw) {
                assert!(channel::is_value(&v), "a computed channel value has the wire form");
            }
        }
    }
});
