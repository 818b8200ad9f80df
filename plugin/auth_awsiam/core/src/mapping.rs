//! Mapping rules: `PATTERN => ACCOUNT` entries in the auth string of a proxy account. The
//! first rule whose pattern matches the caller names the MySQL account the login becomes;
//! MySQL's proxy users do the rest (GRANT PROXY, CURRENT_USER(), @@proxy_user).
//!
//! The patterns are those of bindings (`pattern`). `=>` cannot occur in an IAM name ('>'
//! is not an IAM character), so a rule can never be read as a plain pattern or the other way
//! round.

use crate::identity::Caller;
use crate::pattern::{Pattern, parse_pattern};
use crate::syntax::shown;

/// Separates a rule's pattern from its account.
pub const ARROW: &str = "=>";
/// Most rules in one auth string.
pub const MAX_RULES: usize = 32;
/// Longest MySQL user name (MySQL's `USERNAME_CHAR_LENGTH`; its buffer
/// `authenticated_as` holds 32 characters of up to 3 bytes, and names here are ASCII).
pub const MAX_ACCOUNT_NAME_LEN: usize = 32;
/// What an account name may be, for error messages and the docs.
pub const ACCOUNT_NAME_RULE: &str = "1 to 32 characters from [A-Za-z0-9_.$-]";

/// One `PATTERN => ACCOUNT` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub pattern: Pattern,
    /// The MySQL user name the caller becomes.
    pub account: String,
}

/// The rule that matched a caller: the account it maps to and the rule's place (from 1),
/// for the log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub account: String,
    pub rule: usize,
}

/// A MySQL user name a rule may map to. Deliberately narrower than what MySQL accepts in
/// quotes: no quotes (they would be taken literally), no '@' (the host of the proxied
/// account comes from the GRANT PROXY, not from the rule), no ',' (it separates rules), no
/// spaces.
pub fn is_account_name(s: &str) -> bool {
    (1..=MAX_ACCOUNT_NAME_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b'-'))
}

/// Checks the account side of a rule; the error says what a DBA likely meant.
fn parse_account(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err(format!(
            "no account name after '{ARROW}' (write PATTERN {ARROW} ACCOUNT, the account being a MySQL user name)"
        ));
    }
    if s.contains(['\'', '"', '`']) {
        return Err(format!(
            "account {} must be written without quotes: PATTERN {ARROW} developers",
            shown(s)
        ));
    }
    if s.contains('@') {
        return Err(format!(
            "account {} names a host: write the user name only; the host of the mapped account is the one of GRANT PROXY ON 'NAME'@'HOST' TO the proxy account",
            shown(s)
        ));
    }
    if !is_account_name(s) {
        return Err(format!("account {} must be {ACCOUNT_NAME_RULE}", shown(s)));
    }
    Ok(s.to_string())
}

/// Whether an auth-string entry is written as a rule.
pub fn looks_like_rule(item: &str) -> bool {
    item.contains(ARROW)
}

/// Parses one `PATTERN => ACCOUNT` entry (already trimmed).
pub fn parse_rule(item: &str) -> Result<Rule, String> {
    let Some((pattern, account)) = item.split_once(ARROW) else {
        return Err(format!(
            "'>' outside '{ARROW}': a rule is PATTERN {ARROW} ACCOUNT ('>' is not an IAM character)"
        ));
    };
    let (pattern, account) = (pattern.trim(), account.trim());
    if account.contains('>') {
        return Err(format!(
            "more than one '{ARROW}': a rule maps one pattern to one account"
        ));
    }
    if pattern.is_empty() {
        return Err(format!("no pattern before '{ARROW}'"));
    }
    let pattern = parse_pattern(pattern)?;
    let account = parse_account(account)?;
    Ok(Rule { pattern, account })
}

