//! A session of the proxy against a fake MySQL server speaking TLS (a test CA made with
//! the openssl command), in one process: the connection phase in order, what the server
//! receives (no password in the handshake response, the token only after its switch to
//! the cleartext plugin, nothing for another plugin or over an unverified certificate),
//! and the relay both ways through TLS. The real server's story is the MTR test `proxy`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use auth_awsiam_proxy::handshake::{Response, caps};
use auth_awsiam_proxy::local::Local;
use auth_awsiam_proxy::session::{self, Settings};
use auth_awsiam_proxy::signer::{Aws, Signer};
use auth_awsiam_proxy::tls;
use auth_awsiam_proxy::wire::{self, Packet};

/// A CA and a certificate for localhost that it signed, and a second CA that signed nothing,
/// in a directory of the test's own (`name`): the tests run at once.
fn certificates(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("auth_awsiam-proxy-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let ok = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "openssl {args:?}");
    };
    for ca in ["ca", "other"] {
        run(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN=test {ca}"),
        ]);
    }
    std::fs::write(dir.join("leaf.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=localhost",
    ]);
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
    dir
}

/// What the fake server saw of one login.
#[derive(Default, Debug)]
struct Seen {
    response: Option<Response>,
    /// The reply to its auth switch.
    switch_reply: Option<Vec<u8>>,
    /// Queries relayed after the login.
    queries: Vec<Vec<u8>>,
    /// The COM_CHANGE_USER commands it got, as they came.
    changes: Vec<Vec<u8>>,
    /// The replies to the switch of each.
    change_replies: Vec<Vec<u8>>,
}

const FLOOD: &[u8] = b"\x03SELECT flood";
/// A command the fake server answers only after `SLOW_REPLY`.
const SLOW: &[u8] = b"\x03SELECT SLEEP(0.3)";
const SLOW_REPLY: Duration = Duration::from_millis(300);
const FLOOD_PACKETS: usize = 32;
const MIB: usize = 1 << 20;

fn greeting() -> Vec<u8> {
    let capabilities: u32 = 0xdfff_ffff;
    let mut g = vec![10];
    g.extend_from_slice(b"9.7.4-fake\0");
    g.extend_from_slice(&7u32.to_le_bytes());
    g.extend_from_slice(b"abcdefgh\0");
    g.extend_from_slice(&(capabilities as u16).to_le_bytes());
    g.push(255);
    g.extend_from_slice(&2u16.to_le_bytes());
    g.extend_from_slice(&((capabilities >> 16) as u16).to_le_bytes());
    g.push(21);
    g.extend_from_slice(&[0; 10]);
    g.extend_from_slice(b"ijklmnopqrst\0");
    g.extend_from_slice(b"caching_sha2_password\0");
    g
}

