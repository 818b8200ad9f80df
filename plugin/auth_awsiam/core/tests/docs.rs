//! Holds docs/troubleshooting.rst to the code: its table of refusal reasons names each
//! reason's counter, and its table of counters names each counter's reasons, exactly as
//! `Reason::group` counts them. A DBA reads the counters through these tables, so a
//! reason moved to another group (or added) without them fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use auth_awsiam_core::error::Reason;
use auth_awsiam_core::metrics::Counters;

fn troubleshooting() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../docs/troubleshooting.rst");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of every `list-table` of an RST text, each row its cells' text (continuation
/// lines joined with a space).
fn list_table_rows(rst: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut in_table = false;
    for line in rst.lines() {
        if line.starts_with(".. list-table::") {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        if !line.is_empty() && !line.starts_with(' ') {
            in_table = false;
        } else if let Some(cell) = line.strip_prefix("   * - ") {
            rows.push(vec![cell.trim().to_string()]);
        } else if let Some(cell) = line.strip_prefix("     - ") {
            if let Some(row) = rows.last_mut() {
                row.push(cell.trim().to_string());
            }
        } else if line.starts_with("       ")
            && let Some(cell) = rows.last_mut().and_then(|r| r.last_mut())
        {
            cell.push(' ');
            cell.push_str(line.trim());
        }
    }
    rows
}

/// The ``literal`` names in a cell.
fn literals(cell: &str) -> Vec<String> {
    cell.split("``")
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn each_reason_is_listed_with_its_counter() {
    let rows = list_table_rows(&troubleshooting());
    let listed: BTreeMap<String, String> = rows
        .iter()
        .filter(|r| r.len() == 3)
        .filter_map(|r| {
            let reason = literals(&r[0]);
            let counter = literals(&r[1]);
            match (reason.as_slice(), counter.as_slice()) {
                ([reason], [counter]) if Reason::ALL.iter().any(|x| x.name() == reason) => {
                    Some((reason.clone(), counter.clone()))
                }
                _ => None,
            }
        })
        .collect();
    let code: BTreeMap<String, String> = Reason::ALL
        .iter()
        .map(|r| (r.name().to_string(), r.group().counter().to_string()))
        .collect();
    assert_eq!(listed, code, "the table of refusal reasons");
}

#[test]
fn each_counter_is_listed_with_its_reasons() {
    let rows = list_table_rows(&troubleshooting());
    let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.len() == 3) {
        let counter = literals(&row[0]);
        let reasons = literals(&row[1]);
        if let [counter] = counter.as_slice()
            && counter.starts_with("failures_")
            && !reasons.is_empty()
            && reasons
                .iter()
                .all(|r| Reason::ALL.iter().any(|x| x.name() == r))
        {
            listed
                .entry(counter.clone())
                .or_default()
                .extend(reasons.iter().cloned());
        }
    }
    let mut code: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in Reason::ALL {
        let counter = r.group().counter();
        assert!(Counters::FIELDS.contains(&counter), "{counter}");
        code.entry(counter.to_string())
            .or_default()
            .insert(r.name().to_string());
    }
    assert_eq!(listed, code, "the table of counters and their reasons");
}
