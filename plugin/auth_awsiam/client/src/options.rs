//! What the client plugin can be told, through `mysql_plugin_options()` (for the whole
//! process) or environment variables (read at each connection). A plugin option wins over
//! its variable; without either, the challenge and the AWS configuration decide.

use std::sync::Mutex;

use auth_awsiam_core::challenge::audience::ServerName;
use auth_awsiam_core::config::parse_endpoint;
use auth_awsiam_core::syntax;

/// One option: its `mysql_plugin_options` name and its environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    pub option: &'static str,
    pub env: &'static str,
}

/// The AWS profile to take credentials from (else AWS_PROFILE, else `default`).
pub const PROFILE: Name = Name {
    option: "profile",
    env: "AUTH_AWSIAM_PROFILE",
};
/// The region to sign for (else the one the server's challenge names).
pub const REGION: Name = Name {
    option: "region",
    env: "AUTH_AWSIAM_REGION",
};
/// The STS endpoint to sign for, `https://host[:port]` (else the server's, if it is an
/// official STS host).
pub const STS_ENDPOINT: Name = Name {
    option: "sts-endpoint",
    env: "AUTH_AWSIAM_STS_ENDPOINT",
};
/// Per dialed server, the name to sign instead: `DIALED=AUDIENCE,...` (else the host and
/// port dialed).
pub const AUDIENCE: Name = Name {
    option: "audience",
    env: "AUTH_AWSIAM_AUDIENCE",
};
/// Servers answered even without a verified TLS certificate: `host[:port],...`.
pub const TRUSTED_SERVERS: Name = Name {
    option: "trusted-servers",
    env: "AUTH_AWSIAM_TRUSTED_SERVERS",
};
pub const ALL: [Name; 5] = [PROFILE, REGION, STS_ENDPOINT, AUDIENCE, TRUSTED_SERVERS];

/// Longest option value.
pub const MAX_VALUE_LEN: usize = 4096;
/// Most entries in a list option.
pub const MAX_ENTRIES: usize = 100;

/// One audience override: when the dialed server is `dialed`, sign `audience`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudienceRule {
    pub dialed: ServerName,
    pub audience: String,
}

/// Options in force for one connection, each checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// The authority of the endpoint.
    pub sts_host: Option<String>,
    /// The endpoint as a URL: credential loading's STS calls (AssumeRole of a `role_arn`
    /// profile) go there too, as with the token tool's `--endpoint`.
    pub sts_url: Option<String>,
    pub audiences: Vec<AudienceRule>,
    pub trusted_servers: Vec<ServerName>,
}

impl Options {
    /// The audience to sign when the dialed server is `dialed` (`host:port`), if a rule
    /// names it; the first rule that does wins.
    pub fn audience_for(&self, dialed: &str) -> Option<&str> {
        self.audiences
            .iter()
            .find(|r| r.dialed.names(dialed))
            .map(|r| r.audience.as_str())
    }

    /// Whether the user named `dialed` (`host:port`) as a server to answer.
    pub fn trusts(&self, dialed: &str) -> bool {
        self.trusted_servers.iter().any(|e| e.names(dialed))
    }
}

static SET: Mutex<[Option<String>; 5]> = Mutex::new([None, None, None, None, None]);

fn index(option: &str) -> Option<usize> {
    ALL.iter().position(|n| n.option == option)
}

/// Longest excerpt of a bad value in a message: the client library's error buffer holds
/// 512 bytes, the plugin's prefix and sentence included.
const MAX_SHOWN_VALUE: usize = 64;

fn shown(value: &str) -> String {
    syntax::quoted(value, MAX_SHOWN_VALUE)
}

/// The items of a list option, lowercase, at most [`MAX_ENTRIES`].
fn items(value: &str, from: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> = value
        .split(',')
        .map(|i| i.trim().to_ascii_lowercase())
        .collect();
    if items.len() > MAX_ENTRIES {
        return Err(format!("bad {from}: more than {MAX_ENTRIES} entries"));
    }
    Ok(items)
}

fn server_name(item: &str, from: &str) -> Result<ServerName, String> {
    ServerName::parse(item).ok_or_else(|| {
        format!(
            "bad {from}: {} is not a host[:port] such as db1.example.com:3306",
            shown(item)
        )
    })
}

