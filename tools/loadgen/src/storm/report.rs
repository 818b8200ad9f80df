//! The fault storm's tables and `bench:` lines, from the tallies and the counters read at
//! each phase's end.

use super::*;

impl Suite {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn storm_report(
        &mut self,
        calm: &Tally,
        tallies: &[Tally],
        readings: &[std::collections::BTreeMap<String, u64>],
        end: &std::collections::BTreeMap<String, u64>,
        log_marks: &[u64],
        log_end: u64,
        log_lines: u64,
        seconds: f64,
    ) {
        let g = Tally::get;
        let mut table = Table::new(
            &format!(
                "Fault storm: {} clients with bogus tokens; STS hangs, throttles, errs, answers again; socket, libmysqlclient",
                self.sizes.storm_clients
            ),
            &[
                "phase",
                "bogus refused",
                "/s",
                "let in",
                "sts_busy",
                "unavailable",
                "throttled",
                "rejected",
                "regular IAM ok",
                "newcomer ok",
                "sha2 p50 ms",
                "p99 ms",
                "max ms",
                "log KB",
            ],
        );
        let calm_ms = calm.times();
        table.row(vec![
            "calm".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            fig(quantile(&calm_ms, 0.5), 1),
            fig(quantile(&calm_ms, 0.99), 1),
            fig(quantile(&calm_ms, 1.0), 1),
            "-".into(),
        ]);
        let phase_secs = self.sizes.storm_phase.as_secs_f64();
        let mut storm_ms = Vec::new();
        for (i, (name, t)) in PHASES.iter().zip(tallies).enumerate() {
            let (a, b) = (&readings[i], readings.get(i + 1).unwrap_or(end));
            let ms = t.times();
            storm_ms.extend_from_slice(&ms);
            let kb = log_marks
                .get(i + 1)
                .map(|m| m.saturating_sub(log_marks[i]) as f64 / 1024.0);
            table.row(vec![
                (*name).into(),
                g(&t.bogus_refused).to_string(),
                fig(Some(g(&t.bogus_refused) as f64 / phase_secs), 0),
                g(&t.bogus_let_in).to_string(),
                delta(a, b, "Auth_awsiam_failures_sts_busy").to_string(),
                delta(a, b, "Auth_awsiam_failures_sts_unavailable").to_string(),
                delta(a, b, "Auth_awsiam_failures_sts_throttled").to_string(),
                delta(a, b, "Auth_awsiam_failures_sts_rejected").to_string(),
                format!(
                    "{}/{}",
                    g(&t.regular_ok),
                    g(&t.regular_ok) + g(&t.regular_refused)
                ),
                format!(
                    "{}/{}",
                    g(&t.newcomer_ok),
                    g(&t.newcomer_ok) + g(&t.newcomer_refused)
                ),
                fig(quantile(&ms, 0.5), 1),
                fig(quantile(&ms, 0.99), 1),
                fig(quantile(&ms, 1.0), 1),
                fig(kb, 1),
            ]);
        }
        let sum = |f: &dyn Fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();
        let refused = sum(&|t| g(&t.bogus_refused));
        let let_in = sum(&|t| g(&t.bogus_let_in));
        let first = &readings[0];
        table.row(vec![
            "storm".into(),
            refused.to_string(),
            fig(Some(refused as f64 / seconds), 0),
            let_in.to_string(),
            delta(first, end, "Auth_awsiam_failures_sts_busy").to_string(),
            delta(first, end, "Auth_awsiam_failures_sts_unavailable").to_string(),
            delta(first, end, "Auth_awsiam_failures_sts_throttled").to_string(),
            delta(first, end, "Auth_awsiam_failures_sts_rejected").to_string(),
            format!(
                "{}/{}",
                sum(&|t| g(&t.regular_ok)),
                sum(&|t| g(&t.regular_ok) + g(&t.regular_refused))
            ),
            format!(
                "{}/{}",
                sum(&|t| g(&t.newcomer_ok)),
                sum(&|t| g(&t.newcomer_ok) + g(&t.newcomer_refused))
            ),
            fig(quantile(&storm_ms, 0.5), 1),
            fig(quantile(&storm_ms, 0.99), 1),
            fig(quantile(&storm_ms, 1.0), 1),
            fig(
                Some(log_end.saturating_sub(log_marks[0]) as f64 / 1024.0),
                1,
            ),
        ]);
        println!("{}", table.render());

        // The checks.
        if let_in > 0 {
            self.problems
                .push(format!("fault storm: {let_in} bogus tokens were let in"));
        }
        let others = sum(&|t| g(&t.other_errors)) + g(&calm.other_errors);
        if others > 0 {
            let first = tallies
                .iter()
                .chain([calm])
                .find_map(|t| t.first_other.lock().ok()?.clone())
                .unwrap_or_default();
            self.problems.push(format!(
                "fault storm: {others} logins failed other than by a refusal (first: {first})"
            ));
        }
        let healthy = &tallies[PHASES.len() - 1];
        let (ok, tried) = (
            g(&healthy.regular_ok),
            g(&healthy.regular_ok) + g(&healthy.regular_refused),
        );
        if tried == 0 || ok < tried {
            self.problems.push(format!(
                "fault storm: once STS answered again, {ok} of {tried} logins of the regular IAM client got in"
            ));
        }
        let seen_refused = refused + sum(&|t| g(&t.regular_refused) + g(&t.newcomer_refused));
        let seen_ok = sum(&|t| g(&t.regular_ok) + g(&t.newcomer_ok)) + let_in;
        let failures = delta(first, end, "Auth_awsiam_failures");
        let groups: u64 = end
            .keys()
            .filter(|k| k.starts_with("Auth_awsiam_failures_"))
            .map(|k| delta(first, end, k))
            .sum();
        let successes = delta(first, end, "Auth_awsiam_successes");
        let add_up = failures == seen_refused && groups == failures && successes == seen_ok;
        println!(
            "Counters: Auth_awsiam_failures +{failures} (the clients saw {seen_refused} refusals; \
             the failures_* groups add up to {groups}), Auth_awsiam_successes +{successes} \
             (the clients saw {seen_ok})."
        );
        if !add_up {
            self.problems.push(format!(
                "fault storm: the counters do not add up (failures +{failures}, groups {groups}, \
                 refusals seen {seen_refused}; successes +{successes}, seen {seen_ok})"
            ));
        }
        let bound = log_line_bound(seconds);
        println!(
            "Error log: +{log_lines} lines, +{:.1} KB for {} refused logins in {seconds:.1} s \
             (bound: {bound} lines).",
            log_end.saturating_sub(log_marks[0]) as f64 / 1024.0,
            failures
        );
        if log_lines > bound {
            self.problems.push(format!(
                "fault storm: the error log grew by {log_lines} lines, more than {bound}"
            ));
        }
        let p99_calm = quantile(&calm_ms, 0.99);
        let p99 = quantile(&storm_ms, 0.99);
        println!(
            "caching_sha2_password login+SELECT 1 every 100 ms: p99 {} ms during the storm, {} ms calm (target: under {TARGET_P99_MS:.0} ms during the storm).\n",
            fig(p99, 1),
            fig(p99_calm, 1)
        );
        let l = &mut self.lines;
        l.add("storm_sha2_p99_ms_calm", p99_calm, 1);
        l.add("storm_sha2_p99_ms", p99, 1);
        l.add("storm_sha2_p99_ratio", ratio(p99, p99_calm), 2);
        l.add("storm_sha2_max_ms", quantile(&storm_ms, 1.0), 1);
        l.add("storm_bogus_refused", Some(refused as f64), 0);
        l.add("storm_bogus_let_in", Some(let_in as f64), 0);
        l.add(
            "storm_regular_ok_share_after_recovery",
            ratio(Some(ok as f64), Some(tried as f64)),
            2,
        );
        let (n_ok, n_tried) = (
            g(&healthy.newcomer_ok),
            g(&healthy.newcomer_ok) + g(&healthy.newcomer_refused),
        );
        l.add(
            "storm_newcomer_ok_share_after_recovery",
            ratio(Some(n_ok as f64), Some(n_tried as f64)),
            2,
        );
        l.add(
            "storm_counters_add_up",
            Some(f64::from(u8::from(add_up))),
            0,
        );
        l.add("storm_log_growth_lines", Some(log_lines as f64), 0);
        l.add(
            "storm_log_growth_kb",
            Some(log_end.saturating_sub(log_marks[0]) as f64 / 1024.0),
            1,
        );
    }
}
