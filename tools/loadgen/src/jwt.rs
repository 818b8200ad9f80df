//! AWS-issued JWTs as the password (issue 24): every login verified in the plugin, against
//! the issuer's keys, with no STS request. The tokens are minted as an application mints
//! them, by `auth_awsiam_token --jwt` (sts:GetWebIdentityToken) at the 0 ms STS double,
//! whose test issuer signs them; the server trusts that issuer. RS256 and ES384 with the
//! cache off at 16 and 64 clients, then RS256 with the cache on (every login a hit), each
//! against caching_sha2_password measured round by round beside it, over the socket with
//! the token in the first packet (like the cached-token table). The plugin's own CPU per verification, outside the
//! server, is `jwt_cost`'s (tools/bench.sh runs it).

use std::path::PathBuf;
use std::process::Command;

use crate::fresh::FRESH_CONCURRENCY;
use crate::load::{Outcome, Stop};
use crate::scenario::{Path, median};
use crate::suite::{CACHED_TTL, REGION, SHA2_PASSWORD, SHA2_USER, SOAK_CLIENTS, Suite};
use crate::table::{Table, fig, ratio};
use crate::target::FirstAnswer;
use crate::tokens::Passwords;

/// The tokens' lifetime: the longest the server takes (auth_awsiam_token_max_age's
/// maximum), so that a token minted at the section's start outlives it.
const LIFETIME_SECS: u32 = 900;

/// What the section needs besides the suite.
pub struct JwtArgs {
    /// The test issuer's URL (the tokens' `iss`), trusted by the server for the section.
    pub issuer: String,
    /// The server's auth_awsiam_jwt_audience for the section, and the tokens' `aud`.
    pub audience: String,
    /// The token tool, which calls GetWebIdentityToken with the environment's credentials.
    pub token_tool: PathBuf,
}

/// A JWT from the 0 ms double's GetWebIdentityToken, signed with `alg` (`rs256`, `es384`:
/// the tool takes the JOSE names, RS256 and ES384).
fn mint(args: &JwtArgs, sts_authority: &str, alg: &str) -> Result<String, String> {
    let tool = &args.token_tool;
    let out = Command::new(tool)
        .args(["--endpoint", &format!("http://{sts_authority}")])
        .args(["--region", REGION, "--jwt", "--audience", &args.audience])
        .args(["--signing-algorithm", &alg.to_uppercase()])
        .args(["--duration", &LIFETIME_SECS.to_string()])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} --jwt ({alg}) failed: {}",
            tool.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let jwt = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if jwt.split('.').count() != 3 {
        return Err(format!("{} --jwt ({alg}) printed no JWT", tool.display()));
    }
    Ok(jwt)
}

impl Suite {
    pub(crate) fn jwt_section(&mut self, args: &JwtArgs) -> Result<(), String> {
        let sts0 = self.sts[0].clone();
        self.use_double(&sts0, false)?;
        for statement in [
            format!("SET GLOBAL auth_awsiam_jwt_issuers = '{}'", args.issuer),
            format!("SET GLOBAL auth_awsiam_jwt_audience = '{}'", args.audience),
            format!("SET GLOBAL auth_awsiam_token_max_age = {LIFETIME_SECS}"),
            "SET GLOBAL auth_awsiam_cache_ttl = 0".to_string(),
        ] {
            self.sql(&statement)?;
        }
        let mut table = Table::new(
            "AWS-issued JWT as the password, verified in the plugin (no STS), socket, token in the first packet",
            &[
                "JWT",
                "clients",
                "logins/s",
                "vs sha2",
                "sha2 us",
                "mysqld us",
                "+us vs sha2",
                "mysqld cores",
                "client cores",
                "others",
            ],
        );
        let socket = self.socket.clone();
        let role = self.role.clone();
        let target = self.target(&socket, &role, FirstAnswer::Cleartext);
        let sha2 = self.target(&socket, SHA2_USER, FirstAnswer::ServerDefault);
        let sha2_pw = Passwords::one(SHA2_PASSWORD);
        let mut cells = Vec::new();
        for alg in ["rs256", "es384"] {
            let jwt = mint(args, &sts0.authority, alg)?;
            // Outside the window: the first login may wait for the issuer's keys.
            target
                .login(&jwt)
                .map_err(|e| format!("first JWT login ({alg}): {e}"))?;
            cells.extend(FRESH_CONCURRENCY.map(|c| (alg, "cache off", c, jwt.clone())));
        }
        // The cache on: a verified JWT is remembered by its bytes, every login a hit.
        let (_, _, _, rs256) = cells[0].clone();
        cells.push(("rs256", "cached", SOAK_CLIENTS, rs256));
        for (alg, how, c, jwt) in cells {
            let path = if how == "cached" {
                self.sql(&format!("SET GLOBAL auth_awsiam_cache_ttl = {CACHED_TTL}"))?;
                target.login(&jwt).map_err(|e| format!("JWT login: {e}"))?;
                Path::CacheHit
            } else {
                Path::Jwt
            };
            // The baseline again, round by round beside each JWT round: the machine's load
            // moves during a run, and the CPU per login with it.
            let (mut jwt_runs, mut sha2_runs) = (Vec::new(), Vec::new());
            let pw = Passwords::one(jwt);
            for _ in 0..self.sizes.rounds {
                let stop = Stop::After(self.sizes.cell);
                sha2_runs.push(self.run(
                    "caching_sha2_password",
                    &sha2,
                    &sha2_pw,
                    c,
                    stop,
                    Path::Other,
                )?);
                jwt_runs.push(self.run(
                    &format!("JWT {alg}, {how}"),
                    &target,
                    &pw,
                    c,
                    stop,
                    path,
                )?);
            }
            let (m, b) = (median(jwt_runs), median(sha2_runs));
            let o = &m.outcome;
            let base = Some(&b.outcome);
            let us = |x: Option<&Outcome>| x.and_then(Outcome::server_us_per_login);
            let extra = us(Some(o)).zip(us(base)).map(|(a, b)| a - b);
            let vs_sha2 = ratio(Some(o.rate()), base.map(Outcome::rate));
            table.row(vec![
                format!("{alg}, {how}"),
                c.to_string(),
                fig(Some(o.rate()), 0),
                fig(vs_sha2, 2),
                fig(us(base), 0),
                fig(us(Some(o)), 0),
                fig(extra, 1),
                fig(o.server_cores(), 2),
                fig(o.client_cores(), 2),
                fig(o.other_cores(), 2),
            ]);
            let name = if how == "cached" {
                "cached".to_string()
            } else {
                alg.to_string()
            };
            self.lines
                .add(format!("jwt_rate_{name}_c{c}"), Some(o.rate()), 0);
            self.lines.add(format!("jwt_ratio_{name}_c{c}"), vs_sha2, 2);
            if c == SOAK_CLIENTS {
                self.lines
                    .add(format!("jwt_mysqld_extra_us_{name}"), extra, 1);
            }
        }
        println!("{}", table.render());
        for statement in [
            "SET GLOBAL auth_awsiam_jwt_issuers = DEFAULT",
            "SET GLOBAL auth_awsiam_jwt_audience = DEFAULT",
            "SET GLOBAL auth_awsiam_token_max_age = DEFAULT",
        ] {
            self.sql(statement)?;
        }
        Ok(())
    }
}
