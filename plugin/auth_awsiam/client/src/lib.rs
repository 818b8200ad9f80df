//! Rust side of `auth_awsiam_client.so`, the client plugin that answers the challenge of the
//! server plugin `auth_awsiam_challenge`. The C++ plugin declaration
//! (`auth_awsiam_client.cc`) calls the C ABI in `ffi` (`auth_awsiam_client_core.h`);
//! `respond` reads the challenge and signs the answer with the core's one signer (or
//! `jwt_answer` asks STS for a JWT bound to the challenge),
//! `trust` decides whether a server may be answered at all, `options` holds what the user
//! configured, `shared_credentials` the process's AWS credentials, loaded once.
#![deny(unsafe_code)]

pub mod ffi;
pub mod jwt_answer;
pub mod options;
pub mod respond;
pub mod shared_credentials;
pub mod trust;
