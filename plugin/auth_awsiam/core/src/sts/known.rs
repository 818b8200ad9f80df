//! Known credentials: the AWS credentials that logged in here lately, so that a flood of
//! well-formed tokens STS will refuse cannot take every STS slot from the clients that
//! really log in (see `transport::StsSlots`).
//!
//! What "legitimate" can mean before STS has answered: this server cannot check a SigV4
//! signature (it never has the secret key), and an attacker can mint well-formed tokens
//! with any access key ID, date and session token. What the attacker cannot do is make STS
//! accept a signature. So a credential (its access key ID together with its session token)
//! becomes *known* when a token signed with it was verified by STS **and** let in by the
//! policy, and stays known for `KNOWN_FOR` after that login. An AWS account of one's own
//! is not enough: a caller STS verified but the policy refused is not remembered.
//!
//! What an attacker can still do, and why it is bounded:
//!
//! - A guessed credential is useless: the table holds a keyed hash (SipHash with a key
//!   drawn per process), so neither the table nor a collision can be aimed at.
//! - A *copied* credential (the access key ID and session token of a token the attacker
//!   captured; for long-term keys, which have no session token, the key ID alone, which is
//!   not secret: logs and CloudTrail show it) puts the attacker's forgeries among the known
//!   ones. The first of them STS answers with a refusal (`sts_rejected`) makes the
//!   credential unknown again, until its owner next logs in. So such an attacker can at
//!   worst take the legitimate owner back to where everyone is without this table (the
//!   shared slots), never further; and one holding a captured token can replay the token
//!   itself anyway, within its lifetime.
//!
//! The table is lock-free (unauthenticated input reads it on the way to STS): a fixed array
//! of `MAX_KNOWN` atomic words, each a 40-bit fingerprint and the minute it expires;
//! a credential lives in one of `PROBES` neighbouring words, replacing the one that
//! expires first. Two logins racing to record may lose one record: that credential then
//! uses the shared slots until its next login.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::token::Token;

/// How long a credential stays known after it logged in: the lifetime of a token (and the
/// shortest role session), so a client that logs in at least that often stays known.
pub const KNOWN_FOR: Duration = Duration::from_secs(15 * 60);
/// Credentials remembered at once (8 bytes each). A fleet with more distinct credentials
/// logging in per `KNOWN_FOR` keeps the most recent ones.
pub const MAX_KNOWN: usize = 8192;
/// Neighbouring words a credential may occupy.
const PROBES: usize = 4;
/// Bits of the expiry minute in a word; the rest is the fingerprint.
const MINUTE_BITS: u32 = 24;
const MINUTE_MASK: u64 = (1 << MINUTE_BITS) - 1;

/// The table of known credentials (see the module documentation).
pub struct Known {
    words: Box<[AtomicU64]>,
    key: RandomState,
    /// Minutes are counted from here.
    base: Instant,
}

/// A token's credential as the table knows it: where it lives and what marks it. Hashed
/// once per login (the session token is most of a token) and used for the look-up, the
/// record and the forgetting alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credential {
    start: usize,
    fingerprint: u64,
}

impl Known {
    pub fn new(capacity: usize, base: Instant) -> Self {
        Known {
            words: (0..capacity.max(PROBES))
                .map(|_| AtomicU64::new(0))
                .collect(),
            key: RandomState::new(),
            base,
        }
    }

    /// The token's credential: its access key ID and session token.
    pub fn credential(&self, token: &Token) -> Credential {
        let h = self
            .key
            .hash_one((token.access_key_id(), token.session_token.as_deref()));
        Credential {
            start: (h % self.words.len() as u64) as usize,
            fingerprint: h >> MINUTE_BITS,
        }
    }

    /// The minute `now` falls in (1 = the first), saturated to what a word holds.
    fn minute(&self, now: Instant) -> u64 {
        (now.saturating_duration_since(self.base).as_secs() / 60 + 1).min(MINUTE_MASK)
    }

