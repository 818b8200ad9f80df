//! The one error type of the core: why a login (or a setting) was refused.
//!
//! `detail` is written to the server error log, so it must never hold the token, a
//! signature, a session token, a secret key or a raw STS response body.

use std::fmt;

/// Why a login was refused. Each reason has a stable snake_case name (the error log) and
/// belongs to one counter group (the `Auth_awsiam_failures_*` status variables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    NoToken,
    TokenEmpty,
    TokenTooLarge,
    TokenVersion,
    TokenEncoding,
    TokenTruncated,
    TokenField,
    ScopeMismatch,
    HeaderNotSigned,
    HeaderNotSupported,
    HostNotAllowed,
    TokenExpired,
    TokenFromFuture,
    ServerIdMissing,
    ServerIdMismatch,
    InsecureTransport,
    StsUnreachable,
    StsCertificate,
    StsBadResponse,
    StsThrottled,
    StsBusy,
    StsRejected,
    AccountNotAllowed,
    NoAllowedAccount,
    CallerUnsupported,
    PrincipalTypeNotAllowed,
    RoleMismatch,
    BindingMismatch,
    NoMatchingRule,
    AuthStringInvalid,
    NoAnswer,
    ChallengeMismatch,
    ChallengeExpired,
    AudienceMismatch,
    JwtMalformed,
    JwtAlgorithm,
    JwtIssuer,
    JwtKeyUnknown,
    JwtSignature,
    JwtAudience,
    JwtExpired,
    JwtNotYetValid,
    JwtLifetime,
    JwtSubject,
    JwtKeysUnavailable,
    Internal,
}

/// The counter group of a reason: one `failures_*` field of `struct awsiam_counters`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    NoToken,
    TokenInvalid,
    TokenExpired,
    ServerId,
    InsecureTransport,
    StsUnavailable,
    StsThrottled,
    StsBusy,
    StsRejected,
    AccountNotAllowed,
    PrincipalMismatch,
    NoMatchingRule,
    Internal,
}

impl Reason {
    /// Every reason, for tests and documentation.
    pub const ALL: [Reason; 46] = [
        Reason::NoToken,
        Reason::TokenEmpty,
        Reason::TokenTooLarge,
        Reason::TokenVersion,
        Reason::TokenEncoding,
        Reason::TokenTruncated,
        Reason::TokenField,
        Reason::ScopeMismatch,
        Reason::HeaderNotSigned,
        Reason::HeaderNotSupported,
        Reason::HostNotAllowed,
        Reason::TokenExpired,
        Reason::TokenFromFuture,
        Reason::ServerIdMissing,
        Reason::ServerIdMismatch,
        Reason::InsecureTransport,
        Reason::StsUnreachable,
        Reason::StsCertificate,
        Reason::StsBadResponse,
        Reason::StsThrottled,
        Reason::StsBusy,
        Reason::StsRejected,
        Reason::AccountNotAllowed,
        Reason::NoAllowedAccount,
        Reason::CallerUnsupported,
        Reason::PrincipalTypeNotAllowed,
        Reason::RoleMismatch,
        Reason::BindingMismatch,
        Reason::NoMatchingRule,
        Reason::AuthStringInvalid,
        Reason::NoAnswer,
        Reason::ChallengeMismatch,
        Reason::ChallengeExpired,
        Reason::AudienceMismatch,
        Reason::JwtMalformed,
        Reason::JwtAlgorithm,
        Reason::JwtIssuer,
        Reason::JwtKeyUnknown,
        Reason::JwtSignature,
        Reason::JwtAudience,
        Reason::JwtExpired,
        Reason::JwtNotYetValid,
        Reason::JwtLifetime,
        Reason::JwtSubject,
        Reason::JwtKeysUnavailable,
        Reason::Internal,
    ];

