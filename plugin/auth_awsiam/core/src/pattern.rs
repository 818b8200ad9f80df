//! The pattern language of auth strings: ARN patterns with `*` wildcards and unique IDs, what
//! each matches, and the parser whose errors tell a DBA what is wrong. Bindings (`policy`) and
//! mapping rules (`mapping`) share it.

use crate::claim_rule::{self, ClaimRule};
use crate::glob::{Glob, WILDCARD};
use crate::identity::{Caller, Kind, MAX_NAME_LEN, is_name, is_partition, is_path_segment};
use crate::syntax::{ACCOUNT_ID_LEN, is_account_id, shown};

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
    /// A claim of an AWS-issued JWT (`org:`, `ou:`, `tag:`; `claim_rule.rs`). The
    /// pattern's partition and account are unused.
    Claim(ClaimRule),
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
        match &self.kind {
            PatternKind::UniqueId(id) => return unique_id(caller) == Some(id.as_str()),
            PatternKind::Claim(rule) => return rule.matches(caller.claims.as_deref()),
            _ => {}
        }
        let p = &caller.principal;
        if self.partition != p.partition || !self.account.matches(&p.account) {
            return false;
        }
        match (&self.kind, &p.kind) {
            (PatternKind::Role { name }, Kind::AssumedRole { role, .. }) => name.matches(role),
            // A JWT names the role itself (any path: a role name is unique in its account).
            (PatternKind::Role { name }, Kind::Role { name: role, .. }) => name.matches(role),
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
        match &self.kind {
            PatternKind::UniqueId(_) => true,
            PatternKind::Claim(rule) => rule.names_account(),
            _ => self.account.is_literal() && self.account.as_str() == account,
        }
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
        // A JWT's role carries no unique ID (its `principal_id` claim is the ARN).
        Kind::Root | Kind::FederatedUser { .. } | Kind::Role { .. } => return None,
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
        Ok(Glob::new(s))
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
        Ok(Glob::new(s))
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
     arn:aws:sts::ACCOUNT:federated-user/NAME, a role's or user's unique ID (AROA..., AIDA...), \
     or for JWT logins org:o-..., ou:o-.../r-.../ou-.../ or tag:KEY=VALUE";

/// Parses one pattern; the error says what is wrong with it.
pub fn parse_pattern(s: &str) -> Result<Pattern, String> {
    if let Some(rule) = claim_rule::parse(s) {
        return Ok(Pattern {
            partition: String::new(),
            account: Glob::new(""),
            kind: PatternKind::Claim(rule?),
        });
    }
    if is_unique_id(s) {
        return Ok(Pattern {
            partition: String::new(),
            account: Glob::new(""),
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
