//! Who may log in as which MySQL account: the auth-string patterns and the decision.

use crate::error::{Reason, Refusal, refuse};
use crate::identity::{
    Caller, Kind, MAX_NAME_LEN, Principal, is_name, is_partition, is_path_segment,
};
use crate::syntax::{ACCOUNT_ID_LEN, is_account_id, quoted};

/// Most patterns in one auth string.
pub const MAX_PATTERNS: usize = 16;
/// Longest auth string.
pub const MAX_AUTH_STRING_LEN: usize = 1024;
/// The wildcard: any run of characters other than '/' and ':'.
pub const WILDCARD: char = '*';

/// A name or account that may hold `*` wildcards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    pub fn is_literal(&self) -> bool {
        !self.0.contains(WILDCARD)
    }

    pub fn matches(&self, text: &str) -> bool {
        glob_match(self.0.as_bytes(), text.as_bytes())
    }
}

/// Iterative wildcard match with one backtrack point (linear in practice, never
/// exponential). `*` never crosses '/' or ':'.
fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pat.len() && pat[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star
            && text[st] != b'/'
            && text[st] != b':'
        {
            // Let the last star swallow one more character and retry.
            star = Some((sp, st + 1));
            p = sp + 1;
            t = st + 1;
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternKind {
    /// `arn:P:iam::ACCT:role/NAME`: every session of the role. No path: see
    /// `ROLE_PATH_REFUSED`.
    Role { name: Glob },
    /// `arn:P:iam::ACCT:user/[path/]NAME`; `path` is `Some("/a/b/")` when given.
    User { path: Option<String>, name: Glob },
    /// `arn:P:sts::ACCT:assumed-role/ROLE/SESSION`
    AssumedRole { role: Glob, session: Glob },
    /// `arn:P:iam::ACCT:root` (literal account)
    Root,
    /// `arn:P:sts::ACCT:federated-user/NAME`
    FederatedUser { name: Glob },
    /// A role's or an IAM user's unique ID (`AROA...`, `AIDA...`), as in STS's `UserId`.
    /// It names one principal for its whole life: a role deleted and re-created under the
    /// same name gets a new ID, so the binding does not follow the name. (The pattern's
    /// partition and account are unused.)
    UniqueId(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub partition: String,
    pub account: Glob,
    pub kind: PatternKind,
}

impl Pattern {
    pub fn matches(&self, caller: &Caller) -> bool {
        if let PatternKind::UniqueId(id) = &self.kind {
            return unique_id(caller) == Some(id.as_str());
        }
        let p = &caller.principal;
        if self.partition != p.partition || !self.account.matches(&p.account) {
            return false;
        }
        match (&self.kind, &p.kind) {
            (PatternKind::Role { name }, Kind::AssumedRole { role, .. }) => name.matches(role),
            (
                PatternKind::User {
                    path: want,
                    name: n,
                },
                Kind::User { path, name },
            ) => n.matches(name) && want.as_ref().is_none_or(|w| w == path),
            (
                PatternKind::AssumedRole {
                    role: r,
                    session: s,
                },
                Kind::AssumedRole { role, session },
            ) => r.matches(role) && s.matches(session),
            (PatternKind::Root, Kind::Root) => true,
            (PatternKind::FederatedUser { name: n }, Kind::FederatedUser { name }) => {
                n.matches(name)
            }
            _ => false,
        }
    }

    /// Whether the pattern names `account` explicitly, which allows it: a literal account,
    /// or a unique ID (which belongs to one account).
    pub fn names_account(&self, account: &str) -> bool {
        matches!(self.kind, PatternKind::UniqueId(_))
            || (self.account.is_literal() && self.account.0 == account)
    }
}

/// Prefixes of the unique IDs a binding may name: roles and IAM users.
pub const UNIQUE_ID_PREFIXES: [&str; 2] = ["AROA", "AIDA"];
/// Length bounds of a unique ID (IAM's own: 16 to 128 characters).
const UNIQUE_ID_LEN: std::ops::RangeInclusive<usize> = 16..=128;

/// A role's or an IAM user's unique ID: `AROA` or `AIDA`, then uppercase letters and digits.
pub fn is_unique_id(s: &str) -> bool {
    UNIQUE_ID_LEN.contains(&s.len())
        && UNIQUE_ID_PREFIXES.iter().any(|p| s.starts_with(p))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The caller's unique ID from STS's `UserId`: before the ':' for a role session
/// (`AROA...:SESSION`), the whole of it for an IAM user (`AIDA...`).
fn unique_id(caller: &Caller) -> Option<&str> {
    let id = match caller.principal.kind {
        Kind::AssumedRole { .. } => caller.user_id.split_once(':')?.0,
        Kind::User { .. } => caller.user_id.as_str(),
        Kind::Root | Kind::FederatedUser { .. } => return None,
    };
    is_unique_id(id).then_some(id)
}

fn glob_name(s: &str, what: &str, min: usize) -> Result<Glob, String> {
    let without: String = s.chars().filter(|&c| c != WILDCARD).collect();
    let ok = if s.contains(WILDCARD) {
        s.len() <= MAX_NAME_LEN && (without.is_empty() || is_name(&without, 1))
    } else {
        is_name(s, min)
    };
    if ok {
        Ok(Glob(s.to_string()))
    } else {
        Err(format!(
            "{what} {} must be {min} to {MAX_NAME_LEN} characters from [A-Za-z0-9+=,.@_-] or '*'",
            shown(s)
        ))
    }
}

fn glob_account(s: &str) -> Result<Glob, String> {
    let ok = if s.contains(WILDCARD) {
        s.len() <= ACCOUNT_ID_LEN && s.chars().all(|c| c.is_ascii_digit() || c == WILDCARD)
    } else {
        is_account_id(s)
    };
    if ok {
        Ok(Glob(s.to_string()))
    } else {
        Err(format!(
            "account {} must be a 12-digit ID (or use '*' wildcards)",
            shown(s)
        ))
    }
}

fn literal_path(segments: &[&str]) -> Result<Option<String>, String> {
    if segments.is_empty() {
        return Ok(None);
    }
    if let Some(bad) = segments.iter().find(|s| !is_path_segment(s)) {
        return Err(format!(
            "path segment {} is empty or has a forbidden character (paths are literal: no '*')",
            shown(bad)
        ));
    }
    Ok(Some(format!("/{}/", segments.join("/"))))
}

/// An auth string, or a part of one, or a name, as shown in an error.
fn shown(s: &str) -> String {
    quoted(s, MAX_AUTH_STRING_LEN)
}

/// Why a role pattern may not name a path. GetCallerIdentity reports a role session as
/// `arn:P:sts::ACCT:assumed-role/NAME/SESSION`, without the role's path, so the path can
/// never be checked: `role/PATH/NAME` would silently mean role NAME wherever it is, and
/// `role/PATH/*` every role of the account.
const ROLE_PATH_REFUSED: &str = "a role pattern cannot name a path: GetCallerIdentity reports \
     a role session as arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION, without the role's \
     path, so the path cannot be checked (role/PATH/* would match every role of the account); \
     write arn:aws:iam::ACCOUNT:role/NAME (a role name is unique in its account) or bind the \
     role's unique ID";

const PATTERN_FORMS: &str = "expected arn:aws:iam::ACCOUNT:role/NAME, arn:aws:iam::ACCOUNT:user/NAME, \
     arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root or \
     arn:aws:sts::ACCOUNT:federated-user/NAME, or a role's or user's unique ID (AROA..., AIDA...)";

/// Parses one pattern; the error says what is wrong with it.
pub fn parse_pattern(s: &str) -> Result<Pattern, String> {
    if is_unique_id(s) {
        return Ok(Pattern {
            partition: String::new(),
            account: Glob(String::new()),
            kind: PatternKind::UniqueId(s.to_string()),
        });
    }
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(format!("not an ARN; {PATTERN_FORMS}"));
    };
    if prefix != "arn" {
        return Err(format!("must start with 'arn:'; {PATTERN_FORMS}"));
    }
    if !is_partition(partition) {
        return Err(format!(
            "unknown partition {} (aws, aws-cn, aws-us-gov, aws-iso*; no wildcard)",
            shown(partition)
        ));
    }
    if service != "iam" && service != "sts" {
        return Err(format!(
            "service {} is neither iam nor sts; {PATTERN_FORMS}",
            shown(service)
        ));
    }
    if !region.is_empty() {
        return Err("IAM and STS ARNs have an empty region field ('::')".into());
    }
    let account = glob_account(account)?;
    let segments: Vec<&str> = resource.split('/').collect();
    let (want_service, kind) = match &segments[..] {
        ["role", path @ .., name] => {
            if !path.is_empty() {
                return Err(ROLE_PATH_REFUSED.into());
            }
            (
                "iam",
                PatternKind::Role {
                    name: glob_name(name, "role name", 1)?,
                },
            )
        }
        ["user", path @ .., name] => (
            "iam",
            PatternKind::User {
                path: literal_path(path)?,
                name: glob_name(name, "user name", 1)?,
            },
        ),
        ["assumed-role", role, session] => (
            "sts",
            PatternKind::AssumedRole {
                role: glob_name(role, "role name", 1)?,
                session: glob_name(session, "session name", 2)?,
            },
        ),
        ["root"] => {
            if !account.is_literal() {
                return Err("a root pattern needs a literal 12-digit account (no '*')".into());
            }
            ("iam", PatternKind::Root)
        }
        ["federated-user", name] => (
            "sts",
            PatternKind::FederatedUser {
                name: glob_name(name, "federated user name", 2)?,
            },
        ),
        _ => {
            return Err(format!(
                "unsupported resource {}; {PATTERN_FORMS}",
                shown(resource)
            ));
        }
    };
    if service != want_service {
        return Err(format!(
            "{} ARNs use service '{want_service}', not {}",
            shown(segments[0]),
            shown(service)
        ));
    }
    Ok(Pattern {
        partition: partition.to_string(),
        account,
        kind,
    })
}

/// Parses a whole auth string: empty, or 1 to 16 comma-separated patterns.
pub fn parse_auth_string(s: &str) -> Result<Vec<Pattern>, String> {
    if s.len() > MAX_AUTH_STRING_LEN {
        return Err(format!(
            "auth string is {} bytes, the limit is {MAX_AUTH_STRING_LEN}",
            s.len()
        ));
    }
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<&str> = s.split(',').map(str::trim).collect();
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
            if item.is_empty() {
                return Err(format!("pattern {} is empty (stray comma?)", i + 1));
            }
            parse_pattern(item).map_err(|e| format!("pattern {} {}: {e}", i + 1, shown(item)))
        })
        .collect()
}

/// Validates an auth string at CREATE/ALTER USER time.
pub fn check_auth_string(s: &str) -> Result<(), String> {
    parse_auth_string(s).map(|_| ())
}

/// Where the allowed account set came from, for the refusal detail.
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
/// `auth_string`. `allowed` is called only when the account rule needs the allowed set
/// (it may wait for the server's own account).
pub fn decide(
    user: &str,
    auth_string: &str,
    caller: &Caller,
    allowed: impl FnOnce() -> Result<AllowedAccounts, Refusal>,
) -> Result<(), Refusal> {
    let principal = &caller.principal;
    let patterns = parse_auth_string(auth_string).map_err(|e| {
        refuse(
            Reason::AuthStringInvalid,
            format!("the account's auth string is invalid: {e}"),
        )
    })?;
    if patterns.is_empty() {
        return decide_default(user, principal, allowed);
    }
    let matching: Vec<&Pattern> = patterns.iter().filter(|p| p.matches(caller)).collect();
    if matching.is_empty() {
        return Err(match principal.kind {
            Kind::Root | Kind::FederatedUser { .. } => type_not_allowed(principal),
            _ => refuse(
                Reason::BindingMismatch,
                format!(
                    "the caller matches none of the account's {} pattern(s)",
                    patterns.len()
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
        Kind::AssumedRole { role, .. } if role == user => allowed()?.check(&principal.account),
        Kind::AssumedRole { role, .. } => Err(refuse(
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

    fn reason(r: Result<(), Refusal>) -> Reason {
        r.unwrap_err().reason
    }

    #[test]
    fn glob_matching() {
        let g = |s: &str| Glob(s.to_string());
        assert!(g("App*").matches("AppRole"));
        assert!(g("*").matches(""));
        assert!(g("*Role").matches("AppRole"));
        assert!(g("A*p*e").matches("AppRole"));
        assert!(!g("A*x").matches("AppRole"));
        assert!(!g("App").matches("AppRole"));
        assert!(!g("a*").matches("a/b"), "no '/' crossing");
        assert!(!g("a*").matches("a:b"), "no ':' crossing");
        assert!(g("1234*").matches(ACCT));
        // Pathological pattern stays fast.
        assert!(!g(&"*a".repeat(30)).matches(&"a".repeat(29)));
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
            ("arn:aws:iam::123456789012:role/A,", "pattern 2 is empty"),
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
        let long = format!("arn:aws:iam::123456789012:role/{}", "a".repeat(1100));
        assert!(
            check_auth_string(&long)
                .unwrap_err()
                .contains("limit is 1024")
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

    #[test]
    fn corrupt_auth_string_is_refused() {
        let caller = p("arn:aws:sts::123456789012:assumed-role/AppRole/s1");
        assert_eq!(
            reason(decide("AppRole", "garbage", &caller, never())),
            Reason::AuthStringInvalid
        );
    }
}
