//! Holds the hand-written C header (auth_awsiam_core.h) to the Rust side of the ABI: the
//! enums' constants and values, the structs' fields (names, C types, order), the exported
//! functions, and the shim's status variables (one per counter). The header stays written
//! for people; this test makes sure it never drifts from what the library really is.

use std::collections::BTreeSet;
use std::path::PathBuf;

use auth_awsiam_core::abi::{AwsiamLogin, LogLevel, Verdict};
use auth_awsiam_core::config::Setting;
use auth_awsiam_core::metrics::Counters;

fn plugin_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The header without comments, preprocessor lines and `extern "C"` braces' noise.
fn header() -> String {
    header_of("../auth_awsiam_core.h")
}

/// `header` of one file (also auth_awsiam_core_challenge.h, the challenge plugin's part).
fn header_of(file: &str) -> String {
    let text = plugin_file(file);
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The body between the braces of `<kind> <name> {`.
fn body<'a>(h: &'a str, kind: &str, name: &str) -> &'a str {
    let open = format!("{kind} {name} {{");
    let start = h
        .find(&open)
        .unwrap_or_else(|| panic!("header has no '{open}'"))
        + open.len();
    let end = h[start..].find('}').expect("unclosed brace") + start;
    &h[start..end]
}

/// `(NAME, value)` of a C enum, in order.
fn c_enum(h: &str, name: &str) -> Vec<(String, i32)> {
    body(h, "enum", name)
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(|item| {
            let (k, v) = item
                .split_once('=')
                .unwrap_or_else(|| panic!("enum {name}: '{item}' has no explicit value"));
            (k.trim().to_string(), v.trim().parse().unwrap())
        })
        .collect()
}

/// `(field, C type without spaces)` of a C struct, in order.
fn c_struct(h: &str, name: &str) -> Vec<(String, String)> {
    body(h, "struct", name)
        .split(';')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|decl| {
            let split = decl
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap();
            let (ty, field) = decl.split_at(split + 1);
            (field.to_string(), ty.replace(' ', ""))
        })
        .collect()
}

fn upper_snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The C spelling of a Rust field type used in the ABI.
fn c_type_of(rust: &str) -> &'static str {
    match rust.replace(' ', "").as_str() {
        "*constc_char" => "constchar*",
        "*constu8" => "constunsignedchar*",
        "usize" => "size_t",
        "c_int" => "int",
        "AtomicU64" => "unsignedlonglong",
        other => panic!("no C spelling known for Rust type {other}"),
    }
}

/// `(C constant, value)` of a Rust ABI enum, in order.
macro_rules! variants {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| {
                let name = format!("{}{}", <$t>::C_PREFIX, upper_snake(v.variant_name()));
                (name, *v as i32)
            })
            .collect::<Vec<_>>()
    };
}

#[test]
fn enums_match() {
    let h = header();
    assert_eq!(c_enum(&h, Setting::C_ENUM), variants!(Setting));
    assert_eq!(c_enum(&h, Verdict::C_ENUM), variants!(Verdict));
    assert_eq!(c_enum(&h, LogLevel::C_ENUM), variants!(LogLevel));
}

#[test]
fn login_struct_matches() {
    let h = header();
    let rust: Vec<(String, String)> = AwsiamLogin::C_FIELDS
        .iter()
        .map(|(f, t)| (f.to_string(), c_type_of(t).to_string()))
        .collect();
    assert_eq!(c_struct(&h, AwsiamLogin::C_STRUCT), rust);
}

#[test]
fn counters_struct_matches() {
    let h = header();
    let rust: Vec<(String, String)> = Counters::FIELDS
        .iter()
        .map(|f| (f.to_string(), c_type_of("AtomicU64").to_string()))
        .collect();
    assert_eq!(c_struct(&h, Counters::C_STRUCT), rust);
}

/// Names of the functions the header declares: an identifier `awsiam_*` directly followed
/// by '(' outside the enums and structs.
fn header_functions(h: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = h.as_bytes();
    let mut i = 0;
    while let Some(at) = h[i..].find("awsiam_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        let starts_word =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if starts_word && h[end..].trim_start().starts_with('(') {
            names.insert(h[start..end].to_string());
        }
        i = end;
    }
    names
}

/// The sources of the `ffi` module: ffi.rs and its submodules in src/ffi/.
fn ffi_sources() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/ffi");
    let mut src = plugin_file("src/ffi.rs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    for file in files {
        src.push_str(&std::fs::read_to_string(&file).unwrap());
    }
    src
}

/// Names of the functions the `ffi` module exports: `extern "C" fn NAME` right after
/// `no_mangle`.
fn exported_functions() -> BTreeSet<String> {
    let src = ffi_sources();
    let mut names = BTreeSet::new();
    let mut exported = false;
    for line in src.lines().map(str::trim) {
        if line.starts_with("#[unsafe(no_mangle)]") {
            exported = true;
        } else if exported && let Some(at) = line.find("extern \"C\" fn ") {
            let rest = &line[at + "extern \"C\" fn ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
            exported = false;
        }
    }
    names
}

#[test]
fn exported_functions_match() {
    let mut declared = header_functions(&header());
    declared.extend(header_functions(&header_of(
        "../auth_awsiam_core_challenge.h",
    )));
    let exported = exported_functions();
    assert!(exported.len() >= 10, "{exported:?}");
    assert_eq!(declared, exported);
}

#[test]
fn the_shim_shows_every_counter() {
    let shim = plugin_file("../auth_awsiam.cc");
    let mut shown = BTreeSet::new();
    let mut rest = shim.as_str();
    // AWSIAM_COUNTER("name", field): the status variable Auth_awsiam_<name> reads <field>.
    while let Some(at) = rest.find("AWSIAM_COUNTER(\"") {
        rest = &rest[at + "AWSIAM_COUNTER(\"".len()..];
        let (name, after) = rest.split_once('"').unwrap();
        let field: String = after
            .trim_start_matches([',', ' ', '\n'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert_eq!(
            name, field,
            "Auth_awsiam_{name} must show the counter of that name"
        );
        shown.insert(field);
    }
    let all: BTreeSet<String> = Counters::FIELDS.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        shown, all,
        "the shim's status variables and the counters differ"
    );
}

#[test]
fn the_mapped_account_limit_matches() {
    // `#define AWSIAM_MAX_ACCOUNT_NAME_LEN N`: the shim's static_assert and the core's
    // refusal of a smaller buffer rely on the same number.
    let text = plugin_file("../auth_awsiam_core.h");
    let value: usize = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("#define AWSIAM_MAX_ACCOUNT_NAME_LEN"))
        .expect("header defines AWSIAM_MAX_ACCOUNT_NAME_LEN")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(value, auth_awsiam_core::mapping::MAX_ACCOUNT_NAME_LEN);
}
