//! auth_awsiam_proxy (issue 19) in front of the same server: an application with no IAM
//! code logs in through the proxy's Unix socket with no password, and the proxy answers
//! the server's challenge (TLS to the server, its certificate and name checked). Two
//! figures against direct connections in the same run: challenge logins per second through
//! the proxy against the client plugin's own (the challenge section's cells), and the
//! time of a `SELECT 1` round trip on an open session through the proxy against one over
//! TCP+TLS straight to the server (what the proxy adds: a hop, a TLS record each way).
//! The direct logins compared are the client plugin's over TCP+TLS, measured here beside
//! the proxy's: the proxy reaches the server over TLS, as an application on another
//! machine would (the challenge section's socket logins make no TLS handshake at all).
//!
//! tools/inside/bench.sh starts the proxy on the client's CPUs, beside the load generator,
//! as a sidecar shares its application's machine.

use std::path::Path as FsPath;
use std::time::Instant;

use mysql::prelude::Queryable;

use crate::challenge::CHALLENGE_USER;
use crate::fresh::FRESH_CONCURRENCY;
use crate::scenario::Path;
use crate::suite::{SHA2_PASSWORD, SHA2_USER, Suite};
use crate::table::{Table, fig, ratio};
use crate::target::{FirstAnswer, Target, Transport};
use crate::tokens::Passwords;

/// Round trips timed per session (smoke: a tenth).
const ROUND_TRIPS: usize = 5000;

impl Suite {
    pub(crate) fn proxy_section(&mut self, proxy_socket: &FsPath) -> Result<(), String> {
        let proxy = Transport::Socket(proxy_socket.to_path_buf());
        let mut table = Table::new(
            "auth_awsiam_proxy: challenge logins through the proxy (no password, no plugin), socket to the proxy, TLS to the server, STS 0 ms",
            &[
                "clients",
                "logins/s",
                "client plugin, TCP+TLS",
                "vs client plugin",
                "vs client plugin, socket",
                "client cores",
                "mysqld cores",
            ],
        );
        let sts0 = self.sts[0].clone();
        self.use_double(&sts0, false)?;
        // What libmysqlclient sends first is for the proxy's greeting; the proxy ignores it.
        let target = self.target(&proxy, CHALLENGE_USER, FirstAnswer::ServerDefault);
        let tls = self.tls.clone();
        let direct = self.target(&tls, CHALLENGE_USER, FirstAnswer::ServerDefault);
        let none = Passwords::one("");
        for c in FRESH_CONCURRENCY {
            let d = self.rounds("challenge over TCP+TLS", &direct, &none, c, Path::Sts)?;
            let m = self.rounds("proxy", &target, &none, c, Path::Sts)?;
            let o = &m.outcome;
            let vs = ratio(Some(o.rate()), Some(d.outcome.rate()));
            let socket = self.challenge_rates.get(&c).copied();
            table.row(vec![
                c.to_string(),
                fig(Some(o.rate()), 0),
                fig(Some(d.outcome.rate()), 0),
                fig(vs, 2),
                fig(ratio(Some(o.rate()), socket), 2),
                fig(o.client_cores(), 2),
                fig(o.server_cores(), 2),
            ]);
            self.lines
                .add(format!("proxy_challenge_rate_c{c}"), Some(o.rate()), 0);
            self.lines
                .add(format!("proxy_vs_client_plugin_c{c}"), vs, 2);
        }
        println!("{}", table.render());

        let trips = if self.sizes.rounds > 1 {
            ROUND_TRIPS
        } else {
            ROUND_TRIPS / 10
        };
        let direct = round_trip_us(&Target::new(&self.tls, SHA2_USER), SHA2_PASSWORD, trips)
            .map_err(|e| format!("SELECT 1 over TCP+TLS: {e}"))?;
        let through = round_trip_us(&Target::new(&proxy, CHALLENGE_USER), "", trips)
            .map_err(|e| format!("SELECT 1 through the proxy: {e}"))?;
        let mut table = Table::new(
            "SELECT 1 round trip on an open session (median of the round trips)",
            &["direct TCP+TLS us", "through the proxy us", "added us"],
        );
        table.row(vec![
            fig(Some(direct), 1),
            fig(Some(through), 1),
            fig(Some(through - direct), 1),
        ]);
        println!("{}", table.render());
        self.lines.add("select1_us_direct_tls", Some(direct), 1);
        self.lines.add("select1_us_through_proxy", Some(through), 1);
        self.lines
            .add("select1_us_added_by_proxy", Some(through - direct), 1);
        Ok(())
    }
}

/// The median time of `trips` `SELECT 1` round trips on one session of `target`, after as
/// many again to warm it (the first ones pay for caches and TCP's slow start).
fn round_trip_us(target: &Target, password: &str, trips: usize) -> Result<f64, String> {
    let mut conn = target.session(password)?;
    let mut times = Vec::with_capacity(trips);
    for i in 0..trips * 2 {
        let started = Instant::now();
        let one: Option<u8> = conn.query_first("SELECT 1").map_err(|e| e.to_string())?;
        if one != Some(1) {
            return Err(format!("SELECT 1 returned {one:?}"));
        }
        if i >= trips {
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
