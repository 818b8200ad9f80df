use super::*;
use crate::callers::{Callers, Profile};
use crate::issuer::Issuer;
use crate::modes::success_or_invalid;
use crate::options::Policy;
use crate::switches::Switches;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;
use std::time::Duration;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDPATH/20260101/eu-north-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn form(body: &str) -> Vec<(String, String)> {
    query::parse_form(body)
}

fn fault(body: &str) -> Fault {
    parse(&form(body)).unwrap_err()
}

#[test]
fn parameters_and_defaults() {
    let p = parse(&form(
        "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=https%3A%2F%2Fa.example&SigningAlgorithm=ES384",
    ))
    .unwrap();
    assert_eq!(p.audiences, vec!["https://a.example".to_string()]);
    assert_eq!(p.algorithm, Algorithm::Es384);
    assert_eq!(p.duration, DEFAULT_DURATION);
    assert!(p.tags.is_empty() && !p.origin_subject);
    // Parameter order is free in awsQuery; list members are taken by their index.
    let p = parse(&form(
        "Tags.member.2.Value=b&DurationSeconds=3600&Audience.member.2=y&Tags.member.1.Key=k1\
         &SigningAlgorithm=RS256&Tags.member.2.Key=k2&Audience.member.1=x&Tags.member.1.Value=\
         &SubjectMode=OriginIdentity",
    ))
    .unwrap();
    assert_eq!(p.audiences, vec!["x".to_string(), "y".to_string()]);
    assert_eq!(p.duration, 3600);
    assert_eq!(
        p.tags,
        vec![("k1".into(), String::new()), ("k2".into(), "b".into())]
    );
    assert!(p.origin_subject);
}

#[test]
fn parameters_outside_the_model_are_validation_errors() {
    let ok = "Audience.member.1=a&SigningAlgorithm=RS256";
    let eleven: String = (1..=11)
        .map(|n| format!("&Audience.member.{n}=a{n}"))
        .collect();
    let fifty_one: String = (1..=51)
        .map(|n| format!("&Tags.member.{n}.Key=k{n}&Tags.member.{n}.Value=v"))
        .collect();
    let long = "a".repeat(MAX_AUDIENCE_LEN + 1);
    for (body, member) in [
        ("SigningAlgorithm=RS256".to_string(), "'audience'"),
        (format!("SigningAlgorithm=RS256{eleven}"), "'audience'"),
        (
            "Audience.member.1=&SigningAlgorithm=RS256".into(),
            "'audience.member'",
        ),
        (
            format!("Audience.member.1={long}&SigningAlgorithm=RS256"),
            "'audience.member'",
        ),
        ("Audience.member.1=a".into(), "'signingAlgorithm'"),
        (
            "Audience.member.1=a&SigningAlgorithm=HS256".into(),
            "'signingAlgorithm'",
        ),
        (
            "Audience.member.1=a&SigningAlgorithm=RS2566".into(),
            "'signingAlgorithm'",
        ),
        (format!("{ok}&DurationSeconds=59"), "'durationSeconds'"),
        (format!("{ok}&DurationSeconds=3601"), "'durationSeconds'"),
        (format!("{ok}&DurationSeconds=5m"), "'durationSeconds'"),
        (format!("{ok}{fifty_one}"), "'tags'"),
        (format!("{ok}&Tags.member.1.Key=k"), "'tags.member.value'"),
        (format!("{ok}&Tags.member.1.Value=v"), "'tags.member.key'"),
        (
            format!("{ok}&Tags.member.1.Key=a%23b&Tags.member.1.Value=v"),
            "'tags.member.key'",
        ),
        (
            format!("{ok}&Tags.member.1.Key=k&Tags.member.1.Value=%22"),
            "'tags.member.value'",
        ),
        (format!("{ok}&SubjectMode=Caller"), "'subjectMode'"),
    ] {
        let f = fault(&body);
        assert_eq!((f.status, f.code), (400, "ValidationError"), "{body}");
        assert!(f.message.contains(member), "{body}: {}", f.message);
    }
    let dup = fault(&format!(
        "{ok}&Tags.member.1.Key=Team&Tags.member.1.Value=a&Tags.member.2.Key=team&Tags.member.2.Value=b"
    ));
    assert!(
        dup.message.contains("Duplicate tag keys"),
        "{}",
        dup.message
    );
    // The pattern's letters, numbers and separators are Unicode classes.
    assert!(
        parse(&form(&format!(
            "{ok}&Tags.member.1.Key=%C3%A9quipe+1&Tags.member.1.Value=a%C2%A0b"
        )))
        .is_ok()
    );
}

