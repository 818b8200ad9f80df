//! The C ABI of auth_awsiam_client_core.h: the only `unsafe` in the crate. Each function
//! converts its arguments (NULL-safe, lengths honoured), calls one safe function and
//! converts the result; no panic ever unwinds into the client program. No logic here.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_uint};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::options;
use crate::respond::{self, Dialed};

/// Return value of success; anything else is a failure with a message in `err`.
const OK: c_int = 0;
const FAILED: c_int = 1;

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

/// A NUL-terminated string; NULL is `None`, invalid UTF-8 is lossy.
///
/// # Safety
/// `ptr` is NULL or a valid NUL-terminated string.
unsafe fn string(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: the caller guarantees a NUL-terminated string.
        Some(String::from_utf8_lossy(unsafe { CStr::from_ptr(ptr) }.to_bytes()).into_owned())
    }
}

/// Writes `s` NUL-terminated into `buf` (capacity `cap`), cut at a UTF-8 boundary to fit.
///
/// # Safety
/// `buf` is NULL or valid for writing `cap` bytes.
unsafe fn write_c(buf: *mut c_char, cap: usize, s: &str) {
    if buf.is_null() || cap == 0 {
        return;
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
}

/// # Safety
/// `name` and `value` are NULL or NUL-terminated; `err` is NULL or writable for `err_cap`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn awsiam_client_option(
    name: *const c_char,
    value: *const c_char,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    let result = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: caller guarantees on `name` and `value`.
        let (name, value) = unsafe { (string(name), string(value)) };
        options::set(name.as_deref().unwrap_or(""), value.as_deref())
    }))
    .unwrap_or_else(|_| Err("internal error while setting an option".into()));
    match result {
        Ok(()) => OK,
        Err(e) => {
            // SAFETY: caller guarantees on `err`.
            unsafe { write_c(err, err_cap, &e) };
            FAILED
        }
    }
}

/// # Safety
/// `challenge` is NULL or readable for `challenge_len` bytes; `host` is NULL or
/// NUL-terminated; `answer` is writable for `answer_cap` bytes and `answer_len` for one
/// `size_t`; `err` is NULL or writable for `err_cap` bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn awsiam_client_answer(
    challenge: *const u8,
    challenge_len: usize,
    host: *const c_char,
    port: c_uint,
    local_socket: c_int,
    answer: *mut u8,
    answer_cap: usize,
    answer_len: *mut usize,
    err: *mut c_char,
    err_cap: usize,
) -> c_int {
    // SAFETY: caller guarantees on `challenge` and `host`.
    let (raw, host) = unsafe { (bytes(challenge, challenge_len).to_vec(), string(host)) };
    // A thread of its own: the caller may be inside an async runtime of its own, where
    // starting another one would panic; and a panic there ends at `join`.
    let worker = std::thread::Builder::new()
        .name("auth_awsiam_client".into())
        .spawn(move || {
            let dialed = Dialed {
                host: host.as_deref().unwrap_or(""),
                port,
                local_socket: local_socket != 0,
            };
            respond::answer(&raw, &dialed, &|k| std::env::var(k).ok()).map_err(|f| f.message())
        });
    let result = match worker {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|_| Err("internal error (panic) while answering".into())),
        Err(e) => Err(format!("cannot start a thread: {e}")),
    };
    let result = result.and_then(|a| {
        if answer.is_null() || answer_len.is_null() || a.len() > answer_cap {
            Err(format!(
                "the answer of {} bytes does not fit the buffer",
                a.len()
            ))
        } else {
            Ok(a)
        }
    });
    match result {
        Ok(a) => {
            // SAFETY: checked non-NULL above; the caller guarantees `answer_cap` writable
            // bytes, of which a.len() are written, and one writable `size_t`.
            unsafe {
                std::ptr::copy_nonoverlapping(a.as_ptr(), answer, a.len());
                *answer_len = a.len();
            }
            OK
        }
        Err(e) => {
            // SAFETY: caller guarantees on `err`.
            unsafe { write_c(err, err_cap, &e) };
            FAILED
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn awsiam_client_deinit() {
    let _ = catch_unwind(options::clear);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_challenge_fails_with_a_message() {
        let mut answer = [0u8; 16];
        let mut len = 0usize;
        let mut err = [0 as c_char; 256];
        let host = c"127.0.0.1";
        let rc = unsafe {
            awsiam_client_answer(
                b"nope".as_ptr(),
                4,
                host.as_ptr(),
                3306,
                0,
                answer.as_mut_ptr(),
                answer.len(),
                &mut len,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        assert_eq!(rc, FAILED);
        let msg = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy();
        assert!(msg.contains("challenge"), "{msg}");
        assert_eq!(len, 0);
    }

    #[test]
    fn null_arguments_are_safe() {
        let rc = unsafe {
            awsiam_client_answer(
                std::ptr::null(),
                10,
                std::ptr::null(),
                0,
                0,
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, FAILED);
        let rc = unsafe {
            awsiam_client_option(std::ptr::null(), std::ptr::null(), std::ptr::null_mut(), 0)
        };
        assert_eq!(rc, FAILED);
    }
}
