//! A JWT in JWS compact serialization (RFC 7515 §7.1): three base64url parts joined by
//! dots, their size, and the header's checks. Nothing here trusts the token; it only
//! decides whether the token is worth a key lookup and a signature check, and keeps the
//! bytes the signature covers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::json;
use crate::error::{Reason, Refusal, refuse};
use crate::syntax::quoted;

/// Longest JWT accepted, in bytes. A real AWS token is about 1.5 KB (one audience, no
/// request tags, one principal tag: 1,467 bytes, jwt-facts.md 1.2); AWS caps the payload
/// at a size it does not publish. 16 KiB is ten times a real token: room for dozens of
/// principal and request tags and ten audiences, and twice the 8 KiB the plugin reads as a
/// cleartext password today. Checked before anything is decoded, so a 1 MB "token" costs
/// one comparison.
pub const MAX_JWT_LEN: usize = 16 * 1024;
/// Longest `kid` accepted. AWS's are short counters (`RSA_0`, `EC384_0`); a long one is
/// only a way to make the cache's lookups and our log lines bigger.
pub const MAX_KID_LEN: usize = 128;
/// Longest excerpt of a header value (`alg`, `typ`) shown in a detail.
const MAX_SHOWN_VALUE: usize = 32;
/// Header parameters that would make a reader fetch or trust a key the token itself names
/// (RFC 7515 §4.1.2-4.1.6): AWS never sends them and we never follow them. A token that
/// carries one is refused, not read with it ignored: it was not minted by AWS.
const KEY_POINTERS: [&str; 4] = ["jku", "x5u", "jwk", "x5c"];

/// The two algorithms AWS signs with (GetWebIdentityToken's `SigningAlgorithm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-384 with SHA-384, the signature the 96-byte `R || S`.
    Es384,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es384 => "ES384",
        }
    }

    pub fn from_name(s: &str) -> Option<Alg> {
        match s {
            "RS256" => Some(Alg::Rs256),
            "ES384" => Some(Alg::Es384),
            _ => None,
        }
    }
}

/// The header of a JWT that passed every header check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub alg: Alg,
    pub kid: String,
}

/// A JWT taken apart: nothing in it is verified yet.
#[derive(Debug)]
pub struct Compact<'a> {
    pub header: Header,
    /// The payload, parsed strictly (no repeated key anywhere).
    pub payload: Map<String, Value>,
    /// `BASE64URL(header) "." BASE64URL(payload)` as sent: what the signature covers.
    pub signing_input: &'a [u8],
    pub signature: Vec<u8>,
}

fn malformed(detail: impl Into<String>) -> Refusal {
    refuse(Reason::JwtMalformed, detail)
}

fn algorithm(detail: impl Into<String>) -> Refusal {
    refuse(Reason::JwtAlgorithm, detail)
}

/// base64url without padding, the only form RFC 7515 allows: `=`, `+`, `/`, whitespace and
/// non-zero trailing bits are errors (base64's URL_SAFE_NO_PAD refuses them all).
fn decode_part(part: &[u8], what: &str) -> Result<Vec<u8>, Refusal> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| malformed(format!("the {what} is not base64url without padding")))
}

fn object_part(part: &[u8], what: &str) -> Result<Map<String, Value>, Refusal> {
    if part.is_empty() {
        return Err(malformed(format!("the {what} is empty")));
    }
    let bytes = decode_part(part, what)?;
    json::parse_object(&bytes).map_err(|why| malformed(format!("the {what}: {why}")))
}

/// Takes a JWT apart: size, the three parts, strict JSON, then the header's checks. The
/// refusals say which part and what, never the token's bytes.
pub fn parse(raw: &[u8]) -> Result<Compact<'_>, Refusal> {
    if raw.len() > MAX_JWT_LEN {
        return Err(malformed(format!(
            "the token is {} bytes; the limit is {MAX_JWT_LEN}",
            raw.len()
        )));
    }
    let parts: Vec<&[u8]> = raw.split(|&b| b == b'.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err(malformed(match parts.len() {
            5 => "an encrypted token (JWE, 5 parts); only signed JWTs (JWS, 3 parts) are read"
                .to_string(),
            n => format!("{n} dot-separated part(s); a signed JWT has 3"),
        }));
    };
    let header = object_part(header, "header")?;
    // A nested JWT (RFC 7519 §5.2) is a JWS whose payload is another token: never AWS's.
    if header.contains_key("cty") {
        return Err(malformed(
            "the header has cty: a nested token (JWT inside a JWS) is not read",
        ));
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t == "JWT" => {}
        Some(Value::String(t)) => {
            return Err(malformed(format!(
                "typ {} is not JWT",
                quoted(t, MAX_SHOWN_VALUE)
            )));
        }
        Some(v) => return Err(malformed(format!("typ is {}", json::kind(v)))),
    }
    let payload_map = object_part(payload, "payload")?;
    let signature_bytes = decode_part(signature, "signature")?;
    let header = check_header(&header)?;
    Ok(Compact {
        header,
        payload: payload_map,
        signing_input: &raw[..raw.len() - signature.len() - 1],
        signature: signature_bytes,
    })
}

