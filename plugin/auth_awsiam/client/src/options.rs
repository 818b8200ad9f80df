//! What the client plugin can be told, through `mysql_plugin_options()` (for the whole
//! process) or environment variables (read at each connection). A plugin option wins over
//! its variable; without either, the challenge and the AWS configuration decide.

use std::sync::Mutex;

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
/// The STS endpoint to sign for, `https://host[:port]` (else the server's).
pub const STS_ENDPOINT: Name = Name {
    option: "sts-endpoint",
    env: "AUTH_AWSIAM_STS_ENDPOINT",
};
/// The server name to sign, `host[:port]` (else the host and port dialed).
pub const AUDIENCE: Name = Name {
    option: "audience",
    env: "AUTH_AWSIAM_AUDIENCE",
};
pub const ALL: [Name; 4] = [PROFILE, REGION, STS_ENDPOINT, AUDIENCE];

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
    pub audience: Option<String>,
}

static SET: Mutex<[Option<String>; 4]> = Mutex::new([None, None, None, None]);

fn index(option: &str) -> Option<usize> {
    ALL.iter().position(|n| n.option == option)
}

/// Checks one value; `from` names where it came from, for the message.
fn check(name: Name, value: &str, from: &str) -> Result<(), String> {
    let ok = match name.option {
        "profile" => !value.is_empty() && value.len() <= 128 && !value.contains(char::is_control),
        "region" => syntax::is_region(value),
        "sts-endpoint" => {
            return parse_endpoint(value)
                .map_err(|e| format!("bad {from}: {e}"))
                .and_then(|ep| ep.map(|_| ()).ok_or_else(|| format!("bad {from}: empty")));
        }
        _ => syntax::is_authority(value),
    };
    if ok {
        Ok(())
    } else {
        let expected = match name.option {
            "profile" => "a profile name",
            "region" => "a region name such as us-east-1",
            _ => "a lowercase host[:port] such as db1.example.com:3306",
        };
        Err(format!(
            "bad {from} '{}': expected {expected}",
            shown(value)
        ))
    }
}

fn shown(value: &str) -> String {
    syntax::quoted(value, 64)
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
    *SET.lock().unwrap_or_else(|e| e.into_inner()) = [None, None, None, None];
}

/// The options for one connection: the ones set, else the environment (`env`).
pub fn effective(env: &dyn Fn(&str) -> Option<String>) -> Result<Options, String> {
    let set = SET.lock().unwrap_or_else(|e| e.into_inner()).clone();
    merge(&set, env)
}

fn merge(
    set: &[Option<String>; 4],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Options, String> {
    let mut values: [Option<String>; 4] = [None, None, None, None];
    for (i, name) in ALL.iter().enumerate() {
        values[i] = match &set[i] {
            Some(v) => Some(v.clone()),
            None => match env(name.env).filter(|v| !v.trim().is_empty()) {
                Some(v) => {
                    check(*name, &v, name.env)?;
                    Some(v)
                }
                None => None,
            },
        };
    }
    let [profile, region, endpoint, audience] = values;
    let endpoint = endpoint.and_then(|e| parse_endpoint(&e).ok().flatten());
    Ok(Options {
        profile,
        region,
        sts_url: endpoint.as_ref().map(|ep| ep.url()),
        sts_host: endpoint.map(|ep| ep.authority),
        audience,
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

    #[test]
    fn environment_and_set_options_merge() {
        let env = env_of(&[
            ("AUTH_AWSIAM_PROFILE", "dev"),
            ("AUTH_AWSIAM_REGION", "eu-west-1"),
            ("AUTH_AWSIAM_STS_ENDPOINT", "http://127.0.0.1:4566"),
            ("AUTH_AWSIAM_AUDIENCE", ""),
        ]);
        let none = [None, None, None, None];
        let o = merge(&none, &env).unwrap();
        assert_eq!(o.profile.as_deref(), Some("dev"));
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        assert_eq!(o.sts_host.as_deref(), Some("127.0.0.1:4566"));
        assert_eq!(o.sts_url.as_deref(), Some("http://127.0.0.1:4566/"));
        assert_eq!(o.audience, None, "an empty variable is unset");
        let set = [
            Some("prod".to_string()),
            None,
            None,
            Some("db1.example.com:3306".to_string()),
        ];
        let o = merge(&set, &env).unwrap();
        assert_eq!(o.profile.as_deref(), Some("prod"), "a plugin option wins");
        assert_eq!(o.audience.as_deref(), Some("db1.example.com:3306"));
    }

    #[test]
    fn bad_environment_values_are_named() {
        let e = merge(
            &[None, None, None, None],
            &env_of(&[("AUTH_AWSIAM_REGION", "moon")]),
        )
        .unwrap_err();
        assert!(
            e.contains("AUTH_AWSIAM_REGION") && e.contains("moon"),
            "{e}"
        );
        let e = merge(
            &[None, None, None, None],
            &env_of(&[("AUTH_AWSIAM_STS_ENDPOINT", "http://10.0.0.1")]),
        )
        .unwrap_err();
        assert!(e.contains("AUTH_AWSIAM_STS_ENDPOINT"), "{e}");
        let e = merge(
            &[None, None, None, None],
            &env_of(&[("AUTH_AWSIAM_AUDIENCE", "DB 1")]),
        )
        .unwrap_err();
        assert!(e.contains("AUTH_AWSIAM_AUDIENCE"), "{e}");
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
        assert!(set("profile", Some("")).is_err());
    }
}