fn caller(profile: Profile) -> Caller {
    let mut c = Callers::default();
    c.set_principal("AKIDPATH", "arn:aws:iam::111111111111:role/team/db/AppRole")
        .unwrap();
    *c.profile("AKIDPATH") = Profile {
        principal: c.profiles["AKIDPATH"].principal.clone(),
        ..profile
    };
    c.resolve("AKIDPATH")
}

fn params(audiences: &[&str]) -> Params {
    Params {
        audiences: audiences.iter().map(|a| a.to_string()).collect(),
        algorithm: Algorithm::Rs256,
        duration: 900,
        tags: vec![],
        origin_subject: false,
    }
}

#[test]
fn the_payload_is_shaped_like_a_real_token() {
    let c = caller(Profile {
        org_id: Some("o-abc1234567".into()),
        ou: Some(OuPath::List(vec!["o-abc1234567/r-ab12/ou-ab12-1/".into()])),
        principal_tags: vec![("db-access".into(), "readonly".into())],
        ..Profile::default()
    });
    let mut p = params(&["mysql://db1"]);
    p.tags = vec![("nonce".into(), "n1".into())];
    let text = payload("https://localhost:1", &c, &p, "eu-north-1", 1000, "j1");
    assert_eq!(
        text,
        "{\"aud\":\"mysql://db1\",\"sub\":\"arn:aws:iam::111111111111:role/team/db/AppRole\",\
         \"iss\":\"https://localhost:1\",\"iat\":1000,\"exp\":1900,\"jti\":\"j1\",\
         \"https://sts.amazonaws.com/\":{\"aws_account\":\"111111111111\",\
         \"source_region\":\"eu-north-1\",\"org_id\":\"o-abc1234567\",\
         \"ou_path\":[\"o-abc1234567/r-ab12/ou-ab12-1/\"],\
         \"principal_id\":\"arn:aws:iam::111111111111:role/team/db/AppRole\",\
         \"principal_tags\":{\"db-access\":\"readonly\"},\"request_tags\":{\"nonce\":\"n1\"}}}"
    );
}

#[test]
fn several_audiences_an_ou_string_and_the_origin_subject() {
    let c = caller(Profile {
        ou: Some(OuPath::Text("o-x/r-y/".into())),
        origin_subject: Some("user-1234".into()),
        ..Profile::default()
    });
    let mut p = params(&["a", "b"]);
    let v: serde_json::Value =
        serde_json::from_str(&payload("i", &c, &p, "us-east-1", 0, "j")).unwrap();
    assert_eq!(v["aud"], serde_json::json!(["a", "b"]));
    assert_eq!(v[NAMESPACE]["ou_path"], "o-x/r-y/");
    assert!(v[NAMESPACE].get("org_id").is_none() && v[NAMESPACE].get("request_tags").is_none());
    assert_eq!(v["sub"], "arn:aws:iam::111111111111:role/team/db/AppRole");
    p.origin_subject = true;
    let v: serde_json::Value =
        serde_json::from_str(&payload("i", &c, &p, "us-east-1", 0, "j")).unwrap();
    assert_eq!(v["sub"], "user-1234");
    assert_eq!(
        v[NAMESPACE]["principal_id"],
        "arn:aws:iam::111111111111:role/team/db/AppRole"
    );
}

fn answer_with(policy: Policy) -> Answer {
    let mut callers = Callers::default();
    callers
        .set_principal("AKIDPATH", "arn:aws:iam::111111111111:role/team/db/AppRole")
        .unwrap();
    Answer {
        latency: Duration::ZERO,
        callers,
        throttle_switch: None,
        policy,
        issuer: Arc::new(Issuer::new("http://127.0.0.1:9".into(), Switches::default()).unwrap()),
        phase_file: None,
        secret_key: None,
        sessions: Default::default(),
    }
}