/// The algorithm and key id, and no parameter that points elsewhere for a key or adds
/// critical extensions we would have to understand.
fn check_header(h: &Map<String, Value>) -> Result<Header, Refusal> {
    let alg = match h.get("alg") {
        Some(Value::String(a)) => Alg::from_name(a).ok_or_else(|| {
            algorithm(format!(
                "alg {} is not RS256 or ES384",
                quoted(a, MAX_SHOWN_VALUE)
            ))
        })?,
        Some(v) => return Err(algorithm(format!("alg is {}", json::kind(v)))),
        None => return Err(algorithm("the header has no alg")),
    };
    if h.contains_key("crit") {
        return Err(algorithm(
            "the header has crit: no critical extension is understood here",
        ));
    }
    if let Some(p) = KEY_POINTERS.iter().find(|p| h.contains_key(**p)) {
        return Err(algorithm(format!(
            "the header has {p}: keys come only from the issuer's key set"
        )));
    }
    let kid = match h.get("kid") {
        Some(Value::String(k)) if k.is_empty() => return Err(algorithm("kid is empty")),
        Some(Value::String(k)) if k.len() > MAX_KID_LEN => {
            return Err(algorithm(format!(
                "kid is {} bytes; the limit is {MAX_KID_LEN}",
                k.len()
            )));
        }
        Some(Value::String(k)) => k.clone(),
        Some(v) => return Err(algorithm(format!("kid is {}", json::kind(v)))),
        None => return Err(algorithm("the header has no kid")),
    };
    Ok(Header { alg, kid })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn jwt(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("sig"))
    }

    const H: &str = r#"{"kid":"RSA_0","typ":"JWT","alg":"RS256"}"#;

    fn refusal(raw: &str) -> Refusal {
        parse(raw.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_good_token_is_taken_apart() {
        let raw = jwt(H, r#"{"iss":"x"}"#);
        let c = parse(raw.as_bytes()).unwrap();
        assert_eq!(c.header.alg, Alg::Rs256);
        assert_eq!(c.header.kid, "RSA_0");
        assert_eq!(c.payload["iss"], "x");
        assert_eq!(c.signature, b"sig");
        assert_eq!(c.signing_input, raw.rsplit_once('.').unwrap().0.as_bytes());
        // typ is optional.
        let raw = jwt(r#"{"kid":"EC384_0","alg":"ES384"}"#, "{}");
        assert_eq!(parse(raw.as_bytes()).unwrap().header.alg, Alg::Es384);
    }

    #[test]
    fn structure_errors_are_malformed() {
        let good = jwt(H, "{}");
        let (hp, _) = good.rsplit_once('.').unwrap();
        for (raw, want) in [
            ("a.b".to_string(), "2 dot-separated"),
            ("a.b.c.d.e".to_string(), "JWE"),
            (format!("{good}.x"), "4 dot-separated"),
            (format!(".{}.", b64("{}")), "header is empty"),
            (format!("{}..", b64(H)), "payload is empty"),
            (format!("{hp}.c2ln="), "signature is not base64url"),
            (format!("{hp}.c2l+"), "signature is not base64url"),
            (
                format!("{} .{}.", b64(H), b64("{}")),
                "header is not base64url",
            ),
            (
                format!("{}=.{}.", b64(H), b64("{}")),
                "header is not base64url",
            ),
            (jwt("[]", "{}"), "not a JSON object"),
            (jwt(H, "[1]"), "payload: not a JSON object"),
            (
                jwt(H, "{\"a\":1,\"a\":2}"),
                "payload: the key 'a' is repeated",
            ),
            (
                jwt(r#"{"alg":"RS256","alg":"none","kid":"k"}"#, "{}"),
                "header: the key 'alg' is repeated",
            ),
            (
                jwt(r#"{"alg":"RS256","kid":"k","cty":"JWT"}"#, "{}"),
                "nested token",
            ),
            (
                jwt(r#"{"alg":"RS256","kid":"k","typ":"at+jwt"}"#, "{}"),
                "typ 'at+jwt'",
            ),
        ] {
            let r = refusal(&raw);
            assert_eq!(r.reason, Reason::JwtMalformed, "{raw}: {r}");
            assert!(r.detail.contains(want), "{raw}: {r}");
        }
        // The payload of a nested JWS is a token, not JSON: refused for cty all the same.
        let nested = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":"k","cty":"JWT"}"#),
            b64(&jwt(H, "{}")),
            b64("sig")
        );
        assert!(refusal(&nested).detail.contains("nested token"));
    }

    #[test]
    fn size_is_checked_first() {
        let huge = "a".repeat(1 << 20);
        let r = refusal(&huge);
        assert_eq!(r.reason, Reason::JwtMalformed);
        assert_eq!(
            r.detail,
            format!("the token is 1048576 bytes; the limit is {MAX_JWT_LEN}")
        );
        // Right at the limit, the size is no objection (the content is).
        let padded = jwt(H, &format!("{{\"p\":\"{}\"}}", "x".repeat(12_000)));
        assert!(padded.len() <= MAX_JWT_LEN);
        assert!(parse(padded.as_bytes()).is_ok());
    }

    #[test]
    fn a_token_of_exactly_the_limit_is_not_refused_for_its_size() {
        // The payload grows 4 base64 characters per 3 bytes; a signature of 1 to 3 bytes
        // (2 to 4 characters) makes up the rest.
        let token = (MAX_JWT_LEN / 2..MAX_JWT_LEN)
            .flat_map(|pad| [1, 2, 3].map(|sig| (pad, sig)))
            .map(|(pad, sig)| {
                let payload = format!("{{\"p\":\"{}\"}}", "x".repeat(pad));
                format!(
                    "{}.{}.{}",
                    b64(H),
                    b64(&payload),
                    URL_SAFE_NO_PAD.encode(vec![0; sig])
                )
            })
            .find(|t| t.len() == MAX_JWT_LEN)
            .unwrap();
        assert!(parse(token.as_bytes()).is_ok());
    }

    #[test]
    fn header_checks_are_algorithm_refusals() {
        for (header, want) in [
            (r#"{"alg":"none","kid":"k"}"#, "alg 'none'"),
            (r#"{"alg":"HS256","kid":"k"}"#, "alg 'HS256'"),
            (r#"{"alg":"ES256","kid":"k"}"#, "alg 'ES256'"),
            (r#"{"alg":"PS256","kid":"k"}"#, "alg 'PS256'"),
            (r#"{"alg":"rs256","kid":"k"}"#, "alg 'rs256'"),
            (r#"{"alg":1,"kid":"k"}"#, "alg is a number"),
            (r#"{"kid":"k"}"#, "no alg"),
            (r#"{"alg":"RS256","kid":"k","crit":["exp"]}"#, "crit"),
            (r#"{"alg":"RS256","kid":"k","jku":"https://e/"}"#, "has jku"),
            (r#"{"alg":"RS256","kid":"k","x5u":"https://e/"}"#, "has x5u"),
            (r#"{"alg":"RS256","kid":"k","jwk":{}}"#, "has jwk"),
            (r#"{"alg":"RS256","kid":"k","x5c":[]}"#, "has x5c"),
            (r#"{"alg":"RS256"}"#, "no kid"),
            (r#"{"alg":"RS256","kid":""}"#, "kid is empty"),
            (r#"{"alg":"RS256","kid":7}"#, "kid is a number"),
        ] {
            let r = refusal(&jwt(header, "{}"));
            assert_eq!(r.reason, Reason::JwtAlgorithm, "{header}: {r}");
            assert!(r.detail.contains(want), "{header}: {r}");
        }
        let long = format!(
            r#"{{"alg":"RS256","kid":"{}"}}"#,
            "k".repeat(MAX_KID_LEN + 1)
        );
        let r = refusal(&jwt(&long, "{}"));
        assert_eq!(r.reason, Reason::JwtAlgorithm);
        assert_eq!(
            r.detail,
            format!("kid is 129 bytes; the limit is {MAX_KID_LEN}")
        );
        let at_limit = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "k".repeat(MAX_KID_LEN));
        assert!(parse(jwt(&at_limit, "{}").as_bytes()).is_ok());
        // An alg none token has an empty signature: the alg, not the signature, is named.
        let none = format!("{}.{}.", b64(r#"{"alg":"none","kid":"k"}"#), b64("{}"));
        assert_eq!(refusal(&none).reason, Reason::JwtAlgorithm);
    }
}
