//! Reading STS answers: the caller from a GetCallerIdentity result, the error code from an
//! error document (never its message), and the refusal each status means.

use quick_xml::events::Event;

use super::precheck::Target;
use crate::error::{Reason, Refusal, refuse};
use crate::identity::{Caller, parse_arn};
use crate::syntax::quoted;

pub(super) fn bad_response(target: &Target, what: impl std::fmt::Display) -> Refusal {
    refuse(
        Reason::StsBadResponse,
        format!("STS at {} {what}", target.url),
    )
}

/// Longest STS error code kept for the log detail.
const MAX_ERROR_CODE_LEN: usize = 64;
/// STS error codes that mean "slow down" rather than "broken".
const THROTTLING_CODES: [&str; 5] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
];

pub fn error_refusal(target: &Target, status: u16, body: &str) -> Refusal {
    // Only the error code is kept: the message may echo request material.
    let code = parse_error_code(body);
    let shown = code.as_deref().map_or_else(|| "none".to_string(), sanitize);
    let detail = format!(
        "STS at {} answered HTTP {status}, error code {shown}",
        target.url
    );
    let throttled = status == 429
        || code
            .as_deref()
            .is_some_and(|c| THROTTLING_CODES.contains(&c));
    let reason = if throttled {
        Reason::StsThrottled
    } else if status >= 500 || code.as_deref() == Some("ServiceUnavailable") {
        Reason::StsUnreachable
    } else if (400..500).contains(&status) {
        Reason::StsRejected
    } else {
        Reason::StsBadResponse
    };
    refuse(reason, detail)
}

/// The caller named by a 200 answer, checked against the target's partition.
pub fn caller_from(target: &Target, body: &str, access_key_id: &str) -> Result<Caller, Refusal> {
    const RESULT: [&str; 2] = ["GetCallerIdentityResponse", "GetCallerIdentityResult"];
    let fields = parse_xml(body, &RESULT, &["Arn", "UserId", "Account"]).map_err(|why| {
        bad_response(
            target,
            format_args!("answered 200 with an unreadable body ({why})"),
        )
    })?;
    let [arn, user_id, account] = fields;
    let (Some(arn), Some(account)) = (arn, account) else {
        return Err(bad_response(target, "answered 200 without Arn and Account"));
    };
    let principal = parse_arn(&arn)?;
    if principal.account != account {
        return Err(bad_response(
            target,
            format_args!(
                "answered Account {} which differs from the ARN's account {}",
                sanitize(&account),
                principal.account
            ),
        ));
    }
    if principal.partition != target.partition {
        return Err(bad_response(
            target,
            format_args!(
                "answered an ARN in partition '{}' but the host is in partition '{}'",
                principal.partition, target.partition
            ),
        ));
    }
    Ok(Caller {
        arn,
        user_id: user_id.unwrap_or_default(),
        access_key_id: access_key_id.to_string(),
        principal,
        claims: None,
    })
}

fn sanitize(s: &str) -> String {
    quoted(s, MAX_ERROR_CODE_LEN)
}

/// The error code of an `ErrorResponse/Error/Code` document (raw: quote it to show it).
fn parse_error_code(body: &str) -> Option<String> {
    let [code] = parse_xml(body, &["ErrorResponse", "Error"], &["Code"]).ok()?;
    code.filter(|c| !c.is_empty())
}

