//! Holds the docs to the code. docs/troubleshooting.rst: its table of refusal reasons names
//! each reason's counter, and its table of counters names each counter's reasons, exactly
//! as `Reason::group` counts them (a DBA reads the counters through these tables, so a
//! reason moved to another group, or added, without them fails here). docs/variables.rst:
//! its table of system variables lists every variable of `sysvar::ALL` once, with its
//! type, default, range and privilege. docs/jwt.rst: the limits and the schedule of the
//! issuers' key fetches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use auth_awsiam_core::error::Reason;
use auth_awsiam_core::metrics::Counters;
use auth_awsiam_core::sysvar::{self, Value};

fn doc(page: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../docs")
        .join(page);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn troubleshooting() -> String {
    doc("troubleshooting.rst")
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

#[test]
fn each_variable_is_documented_as_it_is() {
    let rows = list_table_rows(&doc("variables.rst"));
    let documented: BTreeMap<String, &Vec<String>> = rows
        .iter()
        .filter_map(|row| match literals(&row[0]).as_slice() {
            [name] if name.starts_with("auth_awsiam_") => Some((name.clone(), row)),
            _ => None,
        })
        .collect();
    let names: BTreeSet<&str> = sysvar::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(
        documented
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        names,
        "the variables documented and the variables that exist"
    );
    for v in sysvar::ALL {
        let row = documented[v.name()];
        let [_, kind, default, range, admin, ..] = row.as_slice() else {
            panic!("{}: the row has too few cells: {row:?}", v.name());
        };
        let on_off = |b: bool| if b { "ON" } else { "OFF" };
        match v.value {
            Value::Str(d) => {
                assert_eq!(kind, "string", "{}", v.name());
                assert_eq!(
                    default,
                    if d.is_empty() { "empty" } else { d },
                    "{}",
                    v.name()
                );
            }
            Value::Uint {
                default: d,
                min,
                max,
            } => {
                assert!(kind.starts_with("integer"), "{}: {kind}", v.name());
                assert_eq!(*default, d.to_string(), "{}", v.name());
                assert_eq!(*range, format!("{min} to {max}"), "{}", v.name());
            }
            Value::Bool(d) => {
                assert_eq!(kind, "boolean", "{}", v.name());
                assert_eq!(default, on_off(d), "{}", v.name());
            }
        }
        assert_eq!(admin, if v.admin { "yes" } else { "no" }, "{}", v.name());
    }
}

/// The `NAME("field", field)` entries of a shim's status variable array, in order.
fn shim_counters(file: &str, macro_name: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(file);
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    src.split(&format!("{macro_name}(\""))
        .skip(1)
        .map(|rest| {
            let (name, after) = rest.split_once('"').expect("a closing quote");
            let field = after
                .trim_start_matches([',', ' ', '\n'])
                .split(')')
                .next()
                .unwrap()
                .trim();
            assert_eq!(
                name, field,
                "{file}: the status variable {name} reads {field}"
            );
            name.to_string()
        })
        .collect()
}

/// Every counter is a status variable of its plugin, in the order of its struct, and a row
/// of the status variable table in docs/variables.rst.
#[test]
fn each_counter_is_a_status_variable_and_documented() {
    use auth_awsiam_core::challenge::login::Counters as ChallengeCounters;
    let rows = list_table_rows(&doc("variables.rst"));
    let documented: BTreeSet<String> = rows
        .iter()
        .filter_map(|row| match literals(&row[0]).as_slice() {
            [name] if name.starts_with("Auth_awsiam_") => Some(name.clone()),
            _ => None,
        })
        .collect();
    let core: Vec<&str> = Counters::FIELDS.to_vec();
    let challenge: Vec<&str> = ChallengeCounters::C_FIELDS.iter().map(|f| f.0).collect();
    for (file, macro_name, prefix, fields) in [
        ("auth_awsiam.cc", "AWSIAM_COUNTER", "Auth_awsiam_", core),
        (
            "auth_awsiam_challenge.cc",
            "CHALLENGE_COUNTER",
            "Auth_awsiam_challenge_",
            challenge,
        ),
    ] {
        assert_eq!(shim_counters(file, macro_name), fields, "{file}");
        for field in fields {
            let name = format!("{prefix}{field}");
            assert!(
                documented.contains(&name),
                "{name} is not in docs/variables.rst"
            );
        }
    }
}

/// docs/jwt.rst's account of the key fetches (their limits, time limits and schedule) is
/// what `jwt::issuers` and `jwt::jwk` do.
#[test]
fn the_key_fetches_are_documented_as_they_are() {
    use auth_awsiam_core::jwt::issuers::{
        CONNECT_TIMEOUT, FETCH_TIMEOUT, KEY_REFRESH_INTERVAL, MIN_REFETCH_INTERVAL, RETRY_INTERVAL,
    };
    use auth_awsiam_core::jwt::jwk::{MAX_JWKS_LEN, MAX_KEYS};
    // Sentences wrap in the source: compare with single spaces.
    let text = doc("jwt.rst")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let minutes = |d: Duration| {
        assert_eq!(d.as_secs() % 60, 0, "{d:?} is documented in minutes");
        d.as_secs() / 60
    };
    assert_eq!(MAX_JWKS_LEN % 1024, 0, "documented in KiB");
    let refresh = minutes(KEY_REFRESH_INTERVAL);
    let refetch = MIN_REFETCH_INTERVAL.as_secs();
    for fact in [
        format!("at most {} KiB and {MAX_KEYS} keys", MAX_JWKS_LEN / 1024),
        format!(
            "within {} s to connect and {} s in all",
            CONNECT_TIMEOUT.as_secs(),
            FETCH_TIMEOUT.as_secs()
        ),
        format!("then every {refresh} minutes"),
        format!("within {refresh} minutes, or at once when a login brings a new ``kid``"),
        format!("if the issuer was not asked in the last {refetch} seconds"),
        format!("one request per {refetch} seconds"),
    ] {
        assert!(text.contains(&fact), "docs/jwt.rst does not say: {fact}");
    }
    assert_eq!(minutes(RETRY_INTERVAL), 1);
    assert!(text.contains("after a failed fetch, again a minute later"));
}
