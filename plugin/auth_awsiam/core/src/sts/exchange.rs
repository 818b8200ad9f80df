//! The exchange with STS: sends the request `request::rebuild` makes from the token, over
//! the shared transport, and reads the answer within the limits. Counts every request, and
//! as an error every request that got no valid answer; a throttled one may be retried once
//! (the policy is in `throttle`).

use std::time::{Duration, Instant};

use super::known::{Credential, KNOWN, KNOWN_FOR, Known};
use super::precheck::Target;
use super::reply::{bad_response, caller_from, error_refusal};
use super::throttle::{self, RETRIES, RetryQuota};
use super::transport::{MAX_LOOKUPS, STS_REQUESTS, StsSlots, agent, is_lookups_busy, tls_failure};
use crate::config::Config;
use crate::error::{Reason, Refusal, refuse};
use crate::identity::Caller;
use crate::metrics::{self, Counters};
use crate::request::rebuild;
use crate::token::Token;

/// Largest STS answer read; a GetCallerIdentity answer is well under 1 KiB.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

fn unreachable(target: &Target, e: &ureq::Error, cfg: &Config) -> Refusal {
    if is_lookups_busy(e) {
        return refuse(
            Reason::StsBusy,
            format!(
                "{MAX_LOOKUPS} name lookups are already running (is the DNS resolver hanging?); refused rather than queued"
            ),
        );
    }
    if let Some(why) = tls_failure(e) {
        return refuse(
            Reason::StsCertificate,
            format!("STS at {} cannot be trusted: {why}", target.url),
        );
    }
    let detail = match e {
        ureq::Error::Timeout(_) => format!(
            "STS at {} did not answer in time (connect timeout {} s, total {} s)",
            target.url,
            cfg.connect_timeout.as_secs(),
            cfg.sts_timeout.as_secs()
        ),
        other => format!("cannot reach STS at {}: {other}", target.url),
    };
    refuse(Reason::StsUnreachable, detail)
}

/// Sends the rebuilt request and reads the answer, unless every STS slot the token may use
/// is taken (then refused at once: sts_busy; a token of a known credential may also use
/// the reserve, see `transport::StsSlots`). A throttled answer may be retried once,
/// within `auth_awsiam_sts_timeout` (see `throttle`). A refusal by STS makes the token's
/// credential unknown (see `known`).
pub fn call(target: &Target, token: &Token, cfg: &Config) -> Result<Caller, Refusal> {
    call_as(target, token, KNOWN.credential(token), cfg)
}

/// `call`, with the token's credential already hashed (a login hashes it once, and records
/// it after the policy let it in).
pub fn call_as(
    target: &Target,
    token: &Token,
    credential: Credential,
    cfg: &Config,
) -> Result<Caller, Refusal> {
    call_within(
        &STS_REQUESTS,
        &KNOWN,
        &RETRIES,
        &metrics::COUNTERS,
        target,
        token,
        credential,
        cfg,
    )
}

/// Why a token found no free slot.
fn busy(slots: &StsSlots, known: bool) -> Refusal {
    let detail = if known {
        format!(
            "{} STS requests are already in flight; refused rather than queued",
            slots.shared() + slots.reserved()
        )
    } else {
        format!(
            "{} STS requests are already in flight for credentials that did not log in here \
             within the last {} minutes (another {} are kept for those that did); refused \
             rather than queued",
            slots.shared(),
            KNOWN_FOR.as_secs() / 60,
            slots.reserved()
        )
    };
    refuse(Reason::StsBusy, detail)
}

/// `call` with its shared state passed in (tests give their own).
#[allow(clippy::too_many_arguments)]
fn call_within(
    slots: &StsSlots,
    known: &Known,
    quota: &RetryQuota,
    counters: &Counters,
    target: &Target,
    token: &Token,
    credential: Credential,
    cfg: &Config,
) -> Result<Caller, Refusal> {
    let is_known = known.is_known(credential, Instant::now());
    let Some(_slot) = slots.try_take(is_known) else {
        return Err(busy(slots, is_known));
    };
    let started = Instant::now();
    let result = match counted(counters, target, token, cfg, None) {
        Err(first) if first.reason == Reason::StsThrottled => {
            match throttle::retry_pause(started.elapsed(), cfg.sts_timeout, quota) {
                Ok(pause) => {
                    std::thread::sleep(pause);
                    counters.add_sts_retry();
                    let left = cfg.sts_timeout.saturating_sub(started.elapsed());
                    counted(counters, target, token, cfg, Some(left)).map_err(|mut again| {
                        if again.reason == Reason::StsThrottled {
                            again.detail.push_str(&format!(
                                " (also on one retry {} ms later)",
                                pause.as_millis()
                            ));
                        }
                        again
                    })
                }
                Err(no) => Err(Refusal {
                    detail: format!("{} ({})", first.detail, no.why()),
                    ..first
                }),
            }
        }
        other => other,
    };
    match &result {
        Ok(_) => quota.refund(),
        // STS's verdict on the signature or the credential: a forgery made with a copied
        // credential loses it the reserve.
        Err(r) if r.reason == Reason::StsRejected => known.forget(credential),
        Err(_) => {}
    }
    result
}

