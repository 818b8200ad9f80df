//! auth_awsiam_proxy (issue 19): a local MySQL proxy that logs in to the server with the
//! machine's AWS identity, so that any driver connects with no code change and no
//! password. `main.rs` is the command; these modules are its parts, public for it.

mod deadline;
pub mod handshake;
pub mod health;
mod identity;
pub mod local;
pub mod logger;
pub mod login;
pub mod relay;
pub mod server;
pub mod session;
pub mod signer;
pub mod tls;
pub mod wire;
