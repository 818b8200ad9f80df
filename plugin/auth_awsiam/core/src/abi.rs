//! The types of the C ABI, stated once on the Rust side. The three headers
//! (auth_awsiam_core.h, auth_awsiam_core_challenge.h, auth_awsiam_client_core.h) spell the
//! same by hand, for the people who read them (packagers, the shims); tests/header.rs (and
//! the client crate's) parse the headers and fail on any difference in enum values, struct
//! fields (names, C types, order), `#define`d limits, or function prototypes.
//!
//! The macros record what Rust cannot reflect on (variant and field names, field types),
//! so the test compares the header against the real declarations, not against a copy.

use std::ffi::{c_char, c_int};

/// A C enum: a `#[repr(i32)]` Rust enum plus what the header test needs. `c` is the C
/// enum's tag, `prefix` its constants' prefix: variant `StsEndpoint` of prefix `AWSIAM_`
/// is `AWSIAM_STS_ENDPOINT` in the header.
#[macro_export]
macro_rules! c_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident = $c:literal, $prefix:literal {
            $($(#[$vmeta:meta])* $variant:ident = $value:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(i32)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// `enum <C_ENUM>` in auth_awsiam_core.h.
            pub const C_ENUM: &'static str = $c;
            /// Prefix of its constants in the header.
            pub const C_PREFIX: &'static str = $prefix;

            pub fn from_id(id: i32) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| *v as i32 == id)
            }

            /// The variant's Rust name (`StsEndpoint`).
            pub fn variant_name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant),)*
                }
            }
        }
    };
}
pub(crate) use c_enum;

/// A `#[repr(C)]` struct whose field names and Rust types are also kept as text, in order,
/// for the header test.
#[macro_export]
macro_rules! c_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident = $c:literal {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// `struct <C_STRUCT>` in auth_awsiam_core.h.
            pub const C_STRUCT: &'static str = $c;
            /// (field name, Rust type as written), in declaration order.
            pub const C_FIELDS: &'static [(&'static str, &'static str)] =
                &[$((stringify!($field), stringify!($ty)),)*];
        }
    };
}

pub(crate) use c_struct;

c_enum! {
    /// What `awsiam_authenticate` returns.
    pub enum Verdict = "awsiam_verdict", "AWSIAM_" {
        Allow = 0,
        Deny = 1,
    }
}

c_enum! {
    /// Severity of a message the core asks the shim to write to the server error log.
    pub enum LogLevel = "awsiam_log_level", "AWSIAM_LOG_" {
        Error = 0,
        Warning = 1,
        Info = 2,
    }
}

c_struct! {
    /// What the server knows about one login attempt. Every pointer is NULL or valid for
    /// its length for the duration of the call.
    pub struct AwsiamLogin = "awsiam_login" {
        /// The matched account's user name ('' for an anonymous account).
        pub user: *const c_char,
        pub user_len: usize,
        /// The user name the client sent; NULL: the same as `user`. It differs from `user`
        /// only through an anonymous account, and is only logged, never decided on.
        pub client_user: *const c_char,
        pub client_user_len: usize,
        pub host: *const c_char,
        pub host_len: usize,
        pub auth_string: *const c_char,
        pub auth_string_len: usize,
        /// NULL if the client sent no packet.
        pub token: *const u8,
        pub token_len: usize,
        /// 1 over TLS or a local socket.
        pub secure_transport: c_int,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for v in LogLevel::ALL {
            assert_eq!(LogLevel::from_id(*v as i32), Some(*v));
        }
        assert_eq!(Verdict::from_id(2), None);
        assert_eq!(Verdict::Deny.variant_name(), "Deny");
        assert_eq!(AwsiamLogin::C_FIELDS[0], ("user", "*const c_char"));
        assert_eq!(AwsiamLogin::C_FIELDS.len(), 11);
    }
}
