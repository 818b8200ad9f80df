//! Every system variable of the two server plugins, stated once: its name, its type,
//! default and range, whether changing it needs `AUTH_AWSIAM_ADMIN`, and its help text.
//!
//! The shims must declare the variables with MySQL's compile-time macros
//! (`MYSQL_SYSVAR_STR` ...): tests/sysvars.rs holds each declaration to this table (name,
//! type, default, range, help, privilege), and the docs' variable reference too. At run
//! time the shims ask this table, through the C ABI, for a variable's name and whether it
//! needs the privilege (`awsiam_setting_name`, `awsiam_setting_needs_admin`).

use std::ffi::CStr;

use crate::config::{self, Setting};

/// The type of a variable and its default (and range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Str(&'static str),
    Uint { default: u64, min: u64, max: u64 },
    Bool(bool),
}

/// One system variable.
#[derive(Clone, Copy, Debug)]
pub struct SysVar {
    pub setting: Setting,
    /// The whole name, as SHOW VARIABLES shows it.
    pub name: &'static CStr,
    /// The plugin that declares it (its name is this plugin's name, '_', its own).
    pub plugin: &'static str,
    pub value: Value,
    /// Whether it decides who may log in: then changing it needs `AUTH_AWSIAM_ADMIN` as
    /// well as `SYSTEM_VARIABLES_ADMIN`. The others change how fast or how loudly.
    pub admin: bool,
    pub help: &'static str,
}

impl SysVar {
    pub fn name(&self) -> &'static str {
        self.name.to_str().expect("ASCII names")
    }
}

const CORE: &str = "auth_awsiam";
const CHALLENGE: &str = "auth_awsiam_challenge";

const fn secs(d: std::time::Duration) -> u64 {
    d.as_secs()
}

