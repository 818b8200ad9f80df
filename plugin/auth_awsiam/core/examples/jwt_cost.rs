//! What one JWT verification costs the plugin's own code, outside the server: `jwt::verify`
//! whole (base64url, the strict JSON of header and payload, the key lookup, the signature,
//! the claims) on an AWS-shaped token, once with RS256 (RSA-2048) and once with ES384
//! (P-384), keys made here by aws-lc-rs and a fixed key source (no cache, no network).
//!
//! ```text
//! cargo run --release -p auth_awsiam_core --example jwt_cost [SECONDS]
//! jwt_cost hit SECONDS ISSUER AUDIENCE JWT_FILE   # a login whose JWT is in the cache
//! ```
//!
//! `hit` measures a whole login the way the server makes it, through `auth::verify` and
//! `auth::report` (the log line dropped), with the default cache: the first login verifies
//! the JWT against ISSUER's keys (fetched by the plugin's key cache, so ISSUER must serve
//! them: the test issuer of `tools/sts_double`), every later one is a cache hit. JWT_FILE
//! holds a JWT that issuer signed for AUDIENCE, of a role in account 000000000000.
//!
//! Each algorithm runs for SECONDS of CPU (default 1; /proc/self/stat counts in 10 ms
//! ticks, so a second keeps the error near 1 %), then one line is printed:
//! `jwt_cost: RS256 N verifications, X.X us of CPU each (this process, user + system)`.
//! CPU time, unlike elapsed time, barely moves with other users' load; a debug build
//! measures an unoptimized AWS-LC and says nothing.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_awsiam_core::auth::{self, Login};
use auth_awsiam_core::config::Config;
use auth_awsiam_core::jwt::{Issuer, JwtSettings, Key, KeyMissing, KeySource, Verified, verify};
use auth_awsiam_core::{jwt, logging};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use common::{drop_line, no_server, process_cpu_seconds};

const ISSUER: &str = "https://a1ebc705-cd4d-42b4-93b5-96e93acfb431.tokens.sts.global.api.aws";
const AUDIENCE: &str = "mysql://db1.example.com";
/// Verifications between two readings of the CPU clock.
const BATCH: usize = 100;

struct One(Arc<Key>);

impl KeySource for One {
    fn key(&self, _: &Issuer, _: &str) -> Result<Arc<Key>, KeyMissing> {
        Ok(self.0.clone())
    }
}

/// A payload shaped like the real token (jwt-facts.md 2.3), about 600 bytes.
fn payload(now: u64) -> String {
    format!(
        r#"{{"aud":"{AUDIENCE}","sub":"arn:aws:iam::123456789012:role/BenchRole","iss":"{ISSUER}","iat":{},"exp":{},"jti":"c9c99a1c-5763-4db3-87c4-b96d4749b0d0","https://sts.amazonaws.com/":{{"aws_account":"123456789012","source_region":"eu-north-1","org_id":"o-0x3t8umolz","ou_path":["o-0x3t8umolz/r-zc5j/ou-zc5j-11111111/"],"principal_id":"arn:aws:iam::123456789012:role/BenchRole","principal_tags":{{"db-access":"readonly","team":"data"}}}}}}"#,
        now - 10,
        now + 290
    )
}

fn mint(header: &str, payload: &str, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let sig = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(sig))
}

/// The measured loop (a name for callgrind's --toggle-collect).
#[inline(never)]
fn measured(token: &[u8], settings: &JwtSettings, keys: &One, now: SystemTime) -> Verified {
    verify(token, settings, keys, now).expect("the token verifies")
}

