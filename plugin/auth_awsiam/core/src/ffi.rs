//! The C ABI of auth_awsiam_core.h and auth_awsiam_core_challenge.h: the only `unsafe` in
//! the crate (this module and its submodules: `challenge`, the entry points of
//! auth_awsiam_challenge, and `convert`, the conversions both sets share). Each function
//! converts its arguments (NULL-safe, lengths honoured), calls one safe function, converts
//! the result, all behind `catch_unwind` so that no panic ever unwinds into mysqld. No
//! logic here.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use crate::abi::{AwsiamLogin, LogLevel, Verdict};
use crate::auth;
use crate::config::Setting;
use crate::error::{Reason, Refusal, refuse};
use crate::logging::{self, LogFn};
use crate::mapping::MAX_ACCOUNT_NAME_LEN;
use crate::metrics::{COUNTERS, Counters};
use crate::plugin;
use crate::sysvar;

pub mod challenge;
mod convert;
pub use challenge::*;
use convert::{LoginArgs, admit, bytes, c_bytes, packet, status, write_c};

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

/// The name of a setting's system variable (a static NUL-terminated string), or NULL for an
/// unknown setting.
#[unsafe(no_mangle)]
pub extern "C" fn awsiam_setting_name(setting: c_int) -> *const c_char {
    guarded("awsiam_setting_name", std::ptr::null(), || {
        Setting::from_id(setting).map_or(std::ptr::null(), |s| sysvar::of(s).name.as_ptr())
    })
}

/// 1 when changing the setting needs AUTH_AWSIAM_ADMIN (it decides who may log in), else 0.
#[unsafe(no_mangle)]
pub extern "C" fn awsiam_setting_needs_admin(setting: c_int) -> c_int {
    guarded("awsiam_setting_needs_admin", 1, || {
        // An unknown id is treated as needing it: refusing is the safe side.
        Setting::from_id(setting).is_none_or(|s| sysvar::of(s).admin) as c_int
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

/// A mapped account name is written whole or not at all: cut, it would name another
/// account. Every valid name fits in this much, so a smaller buffer is refused first.
fn has_room_for_account(mapped_account: *mut c_char, cap: usize) -> Result<(), Refusal> {
    if mapped_account.is_null() || cap <= MAX_ACCOUNT_NAME_LEN {
        return Err(refuse(
            Reason::Internal,
            "the server passed no room for a mapped account name",
        ));
    }
    Ok(())
}

/// What a caught panic while deciding a login turns into: a counted, logged refusal.
fn panicked(what: &str) -> c_int {
    COUNTERS.add_failure(Reason::Internal);
    logging::emit(
        LogLevel::Error,
        &format!("access denied: internal: a panic was caught while deciding {what}"),
    );
    DENY
}

/// # Safety
/// `login` is NULL or points to a valid `struct awsiam_login` whose pointers are NULL or
/// valid for their lengths; `external_user` is NULL or writable for `external_user_cap`;
/// `mapped_account` is NULL or writable for `mapped_account_cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_authenticate(
    login: *const AwsiamLogin,
    external_user: *mut c_char,
    external_user_cap: usize,
    mapped_account: *mut c_char,
    mapped_account_cap: usize,
) -> c_int {
    let verdict = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: caller guarantees `login` is NULL or valid.
        let Some(l) = (unsafe { login.as_ref() }) else {
            let refusal = refuse(Reason::Internal, "the server passed no login");
            auth::report_refusal(&LoginArgs::empty().login(None), refusal);
            return DENY;
        };
        // SAFETY: forwarded caller guarantees.
        let (args, token) = unsafe { (LoginArgs::from(l), packet(l)) };
        let login = args.login(token);
        if let Err(refusal) = has_room_for_account(mapped_account, mapped_account_cap) {
            auth::report_refusal(&login, refusal);
            return DENY;
        }
        match auth::authenticate(&login) {
            // SAFETY: forwarded caller guarantees; room checked above.
            Ok(admitted) => unsafe {
                admit(
                    &admitted,
                    external_user,
                    external_user_cap,
                    mapped_account,
                    mapped_account_cap,
                )
            },
            Err(_) => DENY,
        }
    }));
    verdict.unwrap_or_else(|_| panicked("a login"))
}

/// # Safety
/// As `awsiam_authenticate` for `login` (its token is not read).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_transport_check(login: *const AwsiamLogin) -> c_int {
    guarded("awsiam_transport_check", DENY, || {
        // SAFETY: caller guarantees `login` is NULL or valid.
        let Some(l) = (unsafe { login.as_ref() }) else {
            return DENY;
        };
        // SAFETY: forwarded caller guarantees.
        let args = unsafe { LoginArgs::names(l) };
        match auth::check_transport(&args.login(None)) {
            Ok(()) => ALLOW,
            Err(_) => DENY,
        }
    })
}

/// # Safety
/// `err` is NULL or writable for `err_cap` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_password_check(
    creating: c_int,
    password_len: usize,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    guarded("awsiam_password_check", INVALID, || {
        let result = plugin::check_password(creating != 0, password_len);
        // SAFETY: caller guarantees on `err`.
        unsafe { status(result, err, err_cap) }
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
    fn panics_become_the_fallback() {
        let got = guarded("test", 7, || -> i32 { panic!("boom") });
        assert_eq!(got, 7);
    }

    /// The shim names each setting's system variable and asks which ones need
    /// AUTH_AWSIAM_ADMIN; an id it does not know has no name and needs the privilege.
    #[test]
    fn settings_are_named_and_gated_for_the_shim() {
        let name = awsiam_setting_name(Setting::AllowedAccounts as c_int);
        assert!(!name.is_null());
        // SAFETY: a name is a static NUL-terminated string.
        let name = unsafe { std::ffi::CStr::from_ptr(name) };
        assert_eq!(name, c"auth_awsiam_allowed_accounts");
        assert!(awsiam_setting_name(-1).is_null());
        assert_eq!(
            awsiam_setting_needs_admin(Setting::AllowedAccounts as c_int),
            1
        );
        assert_eq!(awsiam_setting_needs_admin(Setting::StsTimeout as c_int), 0);
        assert_eq!(awsiam_setting_needs_admin(-1), 1);
    }
}
