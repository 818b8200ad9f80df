//! Character-level syntax shared by the token, the settings and the policy, so that a value
//! accepted in one place is accepted everywhere.

use std::net::{IpAddr, Ipv4Addr};

/// Longest host name (DNS limit).
pub const MAX_HOST_LEN: usize = 255;
/// Longest server ID (the audience value).
pub const MAX_SERVER_ID_LEN: usize = 128;
/// Digits in an AWS account ID.
pub const ACCOUNT_ID_LEN: usize = 12;
/// Longest region name we accept (the longest real one is about 15).
pub const MAX_REGION_LEN: usize = 32;

/// An AWS account ID: exactly 12 digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == ACCOUNT_ID_LEN && s.bytes().all(|b| b.is_ascii_digit())
}

/// A region name such as `us-east-1`, `cn-north-1`, `us-gov-west-1`, `us-isob-east-1`:
/// lowercase words joined by '-', ending in a number.
pub fn is_region(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_REGION_LEN {
        return false;
    }
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 {
        return false;
    }
    let (last, words) = parts.split_last().expect("at least three parts");
    let number_ok = !last.is_empty() && last.len() <= 3 && last.bytes().all(|b| b.is_ascii_digit());
    let words_ok = words
        .iter()
        .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
    number_ok && words_ok && words[0].len() == 2
}

/// What `is_server_id` accepts, for error messages.
pub const SERVER_ID_RULE: &str = "1 to 128 characters from [A-Za-z0-9._:/-]";

/// A server ID: printable ASCII from `[A-Za-z0-9._:/-]`, 1 to 128 characters.
pub fn is_server_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SERVER_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/' | b'-'))
}

/// A port number written as 1 to 5 digits, 1..=65535.
fn is_port(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 5
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p))
}

/// An authority as a client signs it in the Host header: a lowercase host name or IPv4
/// address (`[a-z0-9.-]`) or a bracketed IPv6 literal, with an optional `:port`.
pub fn is_authority(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_HOST_LEN {
        return false;
    }
    let (host, port) = split_authority(s);
    if let Some(p) = port
        && !is_port(p)
    {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[') {
        let Some(addr) = inner.strip_suffix(']') else {
            return false;
        };
        return !addr.is_empty()
            && addr.bytes().all(|b| {
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b':' || b == b'.'
            });
    }
    !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-'])
        && !host.contains("..")
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// Splits `host[:port]` (IPv6 literals in brackets) into host and port.
pub fn split_authority(s: &str) -> (&str, Option<&str>) {
    if s.starts_with('[') {
        return match s.find(']') {
            Some(end) => {
                let (host, rest) = s.split_at(end + 1);
                match rest.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if rest.is_empty() => (host, None),
                    // Garbage after the bracket: let the caller's port check fail on it.
                    None => (host, Some(rest)),
                }
            }
            None => (s, None),
        };
    }
    match s.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    }
}

/// 127.0.0.0/8, ::1 or localhost: where plain http:// is allowed (test doubles).
pub fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    host.parse::<Ipv4Addr>()
        .is_ok_and(|ip| IpAddr::V4(ip).is_loopback())
}

/// Longest excerpt of outside text in a message: enough for any name, ARN, pattern or setting
/// value a DBA reads there; a longer one is cut, with "...".
pub const MAX_SHOWN: usize = 256;

/// Text from outside as every message of the core shows it: `quoted` with [`MAX_SHOWN`].
pub fn shown(s: &str) -> String {
    quoted(s, MAX_SHOWN)
}

/// Text from outside (a client, STS, a DBA's SET or CREATE USER, a command line) as it is
/// shown in a log line or an error message: in single quotes, at most `max` characters then
/// "...", and every character that could break or forge the line shown as '?'. The one
/// helper for this: no message quotes outside text any other way.
pub fn quoted(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 5);
    out.push('\'');
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push_str("...");
            break;
        }
        out.push(if is_shown(c) { c } else { '?' });
    }
    out.push('\'');
    out
}

/// A character shown as itself: not a control, not an invisible Unicode format character
/// (bidi overrides, zero-width marks) that could make a line read differently than it is,
/// not a quote or backslash that could fake where the quoted text ends.
fn is_shown(c: char) -> bool {
    let format = matches!(
        c,
        '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    );
    !c.is_control() && !format && !matches!(c, '\'' | '"' | '\\' | '`')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts() {
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("1234567890123"));
        assert!(!is_account_id("12345678901a"));
    }

    #[test]
    fn regions() {
        for r in [
            "us-east-1",
            "cn-north-1",
            "us-gov-west-1",
            "ap-southeast-2",
            "us-isob-east-1",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "useast-1",
            "us--1",
            "us-east-1a",
            "us-east-",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }

    #[test]
    fn server_ids() {
        assert!(is_server_id("db-prod.example.com:3306/a_b"));
        assert!(!is_server_id(""));
        assert!(!is_server_id("has space"));
        assert!(!is_server_id(&"a".repeat(129)));
        assert!(is_server_id(&"a".repeat(128)));
    }

    #[test]
    fn authorities() {
        for a in [
            "sts.us-east-1.amazonaws.com",
            "127.0.0.1:4566",
            "localhost",
            "[::1]:4566",
            "[::1]",
        ] {
            assert!(is_authority(a), "{a}");
        }
        for a in [
            "",
            "STS.amazonaws.com",
            "a:0",
            "a:65536",
            "a:",
            "a b",
            ".a",
            "a..b",
            "[::1",
            "[::1]x",
            "a:1:2",
        ] {
            assert!(!is_authority(a), "{a}");
        }
    }

    #[test]
    fn quoting_outside_text() {
        assert_eq!(
            quoted("arn:aws:iam::1:user/a", 64),
            "'arn:aws:iam::1:user/a'"
        );
        assert_eq!(quoted("a'b\nc\"d\\e`", 64), "'a?b?c?d?e?'");
        assert_eq!(quoted("r\u{202e}ev\u{200b}", 64), "'r?ev?'");
        assert_eq!(quoted("José", 64), "'José'", "names may be Unicode");
        assert_eq!(quoted("abcdef", 3), "'abc...'");
        assert_eq!(quoted("abc", 3), "'abc'");
        assert_eq!(quoted("", 3), "''");
    }
}
