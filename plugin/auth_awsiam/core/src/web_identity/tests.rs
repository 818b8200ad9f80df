use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

fn request() -> TokenRequest {
    TokenRequest {
        audiences: vec!["mysql://db1".into()],
        algorithm: SigningAlgorithm::Rs256,
        duration_secs: None,
        tags: vec![],
    }
}

fn target(endpoint: Option<&str>) -> Target {
    Target {
        region: "eu-west-1".into(),
        endpoint: endpoint.map(str::to_string),
        endpoint_settings: "--endpoint".into(),
    }
}

#[test]
fn requests_within_the_model_pass() {
    assert!(request().check().is_ok());
    let full = TokenRequest {
        audiences: (0..MAX_AUDIENCES).map(|i| format!("a{i}")).collect(),
        algorithm: SigningAlgorithm::Es384,
        duration_secs: Some(MAX_DURATION_SECS),
        tags: (0..MAX_TAGS)
            .map(|i| (format!("k{i}"), "é v:/=+-@_.".to_string()))
            .collect(),
    };
    assert!(full.check().is_ok());
    assert_eq!(target(None).url(), "https://sts.eu-west-1.amazonaws.com");
}

#[test]
fn requests_outside_the_model_are_refused_before_any_call() {
    let with = |f: &dyn Fn(&mut TokenRequest)| {
        let mut r = request();
        f(&mut r);
        r.check().unwrap_err()
    };
    assert!(with(&|r| r.audiences.clear()).starts_with("0 audiences"));
    assert!(with(&|r| r.audiences = vec!["a".into(); 11]).starts_with("11 audiences"));
    assert!(with(&|r| r.audiences = vec![String::new()]).contains("1 to 1000"));
    assert!(with(&|r| r.audiences = vec!["x".repeat(1001)]).contains("1001 characters"));
    assert!(with(&|r| r.duration_secs = Some(59)).starts_with("duration 59 s"));
    assert!(with(&|r| r.duration_secs = Some(3601)).starts_with("duration 3601 s"));
    let tags = |n: usize| (0..n).map(|i| (format!("k{i}"), String::new())).collect();
    assert!(with(&|r| r.tags = tags(51)).starts_with("51 tags"));
    assert!(with(&|r| r.tags = vec![("a#b".into(), "v".into())]).starts_with("tag key 'a#b'"));
    assert!(with(&|r| r.tags = vec![(String::new(), "v".into())]).starts_with("tag key"));
    assert!(with(&|r| r.tags = vec![("k".into(), "\"".into())]).starts_with("value of tag 'k'"));
    assert!(with(&|r| r.tags = vec![("k".into(), "v".repeat(257))]).contains("at most 256"));
    let dup = with(&|r| r.tags = vec![("Team".into(), "a".into()), ("team".into(), "b".into())]);
    assert!(dup.contains("given twice"), "{dup}");
}

fn service(code: &str, message: &str) -> Cause {
    Cause::Service {
        code: code.into(),
        message: message.into(),
    }
}

#[test]
fn each_refusal_says_what_to_do() {
    let t = target(Some("https://sts.eu-west-1.amazonaws.com"));
    let r = request();
    let m = explain(
        &service(
            "OutboundWebIdentityFederationDisabledException",
            "not enabled",
        ),
        &r,
        &t,
    );
    assert_eq!(
        m,
        "cannot get a web identity token for audience 'mysql://db1': STS at \
sts.eu-west-1.amazonaws.com answered OutboundWebIdentityFederationDisabledException: outbound \
identity federation is not enabled in the caller's AWS account: enable it once with 'aws iam \
enable-outbound-web-identity-federation' (or IAM console, Account settings)"
    );
    let denied = "User: arn:aws:sts::1:assumed-role/R/s is not authorized to perform: sts:GetWebIdentityToken";
    let m = explain(&service("AccessDenied", denied), &r, &t);
    assert!(
        m.contains("must allow sts:GetWebIdentityToken with the condition sts:IdentityTokenAudience naming 'mysql://db1'")
            && m.contains("sts:SigningAlgorithm RS256"),
        "{m}"
    );
    let mut tagged = request();
    tagged.tags = vec![("nonce".into(), "n".into())];
    let tag_denied = denied.replace("sts:GetWebIdentityToken", "sts:TagGetWebIdentityToken");
    let m = explain(&service("AccessDenied", &tag_denied), &tagged, &t);
    assert!(
        m.contains("must also allow sts:TagGetWebIdentityToken"),
        "{m}"
    );
    // Without tags in the request, an AccessDenied is the audience's.
    assert!(
        explain(&service("AccessDenied", &tag_denied), &r, &t).contains("IdentityTokenAudience")
    );
    let m = explain(&service("JWTPayloadSizeExceededException", ""), &tagged, &t);
    assert!(m.ends_with("ask for fewer or shorter tags"), "{m}");
    let m = explain(&service("SessionDurationEscalationException", ""), &r, &t);
    assert!(m.contains("shorter duration"), "{m}");
    let m = explain(
        &service(
            "ValidationError",
            "1 validation error detected: Value 'x' at 'signingAlgorithm'",
        ),
        &r,
        &t,
    );
    assert!(
        m.contains("at 'signingAlgorithm'; check the audiences"),
        "{m}"
    );
    // Other codes and transport failures: the shared sentences, naming the host.
    let m = explain(&service("InvalidClientTokenId", "bad key"), &r, &t);
    assert!(m.contains("check your AWS credentials"), "{m}");
    let m = explain(&Cause::Refused, &r, &target(Some("http://127.0.0.1:1")));
    assert_eq!(
        m,
        "cannot get a web identity token for audience 'mysql://db1': 127.0.0.1:1 refused the \
connection; check --endpoint and that the endpoint is up"
    );
}

