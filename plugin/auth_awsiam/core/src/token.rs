//! The login token: a client-signed `sts:GetCallerIdentity` request reduced to the
//! signature material the server cannot know itself.
//!
//! Wire form: `awsiam1.` then base64url (no padding) of a UTF-8 payload of exactly seven
//! fields joined by '\n': host, x-amz-date, credential, signed headers, signature,
//! server id ('' if none), session token ('' if none).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};

use crate::channel;
use crate::error::{Reason, Refusal, refuse};
use crate::syntax;

/// Format version prefix; a future format gets a new prefix, never a reinterpretation.
pub const TOKEN_PREFIX: &str = "awsiam1.";
/// Hard limit on the encoded token, checked before anything is decoded.
pub const MAX_TOKEN_LEN: usize = 8192;
/// Fields in the payload.
pub const FIELD_COUNT: usize = 7;
/// Longest access key ID (AWS documents 16..128; LocalStack uses 12-digit IDs).
pub const MAX_ACCESS_KEY_LEN: usize = 128;
/// Shortest access key ID we accept.
pub const MIN_ACCESS_KEY_LEN: usize = 3;
/// Longest session token (STS tokens are well under this).
pub const MAX_SESSION_TOKEN_LEN: usize = 4096;
/// Longest signed-header list.
pub const MAX_SIGNED_HEADERS_LEN: usize = 512;
/// Length of a SigV4 signature in hex.
pub const SIGNATURE_HEX_LEN: usize = 64;
/// The only service a token may be scoped to.
pub const SERVICE: &str = "sts";
/// The fixed last element of a SigV4 credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";
/// Characters the `mysql` client's `-p` prompt keeps: a token pasted there is cut to this.
pub const PROMPT_KEEPS: usize = 79;
/// Reads the part of a cut token that is there (a cut leaves non-zero trailing bits);
/// only used to explain a refusal, never to accept a token.
const CUT_READER: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);
/// Length of `YYYYMMDDTHHMMSSZ`.
const AMZ_DATE_LEN: usize = 16;

/// A decoded token. Every field has passed its syntax check when it comes out of
/// [`Token::decode`].
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    /// The authority the client signed for (the Host header).
    pub host: String,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: String,
    /// `AKID/YYYYMMDD/REGION/sts/aws4_request`.
    pub credential: String,
    /// `content-type;host;x-amz-date;...`
    pub signed_headers: String,
    /// 64 lowercase hex digits.
    pub signature: String,
    pub server_id: Option<String>,
    pub session_token: Option<String>,
    /// Set only in the answer to a challenge (`answer.rs`): the nonce, audience and channel
    /// the client signed. A cleartext token never has one.
    pub binding: Option<Binding>,
}

/// What a challenge answer signs on top of a token: the server's one-time nonce, the
/// server the client meant to reach (the audience) and the TLS channel it reached it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The nonce of the challenge, as the server wrote it (base64url).
    pub nonce: String,
    /// `host[:port]` the client dialed, or the audience it was told to use.
    pub audience: String,
    /// The `tls-server-end-point` value of the certificate the client saw (`channel.rs`);
    /// `None` when the connection is not TLS (a local socket).
    pub channel: Option<String>,
}

/// Random bytes in a challenge nonce.
pub const NONCE_BYTES: usize = 32;
/// Characters of a nonce once encoded (base64url of 32 bytes, no padding).
pub const NONCE_LEN: usize = 43;

/// A nonce as written on the wire: 43 base64url characters that decode to 32 bytes.
pub fn is_nonce(s: &str) -> bool {
    s.len() == NONCE_LEN
        && URL_SAFE_NO_PAD
            .decode(s)
            .is_ok_and(|b| b.len() == NONCE_BYTES)
}

