//! Reads the hand-written C headers of the plugin's ABI and the `extern "C"` functions of
//! the Rust sources, so that a test can hold every item of a header to its Rust
//! declaration: enum constants, struct fields, `#define`d limits and function prototypes.
//! Shared by the core's tests/header.rs and the client crate's (it is included by path).
//! It reads only the plain C the headers are written in: one declaration per `;`, no
//! macros in declarations, comments in `/* */`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

/// A header, split into its `#define`s and its declarations without comments.
pub struct Header {
    pub defines: BTreeMap<String, String>,
    pub code: String,
}

impl Header {
    pub fn read(path: &Path) -> Header {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut without_comments = String::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("/*") {
            without_comments.push_str(&rest[..start]);
            let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
            rest = &rest[end..];
        }
        without_comments.push_str(rest);
        let mut defines = BTreeMap::new();
        let mut code = String::new();
        for line in without_comments.lines() {
            let line = line.trim();
            if let Some(d) = line.strip_prefix("#define ") {
                let mut parts = d.split_whitespace();
                let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                    continue; // the include guard
                };
                defines.insert(name.to_string(), value.to_string());
            } else if !line.starts_with('#') && line != "extern \"C\" {" && line != "}" {
                code.push_str(line);
                code.push('\n');
            }
        }
        Header { defines, code }
    }

    /// The body between the braces of `<kind> <name> {`.
    fn body(&self, kind: &str, name: &str) -> &str {
        let open = format!("{kind} {name} {{");
        let start = self
            .code
            .find(&open)
            .unwrap_or_else(|| panic!("header has no '{open}'"))
            + open.len();
        let end = self.code[start..].find('}').expect("unclosed brace") + start;
        &self.code[start..end]
    }

    /// `(NAME, value)` of a C enum, in order.
    pub fn enum_items(&self, name: &str) -> Vec<(String, i32)> {
        self.body("enum", name)
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

    /// `(field, C type without spaces)` of a C struct, in order; an array field's type ends
    /// in `[LEN]`.
    pub fn struct_fields(&self, name: &str) -> Vec<(String, String)> {
        self.body("struct", name)
            .split(';')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|decl| {
                let (decl, array) = match decl.find('[') {
                    Some(at) => (&decl[..at], no_space(&decl[at..])),
                    None => (decl, String::new()),
                };
                let (ty, field) = split_name(decl);
                (field, format!("{ty}{array}"))
            })
            .collect()
    }

    /// Every function the header declares: name -> (return type, parameter types), types
    /// without spaces (`const struct awsiam_login *login` -> `conststructawsiam_login*`).
    pub fn prototypes(&self) -> BTreeMap<String, (String, Vec<String>)> {
        let mut out = BTreeMap::new();
        // Declarations end with ';'; struct and enum bodies and typedefs are not functions.
        let mut depth = 0usize;
        let mut decl = String::new();
        for c in self.code.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                ';' if depth == 0 => {
                    let d = std::mem::take(&mut decl);
                    let d = d.split_whitespace().collect::<Vec<_>>().join(" ");
                    if let Some(f) = function(&d) {
                        out.insert(f.0, (f.1, f.2));
                    }
                    continue;
                }
                _ => {}
            }
            if depth == 0 && c != '}' {
                decl.push(c);
            }
        }
        out
    }
}

/// `s` without any whitespace (declarations may be wrapped over lines).
fn no_space(s: &str) -> String {
    s.split_whitespace().collect()
}

/// `type name` -> (type without spaces, name).
fn split_name(decl: &str) -> (String, String) {
    let decl = decl.trim();
    let at = decl
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let (ty, name) = decl.split_at(at);
    (no_space(ty), name.to_string())
}

/// `ret name(params)` as (name, return type, parameter types).
fn function(decl: &str) -> Option<(String, String, Vec<String>)> {
    let decl = decl.trim();
    if decl.starts_with("typedef") || decl.starts_with("struct ") || decl.starts_with("enum ") {
        return None;
    }
    let open = decl.find('(')?;
    let close = decl.rfind(')')?;
    let (ret, name) = split_name(&decl[..open]);
    let params = decl[open + 1..close].trim();
    let params = if params == "void" || params.is_empty() {
        Vec::new()
    } else {
        params.split(',').map(|p| split_name(p).0).collect()
    };
    Some((name, ret, params))
}

/// Every `#[unsafe(no_mangle)] extern "C" fn` of the Rust sources given: name -> (return
/// type, parameter types), Rust types as written without spaces.
pub fn rust_functions(sources: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let mut out = BTreeMap::new();
    let mut rest = sources;
    while let Some(at) = rest.find("#[unsafe(no_mangle)]") {
        rest = &rest[at..];
        let Some(f) = rest.find("extern \"C\" fn ") else {
            break;
        };
        rest = &rest[f + "extern \"C\" fn ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let open = rest.find('(').unwrap();
        let mut depth = 0;
        let mut close = open;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '(' | '<' => depth += 1,
                ')' | '>' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                close = open + i;
                break;
            }
        }
        let params: Vec<String> = split_top(&rest[open + 1..close])
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let (_, ty) = p.split_once(':').unwrap();
                ty.split_whitespace().collect::<String>()
            })
            .collect();
        let after = &rest[close + 1..rest.find('{').unwrap()];
        let ret = after
            .trim()
            .strip_prefix("->")
            .map_or(String::new(), |r| r.split_whitespace().collect());
        out.insert(name, (ret, params));
        rest = &rest[close..];
    }
    out
}

/// Splits at commas outside `<>` and `()`.
fn split_top(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The C spelling, without spaces, of a Rust type used in the ABI. `names` maps the Rust
/// names of `#[repr(C)]` structs (as written, possibly with a module path) to their C tags,
/// and of array length constants to the `#define`s the header uses.
pub fn c_type(rust: &str, names: &BTreeMap<&str, &str>) -> String {
    let rust: String = rust.split_whitespace().collect();
    let scalar = |t: &str| -> Option<&'static str> {
        Some(match t {
            "" => "void",
            "c_char" => "char",
            "u8" => "unsignedchar",
            "usize" => "size_t",
            "c_int" => "int",
            "c_uint" => "unsignedint",
            "u64" | "AtomicU64" => "unsignedlonglong",
            "Option<LogFn>" => "awsiam_log_fn",
            _ => return None,
        })
    };
    let named = |t: &str| -> String {
        scalar(t).map(str::to_string).unwrap_or_else(|| {
            let tag = names
                .get(t)
                .unwrap_or_else(|| panic!("no C spelling known for Rust type {t}"));
            format!("struct{tag}")
        })
    };
    if let Some(t) = rust.strip_prefix("*const") {
        format!("const{}*", named(t))
    } else if let Some(t) = rust.strip_prefix("*mut") {
        format!("{}*", named(t))
    } else if let Some(inner) = rust.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let (t, len) = inner.split_once(';').unwrap();
        let len = names.get(len).copied().unwrap_or(len);
        format!("{}[{len}]", named(t))
    } else {
        named(&rust)
    }
}

/// All `.rs` files of `dir` (sorted) appended to `first`.
pub fn sources(first: &Path, dir: &Path) -> String {
    let mut src = std::fs::read_to_string(first).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_else(|_| Vec::new());
    files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "rs"));
    files.sort();
    for f in files {
        src.push_str(&std::fs::read_to_string(f).unwrap());
    }
    src
}
