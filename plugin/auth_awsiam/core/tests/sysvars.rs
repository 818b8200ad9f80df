//! Holds the shims' system variable declarations (`MYSQL_SYSVAR_*` in auth_awsiam.cc and
//! auth_awsiam_challenge.cc, which must be compile-time C) to the one table of them,
//! `sysvar::ALL`: each variable declared once, by the plugin the table names, of the
//! table's type, with its help text, default and range, wired to its own setting's check
//! and update functions, and listed in its plugin's variable array.

use std::collections::BTreeSet;
use std::path::PathBuf;

use auth_awsiam_core::config::Setting;
use auth_awsiam_core::sysvar::{self, Value};

fn shim(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One `MYSQL_SYSVAR_<KIND>(...)` declaration: its kind and its arguments, with adjacent
/// string literals joined into one (the help text).
#[derive(Debug)]
struct Declaration {
    kind: String,
    args: Vec<String>,
}

/// The arguments of a call, split at top-level commas; string literals read as their text.
fn arguments(text: &str) -> Vec<String> {
    let mut args = vec![String::new()];
    let mut depth = 0;
    let mut chars = text.chars().peekable();
    let mut in_literal_run = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // A string literal: its content, joined to the literals next to it.
                let mut lit = String::new();
                for d in chars.by_ref() {
                    if d == '"' {
                        break;
                    }
                    lit.push(d);
                }
                let arg = args.last_mut().unwrap();
                if !in_literal_run {
                    arg.push('"');
                }
                arg.push_str(&lit);
                in_literal_run = true;
                continue;
            }
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                args.push(String::new());
                in_literal_run = false;
                continue;
            }
            c if c.is_whitespace() => continue,
            _ => {}
        }
        in_literal_run = false;
        args.last_mut().unwrap().push(c);
    }
    args
}

/// Every `MYSQL_SYSVAR_<KIND>(...)` of a source file.
fn declarations(src: &str) -> Vec<Declaration> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find("MYSQL_SYSVAR_") {
        rest = &rest[at + "MYSQL_SYSVAR_".len()..];
        let kind: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        let open = kind.len();
        if !rest[open..].starts_with('(') {
            continue;
        }
        // The closing parenthesis of the call.
        let mut depth = 0;
        let mut close = open;
        let mut in_string = false;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '"' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push(Declaration {
            kind,
            args: arguments(&rest[open + 1..close]),
        });
        rest = &rest[close..];
    }
    out
}

/// `AWSIAM_` and the setting's name in upper snake case: its constant in the header.
fn c_constant(setting: Setting) -> String {
    let mut out = String::from("AWSIAM_");
    for (i, c) in setting.variant_name().chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The variables a file lists in its `SYS_VAR *...[]` array (`MYSQL_SYSVAR(name)`).
fn listed(src: &str) -> BTreeSet<String> {
    src.split("MYSQL_SYSVAR(")
        .skip(1)
        .map(|r| r.split(')').next().unwrap().trim().to_string())
        .collect()
}

fn check_file(file: &str, plugin: &str) {
    let src = shim(file);
    let declared = declarations(&src);
    let table: Vec<_> = sysvar::ALL.iter().filter(|v| v.plugin == plugin).collect();
    assert_eq!(
        declared.len(),
        table.len(),
        "{file} declares {} variables, the table has {} for {plugin}",
        declared.len(),
        table.len()
    );
    for d in &declared {
        let short = &d.args[0];
        let name = format!("{plugin}_{short}");
        let v = table
            .iter()
            .find(|v| v.name() == name)
            .unwrap_or_else(|| panic!("{file} declares {name}, which is not in the table"));
        assert_eq!(d.args[1], *short, "{name}: its C variable");
        assert_eq!(d.args[2], "PLUGIN_VAR_RQCMDARG", "{name}: its flags");
        assert_eq!(d.args[3], format!("\"{}", v.help), "{name}: its help text");
        let (kind, value_args) = (d.kind.as_str(), &d.args[6..]);
        let setting = c_constant(v.setting);
        // The check and update functions of this very setting, of this type.
        let wired = |t: &str| {
            assert_eq!(
                d.args[4..6],
                [
                    format!("awsiam_check_{t}_of<{setting}>"),
                    format!("awsiam_update_{t}_of<{setting}>")
                ],
                "{name}: its check and update functions"
            )
        };
        let expected: Vec<String> = match v.value {
            Value::Str(default) => {
                assert_eq!(kind, "STR", "{name}");
                wired("str");
                vec![format!("\"{default}")]
            }
            Value::Uint { default, min, max } => {
                assert_eq!(kind, "UINT", "{name}");
                wired("uint");
                [default, min, max, 0].iter().map(u64::to_string).collect()
            }
            Value::Bool(default) => {
                assert_eq!(kind, "BOOL", "{name}");
                wired("bool");
                vec![default.to_string()]
            }
        };
        assert_eq!(value_args, expected.as_slice(), "{name}: default and range");
    }
    let names: BTreeSet<String> = declared.iter().map(|d| d.args[0].clone()).collect();
    assert_eq!(listed(&src), names, "{file}: the variable array");
}

#[test]
fn the_shims_declare_the_table() {
    check_file("auth_awsiam.cc", "auth_awsiam");
    check_file("auth_awsiam_challenge.cc", "auth_awsiam_challenge");
}

#[test]
fn the_reader_reads_what_it_is_given() {
    let d =
        declarations(r#"static MYSQL_SYSVAR_UINT(t, t, F, "a, b " "c", f<X>, g<X>, 1, 0, 2, 0);"#);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind, "UINT");
    assert_eq!(
        d[0].args,
        [
            "t", "t", "F", "\"a, b c", "f<X>", "g<X>", "1", "0", "2", "0"
        ]
    );
}