impl Binding {
    /// Checks the syntax of every field; the signer and the answer's decoder both apply it.
    pub fn check(&self) -> Result<(), String> {
        if !is_nonce(&self.nonce) {
            return Err("the nonce is not 32 bytes of base64url".into());
        }
        if !syntax::is_authority(&self.audience) {
            return Err(format!(
                "the audience {} is not a lowercase host[:port]",
                syntax::quoted(&self.audience, 64)
            ));
        }
        if let Some(c) = &self.channel
            && !channel::is_value(c)
        {
            return Err(format!(
                "the channel binding is not a {} value",
                channel::TLS_SERVER_END_POINT
            ));
        }
        Ok(())
    }
}

// Debug never shows the signature or the session token: tokens end up in test output and
// panic messages, which may reach the error log.
impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("host", &self.host)
            .field("amz_date", &self.amz_date)
            .field("credential", &self.credential)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .field("server_id", &self.server_id)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("binding", &self.binding)
            .finish()
    }
}

/// A token that ends early: it was cut on its way (most often by a password prompt).
fn truncated(len: usize, fields: usize) -> Refusal {
    let prompt = if len == PROMPT_KEEPS {
        format!(" ({PROMPT_KEEPS} characters: exactly what the mysql client's -p prompt keeps)")
    } else {
        String::new()
    };
    refuse(
        Reason::TokenTruncated,
        format!(
            "the token was cut short: it is {len} characters{prompt} and holds {fields} of its {FIELD_COUNT} fields; \
             a token is 300 to 3000 characters, too long for a password prompt: pass it in an option file \
             (auth_awsiam_token --format option-file, then mysql --defaults-file=FILE) or use the auth_awsiam_client plugin"
        ),
    )
}

fn field_error(detail: impl Into<String>) -> Refusal {
    refuse(Reason::TokenField, detail)
}

/// The bytes of a client's packet that [`Token::decode`] reads: without the one trailing NUL
/// the cleartext client plugin sends, nor surrounding whitespace. Two packets with the same
/// wire form decode to the same token.
pub fn wire_form(raw: &[u8]) -> &[u8] {
    raw.strip_suffix(b"\0").unwrap_or(raw).trim_ascii()
}

impl Token {
    /// The seven payload fields, in wire order ('' for an absent optional field).
    pub fn fields(&self) -> [&str; FIELD_COUNT] {
        [
            self.host.as_str(),
            &self.amz_date,
            &self.credential,
            &self.signed_headers,
            &self.signature,
            self.server_id.as_deref().unwrap_or(""),
            self.session_token.as_deref().unwrap_or(""),
        ]
    }

