//! Who signed a request. The double checks no signature (like LocalStack); the caller is
//! the access key ID of the request's SigV4 credential:
//!
//! - a key configured with `--caller KEY=ARN` is that IAM principal: a role ARN
//!   (`arn:P:iam::ACCT:role/PATH/NAME`, a session of that role), a user ARN or the root;
//! - any other key is the account of its 12 digits (else `DEFAULT_ACCOUNT`) and the ARN of
//!   the `--arn` template, as the double has always answered GetCallerIdentity.
//!
//! GetCallerIdentity and GetWebIdentityToken answer the same caller: the session ARN
//! `arn:P:sts::ACCT:assumed-role/NAME/SESSION` in the first is the role ARN
//! `arn:P:iam::ACCT:role/PATH/NAME` in the second (AWS puts the role, with its path and
//! without the session name, in `sub`; see docs/token-cli.rst). An assumed-role ARN from
//! the template carries no path, so its role ARN has none.

use std::collections::HashMap;

/// The account answered when the access key ID is not 12 digits (LocalStack's default).
pub const DEFAULT_ACCOUNT: &str = "000000000000";
/// The `--arn` template's default (`{account}` is replaced).
pub const DEFAULT_ARN: &str = "arn:aws:sts::{account}:assumed-role/AppRole/sts-double";
/// The session name of a `--caller` role in GetCallerIdentity answers.
pub const SESSION_NAME: &str = "sts-double";

/// The shape of the `ou_path` claim: AWS's documentation shows a string, a real token had
/// an array of strings; a verifier must take both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OuPath {
    List(Vec<String>),
    Text(String),
}

/// What the options say about one access key ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// From `--caller`: an IAM role, user or root ARN.
    pub principal: Option<String>,
    pub org_id: Option<String>,
    pub ou: Option<OuPath>,
    /// In the order given; the token keeps it.
    pub principal_tags: Vec<(String, String)>,
    /// `sub` when a request asks for `SubjectMode=OriginIdentity`.
    pub origin_subject: Option<String>,
    /// From `--account-of`: the account of a key without `--caller` (a server whose
    /// credentials moved to another account).
    pub account: Option<String>,
    /// From `--hang-key`: its requests get no answer at all (one caller's STS hangs, such
    /// as the server's own lookup, and the others' not).
    pub hang: bool,
    /// From `--reject-key`: its requests get HTTP 403 InvalidClientTokenId (credentials
    /// that are not valid there).
    pub reject: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callers {
    /// `--arn`: the GetCallerIdentity ARN of keys without `--caller`.
    pub template: String,
    /// By access key ID.
    pub profiles: HashMap<String, Profile>,
}

impl Default for Callers {
    fn default() -> Self {
        Callers {
            template: DEFAULT_ARN.to_string(),
            profiles: HashMap::new(),
        }
    }
}

/// A resolved caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    /// What GetCallerIdentity answers (`Arn`).
    pub session_arn: String,
    /// The IAM principal: `sub` and `principal_id` of its tokens.
    pub principal: String,
    pub profile: Profile,
}

/// `arn:P:iam::ACCT:RESOURCE` split, for `role/…`, `user/…` and `root` only.
fn iam_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = parts[..] else {
        return None;
    };
    let named = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
    };
    let ok = !partition.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (resource == "root" || named("role/") || named("user/"));
    ok.then_some((partition, account, resource))
}

impl Callers {
    /// The profile of `key`, made empty if new.
    pub fn profile(&mut self, key: &str) -> &mut Profile {
        self.profiles.entry(key.to_string()).or_default()
    }

    /// `--caller KEY=ARN`, checked.
    pub fn set_principal(&mut self, key: &str, arn: &str) -> Result<(), String> {
        if iam_arn(arn).is_none() {
            return Err(format!(
                "--caller {key}: '{arn}' is not an IAM role, user or root ARN \
                 (arn:aws:iam::123456789012:role/PATH/NAME)"
            ));
        }
        self.profile(key).principal = Some(arn.to_string());
        Ok(())
    }

