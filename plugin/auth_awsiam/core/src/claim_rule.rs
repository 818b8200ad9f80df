//! Patterns on what an AWS-issued JWT says of its caller: the AWS Organization, the OU path,
//! a principal tag. They are written in `AS '...'` strings and mapping rules beside ARN
//! patterns:
//!
//! - `org:o-abc1234567` - every principal of that organization;
//! - `ou:o-abc1234567/r-ab12/ou-ab12-11111111/` - every principal of an account in that OU or
//!   below it (the path as `aws:PrincipalOrgPaths` writes it, ending in `/`);
//! - `tag:KEY=VALUE` - every principal tagged KEY with VALUE (`*` wildcards in VALUE).
//!
//! Only claims AWS sets are read (`identity::Claims`): never the caller's request tags. A
//! caller STS verified (a GetCallerIdentity token) has no claims, so these patterns never
//! match it.

use crate::glob::{Glob, WILDCARD};
use crate::identity::Claims;
use crate::syntax::shown;

/// Longest tag key and value IAM allows.
pub const MAX_TAG_KEY_LEN: usize = 128;
pub const MAX_TAG_VALUE_LEN: usize = 256;
/// Longest OU path accepted (an organization is at most five OUs deep).
pub const MAX_OU_PATH_LEN: usize = 512;

/// One claim pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimRule {
    Org(String),
    OuPath(String),
    Tag { key: String, value: Glob },
}

