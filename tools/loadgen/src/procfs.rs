//! CPU time and memory of processes, and of the whole machine, from /proc. The benchmark
//! charges the server's CPU per login from these, so the client's own cost never hides in
//! the figures.

use std::fs;
use std::time::Duration;

/// Clock ticks per second of the times in /proc/PID/stat and /proc/stat. This is the
/// kernel's USER_HZ, which is 100 in the ABI Linux exposes to user space on every
/// architecture it supports (sysconf(_SC_CLK_TCK) answers the same constant).
const USER_HZ: u64 = 100;

/// CPU time used by a process so far (every thread, dead ones included), or `None` if
/// it is gone or unreadable.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    ticks_of_stat(&stat).map(ticks)
}

/// Resident set size of a process in KiB.
pub fn process_rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    rss_of_status(&status)
}

/// CPU time every core of the machine spent busy (not idle, not waiting for I/O).
pub fn machine_busy() -> Option<Duration> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    busy_of_proc_stat(&stat).map(ticks)
}

fn ticks(n: u64) -> Duration {
    Duration::from_micros(n * (1_000_000 / USER_HZ))
}

/// utime + stime of a /proc/PID/stat line. The command name (field 2) may hold spaces and
/// parentheses, so fields are counted from the last ')'.
fn ticks_of_stat(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15 (1-based).
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

fn rss_of_status(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The "cpu" line: user nice system idle iowait irq softirq steal ...; busy is all but
/// idle and iowait.
fn busy_of_proc_stat(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4)?;
    Some(total - idle)
}

/// Counters of one moment, for the difference over a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    pub server_cpu: Option<Duration>,
    pub server_rss_kib: Option<u64>,
    pub own_cpu: Option<Duration>,
    pub helpers_cpu: Option<Duration>,
    pub machine_busy: Option<Duration>,
}

impl Snapshot {
    /// `server`: mysqld; `helpers`: other processes on the client side (STS doubles).
    pub fn take(server: Option<u32>, helpers: &[u32]) -> Snapshot {
        let helpers_cpu = helpers
            .iter()
            .map(|&p| process_cpu(p))
            .sum::<Option<Duration>>();
        Snapshot {
            server_cpu: server.and_then(process_cpu),
            server_rss_kib: server.and_then(process_rss_kib),
            own_cpu: process_cpu(std::process::id()),
            helpers_cpu,
            machine_busy: machine_busy(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_odd_name() {
        let line = "4242 (my (odd) d) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 \
                    37 0 12345 1000000 500 18446744073709551615";
        assert_eq!(ticks_of_stat(line), Some(325));
        assert_eq!(ticks_of_stat("garbage"), None);
    }

    #[test]
    fn rss_and_machine() {
        let status = "Name:\tmysqld\nVmPeak:\t 900 kB\nVmRSS:\t  412345 kB\nThreads:\t40\n";
        assert_eq!(rss_of_status(status), Some(412_345));
        let stat = "cpu  100 5 50 1000 20 3 2 0 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n";
        assert_eq!(busy_of_proc_stat(stat), Some(160));
    }

    #[test]
    fn own_process_is_readable() {
        let pid = std::process::id();
        assert!(process_cpu(pid).is_some());
        assert!(process_rss_kib(pid).unwrap() > 0);
        assert!(machine_busy().is_some());
        assert_eq!(ticks(150), Duration::from_millis(1500));
    }
}