/// The first rule that matches the caller: rules are tried in the order written.
pub fn first_match<'r>(rules: &'r [Rule], caller: &Caller) -> Option<(usize, &'r Rule)> {
    rules
        .iter()
        .enumerate()
        .find(|(_, r)| r.pattern.matches(caller))
        .map(|(i, r)| (i + 1, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::parse_arn;

    fn caller(arn: &str) -> Caller {
        Caller {
            arn: arn.to_string(),
            user_id: String::new(),
            access_key_id: "AKIDEXAMPLE".into(),
            principal: parse_arn(arn).unwrap(),
            claims: None,
        }
    }

    fn rule(s: &str) -> Rule {
        parse_rule(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn account_names() {
        for ok in [
            "developers",
            "dba",
            "ci-deploy",
            "app.reader",
            "a",
            "x$1",
            &"a".repeat(32),
        ] {
            assert!(is_account_name(ok), "{ok}");
        }
        for bad in [
            "",
            "dev team",
            "a,b",
            "'dba'",
            "dba@%",
            "dé",
            &"a".repeat(33),
        ] {
            assert!(!is_account_name(bad), "{bad}");
        }
    }

    #[test]
    fn rules_parse_with_or_without_spaces() {
        let r = rule("arn:aws:iam::123456789012:role/dev-* => developers");
        assert_eq!(r.account, "developers");
        assert_eq!(
            r.pattern,
            parse_pattern("arn:aws:iam::123456789012:role/dev-*").unwrap()
        );
        assert_eq!(
            rule("arn:aws:iam::123456789012:role/ci=>deployer").account,
            "deployer"
        );
        assert_eq!(rule("AROAEXAMPLEID1234567 => app").account, "app");
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let cases = [
            ("arn:aws:iam::123456789012:role/dev =>", "no account name"),
            (
                "arn:aws:iam::123456789012:role/dev =>   ",
                "no account name",
            ),
            ("=> developers", "no pattern before"),
            (
                "arn:aws:iam::123456789012:role/a => b => c",
                "more than one '=>'",
            ),
            (
                "arn:aws:iam::123456789012:role/a => b =>",
                "more than one '=>'",
            ),
            ("arn:aws:iam::123456789012:role/a -> b", "'>' outside '=>'"),
            ("arn:aws:iam::123456789012:role/a >= b", "'>' outside '=>'"),
            (
                "arn:aws:iam::123456789012:role/a => 'dev'",
                "without quotes",
            ),
            ("arn:aws:iam::123456789012:role/a => dev@%", "names a host"),
            (
                "arn:aws:iam::123456789012:role/a => dev team",
                "must be 1 to 32",
            ),
            (
                &format!("arn:aws:iam::123456789012:role/a => {}", "d".repeat(33)),
                "must be 1 to 32",
            ),
            ("arn:aws:iam::12345:role/a => dev", "12-digit"),
            (
                "arn:aws:iam::123456789012:role/path/a => dev",
                "cannot name a path",
            ),
        ];
        for (s, want) in cases {
            let e = parse_rule(s).unwrap_err();
            assert!(e.contains(want), "{s}: got '{e}', want '{want}'");
        }
    }

    #[test]
    fn first_match_wins() {
        let rules = [
            rule("arn:aws:iam::123456789012:role/dev-admin => dba"),
            rule("arn:aws:iam::123456789012:role/dev-* => developers"),
            rule("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_DBA_*/* => dba"),
        ];
        let c = |arn| caller(arn);
        let admin = c("arn:aws:sts::123456789012:assumed-role/dev-admin/s1");
        assert_eq!(
            first_match(&rules, &admin).map(|(i, r)| (i, r.account.as_str())),
            Some((1, "dba"))
        );
        let dev = c("arn:aws:sts::123456789012:assumed-role/dev-alice/s1");
        assert_eq!(
            first_match(&rules, &dev).map(|(i, r)| (i, r.account.as_str())),
            Some((2, "developers"))
        );
        let sso =
            c("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_DBA_abc123/alice@example.com");
        assert_eq!(first_match(&rules, &sso).map(|(i, _)| i), Some(3));
        let other = c("arn:aws:sts::123456789012:assumed-role/ops/s1");
        assert_eq!(first_match(&rules, &other), None);
        // Another account's role of the same name matches nothing: the account is literal.
        let stranger = c("arn:aws:sts::210987654321:assumed-role/dev-alice/s1");
        assert_eq!(first_match(&rules, &stranger), None);
    }
}
