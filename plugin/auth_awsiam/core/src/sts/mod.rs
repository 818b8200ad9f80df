//! Everything between a decoded token and a verified caller, one job per module:
//!
//! - `hosts`: AWS host and partition rules (pure; the token tool uses them too);
//! - `precheck`: the checks that need the settings, before any network I/O;
//! - `transport`: the HTTP agent and its name-lookup threads;
//! - `exchange`: the request sent, the answer read within limits;
//! - `answer`: what an STS answer says (caller, or the refusal its status means).

pub mod answer;
pub mod exchange;
pub mod hosts;
pub mod precheck;
pub mod transport;

pub use exchange::call;
pub use precheck::{Target, freshness_left, precheck, resolve_target};
