//! The issuer URL rule, and the key cache against fake issuers on 127.0.0.1 (HTTP, and
//! HTTPS with a test CA made by openssl at test time).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::thread;

use super::fetch::{DISCOVERY_PATH, JWKS_PATH};
use super::refresher::REFRESHER;
use super::*;
use crate::jwt::jwk::MAX_JWKS_LEN;
use crate::jwt::test_keys::{EC, RSA, RSA_2, ec_jwk, jwks, rsa_jwk};
use crate::testutil::{self, HANG, http};

const UUID: &str = "a1ebc705-cd4d-42b4-93b5-96e93acfb431";

#[test]
fn issuer_urls() {
    let aws = format!("https://{UUID}.tokens.sts.global.api.aws");
    for (value, want) in [
        (aws.clone(), aws.clone()),
        (format!("  {aws}/ "), aws.clone()),
        (aws.to_uppercase().replace("HTTPS", "https"), aws.clone()),
        (
            format!("https://{UUID}.tokens.sts.global.api.amazonwebservices.com.cn"),
            format!("https://{UUID}.tokens.sts.global.api.amazonwebservices.com.cn"),
        ),
        (
            "http://127.0.0.1:8080".into(),
            "http://127.0.0.1:8080".into(),
        ),
        (
            "https://localhost:8443".into(),
            "https://localhost:8443".into(),
        ),
        ("http://[::1]:80".into(), "http://[::1]:80".into()),
    ] {
        assert_eq!(Issuer::parse(&value).unwrap().url(), want, "{value}");
    }
    for (value, why) in [
        (
            format!("http://{UUID}.tokens.sts.global.api.aws"),
            "http:// is allowed only",
        ),
        (
            format!("{UUID}.tokens.sts.global.api.aws"),
            "must start with https://",
        ),
        (
            format!("https://{UUID}.tokens.sts.global.api.aws/x"),
            "no path",
        ),
        (
            format!("https://{UUID}.tokens.sts.global.api.aws?a"),
            "no path, query",
        ),
        (
            format!("https://{UUID}.tokens.sts.global.api.aws:443"),
            "not an AWS token issuer",
        ),
        // Look-alike hosts.
        (
            format!("https://{UUID}.tokens.sts.global.api.aws.evil.example"),
            "not an AWS",
        ),
        (
            format!("https://{UUID}.tokens.sts.global.api.aws-evil.example"),
            "not an AWS",
        ),
        (
            format!("https://x{UUID}.tokens.sts.global.api.aws"),
            "not an AWS",
        ),
        (
            "https://abc123-def456.tokens.sts.global.api.aws".into(),
            "not an AWS",
        ),
        ("https://tokens.sts.global.api.aws".into(), "not an AWS"),
        ("https://evil.example".into(), "not an AWS"),
        (
            format!("https://{UUID}.tokens.sts.global.api.aws@evil"),
            "user information",
        ),
        ("https://".into(), "invalid host"),
    ] {
        let e = Issuer::parse(&value).unwrap_err();
        assert!(e.contains(why), "{value}: {e}");
    }
}

/// What a fake issuer answers for its key set.
#[derive(Clone)]
enum Reply {
    Keys(String),
    Status(&'static str),
    Hang,
}

/// Where the fake issuer's discovery document says the keys are.
#[derive(Clone, Copy)]
enum Discovery {
    /// No document (404): the documented path serves.
    Missing,
    /// `/keys` on its own host (and the documented path answers 404).
    Own,
    /// Another host: ignored, the documented path serves.
    Elsewhere,
}

struct Fake {
    issuer: Issuer,
    reply: Arc<Mutex<Reply>>,
    discovery: Arc<Mutex<Discovery>>,
    key_requests: Arc<AtomicUsize>,
}

impl Fake {
    fn new(keys: String) -> Fake {
        let reply = Arc::new(Mutex::new(Reply::Keys(keys)));
        let discovery = Arc::new(Mutex::new(Discovery::Missing));
        let key_requests = Arc::new(AtomicUsize::new(0));
        let (r, d, n) = (reply.clone(), discovery.clone(), key_requests.clone());
        let addr = testutil::serve(move |req| {
            let path = req.request_line.split(' ').nth(1).unwrap_or_default();
            let host = req
                .headers
                .iter()
                .find(|(h, _)| h == "host")
                .map(|(_, v)| v.clone());
            let mode = *d.lock().unwrap();
            let keys_path = match mode {
                Discovery::Own => "/keys",
                _ => JWKS_PATH,
            };
            if path == DISCOVERY_PATH {
                let uri = match mode {
                    Discovery::Missing => return Some(http("404 Not Found", "")),
                    Discovery::Own => format!("http://{}/keys", host.clone().unwrap()),
                    Discovery::Elsewhere => "http://127.0.0.2:1/keys".into(),
                };
                let doc = format!(
                    r#"{{"issuer":"http://{}","jwks_uri":"{uri}"}}"#,
                    host.unwrap()
                );
                return Some(http("200 OK", &doc));
            }
            if path != keys_path {
                return Some(http("404 Not Found", ""));
            }
            n.fetch_add(1, Ordering::SeqCst);
            match r.lock().unwrap().clone() {
                Reply::Keys(body) => Some(http("200 OK", &body)),
                Reply::Status(s) => Some(http(s, "")),
                Reply::Hang => None,
            }
        });
        Fake {
            issuer: Issuer::parse(&format!("http://{addr}")).unwrap(),
            reply,
            discovery,
            key_requests,
        }
    }

