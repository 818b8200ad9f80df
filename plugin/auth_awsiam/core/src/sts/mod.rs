//! Everything between a decoded token and a verified caller, one job per module:
//!
//! - `hosts`: AWS host and partition rules (pure; the token tool uses them too);
//! - `precheck`: the checks that need the settings, before any network I/O;
//! - `freshness`: the token's time window (one of those checks);
//! - `resolve`: name lookups on a few joined threads, shared by concurrent callers;
//! - `throttle`: what is done when STS says "slow down" (retry policy, log notice);
//! - `transport`: the HTTP agent, its connection pool and its caps;
//! - `exchange`: the request sent, the answer read within limits;
//! - `reply`: what STS replied (the caller, or the refusal its status means).

pub(crate) mod exchange;
pub(crate) mod freshness;
pub mod hosts;
pub(crate) mod precheck;
pub mod reply;
pub(crate) mod resolve;
pub mod throttle;
pub mod transport;

pub use exchange::call;
pub use freshness::left as freshness_left;
pub use precheck::{Target, precheck, resolve_target};
