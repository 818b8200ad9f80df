//! Rust core of the auth_awsiam MySQL authentication plugin. The C++ shim calls the C ABI in
//! `ffi` (auth_awsiam_core.h); every decision is taken here.
//!
//! A login (`auth::verify`): `token` decodes the client's packet, `sts` checks it against the
//! settings (`config`), sends the request `request` rebuilds and reads the answer into an
//! `identity::Caller`; `policy` decides, on `pattern`s, with `mapping` for a proxy account's
//! rules. `cache` keeps callers STS verified, `server_identity` learns the server's own
//! account, `metrics` and `logging` report to the server (`refusal_lines` keeps a storm's refusals
//! from flooding the log).
//!
//! A challenge login (auth_awsiam_challenge): `challenge` issues the challenge, reads the
//! client plugin's answer and hands its token to `auth` like any other.
//!
//! An AWS-issued JWT (`jwt`) is verified in the plugin against its issuer's keys, which
//! `jwt::issuers` fetches and keeps; it yields the same `identity::Caller`.
//!
//! Client side: `credentials` loads AWS credentials, `request` signs tokens, and
//! `web_identity` mints AWS-issued JWTs (sts:GetWebIdentityToken).
#![deny(unsafe_code)]

pub mod abi;
pub mod auth;
pub mod aws_error;
mod cache;
pub mod challenge;
pub mod channel;
pub mod claim_rule;
pub mod config;
pub mod configured_endpoint;
pub mod credentials;
pub mod error;
pub mod ffi;
pub mod glob;
pub mod identity;
pub mod jwt;
pub mod jwt_config;
pub mod logging;
pub mod mapping;
pub mod metrics;
mod pattern;
pub mod plugin;
pub mod policy;
pub mod refusal_lines;
pub mod request;
pub mod server_identity;
pub mod sts;
pub mod syntax;
pub mod sysvar;
pub mod token;
pub mod web_identity;

#[cfg(test)]
mod testutil;
