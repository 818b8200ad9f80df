//! The inputs of auth_awsiam_challenge, chosen by the first byte modulo 4: the server's
//! challenge as the client plugin reads it (0), the client's answer as the server reads it
//! (1), a TLS certificate as both read it for the channel binding (2), and the request
//! tags of a verified `jwt` answer as the server reads them (3). A challenge that decodes
//! encodes back to itself; an answer of either kind that decodes (a `sigv4` one carries its
//! binding) encodes back to the same answer; a channel value is always of the documented
//! form; tags that read back as a binding are of the forms the client writes.
#![no_main]

use std::collections::BTreeMap;

use auth_awsiam_core::challenge::{Challenge, answer, tags};
use auth_awsiam_core::channel;
use auth_awsiam_core::token::{Binding, is_nonce};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            if let Ok(c) = Challenge::decode(raw) {
                let again = Challenge::decode(&c.encode()).expect("an encoded challenge decodes");
                assert!(again == c, "decode(encode(c)) != c");
            }
        }
        1 => {
            if let Ok(a) = answer::decode(raw) {
                let wire = a.encode().expect("a decoded sigv4 answer has its binding");
                let again = answer::decode(wire.as_bytes()).expect("an encoded answer decodes");
                assert!(again == a, "decode(encode(a)) != a");
            }
        }
        2 => {
            if let Ok(v) = channel::tls_server_end_point(raw) {
                assert!(channel::is_value(&v), "a computed channel value has the wire form");
            }
        }
        _ => {
            // Tags as `KEY=VALUE` lines (any text: JSON strings carry any).
            let text = String::from_utf8_lossy(raw);
            let request_tags: BTreeMap<String, String> = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let bound = tags::read(&request_tags);
            if let (Ok(nonce), Ok(audience)) = (bound.nonce, bound.audience) {
                assert!(is_nonce(&nonce), "a nonce read is a nonce");
                let b = Binding {
                    nonce,
                    audience,
                    channel: None,
                };
                assert!(b.check().is_ok(), "a binding read is one the client could sign");
                let written: BTreeMap<String, String> =
                    tags::for_binding(&b).into_iter().collect();
                let again = tags::read(&written);
                assert!(again.audience == Ok(b.audience), "read(write(b)) != b");
            }
        }
    }
});