    /// The wire form of a cleartext token. A challenge answer (a token with a binding) is
    /// written by `answer::encode` instead; its binding has no place in this format.
    pub fn encode(&self) -> String {
        debug_assert!(
            self.binding.is_none(),
            "a bound token is encoded as an answer"
        );
        let payload = self.fields().join("\n");
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(payload))
    }

    /// Parses and checks the packet a client sent. Nothing here touches the network.
    pub fn decode(raw: &[u8]) -> Result<Token, Refusal> {
        let raw = wire_form(raw);
        if raw.is_empty() {
            return Err(refuse(
                Reason::TokenEmpty,
                "the client sent an empty password",
            ));
        }
        if raw.len() > MAX_TOKEN_LEN {
            return Err(refuse(
                Reason::TokenTooLarge,
                format!(
                    "token of {} bytes exceeds the limit of {MAX_TOKEN_LEN}",
                    raw.len()
                ),
            ));
        }
        let Some(body) = raw.strip_prefix(TOKEN_PREFIX.as_bytes()) else {
            let detail = if raw.starts_with(b"awsiam") {
                "unsupported token format version (expected awsiam1.)".to_string()
            } else {
                format!(
                    "the password is not an auth_awsiam token (no '{TOKEN_PREFIX}' prefix); mint one with auth_awsiam_token"
                )
            };
            return Err(refuse(Reason::TokenVersion, detail));
        };
        let payload = match URL_SAFE_NO_PAD.decode(body) {
            Ok(payload) => payload,
            Err(_) => {
                // A cut leaves a dangling character or non-zero trailing bits: read what
                // is there, to tell a cut token from a garbled one.
                let whole = &body[..body.len() - usize::from(body.len() % 4 == 1)];
                return Err(match CUT_READER.decode(whole) {
                    Ok(p) if p.split(|&b| b == b'\n').count() < FIELD_COUNT => {
                        truncated(raw.len(), p.split(|&b| b == b'\n').count())
                    }
                    _ => refuse(
                        Reason::TokenEncoding,
                        "token body is not unpadded base64url",
                    ),
                });
            }
        };
        let payload = String::from_utf8(payload)
            .map_err(|_| refuse(Reason::TokenEncoding, "token payload is not UTF-8"))?;
        let fields = payload.split('\n').count();
        if fields < FIELD_COUNT {
            return Err(truncated(raw.len(), fields));
        }
        Self::parse_fields(&payload)
    }

    fn parse_fields(payload: &str) -> Result<Token, Refusal> {
        let fields: Vec<&str> = payload.split('\n').collect();
        let Ok(fields) = <[&str; FIELD_COUNT]>::try_from(fields.as_slice()) else {
            return Err(field_error(format!(
                "token has {} fields, expected {FIELD_COUNT}",
                fields.len()
            )));
        };
        Self::from_fields(fields)
    }

    /// Checks the seven payload fields (shared with the challenge answer's decoder).
    pub fn from_fields(fields: [&str; FIELD_COUNT]) -> Result<Token, Refusal> {
        let [
            host,
            amz_date,
            credential,
            signed_headers,
            signature,
            server_id,
            session_token,
        ] = fields;
        check_host(host)?;
        check_amz_date(amz_date)?;
        check_credential(credential, amz_date)?;
        check_signed_headers(signed_headers)?;
        check_signature(signature)?;
        let server_id = optional(server_id);
        if let Some(id) = server_id
            && !syntax::is_server_id(id)
        {
            return Err(field_error(format!(
                "server id must be {}",
                syntax::SERVER_ID_RULE
            )));
        }
        let session_token = optional(session_token);
        if let Some(t) = session_token {
            check_session_token(t)?;
        }
        Ok(Token {
            host: host.to_string(),
            amz_date: amz_date.to_string(),
            credential: credential.to_string(),
            signed_headers: signed_headers.to_string(),
            signature: signature.to_string(),
            server_id: server_id.map(str::to_string),
            session_token: session_token.map(str::to_string),
            binding: None,
        })
    }

    fn credential_part(&self, i: usize) -> &str {
        self.credential.split('/').nth(i).unwrap_or("")
    }

    /// The access key ID (not a secret; safe to log).
    pub fn access_key_id(&self) -> &str {
        self.credential_part(0)
    }

    /// The region of the credential scope.
    pub fn region(&self) -> &str {
        self.credential_part(2)
    }

    /// The signed header names, in order.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';')
    }

    /// When the client signed.
    pub fn signing_time(&self) -> SystemTime {
        let secs = amz_date_to_unix(&self.amz_date).unwrap_or(0);
        UNIX_EPOCH + Duration::from_secs(secs)
    }
}

fn optional(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn check_host(host: &str) -> Result<(), Refusal> {
    if syntax::is_authority(host) {
        Ok(())
    } else {
        Err(field_error(
            "host must be a lowercase host name or address ([a-z0-9.-], optional :port), at most 255 characters",
        ))
    }
}

fn check_amz_date(d: &str) -> Result<(), Refusal> {
    if amz_date_to_unix(d).is_some() {
        Ok(())
    } else {
        Err(field_error(
            "x-amz-date must be a valid YYYYMMDDTHHMMSSZ time",
        ))
    }
}

fn check_credential(credential: &str, amz_date: &str) -> Result<(), Refusal> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [akid, date, region, service, terminator] = parts[..] else {
        return Err(field_error(
            "credential must be AKID/YYYYMMDD/REGION/sts/aws4_request",
        ));
    };
    let akid_ok = (MIN_ACCESS_KEY_LEN..=MAX_ACCESS_KEY_LEN).contains(&akid.len())
        && akid.bytes().all(|b| b.is_ascii_alphanumeric());
    if !akid_ok {
        return Err(field_error(
            "access key ID must be 3 to 128 characters from [A-Za-z0-9]",
        ));
    }
    if date != &amz_date[..8] {
        return Err(field_error(
            "credential scope date differs from the x-amz-date date",
        ));
    }
    if !syntax::is_region(region) {
        return Err(field_error("credential scope region is not a region name"));
    }
    if service != SERVICE {
        return Err(refuse(
            Reason::ScopeMismatch,
            format!(
                "token is signed for service {} instead of 'sts'",
                syntax::quoted(service, MAX_QUOTED_LEN)
            ),
        ));
    }
    if terminator != SCOPE_TERMINATOR {
        return Err(field_error("credential scope must end in aws4_request"));
    }
    Ok(())
}

