//! How a `jwt` answer is bound to its challenge: the request tags the client asks
//! `sts:GetWebIdentityToken` to put in the token (`request_tags`, under AWS's claim
//! namespace), carrying what a `sigv4` answer signs in its `x-auth-awsiam-*` headers:
//!
//! | tag key | value |
//! | --- | --- |
//! | `auth-awsiam-nonce` | the challenge's nonce, as the server wrote it |
//! | `auth-awsiam-audience` | the server name the client dialed (`host[:port]`, or `localhost`) |
//! | `auth-awsiam-channel` | the `tls-server-end-point` value of the TLS channel; absent when not TLS |
//!
//! IAM allows tag values of at most 256 characters from letters, digits, spaces and
//! `_.:/=+-@` (jwt-facts.md 1.2). A nonce (base64url) and a channel value
//! (`tls-server-end-point:` and base64url) are made of those already. A name is too, except
//! the brackets of an IPv6 literal: they are written `_`, which no host name has, so
//! `[::1]:3307` travels as `_::1_:3307` and reads back unchanged.
//!
//! Request tags are chosen by the caller and never authorize anything. Signed by the
//! issuer with the rest of the token, they tie a token to one challenge: only the holder of
//! the credentials could have minted a token with this nonce, and no one can change it
//! afterwards. Whoever captures the answer holds a token good for that connection alone.

use std::collections::BTreeMap;

use crate::syntax;
use crate::token::{Binding, is_nonce};

/// The tag keys, in the order the client sends them.
pub const NONCE_TAG: &str = "auth-awsiam-nonce";
pub const AUDIENCE_TAG: &str = "auth-awsiam-audience";
pub const CHANNEL_TAG: &str = "auth-awsiam-channel";
/// Every key, for IAM policies (`aws:TagKeys`) and the docs.
pub const ALL_KEYS: [&str; 3] = [NONCE_TAG, AUDIENCE_TAG, CHANNEL_TAG];
/// How an IPv6 literal's brackets are written in a tag value.
const BRACKET: char = '_';
/// Longest excerpt of a tag value shown in a refusal.
const MAX_SHOWN: usize = 64;

/// The request tags for a binding (checked by `Binding::check` first: every value is then
/// within IAM's limits).
pub fn for_binding(binding: &Binding) -> Vec<(String, String)> {
    let mut tags = vec![
        (NONCE_TAG.to_string(), binding.nonce.clone()),
        (AUDIENCE_TAG.to_string(), audience_value(&binding.audience)),
    ];
    if let Some(c) = &binding.channel {
        tags.push((CHANNEL_TAG.to_string(), c.clone()));
    }
    tags
}

/// An audience as a tag value: IPv6 brackets written as [`BRACKET`].
pub fn audience_value(audience: &str) -> String {
    audience.replace(['[', ']'], &BRACKET.to_string())
}

/// The audience a tag value carries, if it is a `host[:port]` once its brackets are back.
fn audience_of(value: &str) -> Option<String> {
    let restored = match value.strip_prefix(BRACKET) {
        Some(rest) => {
            let (address, after) = rest.split_once(BRACKET)?;
            format!("[{address}]{after}")
        }
        None => value.to_string(),
    };
    syntax::is_authority(&restored).then_some(restored)
}

/// What a verified token's request tags bind it to. Each is `Err` with the reason's detail
/// when the tag is absent or not of its form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    pub nonce: Result<String, String>,
    pub audience: Result<String, String>,
    /// `None`: no channel tag (the client saw no TLS).
    pub channel: Option<String>,
}

fn missing(key: &str) -> String {
    format!(
        "the JWT carries no request tag {key}: it was not minted to answer this plugin's challenge"
    )
}

/// Reads the binding tags of a token's `request_tags` (only after its signature verified).
pub fn read(request_tags: &BTreeMap<String, String>) -> Bound {
    let nonce = match request_tags.get(NONCE_TAG) {
        None => Err(missing(NONCE_TAG)),
        Some(n) if is_nonce(n) => Ok(n.clone()),
        Some(n) => Err(format!(
            "the JWT's tag {NONCE_TAG} {} is not a challenge nonce",
            syntax::quoted(n, MAX_SHOWN)
        )),
    };
    let audience = match request_tags.get(AUDIENCE_TAG) {
        None => Err(missing(AUDIENCE_TAG)),
        Some(v) => audience_of(v).ok_or_else(|| {
            format!(
                "the JWT's tag {AUDIENCE_TAG} {} is not a host[:port]",
                syntax::quoted(v, MAX_SHOWN)
            )
        }),
    };
    Bound {
        nonce,
        audience,
        channel: request_tags.get(CHANNEL_TAG).cloned(),
    }
}

