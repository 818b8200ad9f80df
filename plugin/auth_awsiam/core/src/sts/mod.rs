//! Everything between a decoded token and a verified caller, one job per module:
//!
//! - `hosts`: AWS host and partition rules (pure; the token tool uses them too);
//! - `precheck`: the checks that need the settings, before any network I/O;
//! - `freshness`: the token's time window (checked before STS by its date, after STS
//!   against the first verification of a future-dated token);
//! - `resolve`: name lookups on a few joined threads, shared by concurrent callers;
//! - `known`: the credentials that logged in lately, which keep a reserve of STS slots;
//! - `throttle`: what is done when STS says "slow down" (retry policy, log notice);
//! - `transport`: the HTTP agent, its connection pool and its caps;
//! - `exchange`: the request sent, the answer read within limits;
//! - `reply`: what STS replied (the caller, or the refusal its status means).

pub(crate) mod exchange;
pub(crate) mod freshness;
pub mod hosts;
pub mod known;
pub(crate) mod precheck;
pub mod reply;
pub(crate) mod resolve;
pub mod throttle;
pub mod transport;

pub use exchange::{call, call_as};
pub use precheck::{Target, check_transport, precheck, resolve_target};
