//! The double as a test runs it (`start`, `stop`, `sign`): GetWebIdentityToken's tokens
//! verify with the JWKS the issuer serves, as a verifier would fetch it, and each run-time
//! switch of the issuer does what it says.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

#[test]
fn tokens_verify_with_the_keys_the_issuer_serves() {
    let d = Double::start(
        "verify",
        &[
            "--caller",
            "AKIDDB=arn:aws:iam::111111111111:role/team/db/AppRole",
            "--org",
            "AKIDDB=o-abc1234567",
            "--ou",
            "AKIDDB=o-abc1234567/r-ab12/ou-ab12-11111111/",
            "--principal-tag",
            "AKIDDB=db-access=readonly",
        ],
    );
    let iss = d.var("issuer");
    assert_eq!(iss, d.var("issuer_http"));
    let (status, discovery) = get(iss, "/.well-known/openid-configuration");
    assert_eq!(status, 200);
    let discovery: Value = serde_json::from_str(&discovery).unwrap();
    assert_eq!(discovery["issuer"], iss);
    assert_eq!(
        discovery["jwks_uri"],
        format!("{iss}/.well-known/jwks.json")
    );
    assert!(
        discovery.get("response_types_supported").is_none(),
        "as AWS serves it"
    );
    let (_, jwks) = get(iss, "/.well-known/jwks.json");
    assert_eq!(
        (d.counter("jwks_fetches"), d.counter("discovery_fetches")),
        (1, 1)
    );

    for (alg, kid) in [("RS256", "RSA_0"), ("ES384", "EC384_0")] {
        let token = d.token(
            "AKIDDB",
            &format!("Audience.member.1=mysql%3A%2F%2Fdb1&SigningAlgorithm={alg}&Tags.member.1.Key=nonce&Tags.member.1.Value=n1"),
        );
        let header = verify(&token, &jwks);
        assert_eq!(header["kid"], kid);
        let claims = json(token.split('.').nth(1).unwrap());
        assert_eq!(claims["iss"], iss);
        assert_eq!(
            claims["sub"],
            "arn:aws:iam::111111111111:role/team/db/AppRole"
        );
        assert_eq!(claims[NS]["aws_account"], "111111111111");
        assert_eq!(claims[NS]["source_region"], "us-west-2");
        assert_eq!(claims[NS]["org_id"], "o-abc1234567");
        assert_eq!(
            claims[NS]["ou_path"][0],
            "o-abc1234567/r-ab12/ou-ab12-11111111/"
        );
        assert_eq!(claims[NS]["principal_tags"]["db-access"], "readonly");
        assert_eq!(claims[NS]["request_tags"]["nonce"], "n1");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            300
        );
    }
    let (_, stats) = get(iss, "/_double/stats");
    assert_eq!(stats, "jwks_fetches 1\ndiscovery_fetches 1\n");
}

#[test]
fn rotation_and_an_unknown_kid() {
    let d = Double::start("rotate", &[]);
    let iss = d.var("issuer").to_string();
    let mint = || d.token("123456789012", "Audience.member.1=a&SigningAlgorithm=RS256");
    let kids = |jwks: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(jwks).unwrap();
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let old = mint();
    d.switch("keys.rotated", Some(""));
    let (_, jwks) = get(&iss, "/.well-known/jwks.json");
    assert_eq!(
        kids(&jwks),
        ["RSA_1", "EC384_1"],
        "new keys, old ones removed"
    );
    assert_eq!(verify(&mint(), &jwks)["kid"], "RSA_1");
    let (input, _) = old.rsplit_once('.').unwrap();
    assert!(
        !jwks.contains("RSA_0") && input.starts_with("eyJ"),
        "an old token's kid is gone"
    );
    d.switch("keys.rotated", Some("2"));
    d.switch("keys.overlap", Some(""));
    let (_, jwks) = get(&iss, "/.well-known/jwks.json");
    assert_eq!(kids(&jwks), ["RSA_1", "EC384_1", "RSA_2", "EC384_2"]);
    d.switch("keys.overlap", None);
    d.switch("keys.rotated", None);
    let (_, jwks) = get(&iss, "/.well-known/jwks.json");
    verify(&old, &jwks);

    d.switch("token.unknown_kid", Some(""));
    let token = mint();
    let header = json(token.split('.').next().unwrap());
    assert_eq!(header["kid"], "RSA_unpublished");
    assert!(!jwks.contains("unpublished"));
    assert_eq!(d.counter("jwks_fetches"), 3);
}