    fn set(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    fn requests(&self) -> usize {
        self.key_requests.load(Ordering::SeqCst)
    }
}

fn aws_keys() -> String {
    jwks(&[rsa_jwk("RSA_0", &RSA), ec_jwk("EC384_0", &EC)])
}

fn cache(limits: Limits) -> Arc<KeyCache> {
    Arc::new(KeyCache::new(limits))
}

#[test]
fn keys_are_fetched_ahead_and_then_read_without_a_fetch() {
    let fake = Fake::new(aws_keys());
    let c = cache(Limits::default());
    let t0 = Instant::now();
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    let next = c.refresh_due(t0).unwrap();
    assert_eq!(next, t0 + KEY_REFRESH_INTERVAL);
    assert_eq!(fake.requests(), 1);
    for _ in 0..100 {
        assert_eq!(
            c.key_at(&fake.issuer, "RSA_0", t0).unwrap().alg.name(),
            "RS256"
        );
        assert_eq!(
            c.key_at(&fake.issuer, "EC384_0", t0).unwrap().alg.name(),
            "ES384"
        );
    }
    assert_eq!(fake.requests(), 1, "logins with known kids fetch nothing");
    // Nothing is due before the interval; then the keys are fetched again.
    c.refresh_due(t0 + KEY_REFRESH_INTERVAL / 2);
    assert_eq!(fake.requests(), 1);
    c.refresh_due(t0 + KEY_REFRESH_INTERVAL);
    assert_eq!(fake.requests(), 2);
    // An issuer no longer trusted is forgotten.
    c.set_issuers(&[]);
    assert!(lock(&c.entries).is_empty());
}

#[test]
fn setting_the_issuers_again_keeps_the_keys_of_those_still_trusted_only() {
    let (kept, dropped) = (Fake::new(aws_keys()), Fake::new(aws_keys()));
    let c = cache(Limits::default());
    let t0 = Instant::now();
    c.set_issuers(&[kept.issuer.clone(), dropped.issuer.clone()]);
    c.refresh_due(t0);
    c.set_issuers(std::slice::from_ref(&kept.issuer));
    let trusted: Vec<String> = lock(&c.entries).keys().cloned().collect();
    assert_eq!(trusted, [kept.issuer.url()]);
    // Every change of auth_awsiam_jwt_issuers sets them all: those already trusted keep
    // their keys, nothing is fetched for them.
    c.set_issuers(std::slice::from_ref(&kept.issuer));
    assert!(c.key_at(&kept.issuer, "RSA_0", t0).is_ok());
    assert_eq!(kept.requests(), 1);
}

#[test]
fn a_key_set_is_logged_when_its_kids_change_not_at_each_refresh() {
    let fake = Fake::new(jwks(&[rsa_jwk("RSA_0", &RSA)]));
    let c = cache(Limits::default());
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    let t0 = Instant::now();
    let key_lines = |at: Instant| -> Vec<String> {
        let lines = testutil::logged_by(|| {
            c.refresh_due(at);
        });
        lines
            .into_iter()
            .filter(|l| l.contains(": keys "))
            .collect()
    };
    assert_eq!(key_lines(t0).len(), 1, "the first keys are logged");
    assert_eq!(
        key_lines(t0 + KEY_REFRESH_INTERVAL),
        Vec::<String>::new(),
        "the same keys again: nothing new to tell"
    );
    fake.set(Reply::Keys(jwks(&[
        rsa_jwk("RSA_0", &RSA),
        rsa_jwk("RSA_1", &RSA_2),
    ])));
    let rotated = key_lines(t0 + KEY_REFRESH_INTERVAL * 2);
    assert_eq!(rotated.len(), 1, "{rotated:?}");
    assert!(
        rotated[0].ends_with("keys 'RSA_0' (RS256), 'RSA_1' (RS256)"),
        "{rotated:?}"
    );
}

#[test]
fn a_refusal_names_at_most_max_shown_kids_of_the_issuers_kids() {
    let refusal_with_kids = |n: usize| {
        let set: Vec<String> = (0..n).map(|i| ec_jwk(&format!("k{i}"), &EC)).collect();
        let fake = Fake::new(jwks(&set));
        let c = cache(Limits::default());
        c.set_issuers(std::slice::from_ref(&fake.issuer));
        c.refresh_due(Instant::now());
        match missing(&c.entry(&fake.issuer), "forged") {
            KeyMissing::Unknown(why) => why,
            e => panic!("{e:?}"),
        }
    };
    let last_shown = MAX_SHOWN_KIDS - 1;
    let all = refusal_with_kids(MAX_SHOWN_KIDS);
    assert!(all.ends_with(&format!("'k{last_shown}' (ES384))")), "{all}");
    let cut = refusal_with_kids(MAX_SHOWN_KIDS + 1);
    assert!(
        cut.ends_with(&format!("'k{last_shown}' (ES384), ...)")),
        "{cut}"
    );
}

#[test]
fn discovery_is_followed_only_on_the_issuers_own_host() {
    let fake = Fake::new(aws_keys());
    *fake.discovery.lock().unwrap() = Discovery::Own;
    let c = cache(Limits::default());
    let t0 = Instant::now();
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    c.refresh_due(t0);
    assert!(
        c.key_at(&fake.issuer, "RSA_0", t0).is_ok(),
        "keys read from /keys"
    );
    // An unknown kid is looked for where discovery said, without discovery.
    let t1 = t0 + MIN_REFETCH_INTERVAL;
    assert!(matches!(
        c.key_at(&fake.issuer, "RSA_9", t1),
        Err(KeyMissing::Unknown(_))
    ));
    assert_eq!(fake.requests(), 2);

    let fake = Fake::new(aws_keys());
    *fake.discovery.lock().unwrap() = Discovery::Elsewhere;
    let c = cache(Limits::default());
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    c.refresh_due(t0);
    assert!(
        c.key_at(&fake.issuer, "RSA_0", t0).is_ok(),
        "the documented path"
    );
    assert_eq!(fake.requests(), 1);
}

#[test]
fn a_rotated_key_is_fetched_once() {
    let fake = Fake::new(jwks(&[rsa_jwk("RSA_0", &RSA)]));
    let c = cache(Limits::default());
    let t0 = Instant::now();
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    c.refresh_due(t0);
    // The issuer publishes RSA_1 next to RSA_0 and signs with it.
    fake.set(Reply::Keys(jwks(&[
        rsa_jwk("RSA_0", &RSA),
        rsa_jwk("RSA_1", &RSA_2),
    ])));
    // Right after a fetch, a new kid waits for the interval: no fetch yet.
    let e = c
        .key_at(&fake.issuer, "RSA_1", t0 + Duration::from_secs(1))
        .unwrap_err();
    let KeyMissing::Unknown(why) = e else {
        panic!("{e:?}")
    };
    assert!(
        why.contains("has no key 'RSA_1' (it has 'RSA_0' (RS256))"),
        "{why}"
    );
    assert_eq!(fake.requests(), 1);
    let t1 = t0 + MIN_REFETCH_INTERVAL;
    assert!(c.key_at(&fake.issuer, "RSA_1", t1).is_ok());
    assert_eq!(fake.requests(), 2);
    for _ in 0..10 {
        assert!(c.key_at(&fake.issuer, "RSA_1", t1).is_ok());
        assert!(c.key_at(&fake.issuer, "RSA_0", t1).is_ok());
    }
    assert_eq!(fake.requests(), 2, "the new kid was fetched once");
    // RSA_0 withdrawn: gone at the next scheduled refresh.
    fake.set(Reply::Keys(jwks(&[rsa_jwk("RSA_1", &RSA_2)])));
    c.refresh_due(t1 + KEY_REFRESH_INTERVAL);
    let t2 = t1 + KEY_REFRESH_INTERVAL;
    assert!(c.key_at(&fake.issuer, "RSA_0", t2).is_err());
}

#[test]
fn an_unknown_kid_storm_is_bounded() {
    let fake = Fake::new(aws_keys());
    let c = cache(Limits::default());
    let t0 = Instant::now();
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    c.refresh_due(t0);
    let t1 = t0 + MIN_REFETCH_INTERVAL;
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let (c, issuer) = (c.clone(), fake.issuer.clone());
            thread::spawn(move || {
                for i in 0..200 {
                    let forged = format!("forged-{n}-{i}");
                    assert!(matches!(
                        c.key_at(&issuer, &forged, t1),
                        Err(KeyMissing::Unknown(_))
                    ));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(fake.requests(), 2, "1,600 forged kids, one fetch");
    assert_eq!(c.fetches(), 2);
    // The next interval allows one more, whatever the number of forged kids.
    let t2 = t1 + MIN_REFETCH_INTERVAL;
    for i in 0..100 {
        let _ = c.key_at(&fake.issuer, &format!("again-{i}"), t2);
    }
    assert_eq!(fake.requests(), 3);
}

#[test]
fn an_unreachable_issuer_keeps_its_last_keys() {
    let fake = Fake::new(aws_keys());
    let c = cache(Limits::default());
    let t0 = Instant::now();
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    c.refresh_due(t0);
    fake.set(Reply::Status("500 Internal Server Error"));
    let t1 = t0 + KEY_REFRESH_INTERVAL;
    // The failed refresh is tried again after RETRY_INTERVAL, not KEY_REFRESH_INTERVAL.
    assert_eq!(c.refresh_due(t1), Some(t1 + RETRY_INTERVAL));
    assert_eq!(fake.requests(), 2);
    assert!(
        c.key_at(&fake.issuer, "RSA_0", t1).is_ok(),
        "last good keys kept"
    );
    let e = c
        .key_at(&fake.issuer, "RSA_5", t1 + MIN_REFETCH_INTERVAL)
        .unwrap_err();
    let KeyMissing::Unknown(why) = e else {
        panic!("{e:?}")
    };
    assert!(
        why.contains("the last fetch failed") && why.contains("answered HTTP 500"),
        "{why}"
    );
    // A key set that is no key set is a failure too: the old keys stay.
    fake.set(Reply::Keys("<html>maintenance</html>".into()));
    c.refresh_due(t1 + RETRY_INTERVAL);
    assert!(
        c.key_at(&fake.issuer, "EC384_0", t1 + RETRY_INTERVAL)
            .is_ok()
    );
    // Back: the error is forgotten.
    fake.set(Reply::Keys(aws_keys()));
    c.refresh_due(t1 + RETRY_INTERVAL * 2);
    assert!(read(&c.entry(&fake.issuer)).error.is_none());
}

#[test]
fn keys_never_fetched_are_unavailable_and_retried_within_bounds() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = Issuer::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let c = cache(Limits::default());
    let t0 = Instant::now();
    let e = c.key_at(&issuer, "RSA_0", t0).unwrap_err();
    let KeyMissing::Unavailable(why) = e else {
        panic!("{e:?}")
    };
    assert!(
        why.contains("have not been fetched yet; the last fetch failed"),
        "{why}"
    );
    assert_eq!(c.fetches(), 1);
    assert!(matches!(
        c.key_at(&issuer, "RSA_0", t0),
        Err(KeyMissing::Unavailable(_))
    ));
    assert_eq!(c.fetches(), 1, "no second fetch within the interval");
}

#[test]
fn an_oversized_key_set_is_refused() {
    let fake = Fake::new(aws_keys());
    let c = cache(Limits::default());
    let t0 = Instant::now();
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    c.refresh_due(t0);
    let pad = "x".repeat(MAX_JWKS_LEN);
    fake.set(Reply::Keys(format!(r#"{{"keys":[],"pad":"{pad}"}}"#)));
    c.refresh_due(t0 + KEY_REFRESH_INTERVAL);
    let error = read(&c.entry(&fake.issuer)).error.clone().unwrap();
    assert!(
        error.contains(&format!("larger than {MAX_JWKS_LEN} bytes")),
        "{error}"
    );
    assert!(
        c.key_at(&fake.issuer, "RSA_0", t0 + KEY_REFRESH_INTERVAL)
            .is_ok()
    );
}

#[test]
fn a_slow_issuer_is_bounded_by_the_timeout() {
    let fake = Fake::new(aws_keys());
    fake.set(Reply::Hang);
    let timeout = Duration::from_millis(500);
    let c = cache(Limits {
        fetch_timeout: timeout,
        ..Limits::default()
    });
    let started = Instant::now();
    let e = c.key_at(&fake.issuer, "RSA_0", started).unwrap_err();
    let KeyMissing::Unavailable(why) = e else {
        panic!("{e:?}")
    };
    assert!(why.contains("no answer within 0.5 s"), "{why}");
    // It gave up at its timeout, long before the issuer would have answered.
    assert!(started.elapsed() < HANG, "{:?}", started.elapsed());
}

#[test]
fn redirects_are_not_followed() {
    let fake = Fake::new(aws_keys());
    fake.set(Reply::Status(
        "302 Found\r\nLocation: http://127.0.0.2:1/keys",
    ));
    let c = cache(Limits::default());
    let e = c.key_at(&fake.issuer, "RSA_0", Instant::now()).unwrap_err();
    assert!(format!("{e:?}").contains("answered HTTP 302"), "{e:?}");
}

/// Waits (at most 10 s) until `done`.
fn eventually(done: impl Fn() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn the_background_thread_fetches_ahead_and_stops() {
    let fake = Fake::new(aws_keys());
    let other = Fake::new(aws_keys());
    let c = cache(Limits::default());
    let refresher = c.start();
    c.set_issuers(std::slice::from_ref(&fake.issuer));
    assert!(eventually(|| fake.requests() == 1), "fetched at once");
    // A new issuer wakes the thread; the known one is not fetched again.
    c.set_issuers(&[fake.issuer.clone(), other.issuer.clone()]);
    assert!(eventually(|| other.requests() == 1));
    assert_eq!(fake.requests(), 1);
    refresher.stop();
    assert_eq!(Arc::strong_count(&c), 1, "the thread ended and was joined");
    // The plugin's own cache: start, then stop, joins the thread and forgets the keys.
    let third = Fake::new(aws_keys());
    start(std::slice::from_ref(&third.issuer));
    assert!(eventually(|| third.requests() == 1));
    assert!(cache_has_keys(&third.issuer));
    stop();
    assert!(lock(&REFRESHER).is_none());
    assert!(lock(&super::cache().entries).is_empty());
}

fn cache_has_keys(issuer: &Issuer) -> bool {
    eventually(|| {
        super::cache()
            .key_at(issuer, "RSA_0", Instant::now())
            .is_ok()
    })
}

/// Runs openssl as test_ca.sh does: a CA, and a certificate for localhost from it.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=auth_awsiam unit test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
    )
    .unwrap();
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
}

/// An HTTPS issuer on localhost answering every request with `keys`.
fn https_issuer(dir: &Path, keys: String) -> Issuer {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = vec![CertificateDer::from_pem_file(dir.join("leaf.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut seen = Vec::new();
            let mut byte = [0u8; 1];
            // A GET has no body: the request ends at the blank line (or the client gave up).
            while !seen.ends_with(b"\r\n\r\n") && tls.read(&mut byte).is_ok_and(|n| n == 1) {
                seen.push(byte[0]);
            }
            let _ = tls.write_all(&http("200 OK", &keys));
            let _ = tls.flush();
        }
    });
    Issuer::parse(&format!("https://localhost:{port}")).unwrap()
}

#[test]
fn keys_come_over_https_from_a_trusted_certificate_only() {
    let dir = std::env::temp_dir().join(format!("auth_awsiam-jwt-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    make_certificates(&dir);
    let issuer = https_issuer(&dir, aws_keys());
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();
    let roots: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&ca)
        .filter_map(|item| match item.unwrap() {
            ureq::tls::PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    let trusting = KeyCache::with_roots(
        Limits::default(),
        ureq::tls::RootCerts::Specific(Arc::new(roots)),
    );
    let now = Instant::now();
    assert!(trusting.key_at(&issuer, "EC384_0", now).is_ok());
    // The system's trust store does not know the test CA: no keys, and the log says why.
    let system = KeyCache::new(Limits::default());
    let e = system.key_at(&issuer, "EC384_0", now).unwrap_err();
    let KeyMissing::Unavailable(why) = e else {
        panic!("{e:?}")
    };
    assert!(
        why.contains("certificate is not issued by a CA in the system's trust store"),
        "{why}"
    );
}
