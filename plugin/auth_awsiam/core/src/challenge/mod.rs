//! The challenge the server plugin `auth_awsiam_challenge` sends to the client plugin
//! `auth_awsiam_client`: a fresh nonce for this connection, what to sign for, how long the
//! server waits, and which kinds of answer it takes.
//!
//! Wire form, version 2: ASCII lines ending in '\n', exactly these and in this order:
//!
//! ```text
//! awsiam-challenge/2
//! nonce=<43 characters: 32 random bytes, base64url without padding>
//! sts-host=<the STS authority the server verifies against, host[:port]>
//! region=<the signing region of that host>
//! server-id=<auth_awsiam_server_id, or nothing>
//! timeout=<seconds the server waits for the answer>
//! answers=<kinds of answer the server takes, comma separated, preferred first>
//! jwt-audience=<the audience a JWT answer must be minted for, or nothing>
//! ```
//!
//! Answer kinds: `sigv4` (a signed GetCallerIdentity, verified by STS) and `jwt` (an
//! AWS-issued JWT whose request tags carry the nonce, audience and channel, verified here:
//! `answer.rs`, `tags.rs`). A reader skips kinds it does not know and answers with the
//! first it can, so a server may offer a new kind ahead of an older one without breaking
//! older clients; a challenge with no kind the reader knows is refused. `jwt-audience` is
//! the audience JWT answers are minted for (`auth_awsiam_jwt_audience`): set exactly when
//! the list offers `jwt`.
//!
//! Version 1 (before channel binding) is refused by name: its answers could not be bound
//! to the TLS channel. A later format gets a new first line and is never read as this one.
//! Both sides decode with [`Challenge::decode`]: the client before it signs anything, the
//! server on its own issued challenge when the answer comes back.
//!
//! `answer` is what the client plugin sends back, `audience` which server names it may be
//! signed for, `tags` how a JWT answer carries what a sigv4 answer signs in headers,
//! `login` runs a challenge login on the server.

pub mod answer;
pub mod audience;
pub mod login;
pub mod tags;

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::syntax;
use crate::token::{NONCE_BYTES, is_nonce};

/// The first line: the format and its version.
pub const VERSION_LINE: &str = "awsiam-challenge/2";
/// The first line of the format before this one.
const VERSION_1_LINE: &str = "awsiam-challenge/1";
/// Longest challenge accepted, checked before anything is parsed.
pub const MAX_CHALLENGE_LEN: usize = 1024;
/// Longest wait a challenge may announce.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// Most kinds of answer one challenge may offer (known or not).
pub const MAX_ANSWER_KINDS: usize = 8;
/// Longest JWT audience a challenge may name (the challenge must fit
/// `MAX_CHALLENGE_LEN` with every other field at its longest).
pub const MAX_JWT_AUDIENCE_LEN: usize = 255;
/// The field names after the version line, in wire order.
const FIELDS: [&str; 7] = [
    "nonce",
    "sts-host",
    "region",
    "server-id",
    "timeout",
    "answers",
    "jwt-audience",
];

/// A kind of answer this release reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// A signed `sts:GetCallerIdentity` (`answer.rs`), verified by STS.
    SigV4,
    /// An AWS-issued JWT (`sts:GetWebIdentityToken`) for `jwt-audience`, bound to the
    /// challenge by its request tags (`tags.rs`), verified by the plugin alone.
    Jwt,
}

impl AnswerKind {
    /// Every kind this release knows, by its wire name.
    pub const ALL: [AnswerKind; 2] = [AnswerKind::SigV4, AnswerKind::Jwt];

