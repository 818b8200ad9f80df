//! The one error type of the core: why a login (or a setting) was refused.
//!
//! `detail` is written to the server error log, so it must never hold the token, a
//! signature, a session token, a secret key or a raw STS response body.

use std::fmt;

/// Declares the refusal reasons once: each variant, its stable snake_case name (the error
/// log, the docs' table, the tests) and its counter group. `Reason::ALL`, `name()` and
/// `group()` come from this one list, as `metrics.rs` does for the counters.
macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $group:ident,)*) => {
        /// Why a login was refused. Each reason has a stable snake_case name (the error log)
        /// and belongs to one counter group (the `Auth_awsiam_failures_*` status variables).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Reason {
            $($(#[$doc])* $variant,)*
        }

        impl Reason {
            /// Every reason, in declaration order, for tests and documentation.
            pub const ALL: [Reason; [$($name,)*].len()] = [$(Reason::$variant,)*];

            /// The stable name written to the error log.
            pub fn name(self) -> &'static str {
                match self {
                    $(Reason::$variant => $name,)*
                }
            }

            /// The counter group this reason is counted in.
            pub fn group(self) -> Group {
                match self {
                    $(Reason::$variant => Group::$group,)*
                }
            }
        }
    };
}

/// Declares the counter groups once, each with the field of `struct awsiam_counters` (and
/// status variable `Auth_awsiam_<field>`) that counts it.
macro_rules! groups {
    ($($(#[$doc:meta])* $variant:ident => $counter:literal,)*) => {
        /// The counter group of a reason: one `failures_*` field of `struct awsiam_counters`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Group {
            $($(#[$doc])* $variant,)*
        }

        impl Group {
            /// Every group, in declaration order.
            pub const ALL: [Group; [$($counter,)*].len()] = [$(Group::$variant,)*];

            /// The field of `struct awsiam_counters` (and the status variable
            /// `Auth_awsiam_<field>`) that counts the reasons of this group.
            pub fn counter(self) -> &'static str {
                match self {
                    $(Group::$variant => $counter,)*
                }
            }
        }
    };
}

groups! {
    NoToken => "failures_no_token",
    TokenInvalid => "failures_token_invalid",
    TokenExpired => "failures_token_expired",
    ServerId => "failures_server_id",
    InsecureTransport => "failures_insecure_transport",
    StsUnavailable => "failures_sts_unavailable",
    StsThrottled => "failures_sts_throttled",
    StsBusy => "failures_sts_busy",
    StsRejected => "failures_sts_rejected",
    AccountNotAllowed => "failures_account_not_allowed",
    PrincipalMismatch => "failures_principal_mismatch",
    /// A caller every check let through but no rule covers is a gap in the rules (or a
    /// stranger), not a mismatch with one account: its own counter.
    NoMatchingRule => "failures_no_matching_rule",
    Internal => "failures_internal",
}

reasons! {
    NoToken = "no_token" => NoToken,
    TokenEmpty = "token_empty" => TokenInvalid,
    TokenTooLarge = "token_too_large" => TokenInvalid,
    TokenVersion = "token_version" => TokenInvalid,
    TokenEncoding = "token_encoding" => TokenInvalid,
    TokenTruncated = "token_truncated" => TokenInvalid,
    TokenField = "token_field" => TokenInvalid,
    ScopeMismatch = "scope_mismatch" => TokenInvalid,
    HeaderNotSigned = "header_not_signed" => TokenInvalid,
    HeaderNotSupported = "header_not_supported" => TokenInvalid,
    HostNotAllowed = "host_not_allowed" => TokenInvalid,
    TokenExpired = "token_expired" => TokenExpired,
    TokenFromFuture = "token_from_future" => TokenExpired,
    ServerIdMissing = "server_id_missing" => ServerId,
    ServerIdMismatch = "server_id_mismatch" => ServerId,
    InsecureTransport = "insecure_transport" => InsecureTransport,
    StsUnreachable = "sts_unreachable" => StsUnavailable,
    StsCertificate = "sts_certificate" => StsUnavailable,
    StsBadResponse = "sts_bad_response" => StsUnavailable,
    StsThrottled = "sts_throttled" => StsThrottled,
    StsBusy = "sts_busy" => StsBusy,
    StsRejected = "sts_rejected" => StsRejected,
    AccountNotAllowed = "account_not_allowed" => AccountNotAllowed,
    NoAllowedAccount = "no_allowed_account" => AccountNotAllowed,
    /// The server's own account is being learned again after a change of the STS endpoint
    /// or region: a login that needs it waits for no stale answer.
    ServerAccountPending = "server_account_pending" => AccountNotAllowed,
    /// An account ID names an account only within its partition.
    PartitionNotAllowed = "partition_not_allowed" => AccountNotAllowed,
    CallerUnsupported = "caller_unsupported" => PrincipalMismatch,
    PrincipalTypeNotAllowed = "principal_type_not_allowed" => PrincipalMismatch,
    RoleMismatch = "role_mismatch" => PrincipalMismatch,
    BindingMismatch = "binding_mismatch" => PrincipalMismatch,
    NoMatchingRule = "no_matching_rule" => NoMatchingRule,
    AuthStringInvalid = "auth_string_invalid" => PrincipalMismatch,
    NoAnswer = "no_answer" => NoToken,
    ChallengeMismatch = "challenge_mismatch" => TokenInvalid,
    ChallengeExpired = "challenge_expired" => TokenExpired,
    AudienceMismatch = "audience_mismatch" => ServerId,
    ChannelBinding = "channel_binding" => ServerId,
    JwtMalformed = "jwt_malformed" => TokenInvalid,
    JwtAlgorithm = "jwt_algorithm" => TokenInvalid,
    JwtIssuer = "jwt_issuer" => TokenInvalid,
    JwtKeyUnknown = "jwt_key_unknown" => TokenInvalid,
    JwtSignature = "jwt_signature" => TokenInvalid,
    JwtAudience = "jwt_audience" => ServerId,
    JwtExpired = "jwt_expired" => TokenExpired,
    JwtNotYetValid = "jwt_not_yet_valid" => TokenExpired,
    JwtLifetime = "jwt_lifetime" => TokenExpired,
    JwtSubject = "jwt_subject" => PrincipalMismatch,
    /// Counted with STS's unavailability (an AWS endpoint the login depends on is down),
    /// but no request went to STS: not an STS error.
    JwtKeysUnavailable = "jwt_keys_unavailable" => StsUnavailable,
    Internal = "internal" => Internal,
}

impl Reason {
    /// Whether a request to STS that ends in this refusal got no valid answer: counted in
    /// `sts_errors`. A valid answer naming a caller the plugin then refuses (for example
    /// `caller_unsupported`, an ARN no account can be for) is not an STS error: STS did
    /// its job, and counting it would make a policy problem look like an STS outage.
    pub fn is_sts_error(self) -> bool {
        self != Reason::JwtKeysUnavailable
            && matches!(
                self.group(),
                Group::StsUnavailable | Group::StsThrottled | Group::StsBusy | Group::StsRejected
            )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A refused login: the reason and a human-readable detail safe to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    pub detail: String,
}

impl Refusal {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Refusal {
            reason,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.name(), self.detail)
    }
}

impl std::error::Error for Refusal {}

/// Shorthand used by every check: `Err(refuse(Reason::X, "..."))`.
pub fn refuse(reason: Reason, detail: impl Into<String>) -> Refusal {
    Refusal::new(reason, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for r in Reason::ALL {
            let n = r.name();
            assert!(seen.insert(n), "duplicate name {n}");
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{n}");
        }
    }

    #[test]
    fn groups_follow_the_table() {
        assert_eq!(Reason::HostNotAllowed.group(), Group::TokenInvalid);
        assert_eq!(Reason::ScopeMismatch.group(), Group::TokenInvalid);
        assert_eq!(Reason::TokenFromFuture.group(), Group::TokenExpired);
        assert_eq!(Reason::StsThrottled.group(), Group::StsThrottled);
        assert_eq!(Reason::StsBusy.group(), Group::StsBusy);
        assert_eq!(Reason::NoAllowedAccount.group(), Group::AccountNotAllowed);
        assert_eq!(Reason::AuthStringInvalid.group(), Group::PrincipalMismatch);
        assert_eq!(Reason::NoMatchingRule.group(), Group::NoMatchingRule);
        assert_eq!(Reason::Internal.group(), Group::Internal);
    }

    #[test]
    fn only_sts_reasons_are_sts_errors() {
        let errors: Vec<&str> = Reason::ALL
            .into_iter()
            .filter(|r| r.is_sts_error())
            .map(Reason::name)
            .collect();
        assert_eq!(
            errors,
            [
                "sts_unreachable",
                "sts_certificate",
                "sts_bad_response",
                "sts_throttled",
                "sts_busy",
                "sts_rejected"
            ]
        );
    }

    #[test]
    fn display_is_name_then_detail() {
        let r = refuse(Reason::TokenExpired, "too old");
        assert_eq!(r.to_string(), "token_expired: too old");
    }
}
