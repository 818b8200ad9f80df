//! auth_awsiam_challenge: each login answers a one-time challenge with the client plugin
//! auth_awsiam_client, which libmysqlclient loads, and is verified by STS (a challenge
//! answer is never cached), at STS 0 ms. Compared with the baseline (same client library,
//! same clients) and with a fresh auth_awsiam token verified by STS (cache off), the same
//! STS work without the challenge.
//!
//! The client plugin signs on every connection (the AWS credentials it loads once per
//! process): with one core for the client, the client side can bound the rate; `mysqld us`
//! is the server's cost whatever the rate, and `+client us vs token` the client plugin's
//! (the load generator's CPU per login over that of a fresh token's login, whose token was
//! signed before the window: the rest of both, libmysqlclient and the STS double, is alike).

use crate::cached::Baselines;
use crate::fresh::{FRESH_CONCURRENCY, Fresh};
use crate::load::Outcome;
use crate::scenario::Path;
use crate::suite::{CHALLENGE_SUCCESSES, SOAK_CLIENTS, Suite, assume_role_calls};
use crate::table::{Table, fig, ratio};
use crate::target::FirstAnswer;
use crate::tokens::Passwords;

/// The MySQL account of the challenge logins, bound to the benchmark's role.
pub const CHALLENGE_USER: &str = "bench_challenge";

impl Suite {
    pub(crate) fn challenge_section(
        &mut self,
        baselines: &Baselines,
        fresh: &Fresh,
    ) -> Result<(), String> {
        let sts0 = self.sts[0].clone();
        self.use_double(&sts0, false)?;
        let mut table = Table::new(
            "auth_awsiam_challenge (client plugin auth_awsiam_client), socket, STS 0 ms",
            &[
                "clients",
                "logins/s",
                "vs sha2",
                "vs token",
                "mysqld us",
                "+us vs sha2",
                "+us vs token",
                "client us",
                "+client us vs token",
                "mysqld cores",
                "client cores",
                "others",
            ],
        );
        let socket = self.socket.clone();
        // No password: the client plugin answers the challenge, which the server sends in
        // its auth switch request (so the switch costs no round trip of its own here).
        let target = self.target(&socket, CHALLENGE_USER, FirstAnswer::ServerDefault);
        let none = Passwords::one("");
        for c in FRESH_CONCURRENCY {
            let m = self.rounds("challenge", &target, &none, c, Path::Sts)?;
            let o = &m.outcome;
            let base = baselines.get(&("socket", c)).map(|b| &b.outcome);
            let token = fresh.get(&(0, c)).map(|f| &f.outcome);
            let rate = |x: Option<&Outcome>| x.map(Outcome::rate);
            let us = |x: Option<&Outcome>| x.and_then(Outcome::server_us_per_login);
            let extra = |x| us(Some(o)).zip(us(x)).map(|(a, b)| a - b);
            let client_us = |x: Option<&Outcome>| x.and_then(Outcome::client_us_per_login);
            let client_extra = client_us(Some(o)).zip(client_us(token)).map(|(a, b)| a - b);
            table.row(vec![
                c.to_string(),
                fig(Some(o.rate()), 0),
                fig(ratio(Some(o.rate()), rate(base)), 2),
                fig(ratio(Some(o.rate()), rate(token)), 2),
                fig(us(Some(o)), 0),
                fig(extra(base), 1),
                fig(extra(token), 1),
                fig(client_us(Some(o)), 0),
                fig(client_extra, 1),
                fig(o.server_cores(), 2),
                fig(o.client_cores(), 2),
                fig(o.other_cores(), 2),
            ]);
            self.challenge_rates.insert(c, o.rate());
            let l = &mut self.lines;
            l.add(format!("challenge_rate_c{c}"), Some(o.rate()), 0);
            l.add(
                format!("challenge_ratio_c{c}"),
                ratio(Some(o.rate()), rate(base)),
                2,
            );
            l.add(
                format!("challenge_vs_token_c{c}"),
                ratio(Some(o.rate()), rate(token)),
                2,
            );
            if c == SOAK_CLIENTS {
                l.add("cpu_us_per_challenge_login", extra(base), 0);
                l.add("client_cpu_us_per_challenge_answer", client_extra, 0);
            }
        }
        println!("{}", table.render());
        // The client plugin loads its credentials (a role_arn profile: an AssumeRole at the
        // 0 ms double) once per process, not once per login.
        if let Some((calls_before, logins_before)) = self.assume_role_before {
            let calls = assume_role_calls(&sts0.authority)? - calls_before;
            let logins = self.bench.admin.status(CHALLENGE_SUCCESSES)? - logins_before;
            println!(
                "AssumeRole calls of the client plugin over {logins} challenge logins of one process: {calls}"
            );
            self.lines.add("challenge_logins", Some(logins as f64), 0);
            self.lines
                .add("challenge_assume_role_calls", Some(calls as f64), 0);
        }
        Ok(())
    }
}