    pub fn name(self) -> &'static str {
        match self {
            AnswerKind::SigV4 => "sigv4",
            AnswerKind::Jwt => "jwt",
        }
    }

    pub fn from_name(s: &str) -> Option<AnswerKind> {
        AnswerKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// Names as a list, for messages: `jwt,sigv4`.
pub fn names(kinds: &[AnswerKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    names.join(",")
}

/// Parses `auth_awsiam_challenge_answers`: the kinds a server offers, preferred first,
/// comma separated, each known and named once. Never empty: a server that takes no answer
/// would refuse every login of the plugin; uninstalling it says that better.
pub fn parse_answers(value: &str) -> Result<Vec<AnswerKind>, String> {
    let known = names(&AnswerKind::ALL);
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    if items.len() > AnswerKind::ALL.len() {
        return Err(format!(
            "{} kinds of answer given; there are {} ({known})",
            items.len(),
            AnswerKind::ALL.len()
        ));
    }
    let mut kinds = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let kind = AnswerKind::from_name(item).ok_or_else(|| {
            format!(
                "item {} {} is not a kind of answer: {known}, preferred first, comma separated",
                i + 1,
                syntax::shown(item)
            )
        })?;
        if kinds.contains(&kind) {
            return Err(format!("{} is named twice", kind.name()));
        }
        kinds.push(kind);
    }
    Ok(kinds)
}

/// A challenge that could not be read (the client shows it; it names no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadChallenge(pub String);

impl fmt::Display for BadChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadChallenge {}

fn bad(detail: impl Into<String>) -> BadChallenge {
    BadChallenge(detail.into())
}

/// One challenge. Every field has passed its syntax check when it comes out of
/// [`Challenge::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub nonce: String,
    /// The authority to sign for (the Host header of the request).
    pub sts_host: String,
    pub region: String,
    pub server_id: Option<String>,
    /// How long the server waits for the answer.
    pub timeout: Duration,
    /// The kinds of answer offered that this release knows, preferred first (never empty
    /// once decoded).
    pub answers: Vec<AnswerKind>,
    /// The audience of a JWT answer: `Some` exactly when `answers` offers `jwt`.
    pub jwt_audience: Option<String>,
}