fn check_signed_headers(list: &str) -> Result<(), Refusal> {
    if list.is_empty() || list.len() > MAX_SIGNED_HEADERS_LEN {
        return Err(field_error("signed headers list is empty or too long"));
    }
    let mut previous: Option<&str> = None;
    for name in list.split(';') {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(field_error(
                "signed headers must be lowercase names joined by ';'",
            ));
        }
        if previous.is_some_and(|p| p >= name) {
            return Err(field_error("signed headers must be sorted and unique"));
        }
        previous = Some(name);
    }
    Ok(())
}

fn check_signature(sig: &str) -> Result<(), Refusal> {
    let ok = sig.len() == SIGNATURE_HEX_LEN
        && sig
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(field_error("signature must be 64 lowercase hex digits"))
    }
}

fn check_session_token(t: &str) -> Result<(), Refusal> {
    if t.len() > MAX_SESSION_TOKEN_LEN {
        return Err(field_error(format!(
            "session token longer than {MAX_SESSION_TOKEN_LEN} characters"
        )));
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return Err(field_error("session token must be base64 ([A-Za-z0-9+/=])"));
    }
    Ok(())
}

/// Longest excerpt of an untrusted field quoted in a refusal detail.
const MAX_QUOTED_LEN: usize = 32;

fn digits(s: &str) -> Option<u64> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Seconds since the epoch of an x-amz-date (`YYYYMMDDTHHMMSSZ`), if it is a valid time.
pub fn amz_date_to_unix(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != AMZ_DATE_LEN || !s.is_ascii() || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let y = digits(&s[0..4])?;
    let m = digits(&s[4..6])?;
    let d = digits(&s[6..8])?;
    let hh = digits(&s[9..11])?;
    let mm = digits(&s[11..13])?;
    let ss = digits(&s[13..15])?;
    let valid = y >= 1970
        && (1..=12).contains(&m)
        && (1..=days_in_month(y, m)).contains(&d)
        && hh < 24
        && mm < 60
        && ss < 60;
    valid.then(|| days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn sample() -> Token {
        Token {
            host: "sts.us-east-1.amazonaws.com".into(),
            amz_date: "20260102T030405Z".into(),
            credential: "AKIDEXAMPLE/20260102/us-east-1/sts/aws4_request".into(),
            signed_headers:
                "content-type;host;x-amz-date;x-amz-security-token;x-auth-awsiam-server-id".into(),
            signature: "a".repeat(64),
            server_id: Some("db1".into()),
            session_token: Some("FwoGZXIvYXdzE+/=".into()),
            binding: None,
        }
    }

    fn with_payload(payload: &str) -> Vec<u8> {
        format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(payload)).into_bytes()
    }

    fn fields_of(t: &Token) -> Vec<String> {
        vec![
            t.host.clone(),
            t.amz_date.clone(),
            t.credential.clone(),
            t.signed_headers.clone(),
            t.signature.clone(),
            t.server_id.clone().unwrap_or_default(),
            t.session_token.clone().unwrap_or_default(),
        ]
    }

    fn with_field(i: usize, value: &str) -> Vec<u8> {
        let mut f = fields_of(&sample());
        f[i] = value.to_string();
        with_payload(&f.join("\n"))
    }

    fn reason(raw: &[u8]) -> Reason {
        Token::decode(raw).unwrap_err().reason
    }

    #[test]
    fn round_trip_with_nul_and_whitespace() {
        let t = sample();
        let mut raw = format!("  {}\n", t.encode()).into_bytes();
        raw.push(0);
        assert_eq!(Token::decode(&raw).unwrap(), t);
    }

    #[test]
    fn optional_fields_empty() {
        let mut t = sample();
        t.server_id = None;
        t.session_token = None;
        t.signed_headers = "content-type;host;x-amz-date".into();
        assert_eq!(Token::decode(t.encode().as_bytes()).unwrap(), t);
    }

    #[test]
    fn accessors() {
        let t = sample();
        assert_eq!(t.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(t.region(), "us-east-1");
        assert_eq!(t.signed_header_names().count(), 5);
        assert_eq!(
            t.signing_time(),
            UNIX_EPOCH + Duration::from_secs(1_767_323_045)
        );
    }

    #[test]
    fn empty() {
        assert_eq!(reason(b""), Reason::TokenEmpty);
        assert_eq!(reason(b"\0"), Reason::TokenEmpty);
        assert_eq!(reason(b"  \n"), Reason::TokenEmpty);
    }

    #[test]
    fn too_large() {
        let raw = vec![b'a'; MAX_TOKEN_LEN + 1];
        assert_eq!(reason(&raw), Reason::TokenTooLarge);
        // The limit itself is read (and refused for what it is).
        let raw = vec![b'a'; MAX_TOKEN_LEN];
        assert_eq!(reason(&raw), Reason::TokenVersion);
    }

    /// Each field's length limit is itself allowed.
    #[test]
    fn field_limits_are_inclusive() {
        let headers = format!(
            "content-type;host;x-amz-date;x-amz-security-token;x-auth-awsiam-server-id;{}",
            "z".repeat(MAX_SIGNED_HEADERS_LEN - 74)
        );
        assert_eq!(headers.len(), MAX_SIGNED_HEADERS_LEN);
        assert!(Token::decode(&with_field(3, &headers)).is_ok());
        let longer = format!("{headers}z");
        assert_eq!(reason(&with_field(3, &longer)), Reason::TokenField);
        let session = "a".repeat(MAX_SESSION_TOKEN_LEN);
        assert!(Token::decode(&with_field(6, &session)).is_ok());
    }

    #[test]
    fn wrong_prefix() {
        assert_eq!(reason(b"hunter2"), Reason::TokenVersion);
        assert_eq!(reason(b"awsiam2.abc"), Reason::TokenVersion);
    }

    #[test]
    fn bad_encoding() {
        assert_eq!(reason(b"awsiam1.not base64!"), Reason::TokenEncoding);
        assert_eq!(reason(b"awsiam1.YQ=="), Reason::TokenEncoding, "padding");
        let not_utf8 = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode([0xff, 0xfe]));
        assert_eq!(reason(not_utf8.as_bytes()), Reason::TokenEncoding);
    }

    #[test]
    fn cut_tokens_are_named_as_cut() {
        let whole = sample().encode();
        // Where the session token (the last field) starts: a cut after it cannot be seen
        // locally (STS refuses the signature).
        let last_field_at = whole.len() * 4 / 5;
        for len in TOKEN_PREFIX.len() + 1..last_field_at {
            let e = Token::decode(&whole.as_bytes()[..len]).unwrap_err();
            assert_eq!(e.reason, Reason::TokenTruncated, "cut at {len}: {e}");
            assert!(e.detail.contains("option file"), "{e}");
        }
        let at_prompt = Token::decode(&whole.as_bytes()[..PROMPT_KEEPS]).unwrap_err();
        assert!(
            at_prompt
                .detail
                .contains("79 characters: exactly what the mysql client's -p prompt keeps"),
            "{at_prompt}"
        );
        // The detail never echoes the token.
        assert!(
            !at_prompt
                .detail
                .contains(&whole[TOKEN_PREFIX.len()..PROMPT_KEEPS])
        );
        // It counts the fields that arrived, the cut one included: here a cut in the
        // credential, on a whole base64 quad or one character past it.
        for len in [TOKEN_PREFIX.len() + 72, TOKEN_PREFIX.len() + 73] {
            let e = Token::decode(&whole.as_bytes()[..len]).unwrap_err();
            assert!(
                e.detail.contains("holds 3 of its 7 fields"),
                "cut at {len}: {e}"
            );
        }
    }

    /// Characters after a whole token garble it, they do not cut it: a token that arrived
    /// whole must not be refused with the advice for a cut one.
    #[test]
    fn a_whole_token_with_a_stray_character_is_garbled_not_cut() {
        let whole = sample().encode();
        // Whole base64 quads: one more character can end no byte.
        assert_eq!((whole.len() - TOKEN_PREFIX.len()) % 4, 0);
        let e = Token::decode(format!("{whole}A").as_bytes()).unwrap_err();
        assert_eq!(e.reason, Reason::TokenEncoding, "{e}");
    }

    #[test]
    fn field_count() {
        assert_eq!(reason(&with_payload("a\nb\nc")), Reason::TokenTruncated);
        let eight = fields_of(&sample()).join("\n") + "\nextra";
        assert_eq!(reason(&with_payload(&eight)), Reason::TokenField);
    }

    #[test]
    fn bad_host() {
        for h in [
            "",
            "STS.amazonaws.com",
            "sts.amazonaws.com:99999",
            "a b",
            &"a".repeat(256),
        ] {
            assert_eq!(reason(&with_field(0, h)), Reason::TokenField, "{h}");
        }
        assert!(Token::decode(&with_field(0, "127.0.0.1:4566")).is_ok());
    }

    #[test]
    fn bad_date() {
        for d in [
            "20260230T000000Z",
            "20260431T000000Z",
            "20261301T000000Z",
            "20260102T240000Z",
            "20260102T036000Z",
            "20260102T030460Z",
            "20260102 030405Z",
            "20260102T030405X",
            "2026010T030405Z",
            "20260102T030405Z0",
            "19691231T235959Z",
            // Rust's integer parser takes a sign: the fields must be digits only.
            "2026+102T030405Z",
        ] {
            // The time itself is invalid (a token would also fail the credential scope's
            // date, so the decode alone would not show it).
            assert_eq!(amz_date_to_unix(d), None, "{d}");
            assert_eq!(reason(&with_field(1, d)), Reason::TokenField, "{d}");
        }
        // Valid: the last day of a 30-day month, of February in a leap year.
        assert!(amz_date_to_unix("20260430T235959Z").is_some());
        assert!(amz_date_to_unix("20240229T000000Z").is_some());
    }

    #[test]
    fn bad_credential() {
        let cases = [
            "AKIDEXAMPLE/20260102/us-east-1/sts",
            "AK/20260102/us-east-1/sts/aws4_request",
            "AKID-EXAMPLE/20260102/us-east-1/sts/aws4_request",
            "AKIDEXAMPLE/20260103/us-east-1/sts/aws4_request",
            "AKIDEXAMPLE/20260102/US-EAST-1/sts/aws4_request",
            "AKIDEXAMPLE/20260102/us-east-1/sts/aws5_request",
        ];
        for c in cases {
            assert_eq!(reason(&with_field(2, c)), Reason::TokenField, "{c}");
        }
        // LocalStack's 12-digit keys are fine.
        assert!(
            Token::decode(&with_field(
                2,
                "123456789012/20260102/us-east-1/sts/aws4_request"
            ))
            .is_ok()
        );
    }

    #[test]
    fn wrong_service_is_scope_mismatch() {
        let c = "AKIDEXAMPLE/20260102/us-east-1/s3/aws4_request";
        assert_eq!(reason(&with_field(2, c)), Reason::ScopeMismatch);
    }

    #[test]
    fn bad_signed_headers() {
        for h in [
            "",
            "host;content-type",
            "host;host",
            "Host",
            "host;;x-amz-date",
            "host;x_amz",
        ] {
            assert_eq!(reason(&with_field(3, h)), Reason::TokenField, "{h}");
        }
    }

    #[test]
    fn bad_signature() {
        for s in ["a".repeat(63), "A".repeat(64), "g".repeat(64)] {
            assert_eq!(reason(&with_field(4, &s)), Reason::TokenField);
        }
    }

    #[test]
    fn bad_server_id() {
        for s in ["has space".to_string(), "a".repeat(129), "é".into()] {
            assert_eq!(reason(&with_field(5, &s)), Reason::TokenField);
        }
    }

    #[test]
    fn bad_session_token() {
        assert_eq!(reason(&with_field(6, "abc-def")), Reason::TokenField);
        assert_eq!(
            reason(&with_field(6, &"a".repeat(4097))),
            Reason::TokenField
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let t = sample();
        let s = format!("{t:?}");
        assert!(!s.contains(&t.signature));
        assert!(!s.contains(t.session_token.as_deref().unwrap()));
        // ... and shows the rest.
        for shown in [&t.host, &t.amz_date, &t.credential, "<redacted>"] {
            assert!(s.contains(shown), "{shown}: {s}");
        }
    }

    #[test]
    fn non_ascii_date_is_refused_without_panic() {
        // 16 bytes, 'T' at byte 8 and 'Z' at byte 15, but a two-byte character across the
        // year/month boundary.
        let d = "202\u{e9}102T030405Z";
        assert_eq!(d.len(), 16);
        assert_eq!(amz_date_to_unix(d), None);
        assert_eq!(reason(&with_field(1, d)), Reason::TokenField);
    }

    #[test]
    fn amz_dates() {
        assert_eq!(amz_date_to_unix("19700101T000000Z"), Some(0));
        assert_eq!(amz_date_to_unix("20000229T000000Z"), Some(951_782_400));
        assert_eq!(amz_date_to_unix("19000229T000000Z"), None);
        assert_eq!(amz_date_to_unix("21000229T000000Z"), None);
    }

    fn arb_token() -> impl Strategy<Value = Token> {
        (
            "[a-z0-9]{1,20}(\\.[a-z0-9]{1,20}){0,3}(:[1-9][0-9]{0,3})?",
            (
                1970u64..2100,
                1u64..=12,
                1u64..=28,
                0u64..24,
                0u64..60,
                0u64..60,
            ),
            "[A-Za-z0-9]{3,40}",
            "[a-z]{2}-[a-z]{3,8}-[1-9]",
            proptest::collection::btree_set("[a-z0-9-]{1,12}", 1..6),
            "[0-9a-f]{64}",
            proptest::option::of("[A-Za-z0-9._:/-]{1,128}"),
            proptest::option::of("[A-Za-z0-9+/=]{1,200}"),
        )
            .prop_map(
                |(host, (y, mo, d, h, mi, s), akid, region, headers, sig, sid, st)| {
                    let date = format!("{y:04}{mo:02}{d:02}");
                    Token {
                        host,
                        amz_date: format!("{date}T{h:02}{mi:02}{s:02}Z"),
                        credential: format!("{akid}/{date}/{region}/sts/aws4_request"),
                        signed_headers: headers.into_iter().collect::<Vec<_>>().join(";"),
                        signature: sig,
                        server_id: sid,
                        session_token: st,
                        binding: None,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn decode_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..10_000)) {
            let _ = Token::decode(&raw);
        }

        #[test]
        fn decode_never_panics_on_prefixed_base64(body in "[A-Za-z0-9_-]{0,400}") {
            let _ = Token::decode(format!("{TOKEN_PREFIX}{body}").as_bytes());
        }

        #[test]
        fn decode_never_panics_on_seven_fields(fields in proptest::collection::vec("\\PC{0,40}", 7)) {
            let _ = Token::decode(&with_payload(&fields.join("\n")));
        }

        #[test]
        fn encode_decode_round_trips(t in arb_token()) {
            prop_assert_eq!(Token::decode(t.encode().as_bytes()).unwrap(), t);
        }
    }
}
