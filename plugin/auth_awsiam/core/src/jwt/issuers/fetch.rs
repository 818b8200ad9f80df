//! Fetching an issuer's key set over HTTP(S): the discovery document (for `jwks_uri`, on
//! the issuer's own host only), then the key set, each bounded in time and size. TLS is
//! the STS calls' stack (ureq, rustls, the platform verifier) and name lookups go through
//! the plugin's own resolver (sts/resolve.rs: a timeout, threads joined at stop).

use std::time::Duration;

use serde_json::Value;

use super::{Issuer, Limits};
use crate::jwt::json;
use crate::jwt::jwk::{self, KeySet, MAX_JWKS_LEN};
use crate::sts::transport::{PooledResolver, tls_failure};

/// Largest discovery document read (AWS's is about 400 bytes).
pub const MAX_DISCOVERY_LEN: usize = 16 * 1024;
/// Largest response header block accepted from an issuer.
const MAX_HEADER_LEN: usize = 16 * 1024;
/// The documented places (IAM API reference, `IssuerIdentifier`).
pub(super) const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub(super) const JWKS_PATH: &str = "/.well-known/jwks.json";
const USER_AGENT: &str = concat!("auth_awsiam/", env!("CARGO_PKG_VERSION"));

/// Why a GET gave no body: an HTTP status, or no answer at all.
enum GetError {
    Status(u16),
    Failed(String),
}

impl GetError {
    fn describe(self, url: &str) -> String {
        match self {
            GetError::Status(s) => format!("{url} answered HTTP {s}"),
            GetError::Failed(why) => format!("{url}: {why}"),
        }
    }
}

