//! Who may log in as which MySQL account: the auth string (a binding's patterns, or a proxy
//! account's mapping rules) and the decision.

use crate::error::{Reason, Refusal, refuse};
use crate::identity::{Caller, Kind, Principal};
use crate::mapping::{self, MAX_RULES, Mapped, Rule};
use crate::pattern::{Pattern, PatternKind, parse_pattern};
use crate::syntax::shown;

/// Most patterns in one binding (an auth string without rules).
pub const MAX_PATTERNS: usize = 16;
/// Longest auth string (room for `MAX_RULES` rules of about a hundred bytes).
pub const MAX_AUTH_STRING_LEN: usize = 4096;

/// What an account's `AS '...'` string says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthString {
    /// Empty: the default rule (role name = user name).
    Default,
    /// Plain patterns: the caller must match one of them and logs in as this account.
    Binding(Vec<Pattern>),
    /// `PATTERN => ACCOUNT` rules: this is a proxy account; the first matching rule names
    /// the account the caller becomes.
    Mapping(Vec<Rule>),
}

impl AuthString {
    /// Its number of entries: patterns or rules.
    pub fn len(&self) -> usize {
        match self {
            AuthString::Default => 0,
            AuthString::Binding(patterns) => patterns.len(),
            AuthString::Mapping(rules) => rules.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why rules and plain patterns cannot share an auth string: a plain pattern in a proxy
/// account would let the caller in as the proxy account itself, which is rarely meant (an
/// anonymous proxy account usually has no privileges of its own).
const MIXED_REFUSED: &str = "plain patterns and PATTERN => ACCOUNT rules cannot be mixed: \
     in an account with rules, every entry must name the account it maps to";

/// Parses a whole auth string: empty, 1 to 16 comma-separated patterns, or 1 to 32
/// comma-separated `PATTERN => ACCOUNT` rules.
pub fn parse_auth_string(s: &str) -> Result<AuthString, String> {
    if s.len() > MAX_AUTH_STRING_LEN {
        return Err(format!(
            "auth string is {} bytes, the limit is {MAX_AUTH_STRING_LEN}",
            s.len()
        ));
    }
    if s.trim().is_empty() {
        return Ok(AuthString::Default);
    }
    let items: Vec<&str> = s.split(',').map(str::trim).collect();
    if let Some(i) = items.iter().position(|item| item.is_empty()) {
        return Err(format!("entry {} is empty (stray comma?)", i + 1));
    }
    if let Some(i) = items
        .iter()
        .position(|i| i.contains('>') && !i.contains(mapping::ARROW))
    {
        return Err(format!(
            "entry {} {}: '>' outside '{}': a rule is PATTERN {} ACCOUNT",
            i + 1,
            shown(items[i]),
            mapping::ARROW,
            mapping::ARROW
        ));
    }
    let rules = items.iter().filter(|i| mapping::looks_like_rule(i)).count();
    if rules == 0 {
        return parse_binding(&items).map(AuthString::Binding);
    }
    if rules < items.len() {
        let plain = items
            .iter()
            .position(|i| !mapping::looks_like_rule(i))
            .expect("some entry is not a rule");
        return Err(format!(
            "entry {} {} has no '{}': {MIXED_REFUSED}",
            plain + 1,
            shown(items[plain]),
            mapping::ARROW
        ));
    }
    if items.len() > MAX_RULES {
        return Err(format!(
            "auth string has {} rules, the limit is {MAX_RULES}",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            mapping::parse_rule(item).map_err(|e| format!("rule {} {}: {e}", i + 1, shown(item)))
        })
        .collect::<Result<_, _>>()
        .map(AuthString::Mapping)
}

fn parse_binding(items: &[&str]) -> Result<Vec<Pattern>, String> {
    if items.len() > MAX_PATTERNS {
        return Err(format!(
            "auth string has {} patterns, the limit is {MAX_PATTERNS}",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            parse_pattern(item).map_err(|e| format!("pattern {} {}: {e}", i + 1, shown(item)))
        })
        .collect()
}

/// Validates an auth string at CREATE/ALTER USER time.
pub fn check_auth_string(s: &str) -> Result<(), String> {
    parse_auth_string(s).map(|_| ())
}

/// Where an allowed set (of accounts, or of partitions) came from, for the refusal detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountSource {
    Configured,
    ServerOwn,
}

/// The accounts logins may come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedAccounts {
    pub accounts: Vec<String>,
    pub source: AccountSource,
}

impl AllowedAccounts {
    fn check(&self, account: &str) -> Result<(), Refusal> {
        if self.accounts.iter().any(|a| a == account) {
            return Ok(());
        }
        let detail = match self.source {
            AccountSource::Configured => {
                format!("account {account} is not in auth_awsiam_allowed_accounts")
            }
            AccountSource::ServerOwn => format!(
                "account {account} is not the server's own account ({}); list other accounts in auth_awsiam_allowed_accounts",
                self.accounts.join(",")
            ),
        };
        Err(refuse(Reason::AccountNotAllowed, detail))
    }
}

/// The partitions callers may come from. An account ID names an account only within its
/// partition: `123456789012` in `aws-cn` is another account than `123456789012` in `aws`, so
/// the account rules hold only for callers of the partitions listed here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedPartitions {
    pub partitions: Vec<String>,
    pub source: AccountSource,
}

impl AllowedPartitions {
    /// Checked for every caller, before any account rule or pattern.
    pub fn check(&self, caller: &Caller) -> Result<(), Refusal> {
        let partition = &caller.principal.partition;
        if self.partitions.iter().any(|p| p == partition) {
            return Ok(());
        }
        let detail = match self.source {
            AccountSource::Configured => format!(
                "the caller is in partition {partition}, which is not in auth_awsiam_allowed_partitions"
            ),
            AccountSource::ServerOwn => format!(
                "the caller is in partition {partition}, not in the server's own partition ({}); an account ID of another partition is another account: list the partitions to trust in auth_awsiam_allowed_partitions",
                self.partitions.join(",")
            ),
        };
        Err(refuse(Reason::PartitionNotAllowed, detail))
    }
}

/// The refusal when no account is known at all.
pub fn no_allowed_account(why: &str) -> Refusal {
    refuse(
        Reason::NoAllowedAccount,
        format!(
            "no allowed AWS account: auth_awsiam_allowed_accounts is empty and the server's own account is unknown ({why}); set auth_awsiam_allowed_accounts or give the server AWS credentials"
        ),
    )
}

/// Decides whether `caller` may log in as MySQL `user` whose auth string is
/// `auth_string`: `Ok(None)` as that account itself, `Ok(Some(mapped))` as the account a
/// mapping rule names. `allowed` is called only when the account rule needs the allowed set
/// (it may wait for the server's own account).
pub fn decide(
    user: &str,
    auth_string: &str,
    caller: &Caller,
    allowed: impl FnOnce() -> Result<AllowedAccounts, Refusal>,
) -> Result<Option<Mapped>, Refusal> {
    let principal = &caller.principal;
    let parsed = parse_auth_string(auth_string).map_err(|e| {
        refuse(
            Reason::AuthStringInvalid,
            format!("the account's auth string is invalid: {e}"),
        )
    })?;
    match parsed {
        AuthString::Default => decide_default(user, principal, allowed).map(|()| None),
        AuthString::Binding(patterns) => decide_binding(&patterns, caller, allowed).map(|()| None),
        AuthString::Mapping(rules) => decide_mapping(&rules, caller, allowed).map(Some),
    }
}

fn decide_binding(
    patterns: &[Pattern],
    caller: &Caller,
    allowed: impl FnOnce() -> Result<AllowedAccounts, Refusal>,
) -> Result<(), Refusal> {
    let principal = &caller.principal;
    let matching: Vec<&Pattern> = patterns.iter().filter(|p| p.matches(caller)).collect();
    if matching.is_empty() {
        return Err(match principal.kind {
            Kind::Root | Kind::FederatedUser { .. } => type_not_allowed(principal),
            _ => refuse(
                Reason::BindingMismatch,
                format!(
                    "the caller matches none of the account's {} pattern(s){}",
                    patterns.len(),
                    claims_note(patterns.iter(), caller)
                ),
            ),
        });
    }
    // A pattern naming the caller's account explicitly allows that account.
    if matching.iter().any(|p| p.names_account(&principal.account)) {
        return Ok(());
    }
    allowed()?.check(&principal.account)
}

/// The first matching rule decides, with the account rule of a binding: a rule that names
/// the caller's account (literally, or by a unique ID) allows it; otherwise the account must
/// be allowed. A caller from an account that is not allowed is refused before it is mapped:
/// a later rule is not tried.
fn decide_mapping(
    rules: &[Rule],
    caller: &Caller,
    allowed: impl FnOnce() -> Result<AllowedAccounts, Refusal>,
) -> Result<Mapped, Refusal> {
    let principal = &caller.principal;
    let Some((number, rule)) = mapping::first_match(rules, caller) else {
        return Err(match principal.kind {
            Kind::Root | Kind::FederatedUser { .. } => type_not_allowed(principal),
            _ => refuse(
                Reason::NoMatchingRule,
                format!(
                    "the caller matches none of the proxy account's {} mapping rule(s){}",
                    rules.len(),
                    claims_note(rules.iter().map(|r| &r.pattern), caller)
                ),
            ),
        });
    };
    if !rule.pattern.names_account(&principal.account) {
        allowed()?.check(&principal.account)?;
    }
    Ok(Mapped {
        account: rule.account.clone(),
        rule: number,
    })
}

/// Why claim patterns did not match a caller that has no claims: it logged in with a
/// GetCallerIdentity token, which says nothing of organizations or tags.
fn claims_note<'a>(
    mut patterns: impl Iterator<Item = &'a Pattern>,
    caller: &Caller,
) -> &'static str {
    let has_claim_patterns = patterns.any(|p| matches!(p.kind, PatternKind::Claim(_)));
    if has_claim_patterns && caller.claims.is_none() {
        " (org:, ou: and tag: patterns match only logins with an AWS-issued JWT; this caller's token was verified by STS, which tells no organization or tags)"
    } else {
        ""
    }
}