    /// The caller whose request was signed with `key_id`.
    pub fn resolve(&self, key_id: &str) -> Caller {
        let profile = self.profiles.get(key_id).cloned().unwrap_or_default();
        if let Some((partition, account, resource)) = profile.principal.as_deref().and_then(iam_arn)
        {
            let session_arn = match resource.strip_prefix("role/") {
                Some(path_and_name) => {
                    let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
                    format!("arn:{partition}:sts::{account}:assumed-role/{name}/{SESSION_NAME}")
                }
                None => profile.principal.clone().unwrap_or_default(),
            };
            return Caller {
                account: account.to_string(),
                session_arn,
                principal: profile.principal.clone().unwrap_or_default(),
                profile,
            };
        }
        let account = if let Some(a) = &profile.account {
            a.clone()
        } else if key_id.len() == 12 && key_id.bytes().all(|b| b.is_ascii_digit()) {
            key_id.to_string()
        } else {
            DEFAULT_ACCOUNT.to_string()
        };
        let session_arn = self.template.replace("{account}", &account);
        Caller {
            principal: role_of_session(&session_arn).unwrap_or_else(|| session_arn.clone()),
            account,
            session_arn,
            profile,
        }
    }
}

/// `arn:P:iam::ACCT:role/NAME` for `arn:P:sts::ACCT:assumed-role/NAME/SESSION`.
fn role_of_session(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "sts", "", account, resource] = parts[..] else {
        return None;
    };
    let (name, _session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    Some(format!("arn:{partition}:iam::{account}:role/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unconfigured_keys_answer_as_before() {
        let c = Callers::default();
        let a = c.resolve("111111111111");
        assert_eq!(a.account, "111111111111");
        assert_eq!(
            a.session_arn,
            "arn:aws:sts::111111111111:assumed-role/AppRole/sts-double"
        );
        assert_eq!(a.principal, "arn:aws:iam::111111111111:role/AppRole");
        let b = c.resolve("ASIAXXXX");
        assert_eq!(b.account, DEFAULT_ACCOUNT);
        let user = Callers {
            template: "arn:aws:iam::{account}:user/alice".into(),
            ..Callers::default()
        };
        assert_eq!(
            user.resolve("222222222222").principal,
            "arn:aws:iam::222222222222:user/alice"
        );
    }

    #[test]
    fn a_configured_role_keeps_its_path_in_the_principal_only() {
        let mut c = Callers::default();
        c.set_principal("AKIDPATH", "arn:aws:iam::333333333333:role/team/db/AppRole")
            .unwrap();
        c.profile("AKIDPATH").org_id = Some("o-abc".into());
        let a = c.resolve("AKIDPATH");
        assert_eq!(a.account, "333333333333");
        assert_eq!(
            a.principal,
            "arn:aws:iam::333333333333:role/team/db/AppRole"
        );
        assert_eq!(
            a.session_arn,
            "arn:aws:sts::333333333333:assumed-role/AppRole/sts-double"
        );
        assert_eq!(a.profile.org_id.as_deref(), Some("o-abc"));
    }

    #[test]
    fn users_and_root_are_themselves() {
        let mut c = Callers::default();
        c.set_principal("U", "arn:aws:iam::444444444444:user/ops/bob")
            .unwrap();
        c.set_principal("R", "arn:aws:iam::444444444444:root")
            .unwrap();
        let u = c.resolve("U");
        assert_eq!(u.session_arn, u.principal);
        assert_eq!(c.resolve("R").principal, "arn:aws:iam::444444444444:root");
    }

    #[test]
    fn only_iam_principals_are_callers() {
        let mut c = Callers::default();
        for bad in [
            "arn:aws:sts::444444444444:assumed-role/R/s",
            "arn:aws:iam::4444:role/R",
            "arn:aws:iam::444444444444:role/",
            "arn:aws:iam::444444444444:group/g",
            "arn::iam::444444444444:role/R",
            "role/R",
        ] {
            assert!(c.set_principal("K", bad).is_err(), "{bad}");
        }
    }
}