    /// The stable name written to the error log.
    pub fn name(self) -> &'static str {
        match self {
            Reason::NoToken => "no_token",
            Reason::TokenEmpty => "token_empty",
            Reason::TokenTooLarge => "token_too_large",
            Reason::TokenVersion => "token_version",
            Reason::TokenEncoding => "token_encoding",
            Reason::TokenTruncated => "token_truncated",
            Reason::TokenField => "token_field",
            Reason::ScopeMismatch => "scope_mismatch",
            Reason::HeaderNotSigned => "header_not_signed",
            Reason::HeaderNotSupported => "header_not_supported",
            Reason::HostNotAllowed => "host_not_allowed",
            Reason::TokenExpired => "token_expired",
            Reason::TokenFromFuture => "token_from_future",
            Reason::ServerIdMissing => "server_id_missing",
            Reason::ServerIdMismatch => "server_id_mismatch",
            Reason::InsecureTransport => "insecure_transport",
            Reason::StsUnreachable => "sts_unreachable",
            Reason::StsCertificate => "sts_certificate",
            Reason::StsBadResponse => "sts_bad_response",
            Reason::StsThrottled => "sts_throttled",
            Reason::StsBusy => "sts_busy",
            Reason::StsRejected => "sts_rejected",
            Reason::AccountNotAllowed => "account_not_allowed",
            Reason::NoAllowedAccount => "no_allowed_account",
            Reason::CallerUnsupported => "caller_unsupported",
            Reason::PrincipalTypeNotAllowed => "principal_type_not_allowed",
            Reason::RoleMismatch => "role_mismatch",
            Reason::BindingMismatch => "binding_mismatch",
            Reason::NoMatchingRule => "no_matching_rule",
            Reason::AuthStringInvalid => "auth_string_invalid",
            Reason::NoAnswer => "no_answer",
            Reason::ChallengeMismatch => "challenge_mismatch",
            Reason::ChallengeExpired => "challenge_expired",
            Reason::AudienceMismatch => "audience_mismatch",
            Reason::JwtMalformed => "jwt_malformed",
            Reason::JwtAlgorithm => "jwt_algorithm",
            Reason::JwtIssuer => "jwt_issuer",
            Reason::JwtKeyUnknown => "jwt_key_unknown",
            Reason::JwtSignature => "jwt_signature",
            Reason::JwtAudience => "jwt_audience",
            Reason::JwtExpired => "jwt_expired",
            Reason::JwtNotYetValid => "jwt_not_yet_valid",
            Reason::JwtLifetime => "jwt_lifetime",
            Reason::JwtSubject => "jwt_subject",
            Reason::JwtKeysUnavailable => "jwt_keys_unavailable",
            Reason::Internal => "internal",
        }
    }

    /// The counter group this reason is counted in.
    pub fn group(self) -> Group {
        match self {
            Reason::NoToken | Reason::NoAnswer => Group::NoToken,
            Reason::TokenEmpty
            | Reason::TokenTooLarge
            | Reason::TokenVersion
            | Reason::TokenEncoding
            | Reason::TokenTruncated
            | Reason::TokenField
            | Reason::ScopeMismatch
            | Reason::HeaderNotSigned
            | Reason::HeaderNotSupported
            | Reason::HostNotAllowed
            | Reason::ChallengeMismatch
            | Reason::JwtMalformed
            | Reason::JwtAlgorithm
            | Reason::JwtIssuer
            | Reason::JwtKeyUnknown
            | Reason::JwtSignature => Group::TokenInvalid,
            Reason::TokenExpired
            | Reason::TokenFromFuture
            | Reason::ChallengeExpired
            | Reason::JwtExpired
            | Reason::JwtNotYetValid
            | Reason::JwtLifetime => Group::TokenExpired,
            Reason::ServerIdMissing
            | Reason::ServerIdMismatch
            | Reason::AudienceMismatch
            | Reason::JwtAudience => Group::ServerId,
            Reason::InsecureTransport => Group::InsecureTransport,
            // An issuer's keys that cannot be fetched are, like STS, an AWS service out of
            // reach: the same counter tells the DBA to look at the network path.
            Reason::StsUnreachable
            | Reason::StsCertificate
            | Reason::StsBadResponse
            | Reason::JwtKeysUnavailable => Group::StsUnavailable,
            Reason::StsThrottled => Group::StsThrottled,
            Reason::StsBusy => Group::StsBusy,
            Reason::StsRejected => Group::StsRejected,
            Reason::AccountNotAllowed | Reason::NoAllowedAccount => Group::AccountNotAllowed,
            Reason::CallerUnsupported
            | Reason::PrincipalTypeNotAllowed
            | Reason::RoleMismatch
            | Reason::BindingMismatch
            | Reason::AuthStringInvalid
            | Reason::JwtSubject => Group::PrincipalMismatch,
            // Its own counter: a caller every check let through but no rule covers is a
            // gap in the rules (or a stranger), not a mismatch with one account.
            Reason::NoMatchingRule => Group::NoMatchingRule,
            Reason::Internal => Group::Internal,
        }
    }
}

impl Group {
    /// The field of `struct awsiam_counters` (and the status variable
    /// `Auth_awsiam_<field>`) that counts the reasons of this group.
    pub fn counter(self) -> &'static str {
        match self {
            Group::NoToken => "failures_no_token",
            Group::TokenInvalid => "failures_token_invalid",
            Group::TokenExpired => "failures_token_expired",
            Group::ServerId => "failures_server_id",
            Group::InsecureTransport => "failures_insecure_transport",
            Group::StsUnavailable => "failures_sts_unavailable",
            Group::StsThrottled => "failures_sts_throttled",
            Group::StsBusy => "failures_sts_busy",
            Group::StsRejected => "failures_sts_rejected",
            Group::AccountNotAllowed => "failures_account_not_allowed",
            Group::PrincipalMismatch => "failures_principal_mismatch",
            Group::NoMatchingRule => "failures_no_matching_rule",
            Group::Internal => "failures_internal",
        }
    }
}

impl Reason {
    /// Whether a request to STS that ends in this refusal got no valid answer: counted in
    /// `sts_errors`. A valid answer naming a caller the plugin then refuses (for example
    /// `caller_unsupported`, an ARN no account can be for) is not an STS error: STS did
    /// its job, and counting it would make a policy problem look like an STS outage. A JWT
    /// issuer's keys out of reach share STS's failure counter but no request went to STS.
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
        for (reason, group) in [
            (Reason::JwtMalformed, Group::TokenInvalid),
            (Reason::JwtAlgorithm, Group::TokenInvalid),
            (Reason::JwtIssuer, Group::TokenInvalid),
            (Reason::JwtKeyUnknown, Group::TokenInvalid),
            (Reason::JwtSignature, Group::TokenInvalid),
            (Reason::JwtAudience, Group::ServerId),
            (Reason::JwtExpired, Group::TokenExpired),
            (Reason::JwtNotYetValid, Group::TokenExpired),
            (Reason::JwtLifetime, Group::TokenExpired),
            (Reason::JwtSubject, Group::PrincipalMismatch),
            (Reason::JwtKeysUnavailable, Group::StsUnavailable),
        ] {
            assert_eq!(reason.group(), group, "{reason}");
        }
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
