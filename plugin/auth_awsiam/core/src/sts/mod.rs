//! Everything between a decoded token and a verified caller, one job per module:
//!
//! - `hosts`: AWS host and partition rules (pure; the token tool uses them too);
//! - `precheck`: the checks that need the settings, before any network I/O;
//! - `freshness`: the token's time window (one of those checks);
//! - `transport`: the HTTP agent and its name-lookup threads;
//! - `exchange`: the request sent, the answer read within limits;
//! - `answer`: what an STS answer says (caller, or the refusal its status means).

pub mod answer;
pub mod exchange;
pub mod freshness;
pub mod hosts;
pub mod precheck;
pub mod transport;

pub use exchange::call;
pub use freshness::left as freshness_left;
pub use precheck::{Target, precheck, resolve_target};
