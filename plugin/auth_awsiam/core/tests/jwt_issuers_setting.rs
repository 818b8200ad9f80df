//! auth_awsiam_jwt_issuers changed while the plugin runs, through the plugin's settings as
//! the shim applies them: a newly trusted issuer's keys are fetched at once, in the
//! background, before a login needs them. Its own test binary: the settings, the key cache
//! and its thread are the plugin's global state, and it sets the process environment.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use auth_awsiam_core::config::Setting;
use auth_awsiam_core::plugin;

/// An issuer on 127.0.0.1 that counts the requests it gets and has nothing to serve (404):
/// its URL and the count.
fn fake_issuer() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (url, requests)
}

fn set(setting: Setting, value: &str) {
    plugin::set_str(setting as i32, value).unwrap();
}

/// Waits for `issuer` to get a request (no login asks for its keys here).
fn fetched(issuer: &str, requests: &AtomicUsize) {
    let started = Instant::now();
    while requests.load(Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the keys of {issuer} were not fetched after it became trusted"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_newly_trusted_issuer_has_its_keys_fetched_at_once() {
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/auth_awsiam/config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/auth_awsiam/credentials",
        );
    }
    let (first, first_requests) = fake_issuer();
    let (second, second_requests) = fake_issuer();

    plugin::init(None);
    // Accounts configured: the server's own account is never looked up here.
    set(Setting::AllowedAccounts, "123456789012");
    plugin::start();

    // Trusted after start (a change, not the start's list), and then one more.
    set(Setting::JwtIssuers, &first);
    fetched(&first, &first_requests);
    set(Setting::JwtIssuers, &format!("{first},{second}"));
    fetched(&second, &second_requests);
    plugin::deinit();
}