fn audience_rules(value: &str, from: &str) -> Result<Vec<AudienceRule>, String> {
    items(value, from)?
        .iter()
        .map(|item| {
            let Some((dialed, audience)) = item.split_once('=') else {
                return Err(format!(
                    "bad {from}: {} is not DIALED=AUDIENCE (for example 10.0.0.5:3306=db1.example.com:3306): an audience applies only to the server it names",
                    shown(item)
                ));
            };
            let dialed = server_name(dialed.trim(), from)?;
            let audience = audience.trim().to_string();
            if !syntax::is_authority(&audience) {
                return Err(format!(
                    "bad {from}: the audience {} is not a host[:port]",
                    shown(&audience)
                ));
            }
            Ok(AudienceRule { dialed, audience })
        })
        .collect()
}

/// Checks one value; `from` names where it came from, for the message.
fn check(name: Name, value: &str, from: &str) -> Result<(), String> {
    if value.len() > MAX_VALUE_LEN {
        return Err(format!(
            "bad {from}: longer than {MAX_VALUE_LEN} characters"
        ));
    }
    let (ok, expected) = match name {
        PROFILE => (
            !value.is_empty() && value.len() <= 128 && !value.contains(char::is_control),
            "a profile name",
        ),
        REGION => (syntax::is_region(value), "a region name such as us-east-1"),
        STS_ENDPOINT => {
            return parse_endpoint(value)
                .map_err(|e| format!("bad {from}: {e}"))
                .and_then(|ep| ep.map(|_| ()).ok_or_else(|| format!("bad {from}: empty")));
        }
        AUDIENCE => return audience_rules(value, from).map(|_| ()),
        _ => {
            return items(value, from)?
                .iter()
                .try_for_each(|i| server_name(i, from).map(|_| ()));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad {from} '{}': expected {expected}",
            shown(value)
        ))
    }
}

/// `mysql_plugin_options(plugin, option, value)`: sets (or with `None`, clears) an option.
pub fn set(option: &str, value: Option<&str>) -> Result<(), String> {
    let i = index(option).ok_or_else(|| {
        let names: Vec<&str> = ALL.iter().map(|n| n.option).collect();
        format!(
            "unknown option {} (known: {})",
            shown(option),
            names.join(", ")
        )
    })?;
    if let Some(v) = value {
        check(ALL[i], v, &format!("option {option}"))?;
    }
    SET.lock().unwrap_or_else(|e| e.into_inner())[i] = value.map(str::to_string);
    Ok(())
}

/// Forgets every option set (plugin unload).
pub fn clear() {
    *SET.lock().unwrap_or_else(|e| e.into_inner()) = Default::default();
}

/// The options for one connection: the ones set, else the environment (`env`).
pub fn effective(env: &dyn Fn(&str) -> Option<String>) -> Result<Options, String> {
    let set = SET.lock().unwrap_or_else(|e| e.into_inner()).clone();
    merge(&set, env)
}

