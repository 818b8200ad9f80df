//! Text output: aligned tables for people, `bench: NAME=VALUE` lines for machines.

use crate::load::Outcome;

/// A table printed with columns padded to their widest cell (first column left-aligned,
/// the figures right-aligned).
pub struct Table {
    title: String,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(title: &str, header: &[&str]) -> Table {
        Table {
            title: title.to_string(),
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!("{}\n", self.title);
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    if c == 0 {
                        format!("{s:<w$}", w = width[c])
                    } else {
                        format!("{s:>w$}", w = width[c])
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// A figure with `digits` decimals, or "-" when it could not be measured.
pub fn fig(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "-".into(),
    }
}

/// `a / b`, when both exist and `b` is not zero.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let (a, b) = (a?, b?);
    (b != 0.0).then_some(a / b)
}

/// The machine-readable lines, in the order they were added.
#[derive(Default)]
pub struct BenchLines(Vec<(String, String)>);

impl BenchLines {
    pub fn add(&mut self, name: impl Into<String>, value: Option<f64>, digits: usize) {
        self.0.push((name.into(), fig(value, digits)));
    }

    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("bench: {n}={v}\n"))
            .collect()
    }
}

/// The one-line result of `auth_awsiam_loadgen run`.
pub fn run_line(transport: &str, threads: usize, o: &Outcome) -> String {
    format!(
        "transport={transport} threads={threads} logins={} errors={} seconds={:.3} rate={:.0} \
         server_us_per_login={} server_cores={} client_cores={} other_cores={} rss_growth_kib={}",
        o.logins,
        o.errors,
        o.elapsed.as_secs_f64(),
        o.rate(),
        fig(o.server_us_per_login(), 1),
        fig(o.server_cores(), 2),
        fig(o.client_cores(), 2),
        fig(o.other_cores(), 2),
        o.rss_growth_kib()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "-".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns() {
        let mut t = Table::new("T", &["name", "rate"]);
        t.row(vec!["a".into(), "1".into()]);
        t.row(vec!["longer".into(), "1000".into()]);
        assert_eq!(t.render(), "T\nname    rate\na          1\nlonger  1000\n");
    }

    #[test]
    fn figures_and_lines() {
        assert_eq!(fig(Some(0.974), 2), "0.97");
        assert_eq!(fig(None, 2), "-");
        assert_eq!(fig(Some(f64::INFINITY), 2), "-");
        assert_eq!(ratio(Some(1.0), Some(0.0)), None);
        assert_eq!(ratio(Some(3.0), Some(4.0)), Some(0.75));
        let mut b = BenchLines::default();
        b.add("cached_ratio_c16", Some(0.971), 2);
        b.add("rss_growth_mb_100k_fresh", None, 1);
        assert_eq!(
            b.render(),
            "bench: cached_ratio_c16=0.97\nbench: rss_growth_mb_100k_fresh=-\n"
        );
    }
}
