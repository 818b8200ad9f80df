//! What the cost examples share: the process's CPU clock, and the server's stand-ins.

use std::ffi::{c_char, c_int};
use std::time::Duration;

use auth_awsiam_core::error::Refusal;
use auth_awsiam_core::policy::AllowedAccounts;

/// The log sink: lines are formatted as in the server, then dropped.
pub extern "C" fn drop_line(_level: c_int, _message: *const c_char) {}

/// The server's own account, never asked: the examples configure the allowed account.
pub fn no_server(_: Duration) -> Result<AllowedAccounts, Refusal> {
    unreachable!("the allowed account is configured")
}

/// utime + stime of this process, from /proc/self/stat (clock ticks of 10 ms: measure
/// enough work). CPU time, unlike elapsed time, barely moves with other users' load.
pub fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a command name") + 1..]
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}
