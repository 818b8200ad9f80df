//! Cached token against caching_sha2_password, over the socket and TCP+TLS, 1 to 64
//! clients. Every login goes through libmysqlclient, so both sides use the same client.
//! The token is sent two ways: in the first packet (`--default-auth=mysql_clear_password`,
//! the like-for-like comparison: caching_sha2_password's answer is in its first packet too)
//! and after the auth switch a client gets when it answers first for the server's default
//! plugin (plain `mysql --enable-cleartext-plugin`): one more round trip per login.

use std::collections::BTreeMap;

use crate::load::Stop;
use crate::scenario::{Measured, Path, median};
use crate::suite::{CACHED_TTL, SHA2_PASSWORD, SHA2_USER, Suite};
use crate::table::{Table, fig, ratio};
use crate::target::FirstAnswer;
use crate::tokens::{self, Passwords};

pub const CONCURRENCY: [usize; 4] = [1, 4, 16, 64];

/// The baselines of this section, by transport label and clients, for the other sections.
pub type Baselines = BTreeMap<(&'static str, usize), Measured>;

/// The three logins of one cell.
#[derive(Clone, Copy)]
enum Kind {
    Sha2,
    Cached,
    Switched,
}

impl Suite {
    /// Round by round, the three kinds in a rotating order, so that a change of the
    /// machine's load hits all alike. Returns the baselines.
    pub(crate) fn cached_section(&mut self) -> Result<Baselines, String> {
        let sts0 = self.sts[0].clone();
        let sign_for = self.use_double(&sts0, false)?;
        self.sql(&format!("SET GLOBAL auth_awsiam_cache_ttl = {CACHED_TTL}"))?;
        let token = Passwords::one(tokens::sign_one(&sign_for, u64::MAX)?);
        let sha2 = Passwords::one(SHA2_PASSWORD);
        let mut table = Table::new(
            "Cached token against caching_sha2_password, libmysqlclient (median of rounds)",
            &[
                "transport",
                "clients",
                "sha2 /s",
                "cached /s",
                "ratio",
                "sha2 us",
                "cached us",
                "+us/hit",
                "cpu ratio",
                "switch /s",
                "switch +us",
                "mysqld cores",
                "client cores",
                "others",
            ],
        );
        let mut baselines = Baselines::new();
        let role = self.role.clone();
        for transport in [self.socket.clone(), self.tls.clone()] {
            let targets = [
                self.target(&transport, SHA2_USER, FirstAnswer::ServerDefault),
                self.target(&transport, &role, FirstAnswer::Cleartext),
                self.target(&transport, &role, FirstAnswer::ServerDefault),
            ];
            let kinds = [Kind::Sha2, Kind::Cached, Kind::Switched];
            for c in CONCURRENCY {
                let mut runs: [Vec<Measured>; 3] = Default::default();
                for round in 0..self.sizes.rounds {
                    let stop = Stop::After(self.sizes.cell);
                    for i in 0..3 {
                        let k = (i + round) % 3;
                        let (what, pw, path) = match kinds[k] {
                            Kind::Sha2 => ("caching_sha2_password", &sha2, Path::Other),
                            Kind::Cached => ("cached", &token, Path::CacheHit),
                            Kind::Switched => ("cached, auth switch", &token, Path::CacheHit),
                        };
                        runs[k].push(self.run(what, &targets[k], pw, c, stop, path)?);
                    }
                }
                let [b, i, s] = runs.map(median);
                let (bo, io, so) = (&b.outcome, &i.outcome, &s.outcome);
                let r = ratio(Some(io.rate()), Some(bo.rate()));
                let us = |o: &crate::load::Outcome| o.server_us_per_login();
                let extra = |o| us(o).zip(us(bo)).map(|(a, b)| a - b);
                // Logins per second of mysqld CPU, cached over baseline: what the ratio
                // would be with a core to itself, whoever else used the machine.
                let cpu_r = ratio(us(bo), us(io));
                let label = transport.label();
                table.row(vec![
                    label.into(),
                    c.to_string(),
                    fig(Some(bo.rate()), 0),
                    fig(Some(io.rate()), 0),
                    fig(r, 2),
                    fig(us(bo), 0),
                    fig(us(io), 0),
                    fig(extra(io), 1),
                    fig(cpu_r, 2),
                    fig(Some(so.rate()), 0),
                    fig(extra(so), 1),
                    format!(
                        "{}/{}",
                        fig(bo.server_cores(), 2),
                        fig(io.server_cores(), 2)
                    ),
                    format!(
                        "{}/{}",
                        fig(bo.client_cores(), 2),
                        fig(io.client_cores(), 2)
                    ),
                    format!("{}/{}", fig(bo.other_cores(), 2), fig(io.other_cores(), 2)),
                ]);
                let tag = if label == "socket" { "" } else { "tls_" };
                let l = &mut self.lines;
                l.add(format!("baseline_rate_{tag}c{c}"), Some(bo.rate()), 0);
                l.add(format!("cached_rate_{tag}c{c}"), Some(io.rate()), 0);
                l.add(format!("cached_ratio_{tag}c{c}"), r, 2);
                l.add(format!("cached_cpu_ratio_{tag}c{c}"), cpu_r, 2);
                l.add(format!("cached_us_per_hit_{tag}c{c}"), extra(io), 1);
                l.add(
                    format!("cached_switch_ratio_{tag}c{c}"),
                    ratio(Some(so.rate()), Some(bo.rate())),
                    2,
                );
                l.add(format!("cached_switch_us_per_hit_{tag}c{c}"), extra(so), 1);
                baselines.insert((label, c), b);
            }
        }
        println!("{}", table.render());
        Ok(baselines)
    }
}