    fn words_of(&self, p: Credential) -> impl Iterator<Item = &AtomicU64> {
        (0..PROBES).map(move |i| &self.words[(p.start + i) % self.words.len()])
    }

    /// Whether the credential logged in within `KNOWN_FOR` before `now`.
    pub fn is_known(&self, p: Credential, now: Instant) -> bool {
        let minute = self.minute(now);
        // A saturated clock (after 31 years) knows nobody rather than everybody forever.
        minute < MINUTE_MASK
            && self.words_of(p).any(|w| {
                let v = w.load(Ordering::Acquire);
                v >> MINUTE_BITS == p.fingerprint && v & MINUTE_MASK >= minute
            })
    }

    /// A login with the credential was let in at `now`.
    pub fn admit(&self, p: Credential, now: Instant) {
        // Known to the end of the minute KNOWN_FOR from now: at most a minute longer.
        let until = (self.minute(now) + KNOWN_FOR.as_secs().div_ceil(60)).min(MINUTE_MASK);
        let word = (p.fingerprint << MINUTE_BITS) | until;
        // Its own word if it has one, else the one that expires first (empty words first).
        let slot = self
            .words_of(p)
            .find(|w| w.load(Ordering::Acquire) >> MINUTE_BITS == p.fingerprint)
            .or_else(|| {
                self.words_of(p)
                    .min_by_key(|w| w.load(Ordering::Acquire) & MINUTE_MASK)
            });
        if let Some(w) = slot {
            w.store(word, Ordering::Release);
        }
    }

    /// STS refused a token signed with this credential: it is not known any more.
    pub fn forget(&self, p: Credential) {
        for w in self.words_of(p) {
            let v = w.load(Ordering::Acquire);
            if v >> MINUTE_BITS == p.fingerprint {
                let _ = w.compare_exchange(v, 0, Ordering::AcqRel, Ordering::Acquire);
            }
        }
    }

    /// Forgets every credential (plugin stop).
    pub fn clear(&self) {
        for w in self.words.iter() {
            w.store(0, Ordering::Release);
        }
    }
}