/// Whether a token was minted to answer a challenge: it carries a nonce tag. Such a token
/// is refused as a password (`auth.rs`): it is good for its own challenge's connection only.
pub fn answers_a_challenge(request_tags: &BTreeMap<String, String>) -> bool {
    request_tags.contains_key(NONCE_TAG)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::new_nonce;
    use crate::web_identity::TokenRequest;

    fn binding(audience: &str, channel: Option<&str>) -> Binding {
        Binding {
            nonce: new_nonce().unwrap(),
            audience: audience.into(),
            channel: channel.map(str::to_string),
        }
    }

    const CHANNEL: &str = "tls-server-end-point:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn as_map(tags: &[(String, String)]) -> BTreeMap<String, String> {
        tags.iter().cloned().collect()
    }

    #[test]
    fn tags_carry_the_binding_and_read_back() {
        for (audience, channel) in [
            ("db1.example.com:3306", Some(CHANNEL)),
            ("localhost", None),
            ("10.0.0.5:3306", Some(CHANNEL)),
            ("[::1]:3307", Some(CHANNEL)),
            ("[2001:db8::7]", None),
        ] {
            let b = binding(audience, channel);
            b.check().unwrap();
            let tags = for_binding(&b);
            let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
            let want: &[&str] = if channel.is_some() {
                &ALL_KEYS
            } else {
                &ALL_KEYS[..2]
            };
            assert_eq!(keys, want, "the channel tag only over TLS");
            let read = read(&as_map(&tags));
            assert_eq!(read.nonce.as_deref(), Ok(b.nonce.as_str()));
            assert_eq!(read.audience.as_deref(), Ok(audience), "{audience}");
            assert_eq!(read.channel.as_deref(), channel);
        }
        assert_eq!(audience_value("[::1]:3307"), "_::1_:3307");
    }

    #[test]
    fn every_value_is_within_iams_limits() {
        // The longest of each: an audience of 255 characters, a SHA-512 channel value;
        // the tag pattern and lengths are web_identity's check.
        let long_host = format!("{}:65535", "a".repeat(crate::syntax::MAX_HOST_LEN - 6));
        let sha512 = format!("tls-server-end-point:{}", "A".repeat(86));
        for (audience, channel) in [
            (long_host.as_str(), sha512.as_str()),
            (
                "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535",
                CHANNEL,
            ),
        ] {
            let b = binding(audience, Some(channel));
            b.check().unwrap();
            let request = TokenRequest {
                audiences: vec!["mysql://db1".into()],
                algorithm: crate::web_identity::SigningAlgorithm::Rs256,
                duration_secs: None,
                tags: for_binding(&b),
            };
            assert_eq!(request.check(), Ok(()), "{audience}");
        }
        for key in ALL_KEYS {
            assert!(key.len() <= crate::web_identity::MAX_TAG_KEY_LEN);
        }
    }

    #[test]
    fn absent_or_malformed_tags_are_named() {
        let none = read(&BTreeMap::new());
        assert!(
            none.nonce
                .unwrap_err()
                .contains("no request tag auth-awsiam-nonce")
        );
        assert!(
            none.audience
                .unwrap_err()
                .contains("no request tag auth-awsiam-audience")
        );
        assert_eq!(none.channel, None);
        let tags = |nonce: &str, audience: &str| {
            as_map(&[
                (NONCE_TAG.into(), nonce.into()),
                (AUDIENCE_TAG.into(), audience.into()),
            ])
        };
        let bad = read(&tags("q8Vd2k", "db one"));
        assert!(
            bad.nonce
                .unwrap_err()
                .contains("'q8Vd2k' is not a challenge nonce")
        );
        assert!(
            bad.audience
                .unwrap_err()
                .contains("'db one' is not a host[:port]")
        );
        // Brackets that do not close, or close around no address.
        for odd in ["_::1:3307", "__:3307", "_::1_x", "DB1:3306", "_xyz_:3306"] {
            assert!(read(&tags("x", odd)).audience.is_err(), "{odd}");
        }
    }

    #[test]
    fn a_token_with_a_nonce_tag_answers_a_challenge() {
        let b = binding("localhost", None);
        assert!(answers_a_challenge(&as_map(&for_binding(&b))));
        assert!(!answers_a_challenge(&as_map(&[(
            "job-id".into(),
            "nightly".into()
        )])));
    }
}