/// Every variable, in the order of `enum awsiam_setting`.
pub const ALL: [SysVar; 18] = [
    SysVar {
        setting: Setting::StsEndpoint,
        name: c"auth_awsiam_sts_endpoint",
        plugin: CORE,
        value: Value::Str(""),
        admin: true,
        help: "STS endpoint URL (https://host[:port], or http:// on loopback) whose host tokens may name, besides the official STS hosts. Empty: official hosts only.",
    },
    SysVar {
        setting: Setting::Region,
        name: c"auth_awsiam_region",
        plugin: CORE,
        value: Value::Str(""),
        admin: true,
        help: "AWS region of the configured STS endpoint and of the server's own identity lookup. Empty: from the server's AWS configuration, else us-east-1.",
    },
    SysVar {
        setting: Setting::AllowedAccounts,
        name: c"auth_awsiam_allowed_accounts",
        plugin: CORE,
        value: Value::Str(""),
        admin: true,
        help: "Comma-separated 12-digit AWS account IDs whose principals may log in. Empty: the server's own account.",
    },
    SysVar {
        setting: Setting::ServerId,
        name: c"auth_awsiam_server_id",
        plugin: CORE,
        value: Value::Str(""),
        admin: true,
        help: "Audience value every token must be signed for (header x-auth-awsiam-server-id), so a token for one server cannot be used on another. Empty: not required.",
    },
    SysVar {
        setting: Setting::TokenMaxAge,
        name: c"auth_awsiam_token_max_age",
        plugin: CORE,
        value: Value::Uint {
            default: secs(config::DEFAULT_TOKEN_MAX_AGE),
            min: 1,
            max: secs(config::MAX_TOKEN_MAX_AGE),
        },
        admin: true,
        help: "Seconds a token stays valid after it was signed.",
    },
    SysVar {
        setting: Setting::StsConnectTimeout,
        name: c"auth_awsiam_sts_connect_timeout",
        plugin: CORE,
        value: Value::Uint {
            default: secs(config::DEFAULT_CONNECT_TIMEOUT),
            min: 1,
            max: 60,
        },
        admin: false,
        help: "Seconds to wait for a connection to STS.",
    },
    SysVar {
        setting: Setting::StsTimeout,
        name: c"auth_awsiam_sts_timeout",
        plugin: CORE,
        value: Value::Uint {
            default: secs(config::DEFAULT_STS_TIMEOUT),
            min: 1,
            max: 300,
        },
        admin: false,
        help: "Seconds one STS request may take in all.",
    },
    SysVar {
        setting: Setting::RequireSecureTransport,
        name: c"auth_awsiam_require_secure_transport",
        plugin: CORE,
        value: Value::Bool(true),
        admin: true,
        help: "Refuse tokens sent over a connection that is neither TLS nor local.",
    },
    SysVar {
        setting: Setting::CacheTtl,
        name: c"auth_awsiam_cache_ttl",
        plugin: CORE,
        value: Value::Uint {
            default: secs(config::DEFAULT_CACHE_TTL),
            min: 0,
            max: secs(config::MAX_TOKEN_MAX_AGE),
        },
        admin: false,
        help: "Seconds a verified token is remembered, so that reusing it skips STS. 0 disables the cache.",
    },
    SysVar {
        setting: Setting::CacheSize,
        name: c"auth_awsiam_cache_size",
        plugin: CORE,
        value: Value::Uint {
            default: config::DEFAULT_CACHE_SIZE as u64,
            min: 0,
            max: config::MAX_CACHE_SIZE as u64,
        },
        admin: false,
        help: "Most verified tokens remembered at once.",
    },
    SysVar {
        setting: Setting::LogVerbosity,
        name: c"auth_awsiam_log_verbosity",
        plugin: CORE,
        value: Value::Uint {
            default: config::DEFAULT_LOG_VERBOSITY as u64,
            min: 1,
            max: 3,
        },
        admin: false,
        help: "What goes to the error log: 1 errors, 2 also refused logins, 3 also successful logins.",
    },
    SysVar {
        setting: Setting::AllowedPartitions,
        name: c"auth_awsiam_allowed_partitions",
        plugin: CORE,
        value: Value::Str(""),
        admin: true,
        help: "Comma-separated AWS partitions (aws, aws-cn, aws-us-gov, aws-iso*) whose principals may log in. Empty: the server's own partition, that of its region.",
    },
    SysVar {
        setting: Setting::ChallengeAudiences,
        name: c"auth_awsiam_challenge_audiences",
        plugin: CHALLENGE,
        value: Value::Str(""),
        admin: true,
        help: "Server names (host[:port], comma separated) a challenge answer may be signed for: the names clients dial. Empty: this server's own names for each connection (its host name and the address it reached; localhost only over loopback or the socket). '*': any (no relay protection by name).",
    },
    SysVar {
        setting: Setting::ChallengeTimeout,
        name: c"auth_awsiam_challenge_timeout",
        plugin: CHALLENGE,
        value: Value::Uint {
            default: secs(config::DEFAULT_CHALLENGE_TIMEOUT),
            min: 1,
            max: secs(config::MAX_CHALLENGE_TIMEOUT),
        },
        admin: false,
        help: "Seconds the server waits for the answer to a challenge (connect_timeout also bounds it).",
    },
    SysVar {
        setting: Setting::ChallengeChannelBinding,
        name: c"auth_awsiam_challenge_channel_binding",
        plugin: CHALLENGE,
        value: Value::Bool(true),
        admin: true,
        help: "Refuse an answer over TLS unless it is bound to this server's TLS certificate (a relay shows the client its own). OFF only behind a router that terminates TLS itself.",
    },
    SysVar {
        setting: Setting::JwtIssuers,
        name: c"auth_awsiam_jwt_issuers",
        plugin: CORE,
        value: Value::Str(""),
        admin: true,
        help: "Comma-separated issuer URLs of AWS-signed JWTs (sts:GetWebIdentityToken) accepted as passwords: the account's issuer from aws iam get-outbound-web-identity-federation-info, or an http:// loopback test issuer. Empty: no JWT login.",
    },
    SysVar {
        setting: Setting::JwtAudience,
        name: c"auth_awsiam_jwt_audience",
        plugin: CORE,
        value: Value::Str(""),
        admin: true,
        help: "The audience a JWT must be issued for (aws sts get-web-identity-token --audience), so a token for one server cannot be used on another. Empty: every JWT is refused.",
    },
    SysVar {
        setting: Setting::ChallengeAnswers,
        name: c"auth_awsiam_challenge_answers",
        plugin: CHALLENGE,
        value: Value::Str("sigv4"),
        admin: true,
        help: "Kinds of answer a challenge offers, preferred first, comma separated: sigv4 (a signed GetCallerIdentity, verified by STS), jwt (an AWS-issued JWT bound to the challenge, verified here: IAM decides who may mint it; needs auth_awsiam_jwt_issuers and auth_awsiam_jwt_audience).",
    },
];

/// The variable of a setting.
pub fn of(setting: Setting) -> &'static SysVar {
    ALL.iter()
        .find(|v| v.setting == setting)
        .expect("every setting has its variable (a test holds the table to the enum)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_variable_per_setting_in_enum_order() {
        let settings: Vec<Setting> = ALL.iter().map(|v| v.setting).collect();
        assert_eq!(settings, Setting::ALL);
        for v in ALL {
            assert!(
                v.name().starts_with(&format!("{}_", v.plugin)),
                "{}",
                v.name()
            );
            assert_eq!(v.setting.is_string(), matches!(v.value, Value::Str(_)));
            if let Value::Uint { default, min, max } = v.value {
                assert!(min <= default && default <= max, "{}", v.name());
            }
        }
    }

    #[test]
    fn defaults_are_the_configs() {
        // What the server starts with is what a fresh Config holds: applying every
        // variable's default to a Config changes nothing.
        let fresh = config::Config::default();
        let mut applied = fresh.clone();
        for v in ALL {
            match v.value {
                Value::Str(s) => applied.set_str(v.setting, s).unwrap(),
                Value::Uint { default, .. } => applied.set_num(v.setting, default),
                Value::Bool(b) => applied.set_num(v.setting, u64::from(b)),
            }
        }
        assert_eq!(applied, fresh);
    }
}
