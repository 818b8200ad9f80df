//! At the cap on concurrent STS requests a login is refused at once with its own reason,
//! instead of queueing behind requests that wait for a timeout. Its own test binary (its
//! own process): it fills the process-wide cap, which would disturb other tests.

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use auth_awsiam_core::config::{Config, parse_endpoint};
use auth_awsiam_core::error::Reason;
use auth_awsiam_core::request::sign;
use auth_awsiam_core::sts::{self, transport::MAX_STS_REQUESTS};
use aws_credential_types::Credentials;

#[test]
fn the_request_past_the_cap_is_refused_at_once() {
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
                if accepted.fetch_add(1, Ordering::SeqCst) + 1 == MAX_STS_REQUESTS {
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
    let creds = Credentials::new("AKIDEXAMPLE", "secretsecret", None, None, "test");
    let token = sign(&addr, "us-east-1", None, &creds, SystemTime::now()).unwrap();
    let target = sts::precheck(&token, &cfg, true, SystemTime::now()).unwrap();

    let hanging: Vec<_> = (0..MAX_STS_REQUESTS)
        .map(|_| {
            let (token, target, cfg) = (token.clone(), target.clone(), cfg.clone());
            thread::spawn(move || sts::call(&target, &token, &cfg).unwrap_err().reason)
        })
        .collect();
    let started = Instant::now();
    while accepted.load(Ordering::SeqCst) < MAX_STS_REQUESTS {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the fake STS saw only {} requests",
            accepted.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(10));
    }

    // Every slot is held by a request STS does not answer: the next one is refused now,
    // not after the 20 s timeout.
    let asked = Instant::now();
    let refusal = sts::call(&target, &token, &cfg).unwrap_err();
    assert_eq!(refusal.reason, Reason::StsBusy, "{refusal}");
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );

    // STS answers again (here: closes): the held requests end, and the slots come back.
    release.send(()).unwrap();
    for h in hanging {
        assert_ne!(h.join().unwrap(), Reason::StsBusy);
    }
    let again = sts::call(&target, &token, &cfg).unwrap_err();
    assert_eq!(again.reason, Reason::StsUnreachable, "{again}");
}