#[test]
fn the_issuer_fails_as_switched() {
    let d = Double::start("faults", &[]);
    let iss = d.var("issuer").to_string();
    let authority = iss.strip_prefix("http://").unwrap().to_string();
    d.switch("issuer.unavailable", Some(""));
    assert_eq!(get(&iss, "/.well-known/jwks.json").0, 503);
    d.switch("issuer.unavailable", None);

    d.switch("issuer.slow", Some("300"));
    let t = Instant::now();
    assert_eq!(get(&iss, "/.well-known/openid-configuration").0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    d.switch("issuer.slow", None);

    d.switch("jwks.oversized", Some("100000"));
    let (status, big) = get(&iss, "/.well-known/jwks.json");
    assert_eq!((status, big.len()), (200, 100_000));
    assert!(
        serde_json::from_str::<Value>(&big).is_ok(),
        "valid, only too large"
    );
    d.switch("jwks.oversized", None);

    // A keep-alive connection served before the switch is closed at its next request.
    let mut open = TcpStream::connect(&authority).unwrap();
    let ask = "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n";
    open.write_all(ask.as_bytes()).unwrap();
    let mut first = [0u8; 12];
    open.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    d.switch("issuer.refused", Some(""));
    std::thread::sleep(Duration::from_millis(100));
    let refused = TcpStream::connect(&authority).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    // The rest of the first answer: all there is until the read times out.
    open.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = open.read_to_end(&mut rest);
    open.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut second = Vec::new();
    let _ = open.write_all(ask.as_bytes());
    let _ = open.read_to_end(&mut second);
    assert!(second.is_empty(), "closed without an answer");
    d.switch("issuer.refused", None);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(get(&iss, "/.well-known/jwks.json").0, 200);
    // Every request that reached the JWKS path counts, the refused ones never did.
    assert_eq!(d.counter("jwks_fetches"), 4);
}

#[test]
fn sign_makes_tokens_aws_never_would() {
    let d = Double::start("sign", &[]);
    let run = |args: &[&str], input: &str| {
        let mut child = Command::new(BIN)
            .arg("sign")
            .arg("--dir")
            .arg(&d.dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    // Duplicate keys survive: the payload is encoded byte for byte.
    let payload = r#"{"sub":"a","sub":"b"}"#;
    let out = run(
        &[],
        &format!("{{\"kid\":\"EC384_0\",\"alg\":\"ES384\"}}\n{payload}"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(b64(token.split('.').nth(1).unwrap()), payload.as_bytes());
    let (_, jwks) = get(d.var("issuer"), "/.well-known/jwks.json");
    verify(&token, &jwks);
    // --kid signs a header that names another kid, or none.
    let out = run(&["--kid", "RSA_0"], "{\"alg\":\"RS256\",\"kid\":\"x\"}\n{}");
    assert!(out.status.success());
    let out = run(&[], "{\"alg\":\"RS256\",\"kid\":\"RSA_../../x\"}\n{}");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is none of"));
}

/// The issuer over HTTPS with a certificate of the MTR test CA: the tokens' `iss` is the
/// HTTPS URL, and a TLS client that trusts that CA reads the JWKS there.
#[test]
fn the_issuer_over_https() {
    let certs = std::env::temp_dir().join(format!("sts_double_it_certs_{}", std::process::id()));
    make_certs(&certs);
    let pair = format!(
        "{},{}",
        certs.join("good.pem").display(),
        certs.join("good.key").display()
    );
    let d = Double::start("https", &["--issuer-https", &pair]);
    let iss = d.var("issuer").to_string();
    assert_eq!(iss, d.var("issuer_https"));
    assert!(iss.starts_with("https://localhost:"));
    let token = d.token("123456789012", "Audience.member.1=a&SigningAlgorithm=ES384");
    assert_eq!(json(token.split('.').nth(1).unwrap())["iss"], iss);

    let mut roots = rustls::RootCertStore::empty();
    let ca = std::fs::read(certs.join("ca.pem")).unwrap();
    for cert in rustls_pemfile(&ca) {
        roots.add(cert).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let port = iss.rsplit(':').next().unwrap();
    let tcp = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET /.well-known/jwks.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(tls);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let mut rest = String::new();
    let _ = reader.read_to_string(&mut rest);
    let jwks = rest.split_once("\r\n\r\n").unwrap().1;
    verify(&token, jwks);
    let _ = std::fs::remove_dir_all(&certs);
}
