//! `AssumeRole`, for the credential loading of a `role_arn` profile (the client plugin's,
//! the packages'): each call hands out new temporary credentials (`ASIADOUBLE` and a
//! number; the session token base64, as STS's), which GetCallerIdentity then answers like
//! any other key. Each call is counted, so a benchmark or a test can read how many
//! AssumeRole calls a number of logins cost: `GET /_double/counts` answers
//! `assume_role=N`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::fault::Fault;
use crate::query;
use crate::timefmt;

/// Lifetime of the credentials handed out (STS's default for AssumeRole).
const LIFETIME_SECS: u64 = 3600;
/// Where the counts are read.
pub const COUNTS_PATH: &str = "/_double/counts";

/// AssumeRole calls answered so far.
#[derive(Debug, Default)]
pub struct Sessions {
    calls: AtomicU64,
}

impl Sessions {
    pub fn counts(&self) -> String {
        format!("assume_role={}\n", self.calls.load(Ordering::SeqCst))
    }

    /// STS's answer to AssumeRole with `RoleArn` and `RoleSessionName`.
    pub fn answer(&self, params: &[(String, String)]) -> (u16, String) {
        let role = query::param(params, "RoleArn").unwrap_or_default();
        let session = query::param(params, "RoleSessionName").unwrap_or_default();
        let Some((account, name)) = role
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.split_once(":role/"))
        else {
            let f = Fault::sender(400, "ValidationError", "RoleArn is not an IAM role ARN");
            return (400, f.xml(&timefmt::uuid()));
        };
        if session.is_empty() {
            let f = Fault::sender(400, "ValidationError", "RoleSessionName is missing");
            return (400, f.xml(&timefmt::uuid()));
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let expiration = timefmt::rfc3339_millis(now + LIFETIME_SECS);
        let role_name = name.rsplit('/').next().unwrap_or(name);
        let body = format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<AssumeRoleResult><Credentials><AccessKeyId>ASIADOUBLE{n:010}</AccessKeyId>\
<SecretAccessKey>sts-double-secret-{n}</SecretAccessKey>\
<SessionToken>U1RTRG91YmxlU2Vzc2lvbg{n:010}</SessionToken>\
<Expiration>{expiration}</Expiration></Credentials>\
<AssumedRoleUser><Arn>arn:aws:sts::{account}:assumed-role/{role_name}/{session}</Arn>\
<AssumedRoleId>AROASTSDOUBLE00000000:{session}</AssumedRoleId></AssumedRoleUser>\
</AssumeRoleResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\
</AssumeRoleResponse>",
            timefmt::uuid()
        );
        (200, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(role: &str, session: &str) -> Vec<(String, String)> {
        vec![
            ("Action".into(), "AssumeRole".into()),
            ("RoleArn".into(), role.into()),
            ("RoleSessionName".into(), session.into()),
        ]
    }

    #[test]
    fn each_call_gets_new_credentials_and_is_counted() {
        let s = Sessions::default();
        let (status, first) = s.answer(&params("arn:aws:iam::123456789012:role/BenchRole", "b"));
        assert_eq!(status, 200);
        assert!(first.contains("<AccessKeyId>ASIADOUBLE0000000001</AccessKeyId>"));
        assert!(first.contains("assumed-role/BenchRole/b</Arn>"));
        // Session tokens are base64, as STS's are (tokens carry them, and are checked).
        assert!(first.contains("<SessionToken>U1RTRG91YmxlU2Vzc2lvbg0000000001</SessionToken>"));
        let (_, second) = s.answer(&params(
            "arn:aws:iam::123456789012:role/path/BenchRole",
            "b",
        ));
        assert!(second.contains("ASIADOUBLE0000000002"));
        assert_eq!(s.counts(), "assume_role=2\n");
    }

    #[test]
    fn a_bad_request_is_refused_and_not_counted() {
        let s = Sessions::default();
        assert_eq!(s.answer(&params("arn:aws:s3:::bucket", "b")).0, 400);
        assert_eq!(s.answer(&params("arn:aws:iam::1:role/R", "")).0, 400);
        assert_eq!(s.counts(), "assume_role=0\n");
    }
}
