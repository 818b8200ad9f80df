//! What the double tells a test where it listens: the MTR include (`--let $sts_double_NAME
//! = VALUE`, one line each, built as it starts) and, for scripts, the same names and
//! values as one JSON object (`--json`), so that no script scrapes mysqltest lines.

/// The JSON object of an MTR include's `--let $sts_double_NAME = VALUE` lines:
/// `{"NAME": "VALUE", ...}` in the include's order.
pub fn json_of_include(include: &str) -> String {
    let members: Vec<String> = include
        .lines()
        .filter_map(|l| l.strip_prefix("--let $sts_double_"))
        .filter_map(|l| l.split_once(" = "))
        .map(|(name, value)| format!("{}: {}", quote(name), quote(value)))
        .collect();
    format!("{{{}}}\n", members.join(", "))
}

/// A JSON string (names, URLs and paths: the escapes JSON requires, nothing else).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_include_as_json() {
        let include = "--let $sts_double_ok = http://127.0.0.1:4000\n\
                       --let $sts_double_https_tls = https://localhost:4001\n\
                       --let $sts_double_phase_file = /tmp/a \"b\"\\c\n";
        assert_eq!(
            json_of_include(include),
            "{\"ok\": \"http://127.0.0.1:4000\", \"https_tls\": \"https://localhost:4001\", \
             \"phase_file\": \"/tmp/a \\\"b\\\"\\\\c\"}\n"
        );
        assert_eq!(json_of_include(""), "{}\n");
    }
}
