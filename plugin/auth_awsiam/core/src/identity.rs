//! The caller's identity as STS reports it (or an AWS-issued JWT's `sub` names it): ARN
//! parsing into a [`Principal`], and the [`Caller`] record a verified token yields.

use std::fmt;

use crate::error::{Reason, Refusal, refuse};
use crate::syntax;

/// Longest IAM or STS name we accept (IAM allows 64; session names 64; federated 32).
pub const MAX_NAME_LEN: usize = 64;
/// Shortest role session name and federated user name STS accepts.
pub const MIN_SESSION_NAME_LEN: usize = 2;
/// Longest IAM path (IAM's own limit is 512).
pub const MAX_PATH_LEN: usize = 512;
/// Longest resource part of a caller ARN: `user` (or `role`) + path + name, with room to spare.
const MAX_RESOURCE_LEN: usize = MAX_PATH_LEN + 2 * MAX_NAME_LEN;
/// Longest ARN excerpt written to a log detail.
const MAX_LOGGED_ARN: usize = MAX_RESOURCE_LEN + 100;

/// Who signed a token, as STS answered: the one record of a verified caller. The cache
/// keeps it, the policy decides on it, the log line names it, and the server gets its ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The ARN exactly as STS answered it.
    pub arn: String,
    /// STS's `UserId`: the unique ID of the principal (`AROA...:session` for a role
    /// session, `AIDA...` for an IAM user); empty if STS sent none.
    pub user_id: String,
    /// The access key ID the token was signed with (never the secret or session token);
    /// empty for a JWT login.
    pub access_key_id: String,
    pub principal: Principal,
    /// What an AWS-issued JWT says of the caller besides its ARN; `None` for a caller STS
    /// verified (GetCallerIdentity says nothing of organizations or tags).
    pub claims: Option<Box<Claims>>,
}

/// The claims of an AWS-issued JWT that a policy may decide on: what IAM and AWS
/// Organizations set. The caller's request tags are not here, on purpose: they are the
/// caller's own words and must never grant anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// `org_id`: the caller's AWS Organization.
    pub org_id: Option<String>,
    /// `ou_path`: paths `o-.../r-.../ou-.../` of the caller's account.
    pub ou_paths: Vec<String>,
    /// `principal_tags`: the tags of the IAM principal (or of its session, when the role
    /// was assumed with session tags).
    pub principal_tags: std::collections::BTreeMap<String, String>,
}

/// Who signed the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub partition: String,
    pub account: String,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `arn:P:sts::ACCT:assumed-role/ROLE/SESSION`
    AssumedRole { role: String, session: String },
    /// `arn:P:iam::ACCT:user/PATH/NAME`; `path` is `/` or `/a/b/`.
    User { path: String, name: String },
    /// `arn:P:iam::ACCT:role/PATH/NAME`; `path` is `/` or `/a/b/`. Only a JWT's `sub` names
    /// a role itself: AWS puts the role, not the session, there (STS's GetCallerIdentity
    /// answers a role's callers as assumed-role sessions).
    Role { path: String, name: String },
    /// `arn:P:iam::ACCT:root`
    Root,
    /// `arn:P:sts::ACCT:federated-user/NAME`
    FederatedUser { name: String },
}

impl Kind {
    /// What the kind is called in log details.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::AssumedRole { .. } => "an assumed-role session",
            Kind::User { .. } => "an IAM user",
            Kind::Role { .. } => "an IAM role",
            Kind::Root => "the account root user",
            Kind::FederatedUser { .. } => "a federated user",
        }
    }
}

impl Principal {
    /// The canonical ARN.
    pub fn arn(&self) -> String {
        let (service, resource) = match &self.kind {
            Kind::AssumedRole { role, session } => {
                ("sts", format!("assumed-role/{role}/{session}"))
            }
            Kind::User { path, name } => ("iam", format!("user{path}{name}")),
            Kind::Role { path, name } => ("iam", format!("role{path}{name}")),
            Kind::Root => ("iam", "root".to_string()),
            Kind::FederatedUser { name } => ("sts", format!("federated-user/{name}")),
        };
        format!(
            "arn:{}:{service}::{}:{resource}",
            self.partition, self.account
        )
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn())
    }
}

