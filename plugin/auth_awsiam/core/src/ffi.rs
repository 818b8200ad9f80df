//! The C ABI of auth_awsiam_core.h: the only `unsafe` in the crate. Each function converts
//! its arguments (NULL-safe, lengths honoured), calls one safe function, converts the result,
//! all behind `catch_unwind` so that no panic ever unwinds into mysqld. No logic here.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use crate::abi::{AwsiamLogin, LogLevel, Verdict};
use crate::auth::{self, Login};
use crate::error::{Reason, refuse};
use crate::logging::{self, LogFn};
use crate::metrics::{COUNTERS, Counters};
use crate::plugin;

/// Non-zero return of the validating functions.
const INVALID: c_int = 1;
const ALLOW: c_int = Verdict::Allow as c_int;
const DENY: c_int = Verdict::Deny as c_int;

/// Runs `f`; a panic is logged (by the hook) and turned into `fallback`.
fn guarded<T>(what: &str, fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        logging::emit(
            LogLevel::Error,
            &format!("internal error in {what}; the call was refused"),
        );
        fallback
    })
}

/// A (pointer, length) pair as bytes; NULL or zero length is empty.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes for the duration of the call.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees `len` readable bytes at `ptr`.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// A NUL-terminated string as bytes; NULL is empty.
///
/// # Safety
/// `ptr` is NULL or a valid NUL-terminated string.
unsafe fn c_bytes<'a>(ptr: *const c_char) -> &'a [u8] {
    if ptr.is_null() {
        &[]
    } else {
        // SAFETY: the caller guarantees a NUL-terminated string.
        unsafe { CStr::from_ptr(ptr) }.to_bytes()
    }
}

