//! auth_awsiam_proxy (issue 19): a local MySQL proxy that logs in to the server with the
//! machine's AWS identity, so that any driver connects with no code change. Work in
//! progress: the connection phase's packets so far.

pub mod handshake;
pub mod login;
pub mod wire;