/// Reads the text of the leaf elements `leaves` directly under the element path `parents`
/// (local names, namespaces ignored). A leaf seen twice is an error: an ambiguous answer is
/// not trusted.
fn parse_xml<const N: usize>(
    body: &str,
    parents: &[&str],
    leaves: &[&str; N],
) -> Result<[Option<String>; N], String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut stack: Vec<String> = Vec::new();
    let mut found: [Option<String>; N] = std::array::from_fn(|_| None);
    // Index of the leaf being read, with its raw (still escaped) text.
    let mut current: Option<(usize, String)> = None;
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| format!("XML error: {e}"))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    if saw_root || name != parents[0] {
                        return Err(format!("unexpected root element {}", sanitize(&name)));
                    }
                    saw_root = true;
                }
                stack.push(name);
                if stack.len() == parents.len() + 1
                    && stack[..parents.len()] == *parents
                    && let Some(i) = leaves.iter().position(|l| *l == stack[parents.len()])
                {
                    if found[i].is_some() {
                        return Err(format!("element {} repeated", leaves[i]));
                    }
                    current = Some((i, String::new()));
                }
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    return Err("empty root element".into());
                }
                if stack[..] == *parents
                    && let Some(i) = leaves.iter().position(|l| *l == name)
                {
                    if found[i].is_some() {
                        return Err(format!("element {} repeated", leaves[i]));
                    }
                    found[i] = Some(String::new());
                }
            }
            Event::End(_) => {
                if let Some((i, raw)) = current.take() {
                    let text = quick_xml::escape::unescape(&raw)
                        .map_err(|e| format!("bad escape: {e}"))?;
                    found[i] = Some(text.trim().to_string());
                }
                stack.pop();
            }
            Event::Text(t) => {
                if let Some((_, raw)) = current.as_mut() {
                    raw.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, raw)) = current.as_mut() {
                    raw.push('&');
                    raw.push_str(r.as_ref());
                    raw.push(';');
                }
            }
            Event::CData(c) => {
                if let Some((_, raw)) = current.as_mut() {
                    raw.push_str(&quick_xml::escape::escape(c.as_ref()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err("no XML document".into());
    }
    if !stack.is_empty() {
        return Err("truncated XML".into());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{error_xml, success_xml};

    #[test]
    fn xml_success_and_errors() {
        let target = Target {
            url: "https://sts.amazonaws.com/".into(),
            region: "us-east-1".into(),
            partition: "aws".into(),
        };
        let ok = success_xml(
            "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
            "123456789012",
        );
        let v = caller_from(&target, &ok, "AKID").unwrap();
        assert_eq!(v.principal.account, "123456789012");
        assert_eq!(v.user_id, "AROAEXAMPLE:s1");
        // Entities are resolved, CDATA is text.
        let amp = ok.replace("s1</Arn>", "s&#49;</Arn>");
        assert_eq!(caller_from(&target, &amp, "AKID").unwrap().arn, v.arn);
        let cdata = ok.replace(
            "<Arn>arn:aws:sts::123456789012:assumed-role/AppRole/s1</Arn>",
            "<Arn><![CDATA[arn:aws:sts::123456789012:assumed-role/]]>AppRole/s1</Arn>",
        );
        assert_ne!(cdata, ok);
        assert_eq!(caller_from(&target, &cdata, "AKID").unwrap().arn, v.arn);
        // An empty leaf is an empty value; an unknown empty element is ignored.
        let no_id = ok.replace("<UserId>AROAEXAMPLE:s1</UserId>", "<UserId/>");
        assert_eq!(caller_from(&target, &no_id, "AKID").unwrap().user_id, "");
        let extra = ok.replace("<UserId>", "<Extra/><UserId>");
        assert_eq!(caller_from(&target, &extra, "AKID").unwrap(), v);
        let cases = [
            ("", Reason::StsBadResponse),
            ("hello", Reason::StsBadResponse),
            ("<Other/>", Reason::StsBadResponse),
            (
                &ok.replace("<Account>123456789012", "<Account>210987654321"),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace("arn:aws:", "arn:aws-cn:"),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace("</Arn>", "</Arn><Arn>arn:aws:iam::123456789012:root</Arn>"),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace("assumed-role/AppRole/s1", "role/AppRole"),
                Reason::CallerUnsupported,
            ),
            (&ok[..ok.len() - 30], Reason::StsBadResponse),
            // A second document after the first: which one would be the answer?
            (&format!("{ok}{ok}"), Reason::StsBadResponse),
            (
                &format!("{ok}<GetCallerIdentityResponse></GetCallerIdentityResponse>"),
                Reason::StsBadResponse,
            ),
            (
                &format!(
                    "{}{}",
                    ok.replace("<Account>123456789012</Account>", ""),
                    "<GetCallerIdentityResponse><GetCallerIdentityResult>\
                     <Account>123456789012</Account></GetCallerIdentityResult>\
                     </GetCallerIdentityResponse>"
                ),
                Reason::StsBadResponse,
            ),
            // A leaf repeated, empty or not, is ambiguous too.
            (
                &ok.replace("<UserId>AROAEXAMPLE:s1</UserId>", "<UserId/><UserId/>"),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace(
                    "<UserId>AROAEXAMPLE:s1</UserId>",
                    "<UserId>AROAEXAMPLE:s1</UserId><UserId/>",
                ),
                Reason::StsBadResponse,
            ),
            (
                &ok.replace(
                    "<UserId>AROAEXAMPLE:s1</UserId>",
                    "<UserId/><UserId>AROAEXAMPLE:s1</UserId>",
                ),
                Reason::StsBadResponse,
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                caller_from(&target, body, "AKID").unwrap_err().reason,
                want,
                "{body}"
            );
        }
        let err = error_xml("SignatureDoesNotMatch", "secret-ish message text");
        let r = error_refusal(&target, 403, &err);
        assert_eq!(r.reason, Reason::StsRejected);
        assert!(r.detail.contains("SignatureDoesNotMatch") && !r.detail.contains("secret-ish"));
        assert_eq!(
            error_refusal(&target, 400, &error_xml("Throttling", "x")).reason,
            Reason::StsThrottled
        );
        assert_eq!(
            error_refusal(&target, 503, &error_xml("ServiceUnavailable", "x")).reason,
            Reason::StsUnreachable
        );
        assert_eq!(
            error_refusal(&target, 500, "garbage").reason,
            Reason::StsUnreachable
        );
        assert_eq!(error_refusal(&target, 429, "").reason, Reason::StsThrottled);
        assert_eq!(
            error_refusal(&target, 404, "<html>").reason,
            Reason::StsRejected
        );
        assert_eq!(
            error_refusal(&target, 204, "").reason,
            Reason::StsBadResponse
        );
        let odd = error_xml("Bad<Code>&amp;\"x", "m");
        assert!(!error_refusal(&target, 400, &odd).detail.contains('"'));
    }
}
