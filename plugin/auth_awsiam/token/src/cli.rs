//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// The JWS algorithm of `--jwt` (GetWebIdentityToken's SigningAlgorithm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Algorithm {
    /// RSA with SHA-256: about ten times cheaper for the server to verify
    #[value(name = "RS256")]
    Rs256,
    /// ECDSA with P-384 and SHA-384
    #[value(name = "ES384")]
    Es384,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The token alone, on one line.
    Token,
    /// A MySQL option file: [client], user, password, enable-cleartext-plugin.
    OptionFile,
}

/// Mints an auth_awsiam login token (a signed sts:GetCallerIdentity request) from your AWS
/// credentials, or with --jwt an AWS-issued JWT (sts:GetWebIdentityToken). Keep it off
/// command lines: write an option file and connect with it, e.g.
/// `auth_awsiam_token --user AppRole --format option-file --output ~/.awsiam.cnf`, then
/// `mysql --defaults-file=~/.awsiam.cnf -h HOST`.
#[derive(Debug, Parser)]
#[command(name = "auth_awsiam_token", version)]
pub struct Args {
    /// AWS region to sign for [default: AWS_REGION or the profile's region]
    #[arg(long)]
    pub region: Option<String>,

    /// STS endpoint the server verifies against, https://host[:port] (http:// for loopback)
    /// [default: AWS_ENDPOINT_URL_STS, else the official regional STS host]
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// The server ID the server requires (auth_awsiam_server_id), signed into the token
    #[arg(long, conflicts_with = "jwt")]
    pub server_id: Option<String>,

    /// Named profile of ~/.aws/config to take credentials from
    #[arg(long)]
    pub profile: Option<String>,

    /// Mint the token for this role, assumed from your credentials
    #[arg(long, value_name = "ARN")]
    pub assume_role: Option<String>,

    /// Session name when using --assume-role
    #[arg(long, default_value = "auth_awsiam", requires = "assume_role")]
    pub role_session_name: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Token)]
    pub format: Format,

    /// MySQL user name written to the option file (at most 32 characters, no control
    /// characters; quoted in the file when it needs to be)
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// With --format option-file: the factor of a multi-factor account the token answers,
    /// 1 to 3; 2 writes password2=, which `mysql --password1` (prompted) completes
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=3))]
    pub factor: u8,

    /// Write to this file instead of standard output: a new file of mode 0600, renamed over
    /// FILE (a symbolic link there is replaced, never followed)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// For tests: sign as of this time (RFC 3339), e.g. to mint an expired token
    #[arg(
        long,
        value_name = "RFC3339",
        hide_short_help = true,
        conflicts_with = "jwt"
    )]
    pub signing_time: Option<String>,

    /// Mint an AWS-issued JWT with sts:GetWebIdentityToken at the STS endpoint (--endpoint,
    /// else the region's) instead of a signed GetCallerIdentity request
    #[arg(long, requires = "audience")]
    pub jwt: bool,

    /// With --jwt: the audience (aud claim), the server's auth_awsiam_jwt_audience; repeat
    /// for several (at most 10)
    #[arg(long, value_name = "AUD", requires = "jwt")]
    pub audience: Vec<String>,

    /// With --jwt: the signing algorithm
    #[arg(long, value_enum, default_value_t = Algorithm::Rs256, requires = "jwt")]
    pub signing_algorithm: Algorithm,

    /// With --jwt: the token's lifetime, 60 to 3600 [default: STS's, 300]
    #[arg(long, value_name = "SECONDS", requires = "jwt")]
    pub duration: Option<u32>,

    /// With --jwt: a request tag KEY=VALUE (request_tags claim; needs
    /// sts:TagGetWebIdentityToken); repeat for several (at most 50)
    #[arg(long, value_name = "KEY=VALUE", requires = "jwt")]
    pub tag: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("auth_awsiam_token").chain(args.iter().copied()))
    }

    #[test]
    fn defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.format, Format::Token);
        assert_eq!(a.factor, 1);
        assert_eq!(a.role_session_name, "auth_awsiam");
        assert!(a.region.is_none() && a.endpoint.is_none() && a.output.is_none());
    }

    #[test]
    fn all_options() {
        let a = parse(&[
            "--region",
            "eu-west-1",
            "--endpoint",
            "http://127.0.0.1:4566",
            "--server-id",
            "db1",
            "--profile",
            "dev",
            "--assume-role",
            "arn:aws:iam::123456789012:role/AppRole",
            "--role-session-name",
            "me",
            "--format",
            "option-file",
            "--user",
            "AppRole",
            "--factor",
            "2",
            "--output",
            "/tmp/x.cnf",
            "--signing-time",
            "2026-01-02T03:04:05Z",
        ])
        .unwrap();
        assert_eq!(a.format, Format::OptionFile);
        assert_eq!(a.role_session_name, "me");
        assert_eq!(a.user.as_deref(), Some("AppRole"));
        assert_eq!(a.factor, 2);
        assert_eq!(a.signing_time.as_deref(), Some("2026-01-02T03:04:05Z"));
    }

    #[test]
    fn jwt_options() {
        let a = parse(&[
            "--jwt",
            "--audience",
            "mysql://db1",
            "--audience",
            "other",
            "--signing-algorithm",
            "ES384",
            "--duration",
            "900",
            "--tag",
            "k=v=w",
        ])
        .unwrap();
        assert!(a.jwt);
        assert_eq!(a.audience, ["mysql://db1", "other"]);
        assert_eq!(a.signing_algorithm, Algorithm::Es384);
        assert_eq!(
            (a.duration, a.tag.as_slice()),
            (Some(900), &["k=v=w".to_string()][..])
        );
        assert_eq!(
            parse(&["--jwt", "--audience", "a"])
                .unwrap()
                .signing_algorithm,
            Algorithm::Rs256
        );
        for bad in [
            &["--jwt"][..],
            &["--audience", "a"],
            &["--tag", "k=v"],
            &["--duration", "60"],
            &["--jwt", "--audience", "a", "--server-id", "db1"],
            &[
                "--jwt",
                "--audience",
                "a",
                "--signing-time",
                "2026-01-02T03:04:05Z",
            ],
            &["--jwt", "--audience", "a", "--signing-algorithm", "HS256"],
            &["--jwt", "--audience", "a", "--duration", "-5"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(parse(&["--format", "json"]).is_err());
        assert!(
            parse(&["--role-session-name", "x"]).is_err(),
            "needs --assume-role"
        );
        assert!(parse(&["--bogus"]).is_err());
        for factor in ["0", "4", "x"] {
            assert!(parse(&["--factor", factor]).is_err(), "{factor}");
        }
        assert!(parse(&["extra"]).is_err());
    }
}