/// A partition we know: `aws`, `aws-cn`, `aws-us-gov`, and the isolated `aws-iso*` ones.
pub fn is_partition(p: &str) -> bool {
    matches!(p, "aws" | "aws-cn" | "aws-us-gov")
        || p.strip_prefix("aws-iso").is_some_and(|rest| {
            rest.is_empty()
                || (rest.starts_with('-')
                    && rest[1..].bytes().all(|b| b.is_ascii_lowercase())
                    && rest.len() > 1)
        })
}

/// Characters IAM allows in user, role and session names.
pub fn is_name(s: &str, min: usize) -> bool {
    (min..=MAX_NAME_LEN).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'=' | b',' | b'.' | b'@' | b'_' | b'-')
        })
}

/// An IAM path segment (between slashes).
pub fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b':' && b != b'*')
}

fn unsupported(arn: &str, why: &str) -> Refusal {
    refuse(
        Reason::CallerUnsupported,
        format!(
            "caller ARN {} is not supported: {why}",
            syntax::quoted(arn, MAX_LOGGED_ARN)
        ),
    )
}

/// Why `s` is not a valid IAM/STS name of at least `min` characters, naming it as `what`.
fn name_problem(what: &str, s: &str, min: usize) -> Option<String> {
    if is_name(s, min) {
        return None;
    }
    let shown = syntax::quoted(s, MAX_NAME_LEN + 8);
    Some(if !(min..=MAX_NAME_LEN).contains(&s.len()) {
        format!(
            "the {what} {shown} is {} characters long; IAM allows {min} to {MAX_NAME_LEN}",
            s.len()
        )
    } else {
        format!("the {what} {shown} has characters IAM does not allow (A-Z a-z 0-9 + = , . @ _ -)")
    })
}

/// The path and name of an IAM user or role resource (`WORD/PATH/NAME`, two segments or
/// more), checked as IAM checks them; `word` (`user` or `role`) names it in errors.
fn path_and_name(
    word: &str,
    resource: &str,
    segments: &[&str],
) -> Result<(String, String), String> {
    let (name, middle) = segments[1..].split_last().expect("two segments or more");
    if resource.len() > MAX_RESOURCE_LEN {
        return Err(format!(
            "the {word} ARN's resource is {} characters; the limit is {MAX_RESOURCE_LEN}",
            resource.len()
        ));
    }
    if let Some(bad) = middle.iter().find(|s| !is_path_segment(s)) {
        return Err(format!(
            "the {word} path segment {} is empty or has characters IAM does not allow",
            syntax::quoted(bad, MAX_NAME_LEN + 8)
        ));
    }
    if let Some(why) = name_problem(&format!("{word} name"), name, 1) {
        return Err(why);
    }
    let path = if middle.is_empty() {
        "/".to_string()
    } else {
        format!("/{}/", middle.join("/"))
    };
    Ok((path, name.to_string()))
}

/// The principal kind of an ARN's service and resource; the error names the part that
/// failed, so a DBA reading the log knows what to change.
fn parse_resource(service: &str, resource: &str) -> Result<Kind, String> {
    let segments: Vec<&str> = resource.split('/').collect();
    let fail = |why: Option<String>| why.map_or(Ok(()), Err);
    match (service, segments[0]) {
        ("sts", "assumed-role") => {
            let [_, role, session] = segments[..] else {
                return Err(format!(
                    "an assumed-role ARN has 3 parts (assumed-role/ROLE/SESSION), this one has {}",
                    segments.len()
                ));
            };
            fail(name_problem("role name", role, 1))?;
            fail(name_problem("role session name", session, MIN_SESSION_NAME_LEN))?;
            Ok(Kind::AssumedRole {
                role: role.to_string(),
                session: session.to_string(),
            })
        }
        ("sts", "federated-user") => {
            let [_, name] = segments[..] else {
                return Err("a federated-user ARN has the form federated-user/NAME".into());
            };
            fail(name_problem("federated user name", name, MIN_SESSION_NAME_LEN))?;
            Ok(Kind::FederatedUser {
                name: name.to_string(),
            })
        }
        ("iam", "root") if segments.len() == 1 => Ok(Kind::Root),
        ("iam", "user") if segments.len() >= 2 => {
            let (path, name) = path_and_name("user", resource, &segments)?;
            Ok(Kind::User { path, name })
        }
        ("iam", "role") => Err(
            "a role ARN names no session: STS answers a role's callers as assumed-role/ROLE/SESSION"
                .into(),
        ),
        (service, kind) => Err(format!(
            "{} ARNs of service {} cannot log in: only assumed-role sessions, IAM users, federated users and the account root can",
            syntax::quoted(kind, MAX_NAME_LEN + 8),
            syntax::quoted(service, MAX_NAME_LEN + 8)
        )),
    }
}