#[test]
fn an_sts_that_never_answers_is_a_timeout() {
    let e: SdkError<GetWebIdentityTokenError, ()> =
        SdkError::timeout_error(std::io::Error::other("operation timed out"));
    assert_eq!(cause_of(&e), Cause::Timeout);
    let m = explain(&Cause::Timeout, &request(), &target(None));
    assert!(m.ends_with("sts.eu-west-1.amazonaws.com did not answer in time; check the network path to it (proxy, firewall, VPC endpoint)"), "{m}");
}

/// A server answering every request with `answer`, keeping the request bodies.
fn canned(answer: (u16, String)) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned());
            let (status, text) = &answer;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (url, seen)
}

fn call(url: &str, r: &TokenRequest) -> Result<Minted, MintError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(crate::credentials::https_client())
            .region(Region::new("eu-west-1"))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .no_credentials()
            .load()
            .await;
        let creds = Credentials::new("AKIDTEST", "test-secret", None, None, "test");
        mint(&sdk, creds, &target(Some(url)), r).await
    })
}

#[test]
fn a_minted_token_comes_back_with_its_expiration() {
    let (url, seen) = canned((
        200,
        "<GetWebIdentityTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<GetWebIdentityTokenResult><WebIdentityToken>eyJh.eyJi.c2ln</WebIdentityToken>\
<Expiration>2026-04-21T07:37:10.000Z</Expiration></GetWebIdentityTokenResult>\
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetWebIdentityTokenResponse>"
            .into(),
    ));
    let mut r = request();
    r.audiences.push("second".into());
    r.duration_secs = Some(900);
    r.tags = vec![("nonce".into(), "a b".into())];
    let minted = call(&url, &r).unwrap();
    assert_eq!(minted.token, "eyJh.eyJi.c2ln");
    assert_eq!(
        minted.expiration,
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_776_757_030))
    );
    assert!(
        !format!("{minted:?}").contains("eyJ"),
        "Debug hides the token"
    );
    let body = seen.lock().unwrap()[0].clone();
    for part in [
        "Action=GetWebIdentityToken",
        "Audience.member.1=mysql%3A%2F%2Fdb1",
        "Audience.member.2=second",
        "SigningAlgorithm=RS256",
        "DurationSeconds=900",
        "Tags.member.1.Key=nonce",
        "Tags.member.1.Value=a%20b",
    ] {
        assert!(body.contains(part), "{part} not in {body}");
    }
}

#[test]
fn only_a_compact_jws_is_a_token() {
    assert!(is_compact_jws("eyJh.eyJi.c2ln-_"));
    for bad in [
        "eyJh.eyJi",
        "eyJh..c2ln",
        "a.b.c.d.e",
        "eyJh.eyJi.c2ln\n[client]",
        "a.b.c=",
        "a.b.c d",
    ] {
        assert!(!is_compact_jws(bad), "{bad:?}");
    }
    let (url, _) = canned((
        200,
        "<GetWebIdentityTokenResponse><GetWebIdentityTokenResult><WebIdentityToken>a.b.c\npassword=x</WebIdentityToken></GetWebIdentityTokenResult></GetWebIdentityTokenResponse>"
            .into(),
    ));
    let e = call(&url, &request()).unwrap_err();
    assert!(
        e.message().ends_with("without a token in JWS compact form"),
        "{e:?}"
    );
}

#[test]
fn an_sts_error_becomes_its_sentence() {
    let (url, _) = canned((
        403,
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
<Code>OutboundWebIdentityFederationDisabledException</Code><Message>not enabled</Message></Error>\
<RequestId>r</RequestId></ErrorResponse>"
            .into(),
    ));
    let e = call(&url, &request()).unwrap_err();
    assert!(matches!(e, MintError::Failed(_)));
    assert!(
        e.message()
            .contains("aws iam enable-outbound-web-identity-federation"),
        "{e:?}"
    );
}

#[test]
fn bad_requests_and_the_global_endpoint_never_reach_sts() {
    let (url, seen) = canned((500, String::new()));
    let mut r = request();
    r.duration_secs = Some(30);
    assert!(matches!(call(&url, &r), Err(MintError::Invalid(_))));
    let e = call("https://sts.amazonaws.com", &request()).unwrap_err();
    assert!(
        e.message().starts_with("GetWebIdentityToken is not available on the global STS endpoint sts.amazonaws.com: use a regional endpoint such as https://sts.eu-west-1.amazonaws.com"),
        "{e:?}"
    );
    assert!(seen.lock().unwrap().is_empty());
}
