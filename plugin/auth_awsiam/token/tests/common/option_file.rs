//! How the mysql client reads an option file: a port of what mysys/my_default.cc does with a
//! file's lines (search_default_file_with_ext, remove_end_comment; MySQL 9.7's source, whose
//! rules here are older than 8.0), to check that what the tool writes is read back as meant
//! and as nothing more.

/// `my_isspace(&my_charset_latin1, b)`: the space bit of ctype_latin1, which includes the
/// no-break space 0xA0.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ' | 0xa0)
}

fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., last] = s
        && is_space(*last)
    {
        s = rest;
    }
    s
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    trim_end(&s[start..])
}

/// Cuts the line at a `#` outside quotes; a backslash inside quotes protects the next byte.
fn remove_end_comment(line: &[u8]) -> &[u8] {
    let (mut quote, mut escape) = (0u8, false);
    for (i, &b) in line.iter().enumerate() {
        if (b == b'\'' || b == b'"') && !escape {
            if quote == 0 {
                quote = b;
            } else if quote == b {
                quote = 0;
            }
        }
        if quote == 0 && b == b'#' {
            return &line[..i];
        }
        escape = quote != 0 && b == b'\\' && !escape;
    }
    line
}

fn unescape(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\\' && i != v.len() - 1 {
            i += 1;
            match v[i] {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'b' => out.push(8),
                b's' => out.push(b' '),
                b'"' | b'\'' | b'\\' => out.push(v[i]),
                other => out.extend([b'\\', other]),
            }
        } else {
            out.push(v[i]);
        }
        i += 1;
    }
}

/// What the client takes from `group`, as `--name` or `--name=value` (my_print_defaults
/// prints the same), in order; a `!include` or other directive anywhere is returned as is.
pub fn options_of(text: &[u8], group: &str) -> Vec<String> {
    let mut out = vec![];
    let mut current: Option<&[u8]> = None;
    for raw in text.split(|&b| b == b'\n') {
        let line = &raw[raw.iter().position(|&b| !is_space(b)).unwrap_or(raw.len())..];
        match line.first() {
            None | Some(b'#') | Some(b';') => continue,
            Some(b'!') => {
                out.push(String::from_utf8_lossy(line).into_owned());
                continue;
            }
            Some(b'[') => {
                let end = line
                    .iter()
                    .position(|&b| b == b']')
                    .expect("a group ends with ]");
                current = Some(trim_end(&line[1..end]));
                continue;
            }
            _ => {}
        }
        assert!(current.is_some(), "an option before any group");
        if current != Some(group.as_bytes()) {
            continue;
        }
        let line = remove_end_comment(line);
        let (key, value) = match line.iter().position(|&b| b == b'=') {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        let mut option = b"--".to_vec();
        option.extend(trim_end(key));
        if let Some(v) = value {
            let v = trim(v);
            let v = match v {
                [q @ (b'"' | b'\''), inner @ .., last] if q == last => inner,
                _ => v,
            };
            option.push(b'=');
            unescape(v, &mut option);
        }
        out.push(String::from_utf8_lossy(&option).into_owned());
    }
    out
}
