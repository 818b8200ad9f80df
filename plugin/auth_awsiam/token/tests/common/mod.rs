//! Shared by the integration tests: the tool run with a controlled environment (never the
//! machine's own AWS settings, never the instance metadata service), and the STS double.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_auth_awsiam_token");

/// An empty home with empty AWS config files.
pub fn sandbox(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("auth_awsiam_cli_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config"), "").unwrap();
    std::fs::write(dir.join("credentials"), "").unwrap();
    dir
}

pub fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap()
}

pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

pub const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", SECRET),
];

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn decode(token: &str) -> auth_awsiam_core::token::Token {
    auth_awsiam_core::token::Token::decode(token.trim().as_bytes()).unwrap()
}

pub mod option_file;
mod sts_double;
#[allow(unused_imports)] // cli.rs needs no double
pub use sts_double::*;

/// A `~/.aws/config` with `[default]` keys in the credentials file and `profile` assuming
/// AppRole from them, plus `extra` lines in the profile and `tail` sections after it.
pub fn role_profile(dir: &Path, extra: &str, tail: &str) {
    std::fs::write(
        dir.join("credentials"),
        format!("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("config"),
        format!(
            "[profile app]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/AppRole\n\
source_profile = base\nrole_session_name = s1\n{extra}\n{tail}"
        ),
    )
    .unwrap();
}
