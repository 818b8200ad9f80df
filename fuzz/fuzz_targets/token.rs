//! The token decoder: whatever the client sends as its password. Anything must be refused
//! cleanly (never a panic), and a token that decodes must encode back to a token that
//! decodes to the same thing.
#![no_main]

use auth_awsiam_core::token::Token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = Token::decode(data) {
        let again = Token::decode(token.encode().as_bytes()).expect("an encoded token decodes");
        assert!(again == token, "decode(encode(t)) != t");
        // The accessors the checks use must hold on every decoded token.
        let _ = (token.access_key_id(), token.region(), token.signing_time());
        let _ = token.signed_header_names().count();
    }
});