/// `o-` and 10 to 32 lowercase letters or digits (AWS Organizations' ID format).
fn is_org_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// An ID of the form `PREFIX-` then lowercase letters, digits and '-' (roots `r-...`, OUs
/// `ou-...-...`).
fn is_org_node(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|rest| {
        (4..=70).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

/// `o-.../r-.../ou-.../.../`: the organization, its root, then zero or more OUs, each ending
/// in '/'.
fn is_ou_path(s: &str) -> bool {
    let Some(body) = s.strip_suffix('/') else {
        return false;
    };
    let parts: Vec<&str> = body.split('/').collect();
    s.len() <= MAX_OU_PATH_LEN
        && parts.len() >= 2
        && is_org_id(parts[0])
        && is_org_node(parts[1], "r-")
        && parts[2..].iter().all(|p| is_org_node(p, "ou-"))
}

/// Characters of an IAM tag key or value that an auth string can carry (IAM allows letters,
/// digits, spaces and `_.:/=+-@`; a ',' cannot occur, it separates patterns).
fn is_tag_text(s: &str, allow_wildcard: bool) -> bool {
    s.chars().all(|c| {
        c.is_alphanumeric()
            || matches!(c, ' ' | '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
            || (allow_wildcard && c == WILDCARD)
    })
}

/// The claim pattern `s` names, `None` if `s` is not one (then it is an ARN or an ID),
/// or why it is malformed.
pub fn parse(s: &str) -> Option<Result<ClaimRule, String>> {
    if let Some(id) = s.strip_prefix("org:") {
        return Some(if is_org_id(id) {
            Ok(ClaimRule::Org(id.to_string()))
        } else {
            Err(format!(
                "organization {} must be o- and 10 to 32 lowercase letters or digits",
                shown(id)
            ))
        });
    }
    if let Some(path) = s.strip_prefix("ou:") {
        return Some(if is_ou_path(path) {
            Ok(ClaimRule::OuPath(path.to_string()))
        } else {
            Err(format!(
                "OU path {} must be o-ORG/r-ROOT/ou-.../ ending in '/', as aws:PrincipalOrgPaths writes it",
                shown(path)
            ))
        });
    }
    let tag = s.strip_prefix("tag:")?;
    // The first '=' ends the key: IAM allows '=' in keys, but such a key cannot be named
    // here (said in the docs).
    let Some((key, value)) = tag.split_once('=') else {
        return Some(Err(format!(
            "tag pattern {} is not tag:KEY=VALUE",
            shown(s)
        )));
    };
    let ok = (1..=MAX_TAG_KEY_LEN).contains(&key.chars().count())
        && value.chars().count() <= MAX_TAG_VALUE_LEN
        && is_tag_text(key, false)
        && is_tag_text(value, true);
    Some(if ok {
        Ok(ClaimRule::Tag {
            key: key.to_string(),
            value: Glob::new(value),
        })
    } else {
        Err(format!(
            "tag pattern {}: a key of 1 to {MAX_TAG_KEY_LEN} and a value of at most {MAX_TAG_VALUE_LEN} characters, letters, digits, spaces and _.:/=+-@ ('*' in the value)",
            shown(s)
        ))
    })
}

impl ClaimRule {
    /// Whether a caller with these claims (`None`: no JWT) matches.
    pub fn matches(&self, claims: Option<&Claims>) -> bool {
        let Some(c) = claims else {
            return false;
        };
        match self {
            ClaimRule::Org(id) => c.org_id.as_deref() == Some(id.as_str()),
            ClaimRule::OuPath(prefix) => c.ou_paths.iter().any(|p| p.starts_with(prefix.as_str())),
            ClaimRule::Tag { key, value } => c
                .principal_tags
                .get(key)
                .is_some_and(|v| value.matches_text(v)),
        }
    }

    /// Whether the rule names the caller's account itself: an organization or an OU does
    /// (AWS signs that the account belongs to it; the DBA trusted that part of the
    /// organization), a tag does not (any account can tag its principals alike).
    pub fn names_account(&self) -> bool {
        matches!(self, ClaimRule::Org(_) | ClaimRule::OuPath(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> ClaimRule {
        parse(s).unwrap().unwrap()
    }

    fn claims() -> Claims {
        Claims {
            org_id: Some("o-abc1234567".into()),
            ou_paths: vec!["o-abc1234567/r-ab12/ou-ab12-11111111/ou-ab12-22222222/".into()],
            principal_tags: [("db-access", "readonly"), ("team", "data engineering")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn what_each_rule_matches() {
        let c = claims();
        let yes = [
            "org:o-abc1234567",
            "ou:o-abc1234567/r-ab12/",
            "ou:o-abc1234567/r-ab12/ou-ab12-11111111/",
            "ou:o-abc1234567/r-ab12/ou-ab12-11111111/ou-ab12-22222222/",
            "tag:db-access=readonly",
            "tag:db-access=read*",
            "tag:team=data engineering",
        ];
        for s in yes {
            assert!(rule(s).matches(Some(&c)), "{s}");
        }
        let no = [
            "org:o-zzz1234567",
            "ou:o-abc1234567/r-ab12/ou-ab12-33333333/",
            // A prefix of an OU's ID is not its parent.
            "ou:o-abc1234567/r-ab12/ou-ab12-1111111/",
            "tag:db-access=admin",
            "tag:DB-access=readonly",
            "tag:owner=*",
        ];
        for s in no {
            assert!(!rule(s).matches(Some(&c)), "{s}");
        }
        // A caller STS verified has no claims: nothing matches.
        assert!(!rule("org:o-abc1234567").matches(None));
        assert!(!rule("tag:db-access=*").matches(None));
    }

    #[test]
    fn organizations_and_ous_name_accounts_tags_do_not() {
        assert!(rule("org:o-abc1234567").names_account());
        assert!(rule("ou:o-abc1234567/r-ab12/").names_account());
        assert!(!rule("tag:db-access=readonly").names_account());
    }

    #[test]
    fn malformed_rules_say_why() {
        for s in [
            "org:o-short",
            "org:abc1234567890",
            "org:o-ABC1234567",
            "ou:o-abc1234567/r-ab12",
            "ou:o-abc1234567/",
            "ou:r-ab12/ou-ab12-11111111/",
            "ou:o-abc1234567/r-ab12/x-1/",
            // The right length with a character an ID never has, and the right characters
            // in a root too short or an OU too long: each test alone is not enough.
            "ou:o-abc1234567/r-AB12/",
            "ou:o-abc1234567/r-ab1/",
            format!("ou:o-abc1234567/r-ab12/ou-{}/", "a".repeat(71)).as_str(),
            "tag:novalue",
            "tag:=value",
            "tag:key=a,b",
            "tag:k*=v",
        ] {
            assert!(parse(s).unwrap().is_err(), "{s}");
        }
        assert!(parse("arn:aws:iam::123456789012:role/AppRole").is_none());
        let long_key = format!("tag:{}=v", "k".repeat(MAX_TAG_KEY_LEN + 1));
        assert!(parse(&long_key).unwrap().is_err());
    }
}