/// The credentials known to this process.
pub static KNOWN: LazyLock<Known> = LazyLock::new(|| Known::new(MAX_KNOWN, Instant::now()));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::tests::sample;

    fn with(key: &str, session: Option<&str>) -> Token {
        let mut t = sample();
        t.credential = format!("{key}/20260102/us-east-1/sts/aws4_request");
        t.session_token = session.map(str::to_string);
        t
    }

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_credential_is_known_for_a_while_after_it_logged_in() {
        let t0 = Instant::now();
        let k = Known::new(64, t0);
        let t = with("ASIAEXAMPLE", Some("session-1"));
        assert!(!k.is_known(k.credential(&t), t0));
        k.admit(k.credential(&t), t0);
        assert!(k.is_known(k.credential(&t), t0));
        assert!(k.is_known(k.credential(&t), t0 + KNOWN_FOR));
        assert!(!k.is_known(k.credential(&t), t0 + KNOWN_FOR + MIN));
        // Another token of the same credential (other date, other signature) is known.
        let mut later = t.clone();
        later.signature = "ab".repeat(32);
        later.amz_date = "20260102T000100Z".into();
        assert!(k.is_known(k.credential(&later), t0));
        // A login again renews it.
        k.admit(k.credential(&t), t0 + KNOWN_FOR);
        assert!(k.is_known(k.credential(&t), t0 + KNOWN_FOR + MIN));
    }

    /// The access key ID alone does not make a token known when the credential has a
    /// session token: a copied key ID with a made-up session token is another credential.
    #[test]
    fn the_session_token_is_part_of_the_credential() {
        let t0 = Instant::now();
        let k = Known::new(64, t0);
        k.admit(k.credential(&with("ASIAEXAMPLE", Some("session-1"))), t0);
        assert!(!k.is_known(k.credential(&with("ASIAEXAMPLE", Some("session-2"))), t0));
        assert!(!k.is_known(k.credential(&with("ASIAEXAMPLE", None)), t0));
        assert!(!k.is_known(k.credential(&with("ASIAOTHER", Some("session-1"))), t0));
        // A long-term key has no session token: its key ID is the credential.
        k.admit(k.credential(&with("AKIAEXAMPLE", None)), t0);
        assert!(k.is_known(k.credential(&with("AKIAEXAMPLE", None)), t0));
    }

    #[test]
    fn a_refusal_by_sts_forgets_the_credential() {
        let t0 = Instant::now();
        let k = Known::new(64, t0);
        let t = with("AKIAEXAMPLE", None);
        k.admit(k.credential(&t), t0);
        k.forget(k.credential(&t));
        assert!(!k.is_known(k.credential(&t), t0));
        // Forgetting an unknown credential touches nothing else.
        let other = with("AKIAOTHER", None);
        k.admit(k.credential(&other), t0);
        k.forget(k.credential(&t));
        assert!(k.is_known(k.credential(&other), t0));
        k.clear();
        assert!(!k.is_known(k.credential(&other), t0));
    }

    /// A full neighbourhood gives up the credential that expires first, and never more than
    /// the table's size is held: many attackers' own credentials cannot grow it.
    #[test]
    fn a_full_table_replaces_what_expires_first() {
        let t0 = Instant::now();
        let k = Known::new(PROBES, t0);
        let tokens: Vec<Token> = (0..=PROBES)
            .map(|i| with(&format!("AKIA{i:012}"), None))
            .collect();
        for (i, t) in tokens.iter().enumerate() {
            k.admit(k.credential(t), t0 + MIN * i as u32);
        }
        assert_eq!(k.words.len(), PROBES);
        // The first, which expired first, made way for the last.
        let now = t0 + MIN * PROBES as u32;
        assert!(!k.is_known(k.credential(&tokens[0]), now));
        assert!(tokens[1..].iter().all(|t| k.is_known(k.credential(t), now)));
    }

    /// A credential lives in `PROBES` neighbouring words from its start, and its start is a
    /// word of the table.
    #[test]
    fn a_credential_lives_in_neighbouring_words() {
        let k = Known::new(8, Instant::now());
        for n in 0..64 {
            let c = k.credential(&with(&format!("AKIA{n:016}"), None));
            assert!(c.start < 8, "{c:?}");
        }
        let at: Vec<usize> = k
            .words_of(Credential {
                start: 6,
                fingerprint: 1,
            })
            .map(|w| k.words.iter().position(|x| std::ptr::eq(x, w)).unwrap())
            .collect();
        assert_eq!(at, [6, 7, 0, 1]);
    }

    /// A credential that logs in again renews its own word: it never holds two.
    #[test]
    fn a_credential_holds_one_word() {
        let t0 = Instant::now();
        let k = Known::new(64, t0);
        let c = k.credential(&with("AKIAEXAMPLE", None));
        for m in 0..5 {
            k.admit(c, t0 + MIN * m);
        }
        let held = k
            .words
            .iter()
            .filter(|w| w.load(Ordering::Relaxed) >> MINUTE_BITS == c.fingerprint)
            .count();
        assert_eq!(held, 1);
    }

    #[test]
    fn minutes_saturate() {
        let t0 = Instant::now();
        let k = Known::new(8, t0);
        assert_eq!(k.minute(t0), 1);
        assert_eq!(k.minute(t0 + MIN), 2);
        let far = t0 + Duration::from_secs(60 * (MINUTE_MASK + 10));
        assert_eq!(k.minute(far), MINUTE_MASK);
        let t = with("AKIAEXAMPLE", None);
        k.admit(k.credential(&t), far);
        // Saturated: not known (the entry cannot outlive the clock it is counted in).
        assert!(!k.is_known(k.credential(&t), far));
    }
}
