//! Rust core of the auth_awsiam MySQL authentication plugin. The C++ shim calls the C ABI in
//! `ffi` (auth_awsiam_core.h); every decision is taken here.
//!
//! A login: `token` decodes the client's packet, `sts` checks it against the settings
//! (`config`) and sends the request `request` rebuilds, `identity` parses the caller's ARN,
//! `policy` decides; `cache` keeps STS answers, `server_identity` learns the server's own
//! account, `metrics` and `logging` report to the server.
//!
//! A challenge login (auth_awsiam_challenge): `challenge` is what the server sends,
//! `answer` what the client plugin returns, `audience` which server names it may be signed
//! for, `challenge_login` runs it and hands the token to `auth` like any other.
#![deny(unsafe_code)]

pub mod answer;
pub mod audience;
pub mod auth;
pub mod cache;
pub mod challenge;
pub mod challenge_login;
pub mod config;
pub mod credentials;
pub mod error;
pub mod ffi;
pub mod identity;
pub mod logging;
pub mod metrics;
pub mod plugin;
pub mod policy;
pub mod request;
pub mod server_identity;
pub mod sts;
pub mod syntax;
pub mod token;

#[cfg(test)]
mod testutil;
