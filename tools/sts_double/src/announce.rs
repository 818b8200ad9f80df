//! What the double tells its users once it listens: each listener (and the throttle
//! switch file) by the name an MTR test knows it by, `$sts_double_NAME`. MTR tests
//! `--source` the mysqltest include; scripts read the same as JSON.

/// One mysqltest line per announced name: `--let $sts_double_NAME = VALUE`.
pub fn mtr_include(announced: &[(String, String)]) -> String {
    announced
        .iter()
        .map(|(name, value)| format!("--let $sts_double_{name} = {value}\n"))
        .collect()
}

/// The same as one JSON object, `{"NAME": "VALUE", ...}`, for scripts.
pub fn json_object(announced: &[(String, String)]) -> String {
    let members: Vec<String> = announced
        .iter()
        .map(|(name, value)| format!("{}: {}", json_string(name), json_string(value)))
        .collect();
    format!("{{{}}}\n", members.join(", "))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
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
    fn listeners_are_announced_to_mtr_and_as_json() {
        let announced = vec![
            ("ok".to_string(), "http://127.0.0.1:4000".to_string()),
            (
                "https_tls".to_string(),
                "https://localhost:4001".to_string(),
            ),
            (
                "throttle_switch_file".to_string(),
                "/tmp/a \"b\"\\c\n".to_string(),
            ),
        ];
        assert_eq!(
            mtr_include(&announced[..2]),
            "--let $sts_double_ok = http://127.0.0.1:4000\n\
             --let $sts_double_https_tls = https://localhost:4001\n"
        );
        assert_eq!(
            json_object(&announced),
            "{\"ok\": \"http://127.0.0.1:4000\", \"https_tls\": \"https://localhost:4001\", \
             \"throttle_switch_file\": \"/tmp/a \\\"b\\\"\\\\c\\u000a\"}\n"
        );
        assert_eq!(json_object(&[]), "{}\n");
    }
}
