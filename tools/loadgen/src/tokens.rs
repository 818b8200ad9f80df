//! What each login sends as its password: one password or token for every login, or a list
//! of tokens taken in turn. Fresh tokens are signed here with the plugin's own signer
//! (`auth_awsiam_core::request::sign`), which takes microseconds where the token CLI takes
//! a process start and an AssumeRole call per token.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use auth_awsiam_core::request;
use aws_credential_types::Credentials;

/// Access key ID of the signed tokens: an STS double does not check signatures, and the
/// key is not a real one.
pub const BENCH_ACCESS_KEY: &str = "ASIABENCHLOADGEN0001";
pub const BENCH_SECRET_KEY: &str = "bench-placeholder-secret-not-a-key";
/// Length of the session token in each signed token. Real STS session tokens of role
/// sessions run from about 700 to well over 1,000 characters; the token size matters to
/// the server (decoding, hashing for the cache key), so the benchmark does not make it
/// small.
pub const SESSION_TOKEN_LEN: usize = 1000;
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Passwords handed out to logins, each login taking the next one (wrapping around).
pub struct Passwords {
    list: Vec<String>,
    next: AtomicUsize,
}

impl Passwords {
    pub fn one(password: impl Into<String>) -> Passwords {
        Passwords::list(vec![password.into()])
    }

    pub fn list(list: Vec<String>) -> Passwords {
        assert!(
            !list.is_empty(),
            "a password list needs one password at least"
        );
        Passwords {
            list,
            next: AtomicUsize::new(0),
        }
    }

    pub fn next(&self) -> &str {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        &self.list[i % self.list.len()]
    }
}

/// Where signed tokens are for: the STS host the server is configured with, and region.
#[derive(Clone, Debug)]
pub struct SignFor {
    pub host: String,
    pub region: String,
}

/// A session token that differs for each `n` (so each token, and its cache key, does).
fn session_token(n: u64) -> String {
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..SESSION_TOKEN_LEN)
        .map(|_| {
            // xorshift64: cheap, deterministic, and enough to make tokens distinct.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            BASE64[(state % 64) as usize] as char
        })
        .collect()
}

/// Signs token number `n` for `target` now.
pub fn sign_one(target: &SignFor, n: u64) -> Result<String, String> {
    sign_as(
        target,
        &Signer::bench(n, BENCH_SECRET_KEY),
        SystemTime::now(),
    )
}

/// A credential to sign with: an access key ID, a session token and a secret key. The
/// benchmark's own credentials use `BENCH_SECRET_KEY`; a forgery signs with another secret
/// (so a double that checks signatures refuses it, as STS would).
#[derive(Clone, Debug)]
pub struct Signer {
    pub key_id: String,
    pub session_token: String,
    pub secret: &'static str,
}

impl Signer {
    /// The benchmark's access key with session token number `n`.
    pub fn bench(n: u64, secret: &'static str) -> Signer {
        Signer {
            key_id: BENCH_ACCESS_KEY.into(),
            session_token: session_token(n),
            secret,
        }
    }

    /// Another access key ID (20 characters, like AWS's), session token number `n`.
    pub fn other_key(key_id: String, n: u64, secret: &'static str) -> Signer {
        Signer {
            key_id,
            session_token: session_token(n),
            secret,
        }
    }
}

/// Signs a token for `target` with `signer`, dated `time`.
pub fn sign_as(target: &SignFor, signer: &Signer, time: SystemTime) -> Result<String, String> {
    let creds = Credentials::new(
        signer.key_id.clone(),
        signer.secret,
        Some(signer.session_token.clone()),
        None,
        "auth_awsiam_loadgen",
    );
    request::sign(&target.host, &target.region, None, &creds, time)
        .map(|t| t.encode())
        .map_err(|e| format!("cannot sign a token: {e}"))
}

/// `count` distinct tokens, signed by `threads` threads (numbered from `first`).
pub fn sign_many(
    target: &SignFor,
    first: u64,
    count: usize,
    threads: usize,
) -> Result<Vec<String>, String> {
    let threads = threads.clamp(1, count.max(1));
    let per = count.div_ceil(threads);
    let chunks: Vec<Result<Vec<String>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = t * per;
                let end = (start + per).min(count);
                s.spawn(move || {
                    (start..end)
                        .map(|i| sign_one(target, first + i as u64))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("signing thread panicked"))
            .collect()
    });
    let mut all = Vec::with_capacity(count);
    for chunk in chunks {
        all.extend(chunk?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_awsiam_core::token::Token;

    fn target() -> SignFor {
        SignFor {
            host: "127.0.0.1:4566".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn signed_tokens_decode_and_differ() {
        let tokens = sign_many(&target(), 7, 5, 2).unwrap();
        assert_eq!(tokens.len(), 5);
        for t in &tokens {
            let decoded = Token::decode(t.as_bytes()).expect("the server's decoder accepts it");
            assert_eq!(decoded.host, "127.0.0.1:4566");
            assert_eq!(
                decoded.session_token.as_deref().map(str::len),
                Some(SESSION_TOKEN_LEN)
            );
        }
        let mut unique = tokens.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5, "every token is distinct");
    }

    #[test]
    fn passwords_are_taken_in_turn() {
        let p = Passwords::list(vec!["a".into(), "b".into()]);
        let got: Vec<&str> = (0..5).map(|_| p.next()).collect();
        assert_eq!(got, ["a", "b", "a", "b", "a"]);
        assert_eq!(Passwords::one("x").next(), "x");
    }
}