/// The parts of a principal ARN: partition, service, account, resource; the partition,
/// region and account checked.
fn split_arn(arn: &str) -> Result<[&str; 4], String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err("not an ARN".into());
    };
    if prefix != "arn" {
        return Err("not an ARN".into());
    }
    if !is_partition(partition) {
        return Err(format!(
            "unknown partition {}",
            syntax::quoted(partition, 16)
        ));
    }
    if !region.is_empty() {
        return Err("IAM and STS principal ARNs have no region".into());
    }
    if !syntax::is_account_id(account) {
        return Err(format!(
            "the account {} is not 12 digits",
            syntax::quoted(account, 16)
        ));
    }
    Ok([partition, service, account, resource])
}

/// Parses a caller ARN from GetCallerIdentity.
pub fn parse_arn(arn: &str) -> Result<Principal, Refusal> {
    let [partition, service, account, resource] =
        split_arn(arn).map_err(|why| unsupported(arn, &why))?;
    let kind = parse_resource(service, resource).map_err(|why| unsupported(arn, &why))?;
    Ok(Principal {
        partition: partition.to_string(),
        account: account.to_string(),
        kind,
    })
}

/// Parses the `sub` of an AWS-issued JWT: an IAM role's ARN (for a role session AWS names
/// the role, without the session) or an IAM user's. Anything else, the account root
/// included, is refused; the error says why, without the ARN (the caller quotes it).
pub fn parse_subject(arn: &str) -> Result<Principal, String> {
    let [partition, service, account, resource] = split_arn(arn)?;
    let segments: Vec<&str> = resource.split('/').collect();
    let kind = match (service, segments[0]) {
        ("iam", "role") if segments.len() >= 2 => {
            let (path, name) = path_and_name("role", resource, &segments)?;
            Kind::Role { path, name }
        }
        ("iam", "user") if segments.len() >= 2 => {
            let (path, name) = path_and_name("user", resource, &segments)?;
            Kind::User { path, name }
        }
        ("iam", "root") => {
            return Err("the account root user cannot log in with a JWT".into());
        }
        ("sts", "assumed-role") => {
            // AWS names the role itself in sub; a session ARN here is not AWS's token.
            return Err("an assumed-role session ARN; AWS's tokens name the role".into());
        }
        (service, kind) => {
            return Err(format!(
                "{} ARNs of service {} cannot log in with a JWT: only IAM roles and users can",
                syntax::quoted(kind, MAX_NAME_LEN + 8),
                syntax::quoted(service, MAX_NAME_LEN + 8)
            ));
        }
    };
    Ok(Principal {
        partition: partition.to_string(),
        account: account.to_string(),
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_role() {
        let p = parse_arn("arn:aws:sts::123456789012:assumed-role/AppRole/i-0abc").unwrap();
        assert_eq!(p.partition, "aws");
        assert_eq!(p.account, "123456789012");
        assert_eq!(
            p.kind,
            Kind::AssumedRole {
                role: "AppRole".into(),
                session: "i-0abc".into()
            }
        );
        assert_eq!(
            p.arn(),
            "arn:aws:sts::123456789012:assumed-role/AppRole/i-0abc"
        );
    }

    #[test]
    fn users_with_and_without_path() {
        let p = parse_arn("arn:aws-cn:iam::123456789012:user/alice").unwrap();
        assert_eq!(
            p.kind,
            Kind::User {
                path: "/".into(),
                name: "alice".into()
            }
        );
        assert_eq!(p.arn(), "arn:aws-cn:iam::123456789012:user/alice");
        let p = parse_arn("arn:aws-us-gov:iam::123456789012:user/div/team/bob").unwrap();
        assert_eq!(
            p.kind,
            Kind::User {
                path: "/div/team/".into(),
                name: "bob".into()
            }
        );
        assert_eq!(
            p.arn(),
            "arn:aws-us-gov:iam::123456789012:user/div/team/bob"
        );
    }

    #[test]
    fn root_and_federated() {
        assert_eq!(
            parse_arn("arn:aws:iam::123456789012:root").unwrap().kind,
            Kind::Root
        );
        assert_eq!(
            parse_arn("arn:aws-iso-b:sts::123456789012:federated-user/carol")
                .unwrap()
                .kind,
            Kind::FederatedUser {
                name: "carol".into()
            }
        );
    }

    #[test]
    fn unsupported_callers() {
        for arn in [
            "",
            "arn:aws:sts::123456789012",
            "urn:aws:sts::123456789012:assumed-role/A/s1",
            "arn:aws-xx:sts::123456789012:assumed-role/A/s1",
            "arn:aws:sts:us-east-1:123456789012:assumed-role/A/s1",
            "arn:aws:sts::12345678901:assumed-role/A/s1",
            "arn:aws:sts::123456789012:assumed-role/A",
            "arn:aws:sts::123456789012:assumed-role/A/s",
            "arn:aws:iam::123456789012:role/A",
            "arn:aws:iam::123456789012:group/A",
            "arn:aws:sts::123456789012:root",
            "arn:aws:iam::123456789012:root/A",
            "arn:aws:iam::123456789012:user",
            "arn:aws:iam::123456789012:user/a b",
            "arn:aws:iam::123456789012:user//alice",
            "arn:aws:sts::123456789012:federated-user/c",
            "arn:aws:sts::123456789012:federated-user/a b",
        ] {
            let e = parse_arn(arn).unwrap_err();
            assert_eq!(e.reason, Reason::CallerUnsupported, "{arn}");
        }
    }

    /// The resource of a user ARN may be MAX_RESOURCE_LEN long (a 512-character path and
    /// more), not longer; a refused ARN is shown whole up to MAX_LOGGED_ARN characters.
    #[test]
    fn resource_length_limit() {
        let arn_of = |len: usize| {
            // "user" + "/" + segments of 9 + "/" ... + "/" + name
            let mut resource = "user".to_string();
            while len - resource.len() - 1 > MAX_NAME_LEN {
                resource.push_str("/segment-x");
            }
            let name_len = len - resource.len() - 1;
            assert!((1..=64).contains(&name_len), "{name_len}");
            resource.push('/');
            resource.push_str(&"n".repeat(name_len));
            assert_eq!(resource.len(), len);
            format!("arn:aws:iam::123456789012:{resource}")
        };
        assert_eq!(MAX_RESOURCE_LEN, 640);
        let p = parse_arn(&arn_of(MAX_RESOURCE_LEN)).unwrap();
        assert!(matches!(p.kind, Kind::User { .. }));
        let long = arn_of(MAX_RESOURCE_LEN + 1);
        let e = parse_arn(&long).unwrap_err();
        assert_eq!(e.reason, Reason::CallerUnsupported);
        assert!(e.detail.contains(&format!("'{long}'")), "shown whole");
        let longer = format!("{long}{}", "/x".repeat(60));
        assert!(longer.len() > MAX_LOGGED_ARN);
        let e = parse_arn(&longer).unwrap_err();
        let cut = format!("'{}...'", &longer[..MAX_LOGGED_ARN]);
        assert!(
            e.detail.contains(&cut),
            "cut at {MAX_LOGGED_ARN}: {}",
            e.detail
        );
    }

    #[test]
    fn kinds_are_described_and_displayed() {
        for (arn, what) in [
            (
                "arn:aws:sts::123456789012:assumed-role/A/s1",
                "an assumed-role session",
            ),
            ("arn:aws:iam::123456789012:user/alice", "an IAM user"),
            ("arn:aws:iam::123456789012:root", "the account root user"),
            (
                "arn:aws:sts::123456789012:federated-user/carol",
                "a federated user",
            ),
        ] {
            let p = parse_arn(arn).unwrap();
            assert_eq!(p.kind.describe(), what);
            assert_eq!(p.to_string(), arn);
        }
    }

    #[test]
    fn each_refusal_names_the_part_that_failed() {
        let why = |arn: &str| parse_arn(arn).unwrap_err().detail;
        // The one-character session name, not the kind of principal, is the problem.
        let d = why("arn:aws:sts::123456789012:assumed-role/AppRole/s");
        assert!(
            d.contains("role session name 's'") && d.contains("2 to 64"),
            "{d}"
        );
        assert!(!d.contains("only assumed-role"), "{d}");
        let d = why("arn:aws:sts::123456789012:assumed-role/App Role/s1");
        assert!(
            d.contains("role name 'App Role'") && d.contains("characters"),
            "{d}"
        );
        let d = why("arn:aws:sts::123456789012:assumed-role/AppRole");
        assert!(d.contains("3 parts") && d.contains("has 2"), "{d}");
        // A name far too long is shown up to 8 characters past IAM's limit, then cut.
        let long = "R".repeat(100);
        let d = why(&format!("arn:aws:sts::123456789012:assumed-role/{long}/s1"));
        let cut = format!("role name '{}...' is 100 characters long", &long[..72]);
        assert!(d.contains(&cut), "{d}");
        let d = why("arn:aws:sts::123456789012:federated-user/b");
        assert!(d.contains("federated user name 'b'"), "{d}");
        let d = why("arn:aws:iam::123456789012:user//alice");
        assert!(d.contains("user path segment ''"), "{d}");
        let d = why("arn:aws:iam::123456789012:user/a b");
        assert!(d.contains("user name 'a b'"), "{d}");
        let d = why("arn:aws:iam::123456789012:role/AppRole");
        assert!(d.contains("role ARN names no session"), "{d}");
        let d = why("arn:aws:iam::123456789012:group/Admins");
        assert!(
            d.contains("'group' ARNs of service 'iam' cannot log in"),
            "{d}"
        );
        let d = why("arn:aws:sts::12345678901:assumed-role/A/s1");
        assert!(d.contains("account '12345678901' is not 12 digits"), "{d}");
        let d = why("arn:aws-xx:sts::123456789012:assumed-role/A/s1");
        assert!(d.contains("unknown partition 'aws-xx'"), "{d}");
    }

    #[test]
    fn jwt_subjects_are_roles_and_users() {
        let p = parse_subject("arn:aws:iam::123456789012:role/DataProcessingRole").unwrap();
        assert_eq!(p.account, "123456789012");
        assert_eq!(
            p.kind,
            Kind::Role {
                path: "/".into(),
                name: "DataProcessingRole".into()
            }
        );
        assert_eq!(p.kind.describe(), "an IAM role");
        // Identity Center's roles carry a path (jwt-facts.md 2.5).
        let arn = "arn:aws:iam::020362606330:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Admin_c95738f708c1c268";
        let p = parse_subject(arn).unwrap();
        assert_eq!(
            p.kind,
            Kind::Role {
                path: "/aws-reserved/sso.amazonaws.com/eu-west-2/".into(),
                name: "AWSReservedSSO_Admin_c95738f708c1c268".into()
            }
        );
        assert_eq!(p.arn(), arn);
        let p = parse_subject("arn:aws-cn:iam::123456789012:user/div/alice").unwrap();
        assert_eq!(
            p.kind,
            Kind::User {
                path: "/div/".into(),
                name: "alice".into()
            }
        );
        for (arn, why) in [
            ("DataProcessingRole", "not an ARN"),
            ("arn:aws:iam::123456789012:root", "root user"),
            (
                "arn:aws:sts::123456789012:assumed-role/R/s1",
                "assumed-role session",
            ),
            (
                "arn:aws:sts::123456789012:federated-user/carol",
                "'federated-user' ARNs of service 'sts'",
            ),
            ("arn:aws:iam::123456789012:role", "'role' ARNs"),
            ("arn:aws:iam::123456789012:user", "'user' ARNs"),
            ("arn:aws:iam::123456789012:role/a b", "role name 'a b'"),
            ("arn:aws:iam::123456789012:role//R", "role path segment ''"),
            ("arn:aws:iam::12345678901:role/R", "not 12 digits"),
            ("arn:aws:iam:us-east-1:123456789012:role/R", "no region"),
        ] {
            let e = parse_subject(arn).unwrap_err();
            assert!(e.contains(why), "{arn}: {e}");
        }
        // STS never answers a role ARN: GetCallerIdentity's parser still refuses it.
        assert!(parse_arn("arn:aws:iam::123456789012:role/R").is_err());
    }

    #[test]
    fn partitions() {
        for p in [
            "aws",
            "aws-cn",
            "aws-us-gov",
            "aws-iso",
            "aws-iso-b",
            "aws-iso-f",
        ] {
            assert!(is_partition(p), "{p}");
        }
        for p in ["", "AWS", "aws-", "aws-iso-", "aws-iso-B", "awscn"] {
            assert!(!is_partition(p), "{p}");
        }
    }
}