/// A fresh nonce from the operating system's random source.
pub fn new_nonce() -> Result<String, String> {
    let mut bytes = [0u8; NONCE_BYTES];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether a challenge can carry `audience` as its `jwt-audience`: 1 to
/// [`MAX_JWT_AUDIENCE_LEN`] printable characters, no comma (a list separator, kept free
/// for a list of audiences).
pub fn is_jwt_audience(audience: &str) -> bool {
    !audience.is_empty()
        && audience.len() <= MAX_JWT_AUDIENCE_LEN
        && audience.bytes().all(|b| b.is_ascii_graphic() && b != b',')
}

/// The kinds offered: a comma-separated list of names; unknown ones are skipped.
fn answer_kinds(list: &str) -> Result<Vec<AnswerKind>, BadChallenge> {
    let names: Vec<&str> = list.split(',').collect();
    let well_formed = |n: &&str| {
        !n.is_empty()
            && n.len() <= 16
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if names.len() > MAX_ANSWER_KINDS || !names.iter().all(well_formed) {
        return Err(bad(format!(
            "challenge answers must be 1 to {MAX_ANSWER_KINDS} lowercase names, comma separated"
        )));
    }
    let mut kinds = Vec::new();
    for k in names.iter().filter_map(|n| AnswerKind::from_name(n)) {
        if kinds.contains(&k) {
            return Err(bad(format!("challenge answers name {} twice", k.name())));
        }
        kinds.push(k);
    }
    if kinds.is_empty() {
        return Err(bad(format!(
            "the server takes none of the answers this client can give ({}): install the auth_awsiam_client plugin of the server's release",
            syntax::quoted(list, 64)
        )));
    }
    Ok(kinds)
}

impl Challenge {
    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let values = [
            self.nonce.clone(),
            self.sts_host.clone(),
            self.region.clone(),
            self.server_id.clone().unwrap_or_default(),
            self.timeout.as_secs().to_string(),
            names(&self.answers),
            self.jwt_audience.clone().unwrap_or_default(),
        ];
        let mut out = format!("{VERSION_LINE}\n");
        for (name, value) in FIELDS.iter().zip(values) {
            out.push_str(&format!("{name}={value}\n"));
        }
        out.into_bytes()
    }

    /// Parses and checks a challenge. Tolerates one trailing NUL (client libraries treat
    /// plugin data as a C string); nothing else outside the format.
    pub fn decode(raw: &[u8]) -> Result<Challenge, BadChallenge> {
        let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
        if raw.is_empty() {
            return Err(bad("the server sent an empty challenge"));
        }
        if raw.len() > MAX_CHALLENGE_LEN {
            return Err(bad(format!(
                "the challenge has {} bytes, more than the limit of {MAX_CHALLENGE_LEN}",
                raw.len()
            )));
        }
        let text = std::str::from_utf8(raw)
            .ok()
            .filter(|t| t.is_ascii())
            .ok_or_else(|| bad("the challenge is not ASCII text"))?;
        let version = text.split('\n').next().unwrap_or("");
        if version != VERSION_LINE {
            return Err(bad(if version == VERSION_1_LINE {
                "the server sends version 1 challenges, which cannot be bound to the TLS channel: upgrade the server's auth_awsiam plugin to the client's release".to_string()
            } else if version.starts_with("awsiam-challenge/") {
                format!(
                    "unsupported challenge version {} (this client reads {VERSION_LINE}): install the auth_awsiam_client plugin of the server's release",
                    syntax::quoted(version, 32)
                )
            } else {
                "the server's first packet is not an auth_awsiam challenge".to_string()
            }));
        }
        let Some(body) = text.strip_suffix('\n') else {
            return Err(bad("the challenge does not end with a newline"));
        };
        let mut lines = body.split('\n');
        lines.next();
        let lines: Vec<&str> = lines.collect();
        if lines.len() != FIELDS.len() {
            return Err(bad(format!(
                "the challenge has {} fields, expected {}",
                lines.len(),
                FIELDS.len()
            )));
        }
        let mut values = [""; FIELDS.len()];
        for ((slot, line), name) in values.iter_mut().zip(&lines).zip(FIELDS) {
            *slot = line
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .ok_or_else(|| bad(format!("challenge field '{name}' missing or out of order")))?;
        }
        let [
            nonce,
            sts_host,
            region,
            server_id,
            timeout,
            answers,
            jwt_audience,
        ] = values;
        if !is_nonce(nonce) {
            return Err(bad("challenge nonce is not 32 bytes of base64url"));
        }
        if !syntax::is_authority(sts_host) {
            return Err(bad("challenge sts-host is not a host[:port]"));
        }
        if !syntax::is_region(region) {
            return Err(bad("challenge region is not a region name"));
        }
        if !server_id.is_empty() && !syntax::is_server_id(server_id) {
            return Err(bad(format!(
                "challenge server-id must be {}",
                syntax::SERVER_ID_RULE
            )));
        }
        // An empty timeout passes this and fails to parse.
        let secs = (timeout.len() <= 4 && timeout.bytes().all(|b| b.is_ascii_digit()))
            .then(|| timeout.parse::<u64>().ok())
            .flatten()
            .filter(|s| (1..=MAX_TIMEOUT_SECS).contains(s))
            .ok_or_else(|| {
                bad(format!(
                    "challenge timeout must be 1 to {MAX_TIMEOUT_SECS} seconds"
                ))
            })?;
        if !is_jwt_audience(jwt_audience) && !jwt_audience.is_empty() {
            return Err(bad("challenge jwt-audience is not a printable name"));
        }
        let answers = answer_kinds(answers)?;
        // A JWT answer is minted for this audience: offered without one, it could not be
        // made; named without the offer, the server meant something this reader does not.
        match (answers.contains(&AnswerKind::Jwt), jwt_audience.is_empty()) {
            (true, true) => {
                return Err(bad(
                    "challenge offers jwt answers but names no jwt-audience",
                ));
            }
            (false, false) => {
                return Err(bad(
                    "challenge jwt-audience is set but no jwt answer is offered",
                ));
            }
            _ => {}
        }
        Ok(Challenge {
            nonce: nonce.to_string(),
            sts_host: sts_host.to_string(),
            region: region.to_string(),
            server_id: (!server_id.is_empty()).then(|| server_id.to_string()),
            timeout: Duration::from_secs(secs),
            answers,
            jwt_audience: (!jwt_audience.is_empty()).then(|| jwt_audience.to_string()),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn sample() -> Challenge {
        Challenge {
            nonce: new_nonce().unwrap(),
            sts_host: "sts.us-east-1.amazonaws.com".into(),
            region: "us-east-1".into(),
            server_id: Some("db1".into()),
            timeout: Duration::from_secs(10),
            answers: vec![AnswerKind::SigV4],
            jwt_audience: None,
        }
    }

    fn text_of(c: &Challenge) -> String {
        String::from_utf8(c.encode()).unwrap()
    }

    fn err(raw: &str) -> String {
        Challenge::decode(raw.as_bytes()).unwrap_err().0
    }

    #[test]
    fn wire_form_is_the_documented_one() {
        let mut c = sample();
        c.nonce = "A".repeat(43);
        c.server_id = None;
        assert_eq!(
            text_of(&c),
            format!(
                "awsiam-challenge/2\nnonce={}\nsts-host=sts.us-east-1.amazonaws.com\nregion=us-east-1\nserver-id=\ntimeout=10\nanswers=sigv4\njwt-audience=\n",
                "A".repeat(43)
            )
        );
    }

    #[test]
    fn round_trip_with_and_without_server_id_and_nul() {
        let c = sample();
        assert_eq!(Challenge::decode(&c.encode()).unwrap(), c);
        let mut with_nul = c.encode();
        with_nul.push(0);
        assert_eq!(Challenge::decode(&with_nul).unwrap(), c);
        let mut c = sample();
        c.server_id = None;
        c.sts_host = "127.0.0.1:4566".into();
        assert_eq!(Challenge::decode(&c.encode()).unwrap(), c);
    }

    #[test]
    fn nonces_are_fresh_and_well_formed() {
        let a = new_nonce().unwrap();
        let b = new_nonce().unwrap();
        assert_ne!(a, b);
        assert!(is_nonce(&a) && is_nonce(&b));
        assert!(!is_nonce(&a[1..]));
        assert!(!is_nonce(&format!("{}=", &a[1..])));
        assert!(!is_nonce(&"!".repeat(43)));
    }

    #[test]
    fn refusals() {
        let good = text_of(&sample());
        assert!(err("").contains("empty"));
        assert!(err(&"a".repeat(MAX_CHALLENGE_LEN + 1)).contains("limit"));
        // At the limit the text is read (and refused for what it says, not its length).
        assert!(!err(&"a".repeat(MAX_CHALLENGE_LEN)).contains("limit"));
        assert!(err("awsiam-challenge/3\n").contains("unsupported challenge version"));
        let v1 = good.replacen("awsiam-challenge/2", "awsiam-challenge/1", 1);
        assert!(err(&v1).contains("version 1"), "{}", err(&v1));
        assert!(err("caf\u{e9}\n").contains("not ASCII"));
        assert!(err("hello\n").contains("not an auth_awsiam challenge"));
        assert!(err(good.trim_end()).contains("newline"));
        assert!(err("awsiam-challenge/2\nnonce=x\n").contains("fields"));
        let swapped = good.replacen("sts-host=", "sts_host=", 1);
        assert!(err(&swapped).contains("'sts-host'"));
        let extra = format!("{good}extra=1\n");
        assert!(err(&extra).contains("fields"));
        let cases = [
            ("nonce=", "nonce=short\n"),
            ("sts-host=", "sts-host=Bad Host\n"),
            ("region=", "region=moon\n"),
            ("server-id=", "server-id=has space\n"),
            ("timeout=", "timeout=0\n"),
            ("timeout=", "timeout=99999\n"),
            ("timeout=", "timeout=-1\n"),
            ("answers=", "answers=\n"),
            ("answers=", "answers=SIGV4\n"),
            ("answers=", "answers=sigv4,,jwt\n"),
            ("answers=", "answers=sigv4,sigv4\n"),
            ("answers=", "answers=jwt\n"),
            ("answers=", "answers=a,b,c,d,e,f,g,h,sigv4\n"),
            ("jwt-audience=", "jwt-audience=db1\n"),
            ("jwt-audience=", "jwt-audience=has space\n"),
        ];
        for (field, replacement) in cases {
            let mut lines: Vec<String> = good.lines().map(|l| format!("{l}\n")).collect();
            let i = lines.iter().position(|l| l.starts_with(field)).unwrap();
            lines[i] = replacement.to_string();
            assert!(
                Challenge::decode(lines.concat().as_bytes()).is_err(),
                "{replacement}"
            );
        }
    }

    #[test]
    fn unknown_answer_kinds_are_skipped() {
        let good = text_of(&sample());
        let offered = |answers: &str, jwt_audience: &str| {
            good.replace("answers=sigv4\n", &format!("answers={answers}\n"))
                .replace("jwt-audience=\n", &format!("jwt-audience={jwt_audience}\n"))
        };
        use AnswerKind::{Jwt, SigV4};
        for (answers, jwt_audience, known) in [
            ("jwt,sigv4", "mysql://db1.example.com", vec![Jwt, SigV4]),
            ("future1,sigv4,future2", "", vec![SigV4]),
            ("sigv4,jwt", "db1", vec![SigV4, Jwt]),
            ("future,jwt", "db1", vec![Jwt]),
        ] {
            let c = Challenge::decode(offered(answers, jwt_audience).as_bytes()).unwrap();
            assert_eq!(c.answers, known, "{answers}");
            assert_eq!(
                c.jwt_audience.as_deref(),
                Some(jwt_audience).filter(|a| !a.is_empty())
            );
        }
        let e = err(&offered("future1,future2", ""));
        assert!(e.contains("none of the answers"), "{e}");
        // The audience goes with the jwt offer, and only with it.
        let e = err(&offered("jwt,sigv4", ""));
        assert!(e.contains("names no jwt-audience"), "{e}");
        let e = err(&offered("sigv4", "db1"));
        assert!(e.contains("no jwt answer is offered"), "{e}");
    }

    /// The list's own syntax: names of lowercase letters and digits, none empty, at most 16
    /// characters, at most MAX_ANSWER_KINDS of them; a malformed name among good ones
    /// refuses the whole challenge, even when a known kind could be picked.
    #[test]
    fn answer_lists_are_checked_whole() {
        let good = text_of(&sample());
        let offered =
            |answers: &str| good.replace("answers=sigv4\n", &format!("answers={answers}\n"));
        let many: Vec<String> = (1..MAX_ANSWER_KINDS)
            .map(|i| format!("future{i}"))
            .chain(["sigv4".to_string()])
            .collect();
        let c = Challenge::decode(offered(&many.join(",")).as_bytes()).unwrap();
        assert_eq!(
            c.answers,
            vec![AnswerKind::SigV4],
            "{MAX_ANSWER_KINDS} names are allowed"
        );
        let too_many = format!("future0,{}", many.join(","));
        for bad in [
            "sigv4,",
            ",sigv4",
            "sigv4,Future",
            "sigv4,fut-ure",
            "sigv4,abcdefghijklmnopq",
            too_many.as_str(),
        ] {
            let e = err(&offered(bad));
            assert!(e.contains("lowercase names"), "{bad}: {e}");
        }
        // 16 characters is a name.
        assert!(Challenge::decode(offered("sigv4,abcdefghijklmnop").as_bytes()).is_ok());
    }

    /// The timeout is 1 to 4 digits: a sign, a space or a fifth digit is refused (Rust's
    /// integer parser would take "+30").
    #[test]
    fn the_timeout_is_digits_only() {
        let good = text_of(&sample());
        let with = |t: &str| good.replace("timeout=10\n", &format!("timeout={t}\n"));
        assert!(good.contains("timeout=10\n"), "{good}");
        for bad in ["+30", " 30", "30 ", "", "00030", "-1"] {
            let e = err(&with(bad));
            assert!(e.contains("timeout"), "{bad}: {e}");
        }
        assert!(Challenge::decode(with("0010").as_bytes()).is_ok());
    }

    #[test]
    fn a_bad_challenge_says_what_is_wrong() {
        assert_eq!(
            BadChallenge("the nonce is missing".into()).to_string(),
            "the nonce is missing"
        );
    }

    #[test]
    fn a_jwt_offer_round_trips() {
        let mut c = sample();
        c.answers = vec![AnswerKind::Jwt, AnswerKind::SigV4];
        c.jwt_audience = Some("mysql://db1.example.com".into());
        let text = text_of(&c);
        assert!(
            text.ends_with("answers=jwt,sigv4\njwt-audience=mysql://db1.example.com\n"),
            "{text}"
        );
        assert_eq!(Challenge::decode(text.as_bytes()).unwrap(), c);
        // The longest audience a challenge carries, with every other field at its longest,
        // fits the limit.
        c.sts_host = format!("{}:65535", "h".repeat(syntax::MAX_HOST_LEN - 6));
        c.server_id = Some("s".repeat(syntax::MAX_SERVER_ID_LEN));
        c.region = "us-gov-southwest-99".into();
        c.timeout = Duration::from_secs(MAX_TIMEOUT_SECS);
        c.jwt_audience = Some("a".repeat(MAX_JWT_AUDIENCE_LEN));
        assert!(
            c.encode().len() <= MAX_CHALLENGE_LEN,
            "{}",
            c.encode().len()
        );
        assert_eq!(Challenge::decode(&c.encode()).unwrap(), c);
        assert!(!is_jwt_audience(&"a".repeat(MAX_JWT_AUDIENCE_LEN + 1)));
        assert!(!is_jwt_audience("a,b") && !is_jwt_audience("a b") && !is_jwt_audience(""));
    }

    #[test]
    fn the_setting_names_known_kinds_once() {
        use AnswerKind::{Jwt, SigV4};
        assert_eq!(parse_answers("sigv4"), Ok(vec![SigV4]));
        assert_eq!(parse_answers(" jwt , sigv4"), Ok(vec![Jwt, SigV4]));
        assert_eq!(parse_answers("jwt"), Ok(vec![Jwt]));
        for (bad, says) in [
            ("", "item 1 ''"),
            ("jwt,", "item 2 ''"),
            ("JWT", "item 1 'JWT' is not a kind of answer: sigv4,jwt"),
            ("sigv4,password", "item 2 'password'"),
            ("jwt,jwt", "jwt is named twice"),
            ("jwt,sigv4,jwt", "3 kinds of answer given"),
        ] {
            let e = parse_answers(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert_eq!(names(&[Jwt, SigV4]), "jwt,sigv4");
    }

    #[test]
    fn a_scramble_is_not_a_challenge() {
        // What a client reads when the server's handshake came from another plugin.
        let scramble: Vec<u8> = (1u8..=20).chain([0]).collect();
        assert!(Challenge::decode(&scramble).is_err());
    }

    proptest! {
        #[test]
        fn decode_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Challenge::decode(&raw);
        }

        #[test]
        fn decode_never_panics_on_lines(lines in proptest::collection::vec("[ -~]{0,60}", 0..8)) {
            let text = format!("{VERSION_LINE}\n{}\n", lines.join("\n"));
            let _ = Challenge::decode(text.as_bytes());
        }
    }
}
