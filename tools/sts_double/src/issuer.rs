//! The token issuer's own host: the OIDC discovery document and the JWKS, shaped like
//! AWS's (facts 3.2, 3.3), over HTTP and, with `--issuer-https`, HTTPS; with the fault
//! switches of `switches`. Two more paths are the double's own, for tests:
//! `GET /_double/stats` (the fetch counters) and `POST /_double/sign` (signs a header and
//! payload a test wrote, with one of the issuer's keys: tokens AWS would never mint, for
//! the verifier's refusals that come after the signature check).

use std::io::{self, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rustls::ServerConfig;

use crate::http::{self, Request};
use crate::keys::{self, KeySet, Keys, UNPUBLISHED};
use crate::query;
use crate::switches::{self, Switches};
use crate::tls;

pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const STATS_PATH: &str = "/_double/stats";
pub const SIGN_PATH: &str = "/_double/sign";
/// How often a listener looks at the `issuer.refused` switch while idle.
const POLL: Duration = Duration::from_millis(10);
const TEXT: &str = "text/plain";

/// The issuer: its URL (the tokens' `iss`), keys, switches and fetch counters.
#[derive(Debug)]
pub struct Issuer {
    pub url: String,
    pub keys: Keys,
    pub switches: Switches,
    /// JWKS and discovery requests received.
    fetches: Mutex<(u64, u64)>,
}

impl Issuer {
    pub fn new(url: String, switches: Switches) -> Result<Issuer, String> {
        Ok(Issuer {
            url,
            keys: Keys::new()?,
            switches,
            fetches: Mutex::new((0, 0)),
        })
    }

    fn generation(&self) -> u64 {
        self.switches.number(switches::ROTATED, 1).unwrap_or(0)
    }

    /// The keys that sign new tokens now.
    pub fn signing_set(&self) -> Result<Arc<KeySet>, String> {
        if self.switches.on(switches::UNKNOWN_KID) {
            return self.keys.set(UNPUBLISHED);
        }
        self.keys.set(&self.generation().to_string())
    }

    /// The JWKS as published now.
    pub fn jwks(&self) -> Result<String, String> {
        let generation = self.generation();
        let mut labels = vec![generation];
        if generation > 0 && self.switches.on(switches::OVERLAP) {
            labels.insert(0, generation - 1);
        }
        let mut members = Vec::new();
        for label in labels {
            members.extend(self.keys.set(&label.to_string())?.jwks_members());
        }
        let mut jwks = format!("{{\"keys\":[{}]", members.join(","));
        let target = self
            .switches
            .number(switches::OVERSIZED, switches::OVERSIZED_DEFAULT_BYTES)
            .map(|n| n.min(switches::OVERSIZED_MAX_BYTES) as usize);
        if let Some(size) = target {
            // Whitespace: still valid JSON, only too large.
            jwks.extend(std::iter::repeat_n(
                ' ',
                size.saturating_sub(jwks.len() + 1),
            ));
        }
        jwks.push('}');
        Ok(jwks)
    }

    pub fn discovery(&self) -> String {
        let iss = &self.url;
        format!(
            "{{\"claims_supported\":[\"sub\",\"iss\",\"aud\",\"exp\",\"iat\",\"jti\",\
             \"https://sts.amazonaws.com/\"],\"id_token_signing_alg_values_supported\":\
             [\"RS256\",\"ES384\"],\"issuer\":\"{iss}\",\"jwks_uri\":\"{iss}{JWKS_PATH}\",\
             \"subject_types_supported\":[\"public\"]}}"
        )
    }

    /// Counts a fetch and writes the counter file.
    fn count(&self, jwks: bool) {
        let mut f = self.fetches.lock().unwrap_or_else(|e| e.into_inner());
        if jwks {
            f.0 += 1;
            self.switches.write_counter(switches::JWKS_FETCHES, f.0);
        } else {
            f.1 += 1;
            self.switches
                .write_counter(switches::DISCOVERY_FETCHES, f.1);
        }
    }

    /// The answer to one request; `None` closes the connection without one.
    pub fn respond(&self, request: &Request) -> Option<Vec<u8>> {
        if self.switches.on(switches::REFUSED) {
            return None;
        }
        let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
        let json = |body: Result<String, String>| match body {
            Ok(b) => http::typed_response_bytes(200, http::JSON, &[], b.as_bytes()),
            Err(e) => http::typed_response_bytes(500, TEXT, &[], e.as_bytes()),
        };
        match (request.method.as_str(), path) {
            ("GET", DISCOVERY_PATH | JWKS_PATH) => {
                let is_jwks = path == JWKS_PATH;
                self.count(is_jwks);
                if let Some(ms) = self
                    .switches
                    .number(switches::SLOW, switches::SLOW_DEFAULT_MS)
                {
                    thread::sleep(Duration::from_millis(ms));
                }
                if self.switches.on(switches::UNAVAILABLE) {
                    let body = b"{\"message\":\"Service Unavailable\"}";
                    return Some(http::typed_response_bytes(503, http::JSON, &[], body));
                }
                Some(json(if is_jwks {
                    self.jwks()
                } else {
                    Ok(self.discovery())
                }))
            }
            ("GET", STATS_PATH) => {
                let f = *self.fetches.lock().unwrap_or_else(|e| e.into_inner());
                let text = format!("jwks_fetches {}\ndiscovery_fetches {}\n", f.0, f.1);
                Some(http::typed_response_bytes(200, TEXT, &[], text.as_bytes()))
            }
            ("POST", SIGN_PATH) => Some(match self.sign(query, &request.body) {
                Ok(jwt) => http::typed_response_bytes(200, TEXT, &[], jwt.as_bytes()),
                Err(e) => http::typed_response_bytes(400, TEXT, &[], e.as_bytes()),
            }),
            _ => Some(http::typed_response_bytes(404, TEXT, &[], b"not found")),
        }
    }

    /// `POST /_double/sign[?kid=KID]`, body `HEADER\nPAYLOAD`: both encoded byte for byte
    /// (duplicate keys and odd spacing survive) and signed with the key of `kid` (the
    /// query's, else the header's), by that key's algorithm whatever the header says.
    fn sign(&self, query: &str, body: &str) -> Result<String, String> {
        let (header, payload) = body
            .split_once('\n')
            .ok_or("the body is HEADER, a newline, PAYLOAD")?;
        let kid = match query::param(&query::parse_form(query), "kid") {
            Some(k) => k.to_string(),
            None => serde_json::from_str::<serde_json::Value>(header)
                .ok()
                .and_then(|h| h.get("kid")?.as_str().map(str::to_string))
                .ok_or("no kid: pass ?kid=KID or put a kid in the header")?,
        };
        let (alg, label) = keys::parse_kid(&kid).ok_or(format!(
            "kid {kid} is none of RSA_N, EC384_N, *_{UNPUBLISHED}"
        ))?;
        keys::jws(header, payload, &*self.keys.set(label)?, alg)
    }
}

/// Accepts connections for `issuer` until the process ends; while `issuer.refused` is on,
/// nothing listens on the port (connections are refused), and it listens again after.
pub fn accept_loop(listener: TcpListener, tls: Option<Arc<ServerConfig>>, issuer: Arc<Issuer>) {
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut listening = listener.set_nonblocking(true).ok().map(|()| listener);
    loop {
        if issuer.switches.on(switches::REFUSED) {
            listening = None;
            thread::sleep(POLL);
            continue;
        }
        let Some(l) = &listening else {
            // Rust sets SO_REUSEADDR: the port is free again at once.
            listening = TcpListener::bind(addr)
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .ok();
            if listening.is_none() {
                thread::sleep(POLL);
            }
            continue;
        };
        match l.accept() {
            Ok((stream, _)) => {
                let (issuer, tls) = (Arc::clone(&issuer), tls.clone());
                let _ = thread::Builder::new()
                    .name("sts_double_issuer".into())
                    .spawn(move || {
                        let _ = stream.set_nonblocking(false);
                        let respond = |r: &Request| issuer.respond(r);
                        let _ = match tls {
                            Some(config) => tls::serve(stream, "issuer_https", config, &respond),
                            None => serve_plain(stream, &respond),
                        };
                    });
            }
            Err(_) => thread::sleep(POLL),
        }
    }
}

/// Serves one plain-HTTP connection until the client closes it or `respond` says close.
pub fn serve_plain(
    stream: TcpStream,
    respond: &dyn Fn(&Request) -> Option<Vec<u8>>,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    while let Some(request) = http::read_request(&mut reader)? {
        let Some(bytes) = respond(&request) else {
            return Ok(());
        };
        out.write_all(&bytes)?;
        out.flush()?;
        if request.wants_close {
            break;
        }
    }
    Ok(())
}