/// Writes `s` NUL-terminated into `buf` (capacity `cap`), cut at a UTF-8 boundary to fit.
/// Returns the bytes written, NUL not counted.
///
/// # Safety
/// `buf` is NULL or valid for writing `cap` bytes.
unsafe fn write_c(buf: *mut c_char, cap: usize, s: &str) -> usize {
    if buf.is_null() || cap == 0 {
        return 0;
    }
    let mut n = s.len().min(cap - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    // SAFETY: n + 1 <= cap bytes are writable at `buf`; source and buffer do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
    n
}

/// 0, or the error written into `err` and non-zero.
///
/// # Safety
/// As `write_c`.
unsafe fn status(result: Result<(), String>, err: *mut c_char, err_cap: usize) -> c_int {
    match result {
        Ok(()) => 0,
        Err(e) => {
            // SAFETY: forwarded caller guarantee.
            unsafe { write_c(err, err_cap, &e) };
            INVALID
        }
    }
}

/// # Safety
/// `log` is NULL or a function safe to call from any thread with a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_init(log: Option<LogFn>) -> c_int {
    guarded("awsiam_init", 1, || {
        plugin::init(log);
        0
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_start() {
    guarded("awsiam_start", (), plugin::start);
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_deinit() {
    guarded("awsiam_deinit", (), plugin::deinit);
}

/// # Safety
/// `value` is NULL or NUL-terminated; `err` is NULL or writable for `err_cap` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_setting_check(
    setting: c_int,
    value: *const c_char,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    // SAFETY: forwarded caller guarantees.
    unsafe {
        string_setting("awsiam_setting_check", value, err, err_cap, |v| {
            plugin::check_str(setting, v)
        })
    }
}

/// # Safety
/// As `awsiam_setting_check`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_setting_set_str(
    setting: c_int,
    value: *const c_char,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    // SAFETY: forwarded caller guarantees.
    unsafe {
        string_setting("awsiam_setting_set_str", value, err, err_cap, |v| {
            plugin::set_str(setting, v)
        })
    }
}

/// The body shared by the two string-setting entry points: `value` as UTF-8, handed to
/// `f`, its error written into `err`.
///
/// # Safety
/// As `awsiam_setting_check`.
unsafe fn string_setting(
    what: &str,
    value: *const c_char,
    err: *mut c_char,
    err_cap: usize,
    f: impl FnOnce(&str) -> Result<(), String>,
) -> c_int {
    guarded(what, INVALID, || {
        // SAFETY: caller guarantees on `value`.
        let result = std::str::from_utf8(unsafe { c_bytes(value) })
            .map_err(|_| "value is not valid UTF-8".to_string())
            .and_then(f);
        // SAFETY: caller guarantees on `err`.
        unsafe { status(result, err, err_cap) }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_setting_set_num(setting: c_int, value: u64) {
    guarded("awsiam_setting_set_num", (), || {
        plugin::set_num(setting, value)
    });
}

/// # Safety
/// `value` is NULL or readable for `len` bytes; `err` is NULL or writable for `err_cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_auth_string_check(
    value: *const c_char,
    len: usize,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    guarded("awsiam_auth_string_check", INVALID, || {
        // SAFETY: caller guarantees on `value`.
        let raw = unsafe { bytes(value.cast::<u8>(), len) };
        let result = std::str::from_utf8(raw)
            .map_err(|_| "auth string is not valid UTF-8".to_string())
            .and_then(plugin::check_auth_string);
        // SAFETY: caller guarantees on `err`.
        unsafe { status(result, err, err_cap) }
    })
}

/// # Safety
/// `login` is NULL or points to a valid `struct awsiam_login` whose pointers are NULL or
/// valid for their lengths; `external_user` is NULL or writable for `external_user_cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_authenticate(
    login: *const AwsiamLogin,
    external_user: *mut c_char,
    external_user_cap: usize,
) -> c_int {
    let verdict = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: caller guarantees `login` is NULL or valid.
        let Some(l) = (unsafe { login.as_ref() }) else {
            let refusal = refuse(Reason::Internal, "the server passed no login");
            let empty = Login {
                user: "",
                host: "",
                auth_string: "",
                token: None,
                secure_transport: false,
            };
            auth::report_refusal(&empty, refusal);
            return DENY;
        };
        // SAFETY: caller guarantees each pointer is NULL or valid for its length.
        let (user, host, auth_string, token) = unsafe {
            (
                bytes(l.user.cast::<u8>(), l.user_len),
                bytes(l.host.cast::<u8>(), l.host_len),
                bytes(l.auth_string.cast::<u8>(), l.auth_string_len),
                (!l.token.is_null()).then(|| bytes(l.token, l.token_len)),
            )
        };
        // Lossy: invalid UTF-8 matches no role name nor pattern, so it is refused there.
        let user = String::from_utf8_lossy(user);
        let host = String::from_utf8_lossy(host);
        let auth_string = String::from_utf8_lossy(auth_string);
        let login = Login {
            user: &user,
            host: &host,
            auth_string: &auth_string,
            token,
            secure_transport: l.secure_transport != 0,
        };
        match auth::authenticate(&login) {
            Ok(id) => {
                // SAFETY: caller guarantees on `external_user`.
                unsafe { write_c(external_user, external_user_cap, &id.arn) };
                ALLOW
            }
            Err(_) => DENY,
        }
    }));
    verdict.unwrap_or_else(|_| {
        COUNTERS.add_failure(Reason::Internal);
        logging::emit(
            LogLevel::Error,
            "access denied: internal: a panic was caught while deciding a login",
        );
        DENY
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_counters() -> *const Counters {
    &COUNTERS
}

/// # Safety
/// `buf` is NULL or writable for `cap` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_server_account(buf: *mut c_char, cap: usize) -> usize {
    guarded("awsiam_server_account", 0, || {
        let account = plugin::server_account();
        // SAFETY: caller guarantees on `buf`.
        unsafe { write_c(buf, cap, &account) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_c_cuts_at_char_boundaries() {
        let mut buf = [0x55 as c_char; 6];
        let n = unsafe { write_c(buf.as_mut_ptr(), buf.len(), "abcdé") };
        assert_eq!(n, 4, "é does not fit in the last byte before NUL");
        assert_eq!(buf[4], 0);
        let n = unsafe { write_c(buf.as_mut_ptr(), 1, "abc") };
        assert_eq!((n, buf[0]), (0, 0));
        assert_eq!(unsafe { write_c(std::ptr::null_mut(), 10, "abc") }, 0);
    }

    #[test]
    fn panics_become_the_fallback() {
        let got = guarded("test", 7, || -> i32 { panic!("boom") });
        assert_eq!(got, 7);
    }

    #[test]
    fn null_inputs_are_empty() {
        assert_eq!(unsafe { bytes(std::ptr::null(), 5) }, b"");
        assert_eq!(unsafe { c_bytes(std::ptr::null()) }, b"");
    }
}
