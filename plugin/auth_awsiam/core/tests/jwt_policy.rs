//! The one policy applied to a caller an AWS-issued JWT named: its `sub` is the role itself
//! (`arn:aws:iam::ACCT:role/PATH/NAME`, no session), and its claims may decide through
//! `org:`, `ou:` and `tag:` patterns. A caller STS verified has no claims.

use std::collections::BTreeMap;

use auth_awsiam_core::error::{Reason, Refusal};
use auth_awsiam_core::identity::{Caller, Claims, parse_arn, parse_subject};
use auth_awsiam_core::policy::{AccountSource, AllowedAccounts, decide};

const ACCT: &str = "123456789012";
const OTHER: &str = "210987654321";
const ORG: &str = "o-abc1234567";
const OU: &str = "o-abc1234567/r-ab12/ou-ab12-11111111/";

/// A caller as a JWT names it: the role with its path, and claims.
fn jwt_caller(arn: &str, tags: &[(&str, &str)]) -> Caller {
    Caller {
        arn: arn.to_string(),
        user_id: String::new(),
        access_key_id: String::new(),
        principal: parse_subject(arn).unwrap(),
        claims: Some(Box::new(Claims {
            org_id: Some(ORG.into()),
            ou_paths: vec![format!("{OU}ou-ab12-22222222/")],
            principal_tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        })),
    }
}

fn sts_caller(arn: &str) -> Caller {
    Caller {
        arn: arn.to_string(),
        user_id: String::new(),
        access_key_id: "AKIDEXAMPLE".into(),
        principal: parse_arn(arn).unwrap(),
        claims: None,
    }
}

fn allowed(accounts: &[&str]) -> impl FnOnce() -> Result<AllowedAccounts, Refusal> {
    let accounts = accounts.iter().map(|s| s.to_string()).collect();
    move || {
        Ok(AllowedAccounts {
            accounts,
            source: AccountSource::Configured,
        })
    }
}

fn reason(r: Result<Option<auth_awsiam_core::mapping::Mapped>, Refusal>) -> Reason {
    r.unwrap_err().reason
}

#[test]
fn the_default_rule_compares_the_roles_name() {
    let role = jwt_caller(&format!("arn:aws:iam::{ACCT}:role/team/data/AppRole"), &[]);
    assert_eq!(decide("AppRole", "", &role, allowed(&[ACCT])), Ok(None));
    assert_eq!(
        reason(decide("Reporting", "", &role, allowed(&[ACCT]))),
        Reason::RoleMismatch
    );
    // The account rule holds as for a role session.
    assert_eq!(
        reason(decide("AppRole", "", &role, allowed(&[OTHER]))),
        Reason::AccountNotAllowed
    );
}

#[test]
fn role_patterns_match_the_role_assumed_role_patterns_do_not() {
    let role = jwt_caller(&format!("arn:aws:iam::{ACCT}:role/team/AppRole"), &[]);
    let by_role = format!("arn:aws:iam::{ACCT}:role/AppRole");
    assert_eq!(decide("app", &by_role, &role, allowed(&[])), Ok(None));
    let by_glob = format!("arn:aws:iam::{ACCT}:role/App*");
    assert_eq!(decide("app", &by_glob, &role, allowed(&[ACCT])), Ok(None));
    // A JWT names no session: an assumed-role pattern can never be met by it.
    let by_session = format!("arn:aws:sts::{ACCT}:assumed-role/AppRole/*");
    assert_eq!(
        reason(decide("app", &by_session, &role, allowed(&[ACCT]))),
        Reason::BindingMismatch
    );
}