fn run(alg: &str, token: &str, key: Key, seconds: f64) {
    let settings = JwtSettings {
        issuers: vec![Issuer::parse(ISSUER).expect("issuer")],
        audience: Some(AUDIENCE.into()),
        max_age: Duration::from_secs(900),
        clock_skew: Duration::from_secs(300),
    };
    let keys = One(Arc::new(key));
    let now = SystemTime::now();
    measured(token.as_bytes(), &settings, &keys, now);
    let before = process_cpu_seconds();
    let mut n = 0;
    while process_cpu_seconds() - before < seconds {
        for _ in 0..BATCH {
            measured(token.as_bytes(), &settings, &keys, now);
        }
        n += BATCH;
    }
    let cpu = process_cpu_seconds() - before;
    println!(
        "jwt_cost: {alg} {n} verifications, {:.1} us of CPU each (this process, user + system)",
        cpu * 1e6 / n as f64
    );
}

/// How long `hit` waits for the issuer's keys.
const KEYS_WAIT: Duration = Duration::from_secs(10);

/// One whole login, as the server makes it (a name for callgrind's --toggle-collect).
#[inline(never)]
fn measured_login(login: &Login, cfg: &Config) -> bool {
    let result = auth::verify(login, cfg, SystemTime::now(), &no_server);
    auth::report(login, &result);
    result.is_ok()
}

fn hit(seconds: f64, issuer: &str, audience: &str, file: &str) {
    let jwt = std::fs::read_to_string(file).expect("the JWT file");
    let issuer = Issuer::parse(issuer).expect("an issuer URL");
    let cfg = Config {
        jwt_issuers: vec![issuer.clone()],
        jwt_audience: Some(audience.into()),
        allowed_accounts: vec!["000000000000".into()],
        ..Config::default()
    };
    jwt::issuers::start(std::slice::from_ref(&issuer));
    logging::install(Some(drop_line));
    let login = Login {
        user: "BenchRole",
        client_user: "BenchRole",
        host: "localhost",
        auth_string: "",
        token: Some(jwt.trim().as_bytes()),
        secure_transport: true,
    };
    let started = std::time::Instant::now();
    while !measured_login(&login, &cfg) {
        assert!(
            started.elapsed() < KEYS_WAIT,
            "the JWT never verified (keys, claims?)"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = process_cpu_seconds();
    let mut n = 0;
    while process_cpu_seconds() - before < seconds {
        for _ in 0..BATCH {
            assert!(measured_login(&login, &cfg), "a cached login refused");
        }
        n += BATCH;
    }
    let cpu = process_cpu_seconds() - before;
    jwt::issuers::stop();
    println!(
        "jwt_cost: cache hit {n} logins, {:.2} us of CPU each (this process, user + system)",
        cpu * 1e6 / n as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, seconds, issuer, audience, file] = &args[..]
        && mode == "hit"
    {
        hit(
            seconds.parse().expect("seconds of CPU"),
            issuer,
            audience,
            file,
        );
        return;
    }
    let seconds: f64 = args
        .get(1)
        .map_or(1.0, |s| s.parse().expect("seconds of CPU per algorithm"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let payload = payload(now);

    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key");
    let c = PublicKeyComponents::<Vec<u8>>::from(rsa.public_key());
    let token = mint(
        r#"{"kid":"RSA_0","typ":"JWT","alg":"RS256"}"#,
        &payload,
        |m| {
            let mut sig = vec![0; rsa.public_modulus_len()];
            rsa.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), m, &mut sig)
                .expect("signed");
            sig
        },
    );
    run(
        "RS256",
        &token,
        Key::rsa("RSA_0", &c.n, &c.e).expect("key"),
        seconds,
    );

    let ec = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).expect("an EC key");
    let point = ec.public_key().as_ref();
    let token = mint(
        r#"{"kid":"EC384_0","typ":"JWT","alg":"ES384"}"#,
        &payload,
        |m| {
            ec.sign(&SystemRandom::new(), m)
                .expect("signed")
                .as_ref()
                .to_vec()
        },
    );
    let key = Key::ec384("EC384_0", &point[1..49], &point[49..]).expect("key");
    run("ES384", &token, key, seconds);
}
