//! Between C arguments and Rust values, for the entry points of `ffi`: byte strings from
//! (pointer, length) pairs and NUL-terminated strings, the login record, and results
//! written back into the caller's buffers. Only conversions: no decision here.

use std::borrow::Cow;
use std::ffi::{CStr, c_char, c_int};

use super::{ALLOW, AwsiamLogin, INVALID};
use crate::auth::{Admitted, Login};

/// A (pointer, length) pair as bytes; NULL or zero length is empty.
///
/// # Safety
/// `ptr` is NULL or valid for `len` bytes for the duration of the call.
pub(super) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
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
pub(super) unsafe fn c_bytes<'a>(ptr: *const c_char) -> &'a [u8] {
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
pub(super) unsafe fn write_c(buf: *mut c_char, cap: usize, s: &str) -> usize {
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
pub(super) unsafe fn status(result: Result<(), String>, err: *mut c_char, err_cap: usize) -> c_int {
    match result {
        Ok(()) => 0,
        Err(e) => {
            // SAFETY: forwarded caller guarantee.
            unsafe { write_c(err, err_cap, &e) };
            INVALID
        }
    }
}

/// The strings of a `struct awsiam_login`, borrowed where they are valid UTF-8 (lossy
/// otherwise: invalid bytes match no role name nor pattern, so they are refused there).
pub(super) struct LoginArgs<'a> {
    user: Cow<'a, str>,
    client_user: Cow<'a, str>,
    host: Cow<'a, str>,
    auth_string: Cow<'a, str>,
    secure_transport: bool,
}

impl<'a> LoginArgs<'a> {
    /// # Safety
    /// `l`'s pointers are NULL or valid for their lengths for the duration of the call.
    pub(super) unsafe fn from(l: &'a AwsiamLogin) -> LoginArgs<'a> {
        // SAFETY: caller guarantees each pointer is NULL or valid for its length.
        let auth_string = unsafe { bytes(l.auth_string.cast::<u8>(), l.auth_string_len) };
        LoginArgs {
            auth_string: String::from_utf8_lossy(auth_string),
            // SAFETY: forwarded caller guarantee.
            ..unsafe { LoginArgs::names(l) }
        }
    }

    /// The names and the transport only (the auth string is left empty, not read).
    ///
    /// # Safety
    /// As `from`, for the pointers read here.
    pub(super) unsafe fn names(l: &'a AwsiamLogin) -> LoginArgs<'a> {
        // SAFETY: caller guarantees each pointer is NULL or valid for its length.
        let (user, client_user, host) = unsafe {
            (
                bytes(l.user.cast::<u8>(), l.user_len),
                // NULL: the server did not say; the account's name stands for it.
                (!l.client_user.is_null())
                    .then(|| bytes(l.client_user.cast::<u8>(), l.client_user_len)),
                bytes(l.host.cast::<u8>(), l.host_len),
            )
        };
        LoginArgs {
            user: String::from_utf8_lossy(user),
            client_user: String::from_utf8_lossy(client_user.unwrap_or(user)),
            host: String::from_utf8_lossy(host),
            auth_string: Cow::Borrowed(""),
            secure_transport: l.secure_transport != 0,
        }
    }

    /// For a refusal logged when the server passed no login at all.
    pub(super) fn empty() -> LoginArgs<'static> {
        LoginArgs {
            user: Cow::Borrowed(""),
            client_user: Cow::Borrowed(""),
            host: Cow::Borrowed(""),
            auth_string: Cow::Borrowed(""),
            secure_transport: false,
        }
    }

    pub(super) fn login<'b>(&'b self, token: Option<&'b [u8]>) -> Login<'b> {
        Login {
            user: &self.user,
            client_user: &self.client_user,
            host: &self.host,
            auth_string: &self.auth_string,
            token,
            secure_transport: self.secure_transport,
        }
    }
}

/// The token (or challenge answer) of a `struct awsiam_login`: `None` if the client sent
/// no packet.
///
/// # Safety
/// As `LoginArgs::from`.
pub(super) unsafe fn packet(l: &AwsiamLogin) -> Option<&[u8]> {
    // SAFETY: caller guarantees the token pointer is NULL or valid for its length.
    (!l.token.is_null()).then(|| unsafe { bytes(l.token, l.token_len) })
}

/// ALLOW, with the caller's ARN and the mapped account ('' if none) written out.
///
/// # Safety
/// `external_user` is NULL or writable for `external_user_cap`; `mapped_account` passed
/// `has_room_for_account` and is writable for `mapped_account_cap`.
pub(super) unsafe fn admit(
    admitted: &Admitted,
    external_user: *mut c_char,
    external_user_cap: usize,
    mapped_account: *mut c_char,
    mapped_account_cap: usize,
) -> c_int {
    let name = admitted.mapped.as_ref().map_or("", |m| m.account.as_str());
    // SAFETY: forwarded caller guarantees; the name fits (has_room_for_account).
    unsafe {
        write_c(external_user, external_user_cap, &admitted.caller.arn);
        write_c(mapped_account, mapped_account_cap, name);
    }
    ALLOW
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
    fn null_inputs_are_empty() {
        assert_eq!(unsafe { bytes(std::ptr::null(), 5) }, b"");
        assert_eq!(unsafe { c_bytes(std::ptr::null()) }, b"");
    }
}