#[test]
fn organizations_and_ous_allow_their_accounts() {
    let role = jwt_caller(&format!("arn:aws:iam::{OTHER}:role/AppRole"), &[]);
    // OTHER is not an allowed account, but the DBA trusted the organization (or OU).
    for pattern in [format!("org:{ORG}"), format!("ou:{OU}")] {
        assert_eq!(
            decide("app", &pattern, &role, allowed(&[ACCT])),
            Ok(None),
            "{pattern}"
        );
    }
    assert_eq!(
        reason(decide("app", "org:o-zzz1234567", &role, allowed(&[ACCT]))),
        Reason::BindingMismatch
    );
}

#[test]
fn tags_map_principals_but_do_not_allow_accounts() {
    let rules = "tag:db-access=readonly => readonly, tag:db-access=admin => dba";
    let reader = jwt_caller(
        &format!("arn:aws:iam::{ACCT}:role/Anything"),
        &[("db-access", "readonly")],
    );
    let mapped = decide("", rules, &reader, allowed(&[ACCT]))
        .unwrap()
        .unwrap();
    assert_eq!(mapped.account, "readonly");
    // A stranger account can tag its own role alike: the account must still be allowed.
    let stranger = jwt_caller(
        &format!("arn:aws:iam::{OTHER}:role/Anything"),
        &[("db-access", "admin")],
    );
    assert_eq!(
        reason(decide("", rules, &stranger, allowed(&[ACCT]))),
        Reason::AccountNotAllowed
    );
    let untagged = jwt_caller(&format!("arn:aws:iam::{ACCT}:role/Anything"), &[]);
    assert_eq!(
        reason(decide("", rules, &untagged, allowed(&[ACCT]))),
        Reason::NoMatchingRule
    );
}

#[test]
fn callers_sts_verified_have_no_claims() {
    let session = sts_caller(&format!("arn:aws:sts::{ACCT}:assumed-role/AppRole/s1"));
    let r = decide("app", &format!("org:{ORG}"), &session, allowed(&[ACCT])).unwrap_err();
    assert_eq!(r.reason, Reason::BindingMismatch);
    assert!(
        r.detail.contains("only logins with an AWS-issued JWT"),
        "{}",
        r.detail
    );
    let r = decide(
        "",
        "tag:db-access=* => readonly",
        &session,
        allowed(&[ACCT]),
    )
    .unwrap_err();
    assert_eq!(r.reason, Reason::NoMatchingRule);
    assert!(r.detail.contains("AWS-issued JWT"), "{}", r.detail);
}

/// The note on missing claims is for the one case it explains: claim patterns that a caller
/// without claims could never meet. A caller refused by ARN patterns alone, or a JWT's
/// caller whose claims were compared and differ, is not sent looking for a JWT.
#[test]
fn only_claim_patterns_missed_for_want_of_claims_get_the_jwt_note() {
    let session = sts_caller(&format!("arn:aws:sts::{ACCT}:assumed-role/AppRole/s1"));
    let by_arn = format!("arn:aws:iam::{ACCT}:role/Other");
    let r = decide("app", &by_arn, &session, allowed(&[ACCT])).unwrap_err();
    assert_eq!(r.reason, Reason::BindingMismatch);
    assert!(!r.detail.contains("AWS-issued JWT"), "{}", r.detail);
    let r = decide("", &format!("{by_arn} => x"), &session, allowed(&[ACCT])).unwrap_err();
    assert_eq!(r.reason, Reason::NoMatchingRule);
    assert!(!r.detail.contains("AWS-issued JWT"), "{}", r.detail);

    let role = jwt_caller(&format!("arn:aws:iam::{ACCT}:role/AppRole"), &[]);
    let r = decide("app", "org:o-zzz1234567", &role, allowed(&[ACCT])).unwrap_err();
    assert_eq!(r.reason, Reason::BindingMismatch);
    assert!(!r.detail.contains("AWS-issued JWT"), "{}", r.detail);
    let r = decide("", "tag:db-access=* => readonly", &role, allowed(&[ACCT])).unwrap_err();
    assert_eq!(r.reason, Reason::NoMatchingRule);
    assert!(!r.detail.contains("AWS-issued JWT"), "{}", r.detail);
}
