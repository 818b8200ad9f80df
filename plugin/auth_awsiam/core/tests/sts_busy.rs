//! At the cap on concurrent STS requests a login is refused at once with its own reason,
//! instead of queueing behind requests that wait for a timeout; and tokens of credentials
//! that did not log in lately (forgeries among them) cannot take the slots kept for those
//! that did. Its own test binary (its own process): it fills the process-wide cap, which
//! would disturb other tests.

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use auth_awsiam_core::config::{Config, parse_endpoint};
use auth_awsiam_core::error::Reason;
use auth_awsiam_core::request::sign;
use auth_awsiam_core::sts::known::KNOWN;
use auth_awsiam_core::sts::transport::{MAX_STS_REQUESTS, RESERVED_STS_REQUESTS};
use auth_awsiam_core::sts::{self, Target};
use auth_awsiam_core::token::Token;
use aws_credential_types::Credentials;

/// Waits until the fake STS holds `n` requests.
fn wait_for(accepted: &AtomicUsize, n: usize) {
    let started = Instant::now();
    while accepted.load(Ordering::SeqCst) < n {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the fake STS saw only {} requests, not {n}",
            accepted.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(10));
    }
}

fn token(addr: &str, key_id: &str) -> Token {
    let creds = Credentials::new(key_id, "secretsecret", None, None, "test");
    sign(addr, "us-east-1", None, &creds, SystemTime::now()).unwrap()
}

fn call_in_thread(target: &Target, token: &Token, cfg: &Config) -> thread::JoinHandle<Reason> {
    let (token, target, cfg) = (token.clone(), target.clone(), cfg.clone());
    thread::spawn(move || sts::call(&target, &token, &cfg).unwrap_err().reason)
}

#[test]
fn the_request_past_the_cap_is_refused_at_once_and_known_credentials_keep_a_share() {
    // An STS that accepts every connection, reads, and never answers until released.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let (release, released) = mpsc::channel::<()>();
    {
        let accepted = accepted.clone();
        thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 4096];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                held.push(stream);
                if accepted.fetch_add(1, Ordering::SeqCst) + 1
                    == MAX_STS_REQUESTS + RESERVED_STS_REQUESTS
                {
                    break;
                }
            }
            let _ = released.recv();
            drop(held);
        });
    }
    let cfg = Config {
        endpoint: parse_endpoint(&format!("http://{addr}")).unwrap(),
        sts_timeout: Duration::from_secs(20),
        connect_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    // Well-formed tokens of a credential that never logged in: what a flood of forgeries
    // with made-up access key IDs looks like before STS answers.
    let stranger = token(&addr, "AKIDSTRANGER");
    let target = sts::precheck(&stranger, &cfg, true, SystemTime::now()).unwrap();
    let shared = MAX_STS_REQUESTS;
    let mut hanging: Vec<_> = (0..shared)
        .map(|_| call_in_thread(&target, &stranger, &cfg))
        .collect();
    wait_for(&accepted, shared);

    // Every shared slot is held by a request STS does not answer: the next stranger is
    // refused now, not after the 20 s timeout, though the reserve is free.
    let asked = Instant::now();
    let refusal = sts::call(&target, &stranger, &cfg).unwrap_err();
    assert_eq!(refusal.reason, Reason::StsBusy, "{refusal}");
    assert!(
        refusal.detail.contains(&format!(
            "another {RESERVED_STS_REQUESTS} are kept for those that did"
        )),
        "{}",
        refusal.detail
    );
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );

    // A credential that logged in lately still reaches STS: the reserve on top of the 64,
    // then nothing.
    let regular = token(&addr, "AKIDREGULAR");
    KNOWN.admit(KNOWN.credential(&regular), Instant::now());
    hanging.extend((0..RESERVED_STS_REQUESTS).map(|_| call_in_thread(&target, &regular, &cfg)));
    wait_for(&accepted, MAX_STS_REQUESTS + RESERVED_STS_REQUESTS);
    let refusal = sts::call(&target, &regular, &cfg).unwrap_err();
    assert_eq!(refusal.reason, Reason::StsBusy, "{refusal}");
    assert!(
        refusal.detail.starts_with(&format!(
            "{} STS requests are already in flight",
            MAX_STS_REQUESTS + RESERVED_STS_REQUESTS
        )),
        "{}",
        refusal.detail
    );

    // STS answers again (here: closes): the held requests end, and the slots come back.
    release.send(()).unwrap();
    for h in hanging {
        assert_ne!(h.join().unwrap(), Reason::StsBusy);
    }
    let again = sts::call(&target, &stranger, &cfg).unwrap_err();
    assert_eq!(again.reason, Reason::StsUnreachable, "{again}");
}
