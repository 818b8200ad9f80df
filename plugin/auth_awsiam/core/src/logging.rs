//! Forwards `log` records of this crate to the server error log through the shim's
//! callback. `log::set_logger` works once per process while the plugin can be installed
//! again in the same mysqld, so the logger is static and only its sink is swapped.

use std::ffi::{CString, c_char, c_int};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Once, RwLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::abi::LogLevel;
use crate::config::DEFAULT_LOG_VERBOSITY;

/// `awsiam_log_fn` of the header.
pub type LogFn = extern "C" fn(level: c_int, message: *const c_char);

/// Longest message passed to the server (its error log lines are bounded too).
pub const MAX_MESSAGE_LEN: usize = 2048;

/// Only our own records are forwarded: dependencies (ureq, rustls, aws-config) log at
/// levels and with contents we do not control.
const OWN_TARGET: &str = "auth_awsiam";

static SINK: RwLock<Option<LogFn>> = RwLock::new(None);
static VERBOSITY: AtomicU8 = AtomicU8::new(DEFAULT_LOG_VERBOSITY);

struct ShimLogger;
static LOGGER: ShimLogger = ShimLogger;

fn enabled_at(level: Level) -> bool {
    let v = VERBOSITY.load(Ordering::Relaxed);
    match level {
        Level::Error => true,
        Level::Warn => v >= 2,
        Level::Info => v >= 3,
        Level::Debug | Level::Trace => false,
    }
}

impl Log for ShimLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.target().starts_with(OWN_TARGET) && enabled_at(metadata.level())
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            Level::Error => LogLevel::Error,
            Level::Warn => LogLevel::Warning,
            _ => LogLevel::Info,
        };
        emit(level, &record.args().to_string());
    }

    fn flush(&self) {}
}

/// One clean line: no NUL (it would cut the C string), no newline (one event, one line),
/// bounded length.
pub fn clean_line(message: &str) -> String {
    let mut out: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > MAX_MESSAGE_LEN {
        let mut cut = MAX_MESSAGE_LEN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("...");
    }
    out
}

/// Sends a message to the sink, if one is installed, whatever the verbosity.
pub fn emit(level: LogLevel, message: &str) {
    let sink = *SINK.read().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = sink {
        let line = CString::new(clean_line(message)).unwrap_or_default();
        f(level as c_int, line.as_ptr());
    }
}

/// Installs (or replaces) the sink and makes sure the static logger is registered.
pub fn install(sink: Option<LogFn>) {
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = sink;
    // Fails harmlessly when already registered by an earlier install in this process.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Info);
}

/// Removes the sink (plugin deinit): nothing calls into an unloaded shim.
pub fn uninstall() {
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Routes panic messages to the error log instead of mysqld's stderr. Without a sink (tests,
/// the token tool) the previous hook runs as usual.
pub fn install_panic_hook() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let has_sink = SINK.read().map(|s| s.is_some()).unwrap_or(false);
            if has_sink {
                emit(
                    LogLevel::Error,
                    &format!("internal error (panic caught at the plugin boundary): {info}"),
                );
            } else {
                previous(info);
            }
        }));
    });
}

pub fn set_verbosity(v: u8) {
    VERBOSITY.store(v, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_levels() {
        set_verbosity(1);
        assert!(enabled_at(Level::Error) && !enabled_at(Level::Warn));
        set_verbosity(2);
        assert!(enabled_at(Level::Warn) && !enabled_at(Level::Info));
        set_verbosity(3);
        assert!(enabled_at(Level::Info) && !enabled_at(Level::Debug));
        set_verbosity(DEFAULT_LOG_VERBOSITY);
    }

    #[test]
    fn lines_are_cleaned() {
        assert_eq!(clean_line("a\nb\0c\td"), "a b c d");
        let long = "é".repeat(MAX_MESSAGE_LEN);
        let cut = clean_line(&long);
        assert!(cut.len() <= MAX_MESSAGE_LEN + 3 && cut.ends_with("..."));
    }

    #[test]
    fn foreign_targets_are_dropped() {
        let m = Metadata::builder()
            .level(Level::Error)
            .target("ureq::run")
            .build();
        assert!(!LOGGER.enabled(&m));
        let m = Metadata::builder()
            .level(Level::Error)
            .target("auth_awsiam_core::auth")
            .build();
        assert!(LOGGER.enabled(&m));
    }
}