fn type_not_allowed(p: &Principal) -> Refusal {
    refuse(
        Reason::PrincipalTypeNotAllowed,
        format!(
            "the caller is {}, which may log in only through an AS '...' pattern of that kind",
            p.kind.describe()
        ),
    )
}

fn decide_default(
    user: &str,
    principal: &Principal,
    allowed: impl FnOnce() -> Result<AllowedAccounts, Refusal>,
) -> Result<(), Refusal> {
    match &principal.kind {
        // A role session (STS) or the role itself (a JWT's `sub`): the role's name decides.
        Kind::AssumedRole { role, .. } | Kind::Role { name: role, .. } if role == user => {
            allowed()?.check(&principal.account)
        }
        Kind::AssumedRole { role, .. } | Kind::Role { name: role, .. } => Err(refuse(
            Reason::RoleMismatch,
            format!(
                "role {} differs from the MySQL user name {} (without an AS '...' binding they must be equal)",
                shown(role),
                shown(user)
            ),
        )),
        Kind::User { name, .. } => Err(refuse(
            Reason::RoleMismatch,
            format!(
                "the caller is IAM user {}, not a role session; bind it with CREATE USER ... IDENTIFIED WITH auth_awsiam AS {}",
                shown(name),
                shown(&principal.arn())
            ),
        )),
        Kind::Root | Kind::FederatedUser { .. } => Err(type_not_allowed(principal)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::parse_arn;

    const ACCT: &str = "123456789012";
    const OTHER: &str = "210987654321";

    fn p(arn: &str) -> Caller {
        Caller {
            arn: arn.to_string(),
            user_id: String::new(),
            access_key_id: "AKIDEXAMPLE".into(),
            principal: parse_arn(arn).unwrap(),
            claims: None,
        }
    }

    fn with_user_id(mut c: Caller, user_id: &str) -> Caller {
        c.user_id = user_id.to_string();
        c
    }

    fn configured(accts: &[&str]) -> impl FnOnce() -> Result<AllowedAccounts, Refusal> {
        let accounts = accts.iter().map(|s| s.to_string()).collect();
        move || {
            Ok(AllowedAccounts {
                accounts,
                source: AccountSource::Configured,
            })
        }
    }

    fn never() -> impl FnOnce() -> Result<AllowedAccounts, Refusal> {
        || panic!("the allowed set must not be needed here")
    }

    fn unknown() -> impl FnOnce() -> Result<AllowedAccounts, Refusal> {
        || Err(no_allowed_account("no credentials"))
    }

    fn reason<T: std::fmt::Debug>(r: Result<T, Refusal>) -> Reason {
        r.unwrap_err().reason
    }

    #[test]
    fn auth_strings_valid() {
        let ok = [
            "",
            "   ",
            "arn:aws:iam::123456789012:role/AppRole",
            "arn:aws:iam::123456789012:role/App*",
            "arn:aws:iam::123456789012:user/alice , arn:aws:iam::123456789012:user/ops/bob",
            "arn:aws:sts::1234*:assumed-role/App*/*",
            "arn:aws:iam::123456789012:root",
            "arn:aws-cn:sts::*:federated-user/carol",
            "arn:aws-us-gov:iam::123456789012:role/*",
        ];
        for s in ok {
            assert!(
                check_auth_string(s).is_ok(),
                "{s}: {:?}",
                check_auth_string(s)
            );
        }
    }

    #[test]
    fn auth_strings_invalid_with_precise_messages() {
        let cases = [
            ("arn:aws:iam::123456789012:role/A,", "entry 2 is empty"),
            ("role/AppRole", "pattern 1 'role/AppRole': not an ARN"),
            ("arn:aws*:iam::123456789012:role/A", "unknown partition"),
            ("arn:aws:iam:us-east-1:123456789012:role/A", "empty region"),
            ("arn:aws:iam::12345:role/A", "12-digit"),
            ("arn:aws:iam::12345678901x:role/A", "12-digit"),
            ("arn:aws:iam::*:root", "literal 12-digit account"),
            ("arn:aws:sts::123456789012:role/A", "use service 'iam'"),
            ("arn:aws:s3:::my-bucket", "neither iam nor sts"),
            (
                "arn:aws:iam::123456789012:assumed-role/A/s1",
                "use service 'sts'",
            ),
            ("arn:aws:iam::123456789012:user/p*/A", "paths are literal"),
            (
                "arn:aws:iam::123456789012:role/service-role/*",
                "cannot name a path",
            ),
            (
                "arn:aws:iam::123456789012:role/service-role/AppRole",
                "role's path",
            ),
            ("arn:aws:iam::123456789012:role/p*/A", "cannot name a path"),
            ("arn:aws:iam::123456789012:group/A", "unsupported resource"),
            ("arn:aws:iam::123456789012:role/a b", "role name 'a b'"),
            // A wildcard does not excuse the rest: characters, length.
            ("arn:aws:iam::123456789012:role/a b*", "role name 'a b*'"),
            ("arn:aws:iam::1234x*:role/A", "account '1234x*'"),
            (
                "arn:aws:iam::1234567890123*:role/A",
                "account '1234567890123*'",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/A",
                "unsupported resource",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/A/s",
                "session name 's'",
            ),
        ];
        for (s, want) in cases {
            let e = check_auth_string(s).unwrap_err();
            assert!(e.contains(want), "{s}: got '{e}', want '{want}'");
        }
        let many = vec!["arn:aws:iam::123456789012:role/A"; 17].join(",");
        assert!(
            check_auth_string(&many)
                .unwrap_err()
                .contains("limit is 16")
        );
        // The limits themselves are allowed.
        let sixteen = vec!["arn:aws:iam::123456789012:role/A"; MAX_PATTERNS].join(",");
        assert!(
            matches!(parse_auth_string(&sixteen).unwrap(), AuthString::Binding(p) if p.len() == MAX_PATTERNS)
        );
        let longest = format!(
            "arn:aws:iam::123456789012:role/A{}",
            " ".repeat(MAX_AUTH_STRING_LEN - 32)
        );
        assert_eq!(longest.len(), MAX_AUTH_STRING_LEN);
        assert!(
            matches!(parse_auth_string(&longest).unwrap(), AuthString::Binding(p) if p.len() == 1)
        );
        let long = format!(
            "arn:aws:iam::123456789012:role/{}",
            "a".repeat(MAX_AUTH_STRING_LEN + 10)
        );
        assert!(
            check_auth_string(&long)
                .unwrap_err()
                .contains("limit is 4096")
        );
    }

    #[test]
    fn default_rule_role_equals_user() {
        let caller = p("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        assert!(decide("AppRole", "", &caller, configured(&[ACCT])).is_ok());
        assert_eq!(
            reason(decide("approle", "", &caller, never())),
            Reason::RoleMismatch
        );
        assert_eq!(
            reason(decide("AppRole", "", &caller, configured(&[OTHER]))),
            Reason::AccountNotAllowed
        );
        assert_eq!(
            reason(decide("AppRole", "", &caller, unknown())),
            Reason::NoAllowedAccount
        );
    }

    #[test]
    fn default_rule_iam_user_gets_a_hint() {
        let caller = p("arn:aws:iam::123456789012:user/alice");
        let e = decide("alice", "", &caller, never()).unwrap_err();
        assert_eq!(e.reason, Reason::RoleMismatch);
        assert!(
            e.detail
                .contains("AS 'arn:aws:iam::123456789012:user/alice'"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn root_and_federated_refused_by_default() {
        for arn in [
            "arn:aws:iam::123456789012:root",
            "arn:aws:sts::123456789012:federated-user/carol",
        ] {
            let caller = p(arn);
            assert_eq!(
                reason(decide("x", "", &caller, never())),
                Reason::PrincipalTypeNotAllowed
            );
            let other = "arn:aws:iam::123456789012:role/x";
            assert_eq!(
                reason(decide("x", other, &caller, never())),
                Reason::PrincipalTypeNotAllowed
            );
        }
        let root = p("arn:aws:iam::123456789012:root");
        assert!(decide("x", "arn:aws:iam::123456789012:root", &root, never()).is_ok());
        let fed = p("arn:aws:sts::123456789012:federated-user/carol");
        assert!(
            decide(
                "x",
                "arn:aws:sts::123456789012:federated-user/car*",
                &fed,
                never()
            )
            .is_ok()
        );
    }

    #[test]
    fn role_pattern_matches_sessions() {
        let caller = p("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        let s = "arn:aws:iam::123456789012:role/AppRole";
        assert!(
            decide("anyone", s, &caller, never()).is_ok(),
            "literal account allows"
        );
        // A path stored before paths were refused: refused at login too, never matched
        // as if the path had been checked.
        for stored in [
            "arn:aws:iam::123456789012:role/service-role/AppRole",
            "arn:aws:iam::123456789012:role/other-path/*",
        ] {
            assert_eq!(
                reason(decide("anyone", stored, &caller, never())),
                Reason::AuthStringInvalid
            );
        }
        assert_eq!(
            reason(decide(
                "anyone",
                "arn:aws:iam::123456789012:role/Other",
                &caller,
                never()
            )),
            Reason::BindingMismatch
        );
        assert_eq!(
            reason(decide(
                "anyone",
                "arn:aws-cn:iam::123456789012:role/AppRole",
                &caller,
                never()
            )),
            Reason::BindingMismatch,
            "partition is literal"
        );
    }

    #[test]
    fn wildcard_account_needs_the_allowed_set() {
        let caller = p("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        let s = "arn:aws:iam::*:role/AppRole";
        assert!(decide("u", s, &caller, configured(&[ACCT])).is_ok());
        assert_eq!(
            reason(decide("u", s, &caller, configured(&[OTHER]))),
            Reason::AccountNotAllowed
        );
        assert_eq!(
            reason(decide("u", s, &caller, unknown())),
            Reason::NoAllowedAccount
        );
    }

    #[test]
    fn user_pattern_path_rules() {
        let caller = p("arn:aws:iam::123456789012:user/ops/alice");
        assert!(
            decide(
                "u",
                "arn:aws:iam::123456789012:user/alice",
                &caller,
                never()
            )
            .is_ok()
        );
        assert!(
            decide(
                "u",
                "arn:aws:iam::123456789012:user/ops/alice",
                &caller,
                never()
            )
            .is_ok()
        );
        assert_eq!(
            reason(decide(
                "u",
                "arn:aws:iam::123456789012:user/dev/alice",
                &caller,
                never()
            )),
            Reason::BindingMismatch
        );
        assert_eq!(
            reason(decide(
                "u",
                "arn:aws:iam::123456789012:role/alice",
                &caller,
                never()
            )),
            Reason::BindingMismatch,
            "a role pattern never matches an IAM user"
        );
    }

    #[test]
    fn assumed_role_pattern_checks_session() {
        let caller = p("arn:aws:sts::123456789012:assumed-role/AppRole/alice@example.com");
        let ok = "arn:aws:sts::123456789012:assumed-role/AppRole/*@example.com";
        assert!(decide("u", ok, &caller, never()).is_ok());
        let bad = "arn:aws:sts::123456789012:assumed-role/AppRole/bob*";
        assert_eq!(
            reason(decide("u", bad, &caller, never())),
            Reason::BindingMismatch
        );
    }

    /// The pattern's account is part of the binding even when both accounts are allowed: a
    /// role of the same name in another account is another principal.
    #[test]
    fn a_binding_names_the_account_as_well_as_the_role() {
        let s = "arn:aws:iam::123456789012:role/AppRole";
        let mine = p("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        assert!(decide("u", s, &mine, configured(&[ACCT, OTHER])).is_ok());
        let theirs = p("arn:aws:sts::210987654321:assumed-role/AppRole/s1");
        assert_eq!(
            reason(decide("u", s, &theirs, configured(&[ACCT, OTHER]))),
            Reason::BindingMismatch
        );
        // The same for every kind of pattern.
        for (pattern, caller) in [
            (
                "arn:aws:iam::123456789012:user/alice",
                "arn:aws:iam::210987654321:user/alice",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
                "arn:aws:sts::210987654321:assumed-role/AppRole/s1",
            ),
            (
                "arn:aws:sts::1234*:assumed-role/AppRole/s1",
                "arn:aws:sts::210987654321:assumed-role/AppRole/s1",
            ),
        ] {
            assert_eq!(
                reason(decide("u", pattern, &p(caller), configured(&[ACCT, OTHER]))),
                Reason::BindingMismatch,
                "{pattern} / {caller}"
            );
        }
        for (pattern, caller) in [
            (
                "arn:aws:iam::123456789012:root",
                "arn:aws:iam::210987654321:root",
            ),
            (
                "arn:aws:sts::123456789012:federated-user/carol",
                "arn:aws:sts::210987654321:federated-user/carol",
            ),
        ] {
            assert_eq!(
                reason(decide("u", pattern, &p(caller), configured(&[ACCT, OTHER]))),
                Reason::PrincipalTypeNotAllowed,
                "{pattern} / {caller}"
            );
        }
    }

    /// A federated-user pattern binds the name (or its wildcard), not any federated user.
    #[test]
    fn a_federated_user_pattern_binds_the_name() {
        let s = "arn:aws:sts::123456789012:federated-user/car*";
        let carol = p("arn:aws:sts::123456789012:federated-user/carol");
        assert!(decide("u", s, &carol, never()).is_ok());
        for other in ["dave", "ca", "xcarol"] {
            let caller = p(&format!("arn:aws:sts::123456789012:federated-user/{other}"));
            assert_eq!(
                reason(decide("u", s, &caller, never())),
                Reason::PrincipalTypeNotAllowed,
                "{other}"
            );
        }
        let exact = "arn:aws:sts::123456789012:federated-user/carol";
        let carolyn = p("arn:aws:sts::123456789012:federated-user/carolyn");
        assert_eq!(
            reason(decide("u", exact, &carolyn, never())),
            Reason::PrincipalTypeNotAllowed
        );
    }

    /// An assumed-role pattern binds the role as well as the session.
    #[test]
    fn assumed_role_pattern_checks_role() {
        let caller = p("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        let other_role = "arn:aws:sts::123456789012:assumed-role/Other/s1";
        assert_eq!(
            reason(decide("u", other_role, &caller, never())),
            Reason::BindingMismatch
        );
    }

    #[test]
    fn a_pattern_names_only_its_literal_account() {
        let literal = parse_pattern("arn:aws:iam::123456789012:role/A").unwrap();
        assert!(literal.names_account(ACCT));
        assert!(!literal.names_account(OTHER));
        let wildcard = parse_pattern("arn:aws:iam::1234*:role/A").unwrap();
        assert!(!wildcard.names_account(ACCT));
        let id = parse_pattern("AROAEXAMPLEID1234567").unwrap();
        assert!(id.names_account(ACCT));
    }

    #[test]
    fn any_matching_literal_pattern_allows() {
        let caller = p("arn:aws:sts::210987654321:assumed-role/AppRole/s1");
        let s = "arn:aws:iam::*:role/AppRole, arn:aws:iam::210987654321:role/App*";
        assert!(decide("u", s, &caller, configured(&[ACCT])).is_ok());
    }

    #[test]
    fn unique_id_binds_one_role_for_its_life() {
        let role = "AROAEXAMPLEID1234567";
        let session = |arn: &str, user_id: &str| with_user_id(p(arn), user_id);
        let first = session(
            "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
            &format!("{role}:s1"),
        );
        assert!(
            decide("u", role, &first, never()).is_ok(),
            "its account is named"
        );
        // The role deleted and re-created under the same name: same ARN, new unique ID.
        let recreated = session(
            "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
            "AROANEWROLEID7654321:s1",
        );
        assert_eq!(
            reason(decide("u", role, &recreated, never())),
            Reason::BindingMismatch
        );
        // An IAM user's ID matches the whole UserId; no UserId matches nothing.
        let alice = session(
            "arn:aws:iam::123456789012:user/alice",
            "AIDAEXAMPLEID1234567",
        );
        assert!(decide("u", "AIDAEXAMPLEID1234567", &alice, never()).is_ok());
        assert_eq!(
            reason(decide(
                "u",
                role,
                &p("arn:aws:sts::123456789012:assumed-role/AppRole/s1"),
                never()
            )),
            Reason::BindingMismatch
        );
        // Combined with ARN patterns, any match allows.
        let both = format!("arn:aws:iam::123456789012:role/Other, {role}");
        assert!(decide("u", &both, &first, never()).is_ok());
        // What is not a unique ID is an ARN pattern (and says what it may be).
        for bad in ["AROA", "aroaexampleid1234567", "ASIAEXAMPLEID1234567"] {
            let e = check_auth_string(bad).unwrap_err();
            assert!(e.contains("unique ID (AROA..., AIDA...)"), "{bad}: {e}");
        }
    }

    fn mapped<T>(r: Result<Option<Mapped>, T>) -> Option<(String, usize)>
    where
        T: std::fmt::Debug,
    {
        r.unwrap().map(|m| (m.account, m.rule))
    }

    const RULES: &str = "arn:aws:iam::123456789012:role/dev-* => developers,
        arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_DBA_*/* => dba,
        arn:aws:iam::123456789012:role/ci-deploy => deployer";

    #[test]
    fn auth_string_kinds() {
        assert_eq!(parse_auth_string(" "), Ok(AuthString::Default));
        assert!(matches!(
            parse_auth_string("arn:aws:iam::123456789012:role/A"),
            Ok(AuthString::Binding(p)) if p.len() == 1
        ));
        let Ok(AuthString::Mapping(rules)) = parse_auth_string(RULES) else {
            panic!("{:?}", parse_auth_string(RULES))
        };
        let accounts: Vec<&str> = rules.iter().map(|r| r.account.as_str()).collect();
        assert_eq!(accounts, ["developers", "dba", "deployer"]);
        assert_eq!(parse_auth_string(RULES).unwrap().len(), 3);
        assert!(parse_auth_string("").unwrap().is_empty());
        // A binding or a mapping has at least one entry: neither is ever empty.
        assert!(
            !parse_auth_string("arn:aws:iam::123456789012:role/A")
                .unwrap()
                .is_empty()
        );
        assert!(!parse_auth_string(RULES).unwrap().is_empty());
    }

    #[test]
    fn rule_strings_invalid_with_precise_messages() {
        let a = "arn:aws:iam::123456789012:role/A";
        let cases = [
            (
                format!("{a} => x, {a}"),
                "entry 2 'arn:aws:iam::123456789012:role/A' has no '=>': plain patterns and PATTERN => ACCOUNT rules cannot be mixed",
            ),
            (
                format!("{a}, {a} => x"),
                "entry 1 'arn:aws:iam::123456789012:role/A' has no '=>'",
            ),
            (
                format!("{a} => "),
                "rule 1 'arn:aws:iam::123456789012:role/A =>': no account name",
            ),
            (format!("{a} => x, {a} => "), "rule 2"),
            (format!("{a} => x,"), "entry 2 is empty"),
            (" => x".to_string(), "rule 1 '=> x': no pattern before '=>'"),
            (format!("{a} => x => y"), "more than one '=>'"),
            (
                format!("{a} -> x"),
                "entry 1 'arn:aws:iam::123456789012:role/A -> x': '>' outside '=>'",
            ),
            (format!("{a} => x, {a} -> y"), "entry 2"),
            (format!("{a} => 'x'@'%'"), "without quotes"),
            (format!("{a} => x@%"), "names a host"),
            (
                "arn:aws:iam::123456789012:role/ => x".to_string(),
                "role name ''",
            ),
        ];
        for (s, want) in cases {
            let e = check_auth_string(&s).unwrap_err();
            assert!(e.contains(want), "{s}: got '{e}', want '{want}'");
        }
        let at_limit = vec![format!("{a} => x"); MAX_RULES].join(",");
        assert!(check_auth_string(&at_limit).is_ok());
        let many = vec![format!("{a} => x"); MAX_RULES + 1].join(",");
        let e = check_auth_string(&many).unwrap_err();
        assert!(e.contains("33 rules, the limit is 32"), "{e}");
    }

    #[test]
    fn mapping_first_match_wins() {
        let dev = p("arn:aws:sts::123456789012:assumed-role/dev-alice/s1");
        assert_eq!(
            mapped(decide("anyone", RULES, &dev, never())),
            Some(("developers".into(), 1))
        );
        let sso =
            p("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_DBA_abc123/alice@example.com");
        assert_eq!(
            mapped(decide("", RULES, &sso, never())),
            Some(("dba".into(), 2))
        );
        // An earlier, broader rule wins over a later, narrower one.
        let broad_first = "arn:aws:iam::123456789012:role/* => readers, \
                           arn:aws:iam::123456789012:role/dev-* => developers";
        assert_eq!(
            mapped(decide("", broad_first, &dev, never())),
            Some(("readers".into(), 1))
        );
        // The MySQL user name plays no part.
        assert_eq!(
            mapped(decide("dba", RULES, &dev, never())),
            Some(("developers".into(), 1))
        );
    }

    #[test]
    fn mapping_refusals() {
        let ops = p("arn:aws:sts::123456789012:assumed-role/ops/s1");
        assert_eq!(
            reason(decide("", RULES, &ops, never())),
            Reason::NoMatchingRule
        );
        // A stranger's role of the same name matches no rule with a literal account.
        let stranger = p("arn:aws:sts::210987654321:assumed-role/dev-alice/s1");
        assert_eq!(
            reason(decide("", RULES, &stranger, never())),
            Reason::NoMatchingRule
        );
        // The root user and federated users: refused as in a binding.
        let root = p("arn:aws:iam::123456789012:root");
        assert_eq!(
            reason(decide("", RULES, &root, never())),
            Reason::PrincipalTypeNotAllowed
        );
        assert_eq!(
            mapped(decide(
                "",
                "arn:aws:iam::123456789012:root => breakglass",
                &root,
                never()
            )),
            Some(("breakglass".into(), 1))
        );
        // A stored string that is no longer valid is refused, never half-read.
        let stored = "arn:aws:iam::123456789012:role/path/dev-* => developers";
        let dev = p("arn:aws:sts::123456789012:assumed-role/dev-alice/s1");
        assert_eq!(
            reason(decide("", stored, &dev, never())),
            Reason::AuthStringInvalid
        );
    }

    #[test]
    fn mapping_checks_the_account_first() {
        // A wildcard account: the caller's account must be allowed, and if it is not, the
        // caller is refused there (no later rule is tried).
        let s = "arn:aws:iam::*:role/dev-* => developers, \
                 arn:aws:iam::210987654321:role/dev-* => partners";
        let other = p("arn:aws:sts::210987654321:assumed-role/dev-bob/s1");
        assert_eq!(
            reason(decide("", s, &other, configured(&[ACCT]))),
            Reason::AccountNotAllowed
        );
        assert_eq!(
            reason(decide("", s, &other, unknown())),
            Reason::NoAllowedAccount
        );
        assert_eq!(
            mapped(decide("", s, &other, configured(&[ACCT, OTHER]))),
            Some(("developers".into(), 1))
        );
        // A literal account in the matching rule allows that account, as in a binding; so
        // does a unique ID.
        let literal = "arn:aws:iam::210987654321:role/dev-* => partners";
        assert_eq!(
            mapped(decide("", literal, &other, never())),
            Some(("partners".into(), 1))
        );
        let id = with_user_id(other.clone(), "AROAEXAMPLEID1234567:s1");
        assert_eq!(
            mapped(decide("", "AROAEXAMPLEID1234567 => partners", &id, never())),
            Some(("partners".into(), 1))
        );
    }

    fn partitions(list: &[&str], source: AccountSource) -> AllowedPartitions {
        AllowedPartitions {
            partitions: list.iter().map(|s| s.to_string()).collect(),
            source,
        }
    }

    /// The same account ID in another partition is another account: a caller from a
    /// partition that is not allowed is refused, whatever its account or role.
    #[test]
    fn a_caller_from_another_partition_is_refused() {
        let cn = p("arn:aws-cn:sts::123456789012:assumed-role/AppRole/s1");
        let own = partitions(&["aws"], AccountSource::ServerOwn);
        let e = own.check(&cn).unwrap_err();
        assert_eq!(e.reason, Reason::PartitionNotAllowed);
        assert!(
            e.detail
                .contains("partition aws-cn, not in the server's own partition (aws)")
                && e.detail.contains("auth_awsiam_allowed_partitions"),
            "{}",
            e.detail
        );
        let e = partitions(&["aws", "aws-us-gov"], AccountSource::Configured)
            .check(&cn)
            .unwrap_err();
        assert_eq!(e.reason, Reason::PartitionNotAllowed);
        assert!(
            e.detail
                .contains("partition aws-cn, which is not in auth_awsiam_allowed_partitions"),
            "{}",
            e.detail
        );
        // Listed: allowed; then the account rules decide as for any caller.
        assert_eq!(
            partitions(&["aws", "aws-cn"], AccountSource::Configured).check(&cn),
            Ok(())
        );
        let gov = p("arn:aws-us-gov:iam::123456789012:user/alice");
        assert_eq!(
            partitions(&["aws-us-gov"], AccountSource::ServerOwn).check(&gov),
            Ok(())
        );
        assert_eq!(
            own.check(&gov).unwrap_err().reason,
            Reason::PartitionNotAllowed
        );
        assert_eq!(
            own.check(&p("arn:aws:sts::123456789012:assumed-role/AppRole/s1")),
            Ok(())
        );
    }

    #[test]
    fn corrupt_auth_string_is_refused() {
        let caller = p("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        assert_eq!(
            reason(decide("AppRole", "garbage", &caller, never())),
            Reason::AuthStringInvalid
        );
    }
}
