//! The fixed `sts:GetCallerIdentity` request shared by the signer (client, server identity)
//! and the verifier (server). The server never forwards anything from the client except the
//! signature material carried by the token.

use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign as sigv4_sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::syntax;
use crate::token::{Binding, SERVICE, Token};

pub const METHOD: &str = "POST";
pub const PATH: &str = "/";
pub const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
/// The audience header: the client signs the server ID it means to log in to.
pub const SERVER_ID_HEADER: &str = "x-auth-awsiam-server-id";
/// The challenge's one-time nonce (challenge answers only).
pub const NONCE_HEADER: &str = "x-auth-awsiam-nonce";
/// The server the client meant to reach, `host[:port]` (challenge answers only).
pub const AUDIENCE_HEADER: &str = "x-auth-awsiam-audience";
/// The TLS channel the client reached it over (`channel.rs`; challenge answers over TLS).
pub const CHANNEL_HEADER: &str = "x-auth-awsiam-channel";
pub const CONTENT_TYPE_HEADER: &str = "content-type";
pub const HOST_HEADER: &str = "host";
pub const DATE_HEADER: &str = "x-amz-date";
pub const SESSION_TOKEN_HEADER: &str = "x-amz-security-token";
pub const AUTHORIZATION_HEADER: &str = "authorization";
/// Every header a token may list as signed; anything else is refused.
pub const TEMPLATE_HEADERS: [&str; 8] = [
    CONTENT_TYPE_HEADER,
    HOST_HEADER,
    DATE_HEADER,
    SESSION_TOKEN_HEADER,
    SERVER_ID_HEADER,
    NONCE_HEADER,
    AUDIENCE_HEADER,
    CHANNEL_HEADER,
];
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Signing failed (bad input such as an invalid host or region; never holds a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SignError {}

/// The request the server sends to STS, rebuilt from the template and a token.
#[derive(Clone, PartialEq, Eq)]
pub struct Rebuilt {
    pub path: &'static str,
    /// Lowercase names; includes the Authorization header.
    pub headers: Vec<(&'static str, String)>,
    pub body: &'static str,
}

/// Signs GetCallerIdentity for `host` (the authority the request will be sent to) with
/// aws-sigv4 and keeps the signature material as a token.
pub fn sign(
    host: &str,
    region: &str,
    server_id: Option<&str>,
    creds: &Credentials,
    time: SystemTime,
) -> Result<Token, SignError> {
    sign_bound(host, region, server_id, None, creds, time)
}

/// `sign`, also signing a challenge's nonce, audience and channel when `binding` is given:
/// the one signer of the CLI, the client plugin and the server's own identity lookup.
pub fn sign_bound(
    host: &str,
    region: &str,
    server_id: Option<&str>,
    binding: Option<&Binding>,
    creds: &Credentials,
    time: SystemTime,
) -> Result<Token, SignError> {
    if let Some(b) = binding {
        b.check().map_err(SignError)?;
    }
    let identity: Identity = creds.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignError(format!("cannot build signing parameters: {e}")))?
        .into();
    let mut headers = vec![(CONTENT_TYPE_HEADER, CONTENT_TYPE), (HOST_HEADER, host)];
    if let Some(id) = server_id {
        headers.push((SERVER_ID_HEADER, id));
    }
    if let Some(b) = binding {
        headers.push((NONCE_HEADER, &b.nonce));
        headers.push((AUDIENCE_HEADER, &b.audience));
        if let Some(c) = &b.channel {
            headers.push((CHANNEL_HEADER, c));
        }
    }
    let url = format!("https://{host}{PATH}");
    let signable = SignableRequest::new(
        METHOD,
        url,
        headers.into_iter(),
        SignableBody::Bytes(BODY.as_bytes()),
    )
    .map_err(|e| {
        SignError(format!(
            "invalid request for host {}: {e}",
            syntax::quoted(host, syntax::MAX_HOST_LEN)
        ))
    })?;
    let output =
        sigv4_sign(signable, &params).map_err(|e| SignError(format!("signing failed: {e}")))?;
    let (instructions, _) = output.into_parts();
    let (signed, _) = instructions.into_parts();
    let value_of = |name: &str| {
        signed
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(name))
            .map(|h| h.value().to_string())
    };
    let authorization = value_of(AUTHORIZATION_HEADER)
        .ok_or_else(|| SignError("signer gave no Authorization header".into()))?;
    let amz_date = value_of(DATE_HEADER)
        .ok_or_else(|| SignError("signer gave no x-amz-date header".into()))?;
    let (credential, signed_headers, signature) = split_authorization(&authorization)
        .ok_or_else(|| SignError("signer gave an Authorization header of unknown form".into()))?;
    let token = Token {
        host: host.to_string(),
        amz_date,
        credential,
        signed_headers,
        signature,
        server_id: server_id.map(str::to_string),
        session_token: value_of(SESSION_TOKEN_HEADER),
        binding: None,
    };
    // The token must pass the same checks the server applies (host syntax, key length...).
    let mut token = Token::decode(token.encode().as_bytes())
        .map_err(|r| SignError(format!("cannot make a valid token: {}", r.detail)))?;
    token.binding = binding.cloned();
    Ok(token)
}