/// A server on localhost that switches every login to `plugin`, says OK to any reply, then
/// answers each command with an OK packet carrying the command back; `FLOOD` with
/// `FLOOD_PACKETS` packets of a MiB, not reading meanwhile (a large result).
fn fake_server(dir: &Path, plugin: &'static [u8]) -> (u16, Arc<Mutex<Seen>>) {
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
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = Arc::clone(&seen);
    thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            let seen = Arc::clone(&record);
            let config = Arc::clone(&config);
            thread::spawn(move || {
                wire::write_packet(&mut tcp, 0, &greeting()).unwrap();
                let Ok(ssl) = wire::read_packet(&mut tcp) else {
                    return;
                };
                assert!(Response::parse(&ssl.payload).unwrap().ssl_request);
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                // A client that refused the certificate stops here.
                let Ok(p) = wire::read_packet(&mut tls) else {
                    return;
                };
                seen.lock().unwrap().response = Some(Response::parse(&p.payload).unwrap());
                let mut switch = vec![0xFE];
                switch.extend_from_slice(plugin);
                switch.extend_from_slice(b"\0data\0");
                wire::write_packet(&mut tls, p.seq + 1, &switch).unwrap();
                let Ok(reply) = wire::read_packet(&mut tls) else {
                    return;
                };
                seen.lock().unwrap().switch_reply = Some(reply.payload);
                wire::write_packet(&mut tls, reply.seq + 1, b"\x00\x00\x00\x02\x00\x00\x00")
                    .unwrap();
                while let Ok(Packet { seq, payload }) = wire::read_packet(&mut tls) {
                    if payload[0] == 0x11 {
                        // A change of user: the same switch, then OK.
                        seen.lock().unwrap().changes.push(payload);
                        wire::write_packet(&mut tls, seq.wrapping_add(1), &switch).unwrap();
                        let Ok(reply) = wire::read_packet(&mut tls) else {
                            return;
                        };
                        seen.lock().unwrap().change_replies.push(reply.payload);
                        wire::write_packet(
                            &mut tls,
                            reply.seq + 1,
                            b"\x00\x00\x00\x02\x00\x00\x00",
                        )
                        .unwrap();
                        continue;
                    }
                    if payload == SLOW {
                        thread::sleep(SLOW_REPLY);
                    }
                    if payload == FLOOD {
                        for i in 0..FLOOD_PACKETS {
                            let seq = seq.wrapping_add(1).wrapping_add(i as u8);
                            wire::write_packet(&mut tls, seq, &[0xAA; MIB]).unwrap();
                        }
                        continue;
                    }
                    seen.lock().unwrap().queries.push(payload.clone());
                    let mut ok = b"\x00\x00\x00\x02\x00\x00\x00".to_vec();
                    ok.extend_from_slice(&payload);
                    wire::write_packet(&mut tls, seq.wrapping_add(1), &ok).unwrap();
                }
            });
        }
    });
    (port, seen)
}

fn settings(port: u16, ca: &Path) -> Settings {
    Settings {
        host: "localhost".into(),
        port,
        tls: tls::client_config(Some(ca)).unwrap(),
        user: None,
        token_users: vec!["AppRole".into(), "Other".into()],
        connect_timeout: Duration::from_secs(5),
        handshake_timeout: Duration::from_secs(5),
        idle_timeout: None,
        // Tokens for an STS that is not there: the proxy's lookup of its own identity
        // (identity.rs) fails at once and goes nowhere else.
        signer: Signer::new(
            Aws {
                sts_endpoint: Some("http://127.0.0.1:9".into()),
                ..Aws::default()
            },
            "us-east-1".into(),
        )
        .unwrap(),
    }
}

/// The application: logs in to the proxy as `user` with no password; the reply packet.
fn app_login(app: &mut UnixStream, user: &[u8]) -> Packet {
    let g = wire::read_packet(app).unwrap();
    assert_eq!(g.seq, 0);
    assert_eq!(
        &g.payload[1..11],
        b"9.7.4-fake",
        "the server's version, mirrored"
    );
    let flags = caps::PROTOCOL_41 | caps::SECURE_CONNECTION | caps::PLUGIN_AUTH;
    let mut r = Vec::new();
    r.extend_from_slice(&flags.to_le_bytes());
    r.extend_from_slice(&(1u32 << 24).to_le_bytes());
    r.push(255);
    r.extend_from_slice(&[0; 23]);
    wire::put_nul_str(&mut r, user);
    r.push(0);
    wire::put_nul_str(&mut r, b"mysql_native_password");
    wire::write_packet(app, 1, &r).unwrap();
    wire::read_packet(app).unwrap()
}

/// Runs one proxy session for an application connection; the application's end.
fn session(settings: Settings) -> UnixStream {
    let (app, proxy_side) = UnixStream::pair().unwrap();
    app.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let settings = std::sync::Arc::new(settings);
    thread::spawn(move || session::serve(Local::Unix(proxy_side), settings));
    app
}

/// A login as `user` through the proxy (trusting `ca`) to a server switching to `plugin`,
/// which the proxy refuses with an error naming `reason`; what the server saw by then.
fn refused(dir: &Path, plugin: &'static [u8], ca: &str, user: &[u8], reason: &str) -> Seen {
    let (port, seen) = fake_server(dir, plugin);
    let mut app = session(settings(port, &dir.join(ca)));
    let err = app_login(&mut app, user);
    assert_eq!(err.payload[0], 0xFF);
    let text = String::from_utf8_lossy(&err.payload);
    assert!(text.contains(reason), "{text}");
    thread::sleep(Duration::from_millis(200));
    std::mem::take(&mut *seen.lock().unwrap())
}