/// One request, counted: requests, time, and errors: a request that got no valid answer.
/// A valid answer whose caller is refused (caller_unsupported) is not an STS error.
fn counted(
    counters: &Counters,
    target: &Target,
    token: &Token,
    cfg: &Config,
    budget: Option<Duration>,
) -> Result<Caller, Refusal> {
    counters.add_sts_request();
    let started = Instant::now();
    let result = exchange(target, token, cfg, budget);
    counters.add_sts_time(started.elapsed());
    if let Err(refusal) = &result
        && refusal.reason.is_sts_error()
    {
        counters.add_sts_error();
    }
    result
}

/// `budget`: a total timeout shorter than `auth_awsiam_sts_timeout` (for a retry).
fn exchange(
    target: &Target,
    token: &Token,
    cfg: &Config,
    budget: Option<Duration>,
) -> Result<Caller, Refusal> {
    let rebuilt = rebuild(token);
    let mut req = agent(cfg).post(&target.url);
    if let Some(budget) = budget {
        req = req.config().timeout_global(Some(budget)).build();
    }
    for (name, value) in &rebuilt.headers {
        req = req.header(*name, value.as_str());
    }
    let mut resp = match req.send(rebuilt.body) {
        Ok(r) => r,
        Err(e @ (ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..))) => {
            return Err(bad_response(
                target,
                format_args!("answered something that is not HTTP: {e}"),
            ));
        }
        Err(e) => return Err(unreachable(target, &e, cfg)),
    };
    let status = resp.status().as_u16();
    if (300..400).contains(&status) {
        return Err(bad_response(
            target,
            format_args!("answered with a redirect (HTTP {status}); redirects are not followed"),
        ));
    }
    let body = match resp
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
    {
        Ok(b) => b,
        Err(ureq::Error::BodyExceedsLimit(_)) => {
            return Err(bad_response(
                target,
                format_args!("answered more than {MAX_RESPONSE_BYTES} bytes"),
            ));
        }
        Err(e @ ureq::Error::Timeout(_)) => return Err(unreachable(target, &e, cfg)),
        Err(e) => {
            return Err(bad_response(
                target,
                format_args!("answer could not be read: {e}"),
            ));
        }
    };
    if status == 200 {
        return caller_from(target, &body, token.access_key_id());
    }
    Err(error_refusal(target, status, &body))
}

