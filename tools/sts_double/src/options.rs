//! The command line of `serve`, `start` and `stop` (see the crate documentation).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::callers::{Callers, OuPath};
use crate::modes::Mode;

#[derive(Debug, Default)]
pub struct Options {
    pub listen: Vec<(Mode, String)>,
    pub latency: Duration,
    pub callers: Callers,
    pub pid_file: Option<PathBuf>,
    pub mtr_include: Option<PathBuf>,
    /// The include's names and values as one JSON object, for scripts.
    pub json: Option<PathBuf>,
    pub max_lifetime: Option<Duration>,
    pub dir: Option<PathBuf>,
    /// HTTPS listeners: name, certificate chain file, key file.
    pub https: Vec<(String, PathBuf, PathBuf)>,
    pub throttle_switch: Option<PathBuf>,
    /// `phased`: the file that names the phase, and the secret key requests must be signed
    /// with.
    pub phase_file: Option<PathBuf>,
    pub secret_key: Option<String>,
    /// Printed on stdout once listening (set by `start` for its child).
    pub announce: bool,
    /// The issuer over HTTPS too (certificate chain, key); its URL is then the tokens' `iss`.
    pub issuer_https: Option<(PathBuf, PathBuf)>,
    /// Where the run-time switches are read and the fetch counters written.
    pub switch_dir: Option<PathBuf>,
    pub policy: Policy,
    /// `sign --kid`: the key to sign with.
    pub kid: Option<String>,
}

/// What the emulated IAM and account settings refuse (GetWebIdentityToken only).
#[derive(Debug, Default, Clone)]
pub struct Policy {
    /// Audiences no caller may ask for: AccessDenied, as an identity policy with an
    /// `sts:IdentityTokenAudience` condition that does not list them would answer.
    pub denied_audiences: BTreeSet<String>,
    /// No caller may pass tags: AccessDenied naming sts:TagGetWebIdentityToken.
    pub deny_tagging: bool,
    /// Accounts that have not enabled outbound identity federation.
    pub federation_disabled: BTreeSet<String>,
    /// Largest payload (JSON bytes) minted; AWS documents no number.
    pub max_payload_bytes: Option<usize>,
}

/// `KEY=REST`, the access key ID first.
fn keyed<'a>(flag: &str, v: &'a str) -> Result<(&'a str, &'a str), String> {
    match v.split_once('=') {
        Some((k, rest)) if !k.is_empty() => Ok((k, rest)),
        _ => Err(format!("{flag} takes ACCESS_KEY_ID=VALUE")),
    }
}

pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                let (mode, addr) = v.split_once('=').ok_or("--listen takes MODE=ADDR")?;
                let mode = Mode::from_name(mode).ok_or(format!("unknown mode '{mode}'"))?;
                o.listen.push((mode, addr.to_string()));
            }
            "--latency-ms" => {
                let ms = value()?
                    .parse()
                    .map_err(|_| "--latency-ms takes a number")?;
                o.latency = Duration::from_millis(ms);
            }
            "--arn" => o.callers.template = value()?.clone(),
            "--pid-file" => o.pid_file = Some(value()?.into()),
            "--mtr-include" => o.mtr_include = Some(value()?.into()),
            "--json" => o.json = Some(value()?.into()),
            "--max-lifetime" => {
                let s = value()?
                    .parse()
                    .map_err(|_| "--max-lifetime takes seconds")?;
                o.max_lifetime = Some(Duration::from_secs(s));
            }
            "--dir" => o.dir = Some(value()?.into()),
            "--https" => {
                let v = value()?;
                let (name, files) = v.split_once('=').ok_or("--https takes NAME=CERT,KEY")?;
                let (cert, key) = files.split_once(',').ok_or("--https takes NAME=CERT,KEY")?;
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return Err(format!("--https: bad name '{name}'"));
                }
                o.https.push((name.to_string(), cert.into(), key.into()));
            }
            "--throttle-switch" => o.throttle_switch = Some(value()?.into()),
            "--phase-file" => o.phase_file = Some(value()?.into()),
            "--secret-key" => o.secret_key = Some(value()?.clone()),
            "--announce" => o.announce = true,
            "--issuer-https" => {
                let v = value()?;
                let (cert, key) = v.split_once(',').ok_or("--issuer-https takes CERT,KEY")?;
                o.issuer_https = Some((cert.into(), key.into()));
            }
            "--switch-dir" => o.switch_dir = Some(value()?.into()),
            "--kid" => o.kid = Some(value()?.clone()),
            "--account-of" => {
                let v = value()?;
                let (key, account) = keyed(flag, v)?;
                if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("--account-of takes KEY=ACCOUNT (a 12-digit account)".into());
                }
                o.callers.profile(key).account = Some(account.to_string());
            }
            "--hang-key" => {
                let key = value()?.clone();
                o.callers.profile(&key).hang = true;
            }
            "--reject-key" => {
                let key = value()?.clone();
                o.callers.profile(&key).reject = true;
            }
            "--caller" => {
                let (key, arn) = keyed(flag, value()?)?;
                o.callers.set_principal(key, arn)?;
            }
            "--org" => {
                let (key, org) = keyed(flag, value()?)?;
                o.callers.profile(key).org_id = Some(org.to_string());
            }
            "--ou" => {
                let (key, path) = keyed(flag, value()?)?;
                let p = o.callers.profile(key);
                match &mut p.ou {
                    Some(OuPath::List(list)) => list.push(path.to_string()),
                    Some(OuPath::Text(_)) => {
                        return Err(format!("--ou and --ou-string for the same key {key}"));
                    }
                    None => p.ou = Some(OuPath::List(vec![path.to_string()])),
                }
            }
            "--ou-string" => {
                let (key, path) = keyed(flag, value()?)?;
                let p = o.callers.profile(key);
                if p.ou.is_some() {
                    return Err(format!("more than one OU path for the key {key}"));
                }
                p.ou = Some(OuPath::Text(path.to_string()));
            }
            "--principal-tag" => {
                let (key, tag) = keyed(flag, value()?)?;
                let (name, v) = tag
                    .split_once('=')
                    .ok_or("--principal-tag takes ACCESS_KEY_ID=TAG=VALUE")?;
                o.callers
                    .profile(key)
                    .principal_tags
                    .push((name.to_string(), v.to_string()));
            }
            "--origin-subject" => {
                let (key, subject) = keyed(flag, value()?)?;
                o.callers.profile(key).origin_subject = Some(subject.to_string());
            }
            "--deny-audience" => {
                o.policy.denied_audiences.insert(value()?.clone());
            }
            "--deny-tagging" => o.policy.deny_tagging = true,
            "--federation-disabled" => {
                o.policy.federation_disabled.insert(value()?.clone());
            }
            "--max-payload-bytes" => {
                let n = value()?
                    .parse()
                    .map_err(|_| "--max-payload-bytes takes a number")?;
                o.policy.max_payload_bytes = Some(n);
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse() {
        let o = parse(&args(&["--listen", "ok=127.0.0.1:0", "--latency-ms", "20"])).unwrap();
        assert_eq!(o.listen, vec![(Mode::Ok, "127.0.0.1:0".to_string())]);
        assert_eq!(o.latency, Duration::from_millis(20));
        assert!(parse(&args(&["--listen", "bogus=1"])).is_err());
    }

    #[test]
    fn caller_options_build_one_profile_per_key() {
        let o = parse(&args(&[
            "--caller",
            "AKIDA=arn:aws:iam::111111111111:role/team/db/AppRole",
            "--org",
            "AKIDA=o-abc1234567",
            "--ou",
            "AKIDA=o-abc1234567/r-ab12/ou-ab12-1/",
            "--ou",
            "AKIDA=o-abc1234567/r-ab12/ou-ab12-2/",
            "--principal-tag",
            "AKIDA=db-access=read=only",
            "--ou-string",
            "AKIDB=o-x/r-y/",
            "--deny-audience",
            "bad",
            "--federation-disabled",
            "222222222222",
            "--max-payload-bytes",
            "4096",
        ]))
        .unwrap();
        let a = &o.callers.profiles["AKIDA"];
        assert_eq!(a.org_id.as_deref(), Some("o-abc1234567"));
        assert_eq!(
            a.ou,
            Some(OuPath::List(vec![
                "o-abc1234567/r-ab12/ou-ab12-1/".into(),
                "o-abc1234567/r-ab12/ou-ab12-2/".into()
            ]))
        );
        // The first '=' after the key ID ends the tag key: values may hold '='.
        assert_eq!(
            a.principal_tags,
            vec![("db-access".into(), "read=only".into())]
        );
        assert_eq!(
            o.callers.profiles["AKIDB"].ou,
            Some(OuPath::Text("o-x/r-y/".into()))
        );
        assert!(o.policy.denied_audiences.contains("bad"));
        assert!(o.policy.federation_disabled.contains("222222222222"));
        assert_eq!(o.policy.max_payload_bytes, Some(4096));
    }

    #[test]
    fn caller_options_are_checked() {
        for bad in [
            &[
                "--caller",
                "AKID=arn:aws:sts::111111111111:assumed-role/R/s",
            ][..],
            &["--caller", "=arn:aws:iam::111111111111:role/R"],
            &["--principal-tag", "AKID=novalue"],
            &["--ou-string", "K=a", "--ou", "K=b"],
            &["--ou", "K=a", "--ou-string", "K=b"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