/// The signer's credentials: static keys, no STS call. Both tests set the same values.
fn static_keys() {
    // SAFETY: the same values each time, set before the test's threads read them.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDPROXYTEST");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "proxy-test-placeholder-secret");
        std::env::set_var("AWS_CONFIG_FILE", "/dev/null");
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
}

#[test]
fn sessions_through_the_proxy() {
    static_keys();
    let dir = certificates("sessions");

    // An auth_awsiam account: the token after the switch, then the relay both ways.
    let (port, seen) = fake_server(&dir, b"mysql_clear_password");
    let mut app = session(settings(port, &dir.join("ca.pem")));
    let ok = app_login(&mut app, b"AppRole");
    assert_eq!((ok.seq, ok.payload[0]), (2, 0x00), "{ok:?}");
    let query = b"\x03SELECT 1";
    wire::write_packet(&mut app, 0, query).unwrap();
    let echo = wire::read_packet(&mut app).unwrap();
    assert_eq!(echo.seq, 1);
    assert!(echo.payload.ends_with(query));
    // A command larger than one read of the relay.
    let big = [b"\x03SELECT '".as_slice(), &[b'x'; 100_000], b"'"].concat();
    wire::write_packet(&mut app, 0, &big).unwrap_or_else(|e| panic!("{e}"));
    let mut header = [0u8; 4];
    app.read_exact(&mut header).unwrap();
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    let mut body = vec![0u8; len];
    app.read_exact(&mut body).unwrap();
    assert!(body.ends_with(&big));
    // A change of user (mysql_change_user): a new login at the server, in the proxy.
    let mut change = vec![0x11];
    change.extend_from_slice(b"Other\0\x14abcdefghijklmnopqrst\0");
    change.extend_from_slice(&255u16.to_le_bytes());
    change.extend_from_slice(b"mysql_native_password\0");
    wire::write_packet(&mut app, 0, &change).unwrap();
    let ok = wire::read_packet(&mut app).unwrap();
    assert_eq!((ok.seq, ok.payload[0]), (1, 0x00), "{ok:?}");
    wire::write_packet(&mut app, 0, query).unwrap();
    assert!(
        wire::read_packet(&mut app)
            .unwrap()
            .payload
            .ends_with(query)
    );
    drop(app);
    let seen = seen.lock().unwrap();
    let response = seen.response.as_ref().unwrap();
    assert_eq!(response.user, b"AppRole");
    assert!(
        response.auth_response.is_empty(),
        "no password to the server"
    );
    let token = seen.switch_reply.as_ref().unwrap();
    assert!(token.starts_with(b"awsiam1.") && token.ends_with(b"\0"));
    assert_eq!(seen.queries.len(), 3);
    let (command, token_again) = (&seen.changes[0], &seen.change_replies[0]);
    assert!(
        command.starts_with(b"\x11Other\0\x00"),
        "no password: {command:?}"
    );
    assert!(token_again.starts_with(b"awsiam1."));
    drop(seen);

    // Another plugin's account: the application gets the reason, the server nothing.
    let seen = refused(
        &dir,
        b"caching_sha2_password",
        "ca.pem",
        b"plain",
        "caching_sha2_password",
    );
    assert!(seen.switch_reply.is_none());

    // A user not named in --token-users (a PAM or LDAP account asks the same way): no
    // token, and the application is told why.
    let seen = refused(
        &dir,
        b"mysql_clear_password",
        "ca.pem",
        b"pam_user",
        "--token-users",
    );
    assert!(seen.switch_reply.is_none(), "no token sent");

    // A CA that did not sign the server's certificate: no login, nothing sent in TLS.
    let seen = refused(
        &dir,
        b"mysql_clear_password",
        "other.pem",
        b"AppRole",
        "TLS with localhost",
    );
    assert!(seen.response.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A hostile or broken application: garbage, an oversized packet, a handshake that never
/// comes, one that comes a byte at a time. Each gets an error or a closed connection within the handshake timeout, nothing
/// reaches the server's TLS side, and the next application logs in as usual.
#[test]
fn a_hostile_application_breaks_nothing() {
    static_keys();
    let dir = certificates("hostile");
    let (port, seen) = fake_server(&dir, b"mysql_clear_password");
    let quick = || Settings {
        handshake_timeout: Duration::from_secs(1),
        ..settings(port, &dir.join("ca.pem"))
    };

    // Garbage for a handshake response: the proxy's error, nothing signed.
    let mut app = session(quick());
    wire::read_packet(&mut app).unwrap();
    wire::write_packet(&mut app, 1, b"\x01\x02garbage").unwrap();
    let err = wire::read_packet(&mut app).unwrap();
    assert_eq!(err.payload[0], 0xFF, "{err:?}");

    // A packet header announcing 16 MiB: not read, the connection closed.
    let mut app = session(quick());
    wire::read_packet(&mut app).unwrap();
    std::io::Write::write_all(&mut app, b"\xff\xff\xff\x01").unwrap();
    let mut rest = Vec::new();
    let _ = app.read_to_end(&mut rest);

    // Connected, and silent: closed after the handshake timeout.
    let started = std::time::Instant::now();
    let mut app = session(quick());
    wire::read_packet(&mut app).unwrap();
    let mut rest = Vec::new();
    let _ = app.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(10), "{waited:?}");

    // A handshake response a byte every 100 ms (6.4 s in all): each read gets a byte long
    // before a read's timeout, but the login as a whole has 1 s. Cut off well before the
    // last byte.
    let started = std::time::Instant::now();
    let mut app = session(quick());
    wire::read_packet(&mut app).unwrap();
    let mut reader = app.try_clone().unwrap();
    let closed = thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest);
        started.elapsed()
    });
    // A well-formed header (60 bytes, sequence number 1), then the payload.
    let trickle = [&[60u8, 0, 0, 1][..], &[b'x'; 60][..]].concat();
    for byte in trickle {
        if std::io::Write::write_all(&mut app, &[byte]).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    let cut_off = closed.join().unwrap();
    assert!(cut_off < Duration::from_secs(4), "{cut_off:?}");

    thread::sleep(Duration::from_millis(200));
    assert!(
        seen.lock().unwrap().response.is_none(),
        "nothing reached the server"
    );

    // And the next application is served.
    let mut app = session(settings(port, &dir.join("ca.pem")));
    let ok = app_login(&mut app, b"AppRole");
    assert_eq!(ok.payload[0], 0x00, "{ok:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The 256th packet of one exchange has sequence number 0, like a command: a file chunk of
/// LOAD DATA LOCAL that begins with 0x11 goes on as it is, not as a change of user.
#[test]
fn data_that_looks_like_a_change_of_user_goes_on_unchanged() {
    static_keys();
    let dir = certificates("wrap");
    let (port, seen) = fake_server(&dir, b"mysql_clear_password");
    let mut app = session(settings(port, &dir.join("ca.pem")));
    assert_eq!(app_login(&mut app, b"AppRole").payload[0], 0x00);
    let chunk = b"\x11looks\0like a change of user\0";
    wire::write_packet(&mut app, 255, b"a file chunk").unwrap();
    wire::write_packet(&mut app, 0, chunk).unwrap();
    thread::sleep(Duration::from_millis(500));
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.changes,
        vec![chunk.to_vec()],
        "the chunk went on as it was"
    );
    assert_eq!(
        seen.queries.first().map(Vec::as_slice),
        Some(&b"a file chunk"[..])
    );
    drop(seen);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A large result coming while the application already sends its next commands (a
/// pipelining driver), each far more than the sockets hold: the server reads nothing
/// until its result is out, so the proxy must go on reading it while its own write to the
/// server waits. Both directions finish.
#[test]
fn a_large_result_and_pipelined_commands_pass_each_other() {
    static_keys();
    let dir = certificates("pipeline");
    let (port, _seen) = fake_server(&dir, b"mysql_clear_password");
    let mut app = session(settings(port, &dir.join("ca.pem")));
    assert_eq!(app_login(&mut app, b"AppRole").payload[0], 0x00);
    const COMMANDS: usize = 2048;
    const COMMAND: usize = 16 * 1024;
    let expected = FLOOD_PACKETS * (4 + MIB) + COMMANDS * (4 + 7 + COMMAND);
    let mut reader = app.try_clone().unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut got = 0;
        let mut buf = vec![0u8; 64 * 1024];
        while got < expected {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        let _ = done.send(got);
    });
    thread::spawn(move || {
        wire::write_packet(&mut app, 0, FLOOD).unwrap();
        let mut command = vec![b'n'; COMMAND];
        command[0] = 0x03;
        for _ in 0..COMMANDS {
            if wire::write_packet(&mut app, 0, &command).is_err() {
                return;
            }
        }
    });
    let got = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("the relay stalled: each direction waits on the other");
    assert_eq!(
        got, expected,
        "the relay stalled: each direction waits on the other"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The proxy reads no replies, so a change of user sent before the previous command's
/// reply came back would take that reply for the login's answer (an OK: the application
/// told it is the new user, while the server has not even begun that login). Refused,
/// with nothing sent to the server; so is a change of user no real client would send.
#[test]
fn a_change_of_user_before_the_last_reply_is_refused() {
    static_keys();
    let dir = certificates("early-change");
    let (port, seen) = fake_server(&dir, b"mysql_clear_password");
    let mut change = vec![0x11];
    change.extend_from_slice(b"Other\0\x14abcdefghijklmnopqrst\0");
    change.extend_from_slice(&255u16.to_le_bytes());
    change.extend_from_slice(b"mysql_native_password\0");

    let mut app = session(settings(port, &dir.join("ca.pem")));
    assert_eq!(app_login(&mut app, b"AppRole").payload[0], 0x00);
    let mut both = Vec::new();
    wire::write_packet(&mut both, 0, SLOW).unwrap();
    wire::write_packet(&mut both, 0, &change).unwrap();
    app.write_all(&both).unwrap();
    let err = wire::read_packet(&mut app).unwrap();
    assert_eq!((err.seq, err.payload[0]), (1, 0xFF), "{err:?}");
    assert_eq!(&err.payload[1..3], &1156u16.to_le_bytes());
    let text = String::from_utf8_lossy(&err.payload);
    assert!(
        text.contains("before the previous command's reply"),
        "{text}"
    );
    thread::sleep(SLOW_REPLY * 2);
    assert!(
        seen.lock().unwrap().changes.is_empty(),
        "nothing went to the server"
    );

    // The same change of user once the reply was read: carried out.
    let mut app = session(settings(port, &dir.join("ca.pem")));
    assert_eq!(app_login(&mut app, b"AppRole").payload[0], 0x00);
    wire::write_packet(&mut app, 0, SLOW).unwrap();
    assert!(wire::read_packet(&mut app).unwrap().payload.ends_with(SLOW));
    wire::write_packet(&mut app, 0, &change).unwrap();
    let ok = wire::read_packet(&mut app).unwrap();
    assert_eq!((ok.seq, ok.payload[0]), (1, 0x00), "{ok:?}");

    // Larger than any login packet: refused, whatever the server would do with it.
    let mut app = session(settings(port, &dir.join("ca.pem")));
    assert_eq!(app_login(&mut app, b"AppRole").payload[0], 0x00);
    let mut huge = change.clone();
    huge.resize(wire::MAX_LOGIN_PACKET + 1, b'a');
    // The proxy stops reading after the first byte: the rest may never be taken.
    let mut writer = app.try_clone().unwrap();
    thread::spawn(move || wire::write_packet(&mut writer, 0, &huge));
    let err = wire::read_packet(&mut app).unwrap();
    assert_eq!(err.payload[0], 0xFF, "{err:?}");
    assert!(String::from_utf8_lossy(&err.payload).contains("the limit is"));
    thread::sleep(Duration::from_millis(200));
    assert_eq!(
        seen.lock().unwrap().changes.len(),
        1,
        "only the one carried out"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
