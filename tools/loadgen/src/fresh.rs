//! Every login verified by STS (cache off), at each double's latency, over plain HTTP and
//! over HTTPS (the only way to AWS), with 16 and 64 clients: the rate against the baseline
//! and against the latency bound (clients ÷ latency), the CPU bound (what mysqld's CPUs
//! allow at the CPU each of these logins cost it: where it is lower, the latency bound
//! cannot be reached), and the share of STS requests that had to open a new connection
//! (the pool keeps them warm), and of logins for which mysqld had to create a thread.

use std::collections::BTreeMap;

use crate::cached::Baselines;
use crate::scenario::{Measured, Path};
use crate::suite::{SOAK_CLIENTS, Suite, available_threads};
use crate::table::{Table, fig, ratio};
use crate::target::FirstAnswer;
use crate::tokens::{self, Passwords};

pub const FRESH_CONCURRENCY: [usize; 2] = [16, 64];

/// The plain-HTTP cells by (latency, clients), for the challenge section.
pub type Fresh = BTreeMap<(u32, usize), Measured>;

impl Suite {
    pub(crate) fn fresh_section(&mut self, baselines: &Baselines) -> Result<Fresh, String> {
        self.sql("SET GLOBAL auth_awsiam_cache_ttl = 0")?;
        let mut table = Table::new(
            "Every login verified by STS (cache off), socket, token in the first packet",
            &[
                "STS",
                "clients",
                "logins/s",
                "vs sha2",
                "bound /s",
                "efficiency",
                "cpu bound /s",
                "STS mean ms",
                "new conn",
                "new thread",
                "mysqld us",
                "mysqld cores",
                "client cores",
                "others",
            ],
        );
        let socket = self.socket.clone();
        let role = self.role.clone();
        let target = self.target(&socket, &role, FirstAnswer::Cleartext);
        let mut fresh = Fresh::new();
        for d in self.sts.clone() {
            for https in [false, true] {
                if https && d.https.is_none() {
                    continue;
                }
                let sign_for = self.use_double(&d, https)?;
                let first = (u64::from(d.latency_ms) << 32) | (u64::from(https) << 31);
                let pw = Passwords::list(tokens::sign_many(
                    &sign_for,
                    first,
                    self.sizes.fresh_tokens,
                    available_threads(),
                )?);
                let scheme = if https { "https" } else { "http" };
                let ms = d.latency_ms;
                for c in FRESH_CONCURRENCY {
                    let what = format!("fresh, STS {scheme} {ms} ms");
                    let m = self.rounds(&what, &target, &pw, c, Path::Sts)?;
                    let o = &m.outcome;
                    let base = baselines.get(&("socket", c)).map(|b| b.outcome.rate());
                    let bound = (ms > 0).then(|| c as f64 * 1000.0 / f64::from(ms));
                    let efficiency = ratio(Some(o.rate()), bound);
                    let cpus = self.server_cpus as f64;
                    let cpu_bound = o.server_us_per_login().map(|us| cpus * 1e6 / us);
                    table.row(vec![
                        format!("{scheme} {ms} ms"),
                        c.to_string(),
                        fig(Some(o.rate()), 0),
                        fig(ratio(Some(o.rate()), base), 2),
                        fig(bound, 0),
                        fig(efficiency, 2),
                        fig(cpu_bound, 0),
                        fig(m.sts_mean_ms(), 2),
                        fig(m.new_connection_share(), 3),
                        fig(m.new_thread_share(), 3),
                        fig(o.server_us_per_login(), 0),
                        fig(o.server_cores(), 2),
                        fig(o.client_cores(), 2),
                        fig(o.other_cores(), 2),
                    ]);
                    // Plain HTTP keeps the names of the first runs; HTTPS is tagged.
                    let tag = if https { "https_" } else { "" };
                    let l = &mut self.lines;
                    l.add(format!("fresh_rate_{tag}{ms}ms_c{c}"), Some(o.rate()), 0);
                    l.add(
                        format!("fresh_ratio_{tag}{ms}ms_c{c}"),
                        ratio(Some(o.rate()), base),
                        2,
                    );
                    if bound.is_some() {
                        l.add(format!("fresh_efficiency_{tag}{ms}ms_c{c}"), efficiency, 2);
                    }
                    l.add(format!("fresh_cpu_bound_{tag}{ms}ms_c{c}"), cpu_bound, 0);
                    l.add(
                        format!("sts_new_connection_share_{scheme}_{ms}ms_c{c}"),
                        m.new_connection_share(),
                        3,
                    );
                    if ms == 0 && c == SOAK_CLIENTS {
                        let b = baselines
                            .get(&("socket", c))
                            .and_then(|b| b.outcome.server_us_per_login());
                        let extra = o.server_us_per_login().zip(b).map(|(f, b)| f - b);
                        let name = if https {
                            "cpu_us_per_verification_cache_off_https"
                        } else {
                            "cpu_us_per_verification_cache_off"
                        };
                        l.add(name, extra, 0);
                    }
                    if !https {
                        fresh.insert((ms, c), m);
                    }
                }
            }
        }
        println!("{}", table.render());
        Ok(fresh)
    }
}