#[cfg(test)]
mod tests {
    use super::super::precheck::precheck;
    use super::super::transport::ACCEPT;
    use super::*;
    use crate::config::parse_endpoint;
    use crate::identity::Kind;
    use crate::request::{AUTHORIZATION_HEADER, SERVER_ID_HEADER, SESSION_TOKEN_HEADER, sign};
    use crate::testutil::{Received, counting_sts, error_xml, fake_sts, http, success_xml};
    use aws_credential_types::Credentials;
    use std::net::TcpListener;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant, SystemTime};

    fn cfg() -> Config {
        Config::default()
    }

    fn creds() -> Credentials {
        Credentials::new(
            "123456789012",
            "secretsecret",
            Some("c2Vzc2lvbg==".into()),
            None,
            "test",
        )
    }

    fn setup(addr: &str) -> (Config, Token, Target) {
        let mut c = cfg();
        c.endpoint = parse_endpoint(&format!("http://{addr}")).unwrap();
        c.sts_timeout = Duration::from_secs(1);
        c.connect_timeout = Duration::from_secs(1);
        c.server_id = Some("db1".into());
        let t = sign(addr, "us-east-1", Some("db1"), &creds(), SystemTime::now()).unwrap();
        let target = precheck(&t, &c, true, SystemTime::now()).unwrap();
        (c, t, target)
    }

    #[test]
    fn sends_exactly_the_template_and_reads_the_answer() {
        let (addr, handle) = fake_sts(1, |_| {
            Some(http(
                "200 OK",
                &success_xml(
                    "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
                    "123456789012",
                ),
            ))
        });
        let (c, t, target) = setup(&addr);
        let v = call(&target, &t, &c).unwrap();
        assert_eq!(
            v.principal.kind,
            Kind::AssumedRole {
                role: "AppRole".into(),
                session: "s1".into()
            }
        );
        let seen = handle.join().unwrap();
        let r = &seen[0];
        assert_eq!(r.request_line, "POST / HTTP/1.1");
        assert_eq!(r.body, crate::request::BODY);
        let get = |n: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("host").as_deref(), Some(addr.as_str()));
        assert_eq!(get("accept").as_deref(), Some(ACCEPT));
        assert_eq!(
            get("content-type").as_deref(),
            Some(crate::request::CONTENT_TYPE)
        );
        assert_eq!(
            get(AUTHORIZATION_HEADER),
            Some(crate::request::authorization(&t))
        );
        assert_eq!(get(SERVER_ID_HEADER).as_deref(), Some("db1"));
        assert_eq!(get(SESSION_TOKEN_HEADER).as_deref(), Some("c2Vzc2lvbg=="));
        // Recompute the signature from what arrived on the wire, as STS would.
        let identity: aws_smithy_runtime_api::client::identity::Identity = creds().into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("sts")
            .time(t.signing_time())
            .settings(aws_sigv4::http_request::SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signed: Vec<(&str, &str)> = t
            .signed_header_names()
            .map(|n| {
                (
                    n,
                    r.headers
                        .iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.as_str())
                        .unwrap(),
                )
            })
            .collect();
        let req = aws_sigv4::http_request::SignableRequest::new(
            "POST",
            format!("http://{addr}/"),
            signed.into_iter(),
            aws_sigv4::http_request::SignableBody::Bytes(r.body.as_bytes()),
        )
        .unwrap();
        let (_, sig) = aws_sigv4::http_request::sign(req, &params)
            .unwrap()
            .into_parts();
        assert_eq!(sig, t.signature);
    }

    #[test]
    fn no_free_slot_is_sts_busy_without_io() {
        // The endpoint is a closed port: reaching the network would be sts_unreachable.
        let mut c = cfg();
        c.endpoint = parse_endpoint("http://127.0.0.1:9").unwrap();
        let t = sign(
            "127.0.0.1:9",
            "us-east-1",
            None,
            &creds(),
            SystemTime::now(),
        )
        .unwrap();
        let target = precheck(&t, &c, true, SystemTime::now()).unwrap();
        let e = call_within(
            &StsSlots::new(0, 0),
            &KNOWN,
            &RETRIES,
            &metrics::COUNTERS,
            &target,
            &t,
            KNOWN.credential(&t),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::StsBusy, "{e}");
        assert!(
            e.detail.contains("refused rather than queued"),
            "{}",
            e.detail
        );
        // The lookup cap ends the same way.
        let busy = ureq::Error::Io(std::io::Error::other(super::super::transport::LookupsBusy));
        assert_eq!(unreachable(&target, &busy, &c).reason, Reason::StsBusy);
    }

    #[test]
    fn hang_times_out() {
        let (addr, handle) = fake_sts(1, |_| None);
        let (c, t, target) = setup(&addr);
        let started = Instant::now();
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsUnreachable, "{e}");
        assert!(e.detail.contains("did not answer in time"), "{}", e.detail);
        assert!(started.elapsed() < Duration::from_millis(2500));
        handle.join().unwrap();
    }

    #[test]
    fn garbage_is_a_bad_response() {
        let (addr, handle) = fake_sts(1, |_| Some(b"this is not http\r\n\r\n".to_vec()));
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsBadResponse, "{e}");
        handle.join().unwrap();
    }

    #[test]
    fn garbage_body_with_200() {
        let (addr, handle) = fake_sts(1, |_| Some(http("200 OK", "<html>hello</html>")));
        let (c, t, target) = setup(&addr);
        assert_eq!(
            call(&target, &t, &c).unwrap_err().reason,
            Reason::StsBadResponse
        );
        handle.join().unwrap();
    }

    /// Only 200 carries an answer: another 2xx with a well-formed identity is not one.
    #[test]
    fn only_200_is_an_answer() {
        for status in [
            "201 Created",
            "203 Non-Authoritative Information",
            "299 Whatever",
        ] {
            let (addr, handle) = fake_sts(1, move |_| {
                Some(http(
                    status,
                    &success_xml(
                        "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
                        "123456789012",
                    ),
                ))
            });
            let (c, t, target) = setup(&addr);
            let e = call(&target, &t, &c).unwrap_err();
            assert_eq!(e.reason, Reason::StsBadResponse, "{status}: {e}");
            handle.join().unwrap();
        }
    }

    #[test]
    fn redirect_is_not_followed() {
        let (addr, handle) = fake_sts(1, |_| {
            Some(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec())
        });
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsBadResponse);
        assert!(e.detail.contains("redirect"), "{}", e.detail);
        assert_eq!(handle.join().unwrap().len(), 1);
    }

    #[test]
    fn oversized_body_is_refused() {
        let (addr, handle) = fake_sts(1, |_| {
            let big = format!(
                "<GetCallerIdentityResponse>{}</GetCallerIdentityResponse>",
                " ".repeat(100 * 1024)
            );
            Some(http("200 OK", &big))
        });
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsBadResponse);
        assert!(e.detail.contains("more than 65536 bytes"), "{}", e.detail);
        handle.join().unwrap();
    }

    #[test]
    fn error_xml_is_rejected_with_its_code_only() {
        let (addr, handle) = fake_sts(1, |_| {
            Some(http(
                "403 Forbidden",
                &error_xml(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match",
                ),
            ))
        });
        let (c, t, target) = setup(&addr);
        let e = call(&target, &t, &c).unwrap_err();
        assert_eq!(e.reason, Reason::StsRejected);
        assert!(e.detail.contains("SignatureDoesNotMatch"));
        assert!(!e.detail.contains("calculated"));
        handle.join().unwrap();
    }

    /// STS refusing a token of a known credential (a forgery made with a copied access
    /// key ID and session token) makes the credential unknown: it loses the reserve. A
    /// failure that says nothing of the signature (an unreachable STS) does not.
    #[test]
    fn a_refusal_by_sts_makes_the_credential_unknown() {
        let known = Known::new(64, Instant::now());
        let (addr, handle) = fake_sts(1, |_| {
            Some(http(
                "403 Forbidden",
                &error_xml("SignatureDoesNotMatch", "no"),
            ))
        });
        let (c, t, target) = setup(&addr);
        known.admit(known.credential(&t), Instant::now());
        let slots = StsSlots::new(2, 1);
        let counters = Counters::default();
        let e = call_within(
            &slots,
            &known,
            &RETRIES,
            &counters,
            &target,
            &t,
            known.credential(&t),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::StsRejected);
        assert!(!known.is_known(known.credential(&t), Instant::now()));
        handle.join().unwrap();
        // Unreachable: still known.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = listener.local_addr().unwrap().to_string();
        drop(listener);
        let (c, t, target) = setup(&closed);
        known.admit(known.credential(&t), Instant::now());
        let e = call_within(
            &slots,
            &known,
            &RETRIES,
            &counters,
            &target,
            &t,
            known.credential(&t),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::StsUnreachable);
        assert!(known.is_known(known.credential(&t), Instant::now()));
    }

    #[test]
    fn connection_refused_is_unreachable() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let (c, t, target) = setup(&addr);
        assert_eq!(
            call(&target, &t, &c).unwrap_err().reason,
            Reason::StsUnreachable
        );
    }

    #[test]
    fn counts_requests_and_errors() {
        let before = metrics::COUNTERS.snapshot();
        let (addr, handle) = fake_sts(1, |_| Some(http("500 Internal Server Error", "")));
        let (c, t, target) = setup(&addr);
        assert_eq!(
            call(&target, &t, &c).unwrap_err().reason,
            Reason::StsUnreachable
        );
        handle.join().unwrap();
        let after = metrics::COUNTERS.snapshot();
        assert!(after.sts_requests > before.sts_requests);
        assert!(after.sts_errors > before.sts_errors);
    }

    /// `sts_errors` counts requests that got no valid answer, and only those: an answer
    /// STS gave correctly, naming a caller the plugin then refuses, is not an STS error.
    #[test]
    fn sts_errors_count_requests_without_a_valid_answer() {
        type Answer = Box<dyn Fn(&Received) -> Option<Vec<u8>> + Send + 'static>;
        let ok = |arn: &'static str| -> Answer {
            Box::new(move |_| Some(http("200 OK", &success_xml(arn, "123456789012"))))
        };
        // (what STS answers, the refusal if any, errors counted)
        let cases: Vec<(&str, Answer, Option<Reason>, u64)> = vec![
            (
                "a valid answer",
                ok("arn:aws:sts::123456789012:assumed-role/AppRole/s1"),
                None,
                0,
            ),
            (
                "a valid answer naming a one-character session",
                ok("arn:aws:sts::123456789012:assumed-role/AppRole/s"),
                Some(Reason::CallerUnsupported),
                0,
            ),
            (
                "a valid answer naming a role, not a session",
                ok("arn:aws:iam::123456789012:role/AppRole"),
                Some(Reason::CallerUnsupported),
                0,
            ),
            (
                "HTTP 500",
                Box::new(|_| Some(http("500 Internal Server Error", ""))),
                Some(Reason::StsUnreachable),
                1,
            ),
            (
                "HTTP 200 with garbage",
                Box::new(|_| Some(http("200 OK", "<html>hello</html>"))),
                Some(Reason::StsBadResponse),
                1,
            ),
            (
                "a rejected signature",
                Box::new(|_| {
                    Some(http(
                        "403 Forbidden",
                        &error_xml("SignatureDoesNotMatch", "no"),
                    ))
                }),
                Some(Reason::StsRejected),
                1,
            ),
        ];
        for (what, answer, want, errors) in cases {
            let (addr, handle) = fake_sts(1, answer);
            let (c, t, target) = setup(&addr);
            let counters = Counters::default();
            let got = call_within(
                &STS_REQUESTS,
                &KNOWN,
                &RETRIES,
                &counters,
                &target,
                &t,
                KNOWN.credential(&t),
                &c,
            );
            assert_eq!(got.as_ref().err().map(|r| r.reason), want, "{what}");
            handle.join().unwrap();
            let s = counters.snapshot();
            assert_eq!((s.sts_requests, s.sts_errors), (1, errors), "{what}");
        }
        // A throttled answer and its retry: two requests, two errors.
        let (addr, requests) = counting_sts(|_| throttled());
        let (mut c, t, target) = setup(&addr);
        c.sts_timeout = Duration::from_secs(2);
        let quota = RetryQuota::new(throttle::RETRY_QUOTA);
        let counters = Counters::default();
        let e = call_within(
            &STS_REQUESTS,
            &KNOWN,
            &quota,
            &counters,
            &target,
            &t,
            KNOWN.credential(&t),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::StsThrottled);
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        let s = counters.snapshot();
        assert_eq!((s.sts_requests, s.sts_errors, s.sts_retries), (2, 2, 1));
    }

    fn throttled() -> Vec<u8> {
        http("400 Bad Request", &error_xml("Throttling", "Rate exceeded"))
    }

    #[test]
    fn a_throttled_login_sends_at_most_two_requests_within_its_timeout() {
        let (addr, requests) = counting_sts(|_| throttled());
        let (mut c, t, target) = setup(&addr);
        c.sts_timeout = Duration::from_secs(2);
        let quota = RetryQuota::new(throttle::RETRY_QUOTA);
        let retries = metrics::COUNTERS.snapshot().sts_retries;
        let started = Instant::now();
        let e = call_within(
            &STS_REQUESTS,
            &KNOWN,
            &quota,
            &metrics::COUNTERS,
            &target,
            &t,
            KNOWN.credential(&t),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::StsThrottled, "{e}");
        assert!(e.detail.contains("also on one retry"), "{}", e.detail);
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        assert!(started.elapsed() < c.sts_timeout);
        assert!(metrics::COUNTERS.snapshot().sts_retries > retries);
        // The message is not echoed: it may hold request material.
        assert!(!e.detail.contains("Rate exceeded"));
    }

    #[test]
    fn no_retry_without_time_left_or_quota() {
        let (addr, requests) = counting_sts(|_| throttled());
        let (mut c, t, target) = setup(&addr);
        // A timeout that cannot hold a pause and a second request.
        c.sts_timeout = Duration::from_millis(500);
        let full = RetryQuota::new(throttle::RETRY_QUOTA);
        let e = call_within(
            &STS_REQUESTS,
            &KNOWN,
            &full,
            &metrics::COUNTERS,
            &target,
            &t,
            KNOWN.credential(&t),
            &c,
        )
        .unwrap_err();
        assert!(e.detail.contains("not retried: too little"), "{}", e.detail);
        assert_eq!(requests.load(Ordering::SeqCst), 1);
        assert_eq!(full.tokens(), throttle::RETRY_QUOTA);
        // An empty quota: refused at once.
        c.sts_timeout = Duration::from_secs(5);
        let empty = RetryQuota::new(0);
        let e = call_within(
            &STS_REQUESTS,
            &KNOWN,
            &empty,
            &metrics::COUNTERS,
            &target,
            &t,
            KNOWN.credential(&t),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::StsThrottled);
        assert!(e.detail.contains("retry quota is used up"), "{}", e.detail);
        assert_eq!(requests.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_storm_of_throttled_logins_costs_at_most_the_quota_in_retries() {
        let (addr, requests) = counting_sts(|_| throttled());
        let (c, t, target) = setup(&addr);
        let quota = RetryQuota::new(throttle::RETRY_QUOTA);
        let logins = 40;
        std::thread::scope(|s| {
            for _ in 0..logins {
                s.spawn(|| {
                    let e = call_within(
                        &STS_REQUESTS,
                        &KNOWN,
                        &quota,
                        &metrics::COUNTERS,
                        &target,
                        &t,
                        KNOWN.credential(&t),
                        &c,
                    )
                    .unwrap_err();
                    assert_eq!(e.reason, Reason::StsThrottled);
                });
            }
        });
        let burst = (throttle::RETRY_QUOTA / throttle::RETRY_COST) as usize;
        assert_eq!(requests.load(Ordering::SeqCst), logins + burst);
        assert_eq!(quota.tokens(), 0);
    }

    #[test]
    fn a_retry_can_succeed_and_other_errors_are_not_retried() {
        let (addr, requests) = counting_sts(|n| {
            if n == 0 {
                throttled()
            } else {
                http(
                    "200 OK",
                    &success_xml(
                        "arn:aws:sts::123456789012:assumed-role/AppRole/s1",
                        "123456789012",
                    ),
                )
            }
        });
        let (c, t, target) = setup(&addr);
        let quota = RetryQuota::new(throttle::RETRY_COST);
        call_within(
            &STS_REQUESTS,
            &KNOWN,
            &quota,
            &metrics::COUNTERS,
            &target,
            &t,
            KNOWN.credential(&t),
            &c,
        )
        .unwrap();
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        // The verified caller gave one token back.
        assert_eq!(quota.tokens(), 1);
        let (addr, requests) = counting_sts(|_| http("503 Service Unavailable", ""));
        let (c, t, target) = setup(&addr);
        let e = call_within(
            &STS_REQUESTS,
            &KNOWN,
            &quota,
            &metrics::COUNTERS,
            &target,
            &t,
            KNOWN.credential(&t),
            &c,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::StsUnreachable);
        assert_eq!(requests.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn refused_certificates_have_their_own_reason() {
        use rustls::CertificateError as C;
        let (c, _, target) = setup("127.0.0.1:9");
        let tls = |e: C| {
            ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(e),
            ))
        };
        for (e, want) in [
            (
                tls(C::UnknownIssuer),
                "not issued by a CA in the system's trust store",
            ),
            (tls(C::Expired), "has expired"),
            (tls(C::NotValidForName), "for another host name"),
            (
                tls(C::NotValidForNameContext {
                    expected: rustls::pki_types::ServerName::try_from("localhost").unwrap(),
                    presented: vec!["DnsName(\"sts.other.example\")".into()],
                }),
                "for another host name (it names 'sts.other.example')",
            ),
            (
                ureq::Error::Rustls(rustls::Error::InvalidCertificate(C::NotValidYet)),
                "not valid yet",
            ),
        ] {
            let r = unreachable(&target, &e, &c);
            assert_eq!(r.reason, Reason::StsCertificate, "{r}");
            assert_eq!(r.reason.group(), crate::error::Group::StsUnavailable);
            assert!(r.detail.contains(want), "{}", r.detail);
        }
        // A TLS failure that is not about the certificate stays sts_unreachable.
        let other = ureq::Error::Rustls(rustls::Error::HandshakeNotComplete);
        assert_eq!(
            unreachable(&target, &other, &c).reason,
            Reason::StsUnreachable
        );
    }
}