fn call(a: &Answer, body: &str, auth: Option<&str>) -> (u16, String) {
    let mut r = Request {
        method: "POST".into(),
        path: "/".into(),
        body: body.into(),
        ..Request::default()
    };
    if let Some(auth) = auth {
        r.headers.push(("authorization".into(), auth.into()));
    }
    success_or_invalid(&r, a)
}

fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap() + open.len();
    &xml[start..start + xml[start..].find('<').unwrap()]
}

const MINT: &str = "Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=mysql%3A%2F%2Fdb1&SigningAlgorithm=ES384&DurationSeconds=120";

#[test]
fn a_signed_request_gets_a_token_in_sts_xml() {
    let a = answer_with(Policy::default());
    let (status, xml) = call(&a, MINT, Some(AUTH));
    assert_eq!(status, 200, "{xml}");
    assert!(xml.starts_with(
        "<GetWebIdentityTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    let token = element(&xml, "WebIdentityToken");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(
        header,
        "{\"kid\":\"EC384_0\",\"typ\":\"JWT\",\"alg\":\"ES384\"}"
    );
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], "http://127.0.0.1:9");
    assert_eq!(claims["aud"], "mysql://db1");
    assert_eq!(claims[NAMESPACE]["source_region"], "eu-north-1");
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, 120);
    assert_eq!(element(&xml, "Expiration"), timefmt::rfc3339_millis(exp));
    // jti is the request ID, as on the real token AWS returned.
    assert_eq!(claims["jti"], element(&xml, "RequestId"));
}

#[test]
fn refusals_are_aws_errors() {
    let a = answer_with(Policy::default());
    let (status, xml) = call(&a, MINT, None);
    assert_eq!(status, 403);
    assert!(xml.contains("<Code>MissingAuthenticationToken</Code>"));

    let denied = answer_with(Policy {
        denied_audiences: ["mysql://db1".to_string()].into(),
        ..Policy::default()
    });
    let (status, xml) = call(&denied, MINT, Some(AUTH));
    assert_eq!(status, 403);
    assert!(xml.contains("<Code>AccessDenied</Code>"));
    assert!(xml.contains("arn:aws:sts::111111111111:assumed-role/AppRole/sts-double is not authorized to perform: sts:GetWebIdentityToken"));

    let tagging = answer_with(Policy {
        deny_tagging: true,
        ..Policy::default()
    });
    assert_eq!(
        call(&tagging, MINT, Some(AUTH)).0,
        200,
        "no tags, no tagging check"
    );
    let tagged = format!("{MINT}&Tags.member.1.Key=k&Tags.member.1.Value=v");
    let (status, xml) = call(&tagging, &tagged, Some(AUTH));
    assert_eq!(status, 403);
    assert!(xml.contains("sts:TagGetWebIdentityToken"), "{xml}");

    let disabled = answer_with(Policy {
        federation_disabled: ["111111111111".to_string()].into(),
        ..Policy::default()
    });
    let (status, xml) = call(&disabled, MINT, Some(AUTH));
    assert_eq!(status, 403);
    assert!(xml.contains("<Code>OutboundWebIdentityFederationDisabledException</Code>"));

    let small = answer_with(Policy {
        max_payload_bytes: Some(400),
        ..Policy::default()
    });
    assert_eq!(call(&small, MINT, Some(AUTH)).0, 200);
    let (status, xml) = call(
        &small,
        &format!(
            "{tagged}&Tags.member.2.Key={}&Tags.member.2.Value=v",
            "k".repeat(128)
        ),
        Some(AUTH),
    );
    assert_eq!(status, 400);
    assert!(xml.contains("<Code>JWTPayloadSizeExceededException</Code>"));

    let (status, xml) = call(
        &a,
        "Action=GetWebIdentityToken&SigningAlgorithm=RS256",
        Some(AUTH),
    );
    assert_eq!(status, 400);
    assert!(xml.contains("<Code>ValidationError</Code>"));
}
