//! The soaks: 100,000 logins each of caching_sha2_password, fresh tokens with the default
//! cache settings, and a cached token, in two halves, over the socket with 16 clients,
//! through libmysqlclient (the token in the first packet).
//! They give mysqld's CPU per login (the plugin's share is the difference to the baseline)
//! and its memory before, halfway and after.

use crate::load::Stop;
use crate::scenario::{Measured, Path, WARMUP};
use crate::suite::{CACHED_TTL, SHA2_PASSWORD, SHA2_USER, SOAK_CLIENTS, Suite, available_threads};
use crate::table::{Table, fig};
use crate::target::{FirstAnswer, Target};
use crate::tokens::{self, Passwords};

const KIB_PER_MIB: f64 = 1024.0;

impl Suite {
    /// A soak in two halves: (first half, second half).
    fn soak(
        &mut self,
        what: &str,
        target: &Target,
        pw: &Passwords,
        path: Path,
    ) -> Result<(Measured, Measured), String> {
        let half = Stop::Count(self.sizes.soak / 2);
        let first = self.run(what, target, pw, SOAK_CLIENTS, half, path)?;
        let second = self.run(what, target, pw, SOAK_CLIENTS, half, path)?;
        Ok((first, second))
    }

    /// Baseline, fresh tokens with the default cache settings, cached token: mysqld's CPU
    /// per login and its memory before, halfway and after.
    pub(crate) fn soak_section(&mut self) -> Result<(), String> {
        let sts0 = self.sts[0].clone();
        let sign_for = self.use_double(&sts0, false)?;
        let n = self.sizes.soak;
        let sha2 = Passwords::one(SHA2_PASSWORD);
        let socket = self.socket.clone();
        let base_t = self.target(&socket, SHA2_USER, FirstAnswer::ServerDefault);
        let iam_t = self.target(&socket, &self.role, FirstAnswer::Cleartext);
        let base = self.soak("soak caching_sha2_password", &base_t, &sha2, Path::Other)?;
        self.sql("SET GLOBAL auth_awsiam_cache_ttl = DEFAULT")?;
        self.sql("SET GLOBAL auth_awsiam_cache_size = DEFAULT")?;
        // One token per login, warm-up logins of both halves included: none may repeat.
        let needed = n as usize + 2 * SOAK_CLIENTS * WARMUP;
        let fresh_pw = Passwords::list(tokens::sign_many(
            &sign_for,
            1 << 40,
            needed,
            available_threads(),
        )?);
        let fresh = self.soak("soak fresh tokens", &iam_t, &fresh_pw, Path::Sts)?;
        drop(fresh_pw);
        self.sql(&format!("SET GLOBAL auth_awsiam_cache_ttl = {CACHED_TTL}"))?;
        let token = Passwords::one(tokens::sign_one(&sign_for, u64::MAX - 1)?);
        let cached = self.soak("soak cached token", &iam_t, &token, Path::CacheHit)?;

        let us = |s: &(Measured, Measured)| {
            let logins = s.0.outcome.logins + s.1.outcome.logins;
            let cpu = s.0.outcome.server_cpu()? + s.1.outcome.server_cpu()?;
            (logins > 0).then(|| cpu.as_secs_f64() * 1e6 / logins as f64)
        };
        let rate = |s: &(Measured, Measured)| {
            let secs = (s.0.outcome.elapsed + s.1.outcome.elapsed).as_secs_f64();
            (s.0.outcome.logins + s.1.outcome.logins) as f64 / secs
        };
        let mib = |k: Option<u64>| k.map(|k| k as f64 / KIB_PER_MIB);
        let growth = |a: Option<u64>, b: Option<u64>| Some((b? as f64 - a? as f64) / KIB_PER_MIB);
        let base_us = us(&base);
        let mut table = Table::new(
            &format!(
                "Soaks of {n} logins, {SOAK_CLIENTS} clients, socket: mysqld CPU and memory (RSS, MiB)"
            ),
            &[
                "scenario",
                "logins/s",
                "mysqld us/login",
                "plugin us/login",
                "RSS before",
                "after half",
                "after all",
                "growth",
                "2nd half",
            ],
        );
        for (name, s) in [
            ("caching_sha2_password", &base),
            ("fresh tokens (STS 0 ms, default cache)", &fresh),
            ("cached token", &cached),
        ] {
            let (r0, r1, r2) = (
                s.0.outcome.before.server_rss_kib,
                s.0.outcome.after.server_rss_kib,
                s.1.outcome.after.server_rss_kib,
            );
            let plugin = (name != "caching_sha2_password")
                .then(|| us(s).zip(base_us).map(|(a, b)| a - b))
                .flatten();
            table.row(vec![
                name.into(),
                fig(Some(rate(s)), 0),
                fig(us(s), 0),
                fig(plugin, 1),
                fig(mib(r0), 1),
                fig(mib(r1), 1),
                fig(mib(r2), 1),
                fig(growth(r0, r2), 1),
                fig(growth(r1, r2), 1),
            ]);
        }
        println!("{}", table.render());
        let us_fresh = us(&fresh).zip(base_us).map(|(a, b)| a - b);
        let us_hit = us(&cached).zip(base_us).map(|(a, b)| a - b);
        self.lines.add("cpu_us_per_login_baseline", base_us, 0);
        self.lines.add("cpu_us_per_verification", us_fresh, 0);
        self.lines.add("cpu_us_per_cache_hit", us_hit, 1);
        let rss = |s: &(Measured, Measured)| {
            growth(
                s.0.outcome.before.server_rss_kib,
                s.1.outcome.after.server_rss_kib,
            )
        };
        let second = |s: &(Measured, Measured)| {
            growth(
                s.0.outcome.after.server_rss_kib,
                s.1.outcome.after.server_rss_kib,
            )
        };
        let k = count_name(n);
        self.lines
            .add(format!("rss_growth_mb_{k}_baseline"), rss(&base), 1);
        self.lines
            .add(format!("rss_growth_mb_{k}_fresh"), rss(&fresh), 1);
        self.lines
            .add("rss_growth_mb_2nd_half_fresh", second(&fresh), 1);
        self.lines
            .add(format!("rss_growth_mb_{k}_cached"), rss(&cached), 1);
        Ok(())
    }
}

/// A count as it appears in a `bench:` name: 100000 is "100k".
fn count_name(n: u64) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_names() {
        assert_eq!(count_name(100_000), "100k");
        assert_eq!(count_name(400), "400");
        assert_eq!(count_name(1500), "1500");
    }
}
