//! Strict JSON for JWT headers, payloads and key sets: serde_json's parser, read into a
//! `serde_json::Value` by our own visitor that refuses an object repeating a key, at any
//! depth, and nesting deeper than `MAX_DEPTH`.
//!
//! Why our own visitor: serde_json keeps the *last* of repeated keys (serde-rs/json #762),
//! and serde's derive misses repeats of unknown fields and of keys inside maps
//! (jwt-facts.md 5.7). `{"sub":"a","sub":"b"}` or two `db-access` principal tags would mean
//! one thing here and perhaps the other to whoever else reads the token (a proxy, an audit
//! tool, a log): RFC 7515 §5.2 lets a reader refuse repeated names, and a token AWS mints
//! never has any, so refusing costs nothing legitimate.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::syntax::quoted;

/// Deepest nesting accepted (the top-level object is depth 1). An AWS payload needs 3
/// (payload, the `https://sts.amazonaws.com/` namespace, `principal_tags`), a key set 3
/// (set, `keys`, a key); the rest is room for claims AWS may add. serde_json's own limit
/// (128) would allow a deep recursion of our visitor first.
pub const MAX_DEPTH: usize = 8;
/// Longest excerpt of a repeated key named in an error.
const MAX_SHOWN_KEY: usize = 64;

/// Parses `bytes` (the whole of them) as one JSON object with no repeated key anywhere.
/// The error says what is wrong and where, never the input.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict { depth: 0 }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| e.to_string())?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(format!("not a JSON object but {}", kind(&other))),
    }
}

/// What a JSON value is, for errors (never the value itself).
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value at `depth` (the number of objects and arrays around it).
#[derive(Clone, Copy)]
struct Strict {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Strict {
    /// The seed of a member of an object or array at this depth, or an error past the limit.
    fn inner<E: de::Error>(self) -> Result<Strict, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "JSON nested more than {MAX_DEPTH} levels deep"
            )));
        }
        Ok(Strict {
            depth: self.depth + 1,
        })
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // JSON has no NaN or infinity; serde_json never hands one over.
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // Compared after unescaping: "sub" and "\u0073ub" are the same key.
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key {} is repeated",
                    quoted(&key, MAX_SHOWN_KEY)
                )));
            }
            let value = map.next_value_seed(inner)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        parse_object(s.as_bytes()).unwrap_err()
    }

    #[test]
    fn objects_parse_like_serde_json() {
        let s = r#"{"a":1,"b":[true,null,-2,1.5,"x\u00e9"],"c":{"d":{}}}"#;
        let want: Value = serde_json::from_str(s).unwrap();
        assert_eq!(Value::Object(parse_object(s.as_bytes()).unwrap()), want);
    }

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        for s in [
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"sub":"a","\u0073ub":"b"}"#,
            r#"{"x":1,"ns":{"principal_tags":{"db":"ro","db":"admin"}}}"#,
            r#"{"keys":[{"kid":"k","kid":"k"}]}"#,
        ] {
            assert!(err(s).contains("is repeated"), "{s}");
        }
        // The same key in two different objects is no repeat.
        assert!(parse_object(br#"{"a":{"k":1},"b":{"k":1}}"#).is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| {
            format!(
                "{}{}",
                "{\"a\":".repeat(n),
                "1".to_string() + &"}".repeat(n)
            )
        };
        assert!(parse_object(deep(MAX_DEPTH).as_bytes()).is_ok());
        assert!(err(&deep(MAX_DEPTH + 1)).contains("nested more than"));
        // Far past serde_json's own limit: still an error, not a stack overflow.
        let arrays = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(err(&arrays).contains("nested more than"));
    }

    #[test]
    fn not_objects_and_not_json_are_refused_without_echo() {
        assert_eq!(err("[1]"), "not a JSON object but an array");
        assert_eq!(err("\"secret-value\""), "not a JSON object but a string");
        for s in [
            "",
            "{\"secret\"",
            "{\"a\":\"secret\"} secret",
            "{\"secret\":01}",
            "{'secret':1}",
            "{\"a\":\"secret\u{1}\"}",
            "{\"a\":secret}",
        ] {
            let e = err(s);
            assert!(!e.contains("secret"), "{e}");
        }
        // Invalid UTF-8 inside a string.
        assert!(parse_object(b"{\"a\":\"\xff\"}").is_err());
    }
}
