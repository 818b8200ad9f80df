//! The exchange with STS: sends the request `request::rebuild` makes from the token, over
//! the shared transport, and reads the answer within the limits. Counts every exchange.

use super::answer::{bad_response, caller_from, error_refusal};
use super::precheck::Target;
use super::transport::{MAX_LOOKUPS, STS_REQUESTS, Slots, agent, is_lookups_busy};
use crate::config::Config;
use crate::error::{Reason, Refusal, refuse};
use crate::identity::Caller;
use crate::metrics;
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

/// Sends the rebuilt request and reads the answer, unless `MAX_STS_REQUESTS` exchanges are
/// already in flight (then refused at once: sts_busy). Counts the exchange.
pub fn call(target: &Target, token: &Token, cfg: &Config) -> Result<Caller, Refusal> {
    call_within(&STS_REQUESTS, target, token, cfg)
}

fn call_within(
    slots: &Slots,
    target: &Target,
    token: &Token,
    cfg: &Config,
) -> Result<Caller, Refusal> {
    let Some(_slot) = slots.try_take() else {
        return Err(refuse(
            Reason::StsBusy,
            format!(
                "{} STS requests are already in flight; refused rather than queued",
                slots.max()
            ),
        ));
    };
    metrics::COUNTERS.add_sts_request();
    let started = std::time::Instant::now();
    let result = exchange(target, token, cfg);
    metrics::COUNTERS.add_sts_time(started.elapsed());
    if result.is_err() {
        metrics::COUNTERS.add_sts_error();
    }
    result
}

fn exchange(target: &Target, token: &Token, cfg: &Config) -> Result<Caller, Refusal> {
    let rebuilt = rebuild(token);
    let mut req = agent(cfg).post(&target.url);
    for (name, value) in &rebuilt.headers {
        req = req.header(*name, value.as_str());
    }
    let mut resp = match req.send(rebuilt.body) {
        Ok(r) => r,
        Err(e @ ureq::Error::Protocol(_)) => {
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
    use crate::testutil::{error_xml, fake_sts, http, success_xml};
    use aws_credential_types::Credentials;
    use std::net::TcpListener;
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
        let e = call_within(&Slots::new(0), &target, &t, &c).unwrap_err();
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
}