fn merge(
    set: &[Option<String>; 5],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Options, String> {
    let mut values: [Option<(String, String)>; 5] = Default::default();
    for (i, name) in ALL.iter().enumerate() {
        values[i] = match &set[i] {
            Some(v) => Some((v.clone(), format!("option {}", name.option))),
            None => match env(name.env).filter(|v| !v.trim().is_empty()) {
                Some(v) => {
                    check(*name, &v, name.env)?;
                    Some((v, name.env.to_string()))
                }
                None => None,
            },
        };
    }
    let [profile, region, endpoint, audience, trusted] = values;
    let endpoint = endpoint.and_then(|(e, _)| parse_endpoint(&e).ok().flatten());
    let audiences = match audience {
        Some((v, from)) => audience_rules(&v, &from)?,
        None => Vec::new(),
    };
    let trusted_servers = match trusted {
        Some((v, from)) => items(&v, &from)?
            .iter()
            .map(|i| server_name(i, &from))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(Options {
        profile: profile.map(|(v, _)| v),
        region: region.map(|(v, _)| v),
        sts_url: endpoint.as_ref().map(|ep| ep.url()),
        sts_host: endpoint.map(|ep| ep.authority),
        audiences,
        trusted_servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    const NONE: [Option<String>; 5] = [None, None, None, None, None];

    #[test]
    fn environment_and_set_options_merge() {
        let env = env_of(&[
            ("AUTH_AWSIAM_PROFILE", "dev"),
            ("AUTH_AWSIAM_REGION", "eu-west-1"),
            ("AUTH_AWSIAM_STS_ENDPOINT", "http://127.0.0.1:4566"),
            ("AUTH_AWSIAM_AUDIENCE", ""),
            ("AUTH_AWSIAM_TRUSTED_SERVERS", "DB9.internal, 10.0.0.5:3306"),
        ]);
        let o = merge(&NONE, &env).unwrap();
        assert_eq!(o.profile.as_deref(), Some("dev"));
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        assert_eq!(o.sts_host.as_deref(), Some("127.0.0.1:4566"));
        assert_eq!(o.sts_url.as_deref(), Some("http://127.0.0.1:4566/"));
        assert!(o.audiences.is_empty(), "an empty variable is unset");
        assert!(o.trusts("db9.internal:3306") && o.trusts("10.0.0.5:3306"));
        assert!(!o.trusts("10.0.0.5:3307") && !o.trusts("db1.internal:3306"));
        let set = [
            Some("prod".to_string()),
            None,
            None,
            Some("10.0.0.5:3306=db1.example.com:3306".to_string()),
            Some("db1.example.com".to_string()),
        ];
        let o = merge(&set, &env).unwrap();
        assert_eq!(o.profile.as_deref(), Some("prod"), "a plugin option wins");
        assert_eq!(
            o.audience_for("10.0.0.5:3306"),
            Some("db1.example.com:3306")
        );
        assert!(o.trusts("db1.example.com:3306") && !o.trusts("db9.internal:3306"));
    }

    #[test]
    fn an_audience_applies_to_the_server_it_names() {
        let env = env_of(&[(
            "AUTH_AWSIAM_AUDIENCE",
            "10.0.0.5:3306=db1.example.com:3306, lb.internal=db2.example.com",
        )]);
        let o = merge(&NONE, &env).unwrap();
        assert_eq!(
            o.audience_for("10.0.0.5:3306"),
            Some("db1.example.com:3306")
        );
        assert_eq!(o.audience_for("lb.internal:3307"), Some("db2.example.com"));
        assert_eq!(o.audience_for("10.0.0.5:3307"), None);
        assert_eq!(o.audience_for("evil.example.com:3306"), None);
        // The old form, one audience for every server the process dials, is refused.
        let e = merge(
            &NONE,
            &env_of(&[("AUTH_AWSIAM_AUDIENCE", "db1.example.com:3306")]),
        )
        .unwrap_err();
        assert!(e.contains("DIALED=AUDIENCE"), "{e}");
    }

    #[test]
    fn bad_environment_values_are_named() {
        for (var, value) in [
            ("AUTH_AWSIAM_REGION", "moon"),
            ("AUTH_AWSIAM_STS_ENDPOINT", "http://10.0.0.1"),
            ("AUTH_AWSIAM_AUDIENCE", "DB 1=db1"),
            ("AUTH_AWSIAM_AUDIENCE", "db1=DB 1"),
            ("AUTH_AWSIAM_TRUSTED_SERVERS", "db1,,db2"),
            ("AUTH_AWSIAM_TRUSTED_SERVERS", "*"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(vec![(var, value)].into_boxed_slice());
            let e = merge(&NONE, &env_of(pairs)).unwrap_err();
            assert!(e.contains(var), "{var}={value}: {e}");
        }
        let long: &'static str = Box::leak("a,".repeat(MAX_ENTRIES + 1).into_boxed_str());
        let pairs: &'static [(&'static str, &'static str)] =
            Box::leak(vec![("AUTH_AWSIAM_TRUSTED_SERVERS", long)].into_boxed_slice());
        assert!(merge(&NONE, &env_of(pairs)).is_err());
    }

    #[test]
    fn set_checks_names_and_values() {
        assert!(
            set("colour", Some("blue"))
                .unwrap_err()
                .contains("unknown option")
        );
        assert!(
            set("region", Some("moon"))
                .unwrap_err()
                .contains("option region")
        );
        assert!(set("audience", Some("Bad Host")).is_err());
        assert!(set("audience", Some("db1.example.com:3306")).is_err());
        assert!(set("trusted-servers", Some("a b")).is_err());
        assert!(set("profile", Some("")).is_err());
    }
}
