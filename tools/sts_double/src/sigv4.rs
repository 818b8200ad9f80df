//! SigV4 signature checking, as STS does it, for the `phased` mode given `--secret-key`:
//! a request signed with that secret key is answered, any other (a forged or made-up
//! signature, another secret) gets `SignatureDoesNotMatch`. So a benchmark can send
//! well-formed forgeries, even with a real access key ID and session token, and see STS
//! refuse exactly those. (LocalStack checks no signature at all.)
//!
//! One secret key for every access key ID: the double stands for an STS that knows one
//! caller. The request's path, its signed headers as received and its body make the
//! canonical request (AWS's "Create a canonical request"); no query string is expected.

use aws_lc_rs::{digest, hmac};

use crate::http::Request;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn hmac(key: &[u8], data: &str) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
}

/// The parts of an `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    /// KEY/DATE/REGION/SERVICE/aws4_request
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, v) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => return None,
        }
    }
    Some(Authorization {
        credential: credential?,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

/// A header value as SigV4 signs it: trimmed, runs of spaces made one.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The signature `secret_key` gives the request under its own Authorization header's
/// credential scope and signed headers; `None` if the request cannot be a SigV4 one.
fn expected_signature(request: &Request, secret_key: &str) -> Option<(String, String)> {
    let auth = parse_authorization(request.header("authorization")?)?;
    let scope_parts: Vec<&str> = auth.credential.splitn(2, '/').collect();
    let [_, scope] = scope_parts[..] else {
        return None;
    };
    let mut fields = scope.split('/');
    let (date, region, service) = (fields.next()?, fields.next()?, fields.next()?);
    let mut canonical_headers = String::new();
    for name in auth.signed_headers.split(';') {
        canonical_headers.push_str(&format!(
            "{name}:{}\n",
            canonical_value(request.header(name)?)
        ));
    }
    let canonical_request = format!(
        "{}\n{}\n\n{canonical_headers}\n{}\n{}",
        request.method,
        request.path,
        auth.signed_headers,
        sha256_hex(request.body.as_bytes())
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        request.header("x-amz-date")?,
        sha256_hex(canonical_request.as_bytes())
    );
    let k_date = hmac(format!("AWS4{secret_key}").as_bytes(), date);
    let k_region = hmac(k_date.as_ref(), region);
    let k_service = hmac(k_region.as_ref(), service);
    let k_signing = hmac(k_service.as_ref(), "aws4_request");
    let expected = hex(hmac(k_signing.as_ref(), &string_to_sign).as_ref());
    Some((expected, auth.signature.to_string()))
}

/// Whether the request carries a SigV4 signature made with `secret_key`.
pub fn verify(request: &Request, secret_key: &str) -> bool {
    // Compared whole: a double need not be constant-time.
    expected_signature(request, secret_key).is_some_and(|(want, got)| want == got)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `get-vanilla` case of AWS's SigV4 test suite.
    fn vanilla() -> Request {
        Request {
            method: "GET".into(),
            path: "/".into(),
            headers: vec![
                ("host".into(), "example.amazonaws.com".into()),
                ("x-amz-date".into(), "20150830T123600Z".into()),
                (
                    "authorization".into(),
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                     SignedHeaders=host;x-amz-date, \
                     Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
                        .into(),
                ),
            ],
            body: String::new(),
            wants_close: false,
        }
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn aws_test_vector_verifies() {
        assert!(verify(&vanilla(), SECRET));
    }

    #[test]
    fn another_secret_or_a_changed_signed_header_does_not() {
        assert!(!verify(&vanilla(), "another-secret"));
        let mut r = vanilla();
        r.headers[1].1 = "20150830T123601Z".into();
        assert!(!verify(&r, SECRET));
        let mut r = vanilla();
        r.headers[2].1 = r.headers[2].1.replace("Signature=5fa0", "Signature=0000");
        assert!(!verify(&r, SECRET));
        // A signed header that is missing, or no Authorization at all.
        let mut r = vanilla();
        r.headers.remove(0);
        assert!(!verify(&r, SECRET));
        let mut r = vanilla();
        r.headers.pop();
        assert!(!verify(&r, SECRET));
    }

    /// What the plugin sends for a token the token tool signed (the plugin's own signer and
    /// request rebuilding) verifies with the signer's secret key, and only with it.
    #[test]
    fn the_plugins_requests_verify() {
        use auth_awsiam_core::request::{rebuild, sign};
        use aws_credential_types::Credentials;
        let creds = Credentials::new(
            "ASIAEXAMPLE",
            "the-secret",
            Some("c2Vzc2lvbg==".into()),
            None,
            "test",
        );
        let token = sign(
            "127.0.0.1:4566",
            "us-east-1",
            Some("db1"),
            &creds,
            std::time::SystemTime::now(),
        )
        .unwrap();
        let rebuilt = rebuild(&token);
        let request = Request {
            method: "POST".into(),
            path: rebuilt.path.into(),
            headers: rebuilt
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
            body: rebuilt.body.into(),
            wants_close: false,
        };
        assert!(verify(&request, "the-secret"));
        assert!(!verify(&request, "another-secret"));
    }

    #[test]
    fn authorization_parses() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=K/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=ab",
        )
        .unwrap();
        assert_eq!(a.credential, "K/20260101/us-east-1/sts/aws4_request");
        assert_eq!((a.signed_headers, a.signature), ("host", "ab"));
        assert_eq!(parse_authorization("AWS4-HMAC-SHA1 Credential=K"), None);
        assert_eq!(canonical_value("  a   b c "), "a b c");
    }
}
