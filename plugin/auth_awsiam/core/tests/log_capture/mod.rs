//! The error-log lines the core writes, captured in the test process (for tests of what is
//! logged; not a test target of its own). The log sink is process-wide: a test binary that
//! uses this captures every line its tests log.

use std::ffi::{CStr, c_char, c_int};
use std::sync::Mutex;

use auth_awsiam_core::logging;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn capture(_level: c_int, message: *const c_char) {
    // The logger passes a valid NUL-terminated string for the call's duration.
    let line = unsafe { CStr::from_ptr(message) };
    LINES
        .lock()
        .unwrap()
        .push(line.to_string_lossy().into_owned());
}

/// Sends the core's log lines here, at `verbosity`, and forgets the lines so far.
pub fn start(verbosity: u8) {
    logging::install(Some(capture));
    logging::set_verbosity(verbosity);
    LINES.lock().unwrap().clear();
}

/// The lines logged since `start`.
pub fn lines() -> Vec<String> {
    LINES.lock().unwrap().clone()
}