/// Authorization header value from a token's signature material.
pub fn authorization(token: &Token) -> String {
    format!(
        "{ALGORITHM} Credential={}, SignedHeaders={}, Signature={}",
        token.credential, token.signed_headers, token.signature
    )
}

fn split_authorization(value: &str) -> Option<(String, String, String)> {
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let mut parts = rest.split(", ");
    let credential = parts.next()?.strip_prefix("Credential=")?;
    let signed = parts.next()?.strip_prefix("SignedHeaders=")?;
    let signature = parts.next()?.strip_prefix("Signature=")?;
    if parts.next().is_some() {
        return None;
    }
    Some((credential.into(), signed.into(), signature.into()))
}

/// What the server sends: the template plus only the token's signature material.
pub fn rebuild(token: &Token) -> Rebuilt {
    let mut headers = vec![
        (CONTENT_TYPE_HEADER, CONTENT_TYPE.to_string()),
        (HOST_HEADER, token.host.clone()),
        (DATE_HEADER, token.amz_date.clone()),
    ];
    if let Some(t) = &token.session_token {
        headers.push((SESSION_TOKEN_HEADER, t.clone()));
    }
    if let Some(id) = &token.server_id {
        headers.push((SERVER_ID_HEADER, id.clone()));
    }
    if let Some(b) = &token.binding {
        headers.push((NONCE_HEADER, b.nonce.clone()));
        headers.push((AUDIENCE_HEADER, b.audience.clone()));
        if let Some(c) = &b.channel {
            headers.push((CHANNEL_HEADER, c.clone()));
        }
    }
    headers.push((AUTHORIZATION_HEADER, authorization(token)));
    Rebuilt {
        path: PATH,
        headers,
        body: BODY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn creds(session: Option<&str>) -> Credentials {
        Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            session.map(str::to_string),
            None,
            "test",
        )
    }

    fn time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_323_045)
    }

    /// Signs like a client would and returns the token plus aws-sigv4's own headers.
    fn sign_raw(host: &str, server_id: Option<&str>, c: &Credentials) -> Vec<(String, String)> {
        let identity: Identity = c.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("sts")
            .time(time())
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let mut headers = vec![(CONTENT_TYPE_HEADER, CONTENT_TYPE), (HOST_HEADER, host)];
        if let Some(id) = server_id {
            headers.push((SERVER_ID_HEADER, id));
        }
        let req = SignableRequest::new(
            METHOD,
            format!("https://{host}/"),
            headers.into_iter(),
            SignableBody::Bytes(BODY.as_bytes()),
        )
        .unwrap();
        let (instr, _) = sigv4_sign(req, &params).unwrap().into_parts();
        instr
            .headers()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn header<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        h.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn sign_fills_every_field() {
        let t = sign(
            "sts.us-east-1.amazonaws.com",
            "us-east-1",
            Some("db1"),
            &creds(Some("c2Vzc2lvbg==")),
            time(),
        )
        .unwrap();
        assert_eq!(t.host, "sts.us-east-1.amazonaws.com");
        assert_eq!(t.signature.len(), 64);
        assert_eq!(t.amz_date, "20260102T030405Z");
        assert_eq!(
            t.credential,
            "AKIDEXAMPLE/20260102/us-east-1/sts/aws4_request"
        );
        assert_eq!(
            t.signed_headers,
            "content-type;host;x-amz-date;x-amz-security-token;x-auth-awsiam-server-id"
        );
        assert_eq!(t.server_id.as_deref(), Some("db1"));
        assert_eq!(t.session_token.as_deref(), Some("c2Vzc2lvbg=="));
    }

    #[test]
    fn sign_without_session_or_server_id() {
        let t = sign("127.0.0.1:4566", "us-east-1", None, &creds(None), time()).unwrap();
        assert_eq!(t.signed_headers, "content-type;host;x-amz-date");
        assert_eq!(t.host, "127.0.0.1:4566");
        assert!(t.session_token.is_none() && t.server_id.is_none());
    }

    #[test]
    fn sign_rejects_bad_input() {
        let e = sign("Bad Host", "us-east-1", None, &creds(None), time()).unwrap_err();
        assert!(e.to_string().contains("'Bad Host'"), "{e}");
        assert!(
            sign(
                "sts.amazonaws.com",
                "us-east-1",
                Some("bad id"),
                &creds(None),
                time()
            )
            .is_err()
        );
    }

    #[test]
    fn rebuild_reproduces_the_signers_authorization() {
        for (session, sid) in [(None, None), (Some("c2Vzc2lvbg=="), Some("db1"))] {
            let c = creds(session);
            let host = "sts.us-east-1.amazonaws.com";
            let t = sign(host, "us-east-1", sid, &c, time()).unwrap();
            let raw = sign_raw(host, sid, &c);
            let raw_auth = raw
                .iter()
                .find(|(n, _)| n == "authorization")
                .unwrap()
                .1
                .clone();
            let rebuilt = rebuild(&t);
            assert_eq!(
                header(&rebuilt.headers, AUTHORIZATION_HEADER),
                Some(raw_auth.as_str())
            );
            assert_eq!(header(&rebuilt.headers, SESSION_TOKEN_HEADER), session);
            assert_eq!(header(&rebuilt.headers, SERVER_ID_HEADER), sid);
            assert_eq!(rebuilt.body, BODY);
            assert_eq!(rebuilt.path, "/");
        }
    }

    #[test]
    fn signature_recomputed_over_the_rebuilt_request_matches() {
        let c = creds(Some("c2Vzc2lvbg=="));
        let host = "127.0.0.1:4566";
        let t = sign(host, "us-east-1", Some("db1"), &c, time()).unwrap();
        let rebuilt = rebuild(&t);
        // Sign the rebuilt request again, as STS would verify it.
        let identity: Identity = c.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(t.region())
            .name("sts")
            .time(t.signing_time())
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let headers: Vec<(&str, &str)> = rebuilt
            .headers
            .iter()
            .filter(|(n, _)| *n != AUTHORIZATION_HEADER)
            .map(|(n, v)| (*n, v.as_str()))
            .collect();
        let req = SignableRequest::new(
            METHOD,
            format!("http://{host}{}", rebuilt.path),
            headers.into_iter(),
            SignableBody::Bytes(rebuilt.body.as_bytes()),
        )
        .unwrap();
        let (_, signature) = sigv4_sign(req, &params).unwrap().into_parts();
        assert_eq!(signature, t.signature);
    }

    #[test]
    fn authorization_round_trips() {
        let v = "AWS4-HMAC-SHA256 Credential=A/B, SignedHeaders=host, Signature=00";
        assert_eq!(
            split_authorization(v),
            Some(("A/B".into(), "host".into(), "00".into()))
        );
        assert_eq!(split_authorization("AWS4-HMAC-SHA256 Credential=A"), None);
    }
}