/// An HTTP client for issuers.
pub(super) struct Fetcher {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Fetcher {
    pub(super) fn new(limits: &Limits, roots: ureq::tls::RootCerts) -> Fetcher {
        let tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(limits.connect_timeout))
            .timeout_global(Some(limits.fetch_timeout))
            // Keys come from the issuer's own host: a redirect is an answer, refused.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            // Only the issuer is ever called, directly: no proxy from the environment.
            .proxy(None)
            .accept("application/json")
            .user_agent(USER_AGENT)
            .tls_config(tls)
            .max_response_header_size(MAX_HEADER_LEN)
            .build();
        Fetcher {
            agent: ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::default(),
                PooledResolver,
            ),
            timeout: limits.fetch_timeout,
        }
    }

    fn get(&self, url: &str, limit: usize) -> Result<Vec<u8>, GetError> {
        let failed = |e: ureq::Error| {
            GetError::Failed(match (&e, tls_failure(&e)) {
                (_, Some(why)) => why,
                (ureq::Error::Timeout(_), _) => {
                    format!("no answer within {} s", self.timeout.as_secs_f32())
                }
                (ureq::Error::BodyExceedsLimit(_), _) => {
                    format!("the answer is larger than {limit} bytes")
                }
                _ => e.to_string(),
            })
        };
        let mut response = self.agent.get(url).call().map_err(failed)?;
        if response.status() != 200 {
            return Err(GetError::Status(response.status().as_u16()));
        }
        response
            .body_mut()
            .with_config()
            .limit(limit as u64)
            .read_to_vec()
            .map_err(failed)
    }

    /// The key set's URL from the discovery document, if it names one on the issuer's own
    /// host; `Ok(None)` for a document we do not use (then the documented path serves),
    /// `Err` when the issuer does not answer at all.
    fn discover(&self, issuer: &Issuer) -> Result<Option<String>, String> {
        let url = format!("{}{DISCOVERY_PATH}", issuer.url());
        let body = match self.get(&url, MAX_DISCOVERY_LEN) {
            Ok(body) => body,
            Err(GetError::Status(_)) => return Ok(None),
            Err(e) => return Err(e.describe(&url)),
        };
        let Ok(doc) = json::parse_object(&body) else {
            return Ok(None);
        };
        let own = format!("{}/", issuer.url());
        Ok(match (doc.get("issuer"), doc.get("jwks_uri")) {
            (Some(Value::String(i)), Some(Value::String(u)))
                if i == issuer.url() && u.starts_with(&own) =>
            {
                Some(u.clone())
            }
            _ => None,
        })
    }

    /// The issuer's key set and where it was found: at `known` (the last place), after
    /// reading the discovery document when `discover`, else at the documented path.
    pub(super) fn key_set(
        &self,
        issuer: &Issuer,
        known: Option<String>,
        discover: bool,
    ) -> Result<(String, KeySet), String> {
        let found = if discover {
            self.discover(issuer)?
        } else {
            None
        };
        let url = found
            .or(known)
            .unwrap_or_else(|| format!("{}{JWKS_PATH}", issuer.url()));
        let body = self.get(&url, MAX_JWKS_LEN).map_err(|e| e.describe(&url))?;
        let set = jwk::parse_key_set(&body).map_err(|why| format!("{url}: {why}"))?;
        Ok((url, set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, http};

    /// What a real issuer may well send, so both limits must leave room for it: a
    /// discovery document with the optional members of OpenID Connect Discovery 1.0 §3
    /// (endpoints, scopes, claims, algorithms) runs to a few KB (AWS's: about 400 bytes),
    /// and a proxy in front of an issuer passes up to its buffer of response headers
    /// (nginx's proxy_buffer_size: 4 or 8 KiB).
    const LARGE_REAL_ANSWER: usize = 8 * 1024;

    fn fetcher() -> Fetcher {
        Fetcher::new(&Limits::default(), ureq::tls::RootCerts::PlatformVerifier)
    }

    /// An issuer on 127.0.0.1 whose discovery document, `len` bytes long, names `/keys` on
    /// its own host.
    fn issuer_with_discovery_of(len: usize) -> Issuer {
        let addr = testutil::serve(move |req| {
            let (_, host) = req.headers.iter().find(|(h, _)| h == "host")?;
            let doc = |pad: &str| {
                format!(
                    r#"{{"issuer":"http://{host}","jwks_uri":"http://{host}/keys","pad":"{pad}"}}"#
                )
            };
            Some(http("200 OK", &doc(&"x".repeat(len - doc("").len()))))
        });
        Issuer::parse(&format!("http://{addr}")).unwrap()
    }

    #[test]
    fn a_discovery_document_is_read_up_to_its_size_limit() {
        for len in [LARGE_REAL_ANSWER, MAX_DISCOVERY_LEN] {
            let issuer = issuer_with_discovery_of(len);
            assert_eq!(
                fetcher().discover(&issuer),
                Ok(Some(format!("{}/keys", issuer.url()))),
                "{len} bytes"
            );
        }
        let issuer = issuer_with_discovery_of(MAX_DISCOVERY_LEN + 1);
        let e = fetcher().discover(&issuer).unwrap_err();
        assert!(
            e.contains(&format!("larger than {MAX_DISCOVERY_LEN} bytes")),
            "{e}"
        );
    }

    /// An answer whose header block (status line to blank line) is `len` bytes.
    fn answer_with_header_block_of(len: usize) -> Vec<u8> {
        let body = "{}";
        let answer = |pad: &str| http(&format!("200 OK\r\nX-Pad: {pad}"), body);
        let header_len = answer("").len() - body.len();
        let padded = answer(&"p".repeat(len - header_len));
        assert_eq!(padded.len() - body.len(), len);
        padded
    }

    #[test]
    fn a_header_block_is_read_up_to_its_size_limit() {
        let get = |answer: Vec<u8>| {
            let addr = testutil::serve(move |_| Some(answer.clone()));
            fetcher().get(&format!("http://{addr}/"), MAX_JWKS_LEN)
        };
        for len in [LARGE_REAL_ANSWER, MAX_HEADER_LEN] {
            assert!(
                matches!(get(answer_with_header_block_of(len)), Ok(body) if body == b"{}"),
                "{len} bytes"
            );
        }
        match get(answer_with_header_block_of(MAX_HEADER_LEN + 1)) {
            Err(GetError::Failed(why)) => assert!(
                why.contains("response header is too big")
                    && why.ends_with(&format!("> {MAX_HEADER_LEN}")),
                "{why}"
            ),
            _ => panic!("a header block over MAX_HEADER_LEN must be refused for its size"),
        }
    }
}
