//! The option file of `--format option-file`: a `[client]` group that the mysql client reads
//! with mysys/my_default.cc. Each value is written so that the client reads back exactly that
//! value, and one line can never become two options.
//!
//! How my_default.cc reads `user=VALUE` (MySQL 9.7's source; these rules are older than 8.0):
//! a `#` outside quotes starts a comment (inside `'...'` or `"..."` a backslash protects the
//! next quote); spaces, tabs and, byte by byte, latin1's no-break space 0xA0 (the last byte
//! of UTF-8 `à`, among others) are trimmed at both ends; then one pair of equal quotes
//! around the whole value is removed; then `\n \t \r \b \s \" \' \\` are unescaped, also
//! outside quotes. There is no way to continue a line.

use auth_awsiam_core::mapping::MAX_ACCOUNT_NAME_LEN;
use auth_awsiam_core::syntax;

use crate::failure::Failure;

/// A `--user` name, checked, as written after `user=`.
#[derive(Debug, PartialEq, Eq)]
pub struct User(String);

impl User {
    /// Accepts what can be a MySQL account's user name and be read back from the file as it
    /// is; refuses the rest, saying why.
    pub fn parse(name: &str) -> Result<User, Failure> {
        let refuse = |why: &str| {
            Err(Failure::Usage(format!(
                "bad --user {}: {why}",
                syntax::quoted(name, MAX_ACCOUNT_NAME_LEN)
            )))
        };
        if name.is_empty() {
            return refuse(
                "an empty user name makes the client log in as your operating-system user; give the MySQL account's user name",
            );
        }
        if name.chars().any(char::is_control) {
            return refuse(
                "it holds a control character (such as a newline), which could add options to the option file",
            );
        }
        if name.starts_with(' ') || name.ends_with(' ') {
            return refuse(
                "MySQL trims spaces at the start and end of account names, so no account has this name",
            );
        }
        if name.chars().any(|c| c > '\u{ffff}') {
            return refuse(
                "it holds a character outside the Basic Multilingual Plane (such as an emoji), which MySQL account names (utf8mb3) cannot hold",
            );
        }
        let chars = name.chars().count();
        if chars > MAX_ACCOUNT_NAME_LEN {
            return refuse(&format!(
                "{chars} characters, but MySQL user names have at most {MAX_ACCOUNT_NAME_LEN}"
            ));
        }
        Ok(User(written(name)))
    }
}

/// A plain name is written as it is (the usual case: `user=AppRole`); any other in double
/// quotes, with `\` and `"` escaped. Plain: nothing the parser treats specially, and only
/// ASCII, because the parser trims byte 0xA0 and that byte ends some UTF-8 characters.
fn written(name: &str) -> String {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'#' | b'\\' | b'\'' | b'"'));
    if plain {
        return name.to_string();
    }
    let mut s = String::with_capacity(name.len() + 4);
    s.push('"');
    for c in name.chars() {
        if matches!(c, '\\' | '"') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// The file's text. The token needs no quoting: it is `awsiam1.` then base64url, ASCII letters,
/// digits, `.`, `_` and `-` by construction (core/src/token.rs), or a JWT checked to be the
/// same alphabet (core/src/web_identity.rs `is_compact_jws`), none of them special to the
/// parser.
/// `factor` is the factor of a multi-factor account the token answers (1 to 3): the mysql
/// client takes factor N's password from `passwordN` (`password` is factor 1's).
pub fn render(token: &str, user: Option<&User>, factor: u8) -> String {
    let mut s = String::from("[client]\n");
    if let Some(User(u)) = user {
        s.push_str(&format!("user={u}\n"));
    }
    let key = match factor {
        2 | 3 => format!("password{factor}"),
        _ => "password".to_string(),
    };
    s.push_str(&format!("{key}={token}\nenable-cleartext-plugin\n"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(name: &str) -> String {
        match User::parse(name) {
            Err(Failure::Usage(m)) => m,
            other => panic!("{name:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_names_are_written_as_they_are() {
        for name in [
            "AppRole",
            "ops-reader",
            "a.b_c$d",
            "svc@prod",
            "x+y=z,w",
            "r;1",
            "!x",
        ] {
            assert_eq!(User::parse(name).unwrap(), User(name.to_string()));
        }
    }

    #[test]
    fn other_names_are_quoted_and_escaped() {
        for (name, value) in [
            ("ops #1", r#""ops #1""#),
            ("O'Brien", r#""O'Brien""#),
            (r#"say "hi""#, r#""say \"hi\"""#),
            (r"C:\x\n", r#""C:\\x\\n""#),
            ("'q'", r#""'q'""#),
            ("à", "\"à\""),
            ("a b", r#""a b""#),
        ] {
            assert_eq!(
                User::parse(name).unwrap(),
                User(value.to_string()),
                "{name}"
            );
        }
    }

    #[test]
    fn names_no_account_can_have_are_refused() {
        assert!(refusal("").contains("empty user name"));
        let m = refusal("AppRole\nplugin-dir=/tmp");
        assert!(
            m.starts_with("bad --user 'AppRole?plugin-dir=/tmp': it holds a control character"),
            "{m}"
        );
        for name in ["a\tb", "a\rb", "a\0", "a\u{7f}", "a\u{85}"] {
            assert!(refusal(name).contains("control character"), "{name:?}");
        }
        for name in [" a", "a ", " "] {
            assert!(refusal(name).contains("trims spaces"), "{name:?}");
        }
        assert!(refusal("a\u{1f600}").contains("utf8mb3"));
        assert!(
            User::parse("a\u{ffff}").is_ok(),
            "the last character utf8mb3 holds"
        );
        let longest = "é".repeat(MAX_ACCOUNT_NAME_LEN);
        assert!(User::parse(&longest).is_ok(), "characters, not bytes");
        let m = refusal(&"a".repeat(MAX_ACCOUNT_NAME_LEN + 1));
        assert!(
            m.ends_with("33 characters, but MySQL user names have at most 32"),
            "{m}"
        );
    }

    #[test]
    fn option_file_format() {
        let user = User::parse("AppRole").unwrap();
        assert_eq!(
            render("awsiam1.abc", Some(&user), 1),
            "[client]\nuser=AppRole\npassword=awsiam1.abc\nenable-cleartext-plugin\n"
        );
        assert_eq!(
            render("awsiam1.abc", None, 1),
            "[client]\npassword=awsiam1.abc\nenable-cleartext-plugin\n"
        );
    }

    #[test]
    fn a_later_factor_has_its_own_password_key() {
        for (factor, key) in [(2, "password2"), (3, "password3")] {
            assert_eq!(
                render("awsiam1.abc", None, factor),
                format!("[client]\n{key}=awsiam1.abc\nenable-cleartext-plugin\n")
            );
        }
    }
}
