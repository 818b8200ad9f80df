//! One line per event on standard error, with the time (UTC) and the level: for journald,
//! a container's log, or a terminal. Never a token: the proxy logs users, servers and
//! reasons only.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use log::{LevelFilter, Log, Metadata, Record};

struct Stderr;

impl Log for Stderr {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::Level::Info
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let now = DateTime::from_secs(i64::try_from(secs).unwrap_or(0))
            .fmt(Format::DateTime)
            .unwrap_or_default();
        let line = format!("{now} {} auth_awsiam_proxy: {}\n", r.level(), r.args());
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {}
}

static LOGGER: Stderr = Stderr;

pub fn install() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}
