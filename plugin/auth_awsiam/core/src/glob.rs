//! The wildcard of auth strings: `*` matches any run of characters; in names and accounts
//! it never crosses an ARN's separators ('/' and ':'), in free text (tag values) it may.

/// The wildcard.
pub const WILDCARD: char = '*';

/// A name or account that may hold `*` wildcards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    pub fn new(s: &str) -> Glob {
        Glob(s.to_string())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_literal(&self) -> bool {
        !self.0.contains(WILDCARD)
    }

    /// Matches a name or account: `*` never crosses '/' or ':' (an ARN's separators).
    pub fn matches(&self, text: &str) -> bool {
        glob_match(self.0.as_bytes(), text.as_bytes(), b"/:")
    }

    /// Matches free text such as a tag value, where '/' and ':' are ordinary characters.
    pub fn matches_text(&self, text: &str) -> bool {
        glob_match(self.0.as_bytes(), text.as_bytes(), b"")
    }
}

/// Iterative wildcard match with one backtrack point (linear in practice, never
/// exponential). `*` never crosses a byte of `stops`.
fn glob_match(pat: &[u8], text: &[u8], stops: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pat.len() && pat[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star
            && !stops.contains(&text[st])
        {
            // Let the last star swallow one more character and retry.
            star = Some((sp, st + 1));
            p = sp + 1;
            t = st + 1;
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matching() {
        let g = |s: &str| Glob(s.to_string());
        assert!(g("App*").matches("AppRole"));
        assert!(g("*").matches(""));
        assert!(g("*Role").matches("AppRole"));
        assert!(g("A*p*e").matches("AppRole"));
        assert!(!g("A*x").matches("AppRole"));
        assert!(!g("App").matches("AppRole"));
        assert!(!g("a*").matches("a/b"), "no '/' crossing");
        assert!(!g("a*").matches("a:b"), "no ':' crossing");
        assert!(g("1234*").matches("123456789012"));
        // Pathological pattern stays fast.
        assert!(!g(&"*a".repeat(30)).matches(&"a".repeat(29)));
        // Free text: '/' and ':' are ordinary characters there.
        assert!(g("team/*").matches_text("team/data:eng"));
        assert!(!g("team/*").matches("team/data:eng"));
    }
}
