//! Run-time switches of the issuer: files in the switch directory (`--switch-dir`; `start`
//! uses its `--dir`), read at every request, like the throttle switch. A test turns a
//! fault on by writing the file and off by removing it; the file's text, where it has one,
//! is a number.
//!
//! | file | while it exists |
//! | --- | --- |
//! | `issuer.refused` | the issuer's ports refuse connections (nothing listens) and open connections are closed |
//! | `issuer.unavailable` | discovery and JWKS answer HTTP 503 |
//! | `issuer.slow` | discovery and JWKS answer after N ms (the text; empty: `SLOW_DEFAULT_MS`) |
//! | `jwks.oversized` | the JWKS is padded to N bytes (the text; empty: `OVERSIZED_DEFAULT_BYTES`) |
//! | `keys.rotated` | key generation N (the text; empty: 1) signs and is published, with kids `RSA_N`, `EC384_N`; the others are not published |
//! | `keys.overlap` | generation N-1 is published too (a rotation's overlap) |
//! | `token.unknown_kid` | tokens are signed with a key whose kid (`RSA_unpublished`, `EC384_unpublished`) no JWKS lists |
//!
//! Counters, written by the issuer into the same directory after each fetch it serves:
//! `jwks_fetches` and `discovery_fetches` (a decimal number, written whole).

use std::fs;
use std::path::PathBuf;

pub const REFUSED: &str = "issuer.refused";
pub const UNAVAILABLE: &str = "issuer.unavailable";
pub const SLOW: &str = "issuer.slow";
pub const OVERSIZED: &str = "jwks.oversized";
pub const ROTATED: &str = "keys.rotated";
pub const OVERLAP: &str = "keys.overlap";
pub const UNKNOWN_KID: &str = "token.unknown_kid";
pub const JWKS_FETCHES: &str = "jwks_fetches";
pub const DISCOVERY_FETCHES: &str = "discovery_fetches";

/// `issuer.slow` without a number: longer than any sane fetch timeout.
pub const SLOW_DEFAULT_MS: u64 = 30_000;
/// `jwks.oversized` without a number: 1 MiB, far above any real JWKS (about 1 KB).
pub const OVERSIZED_DEFAULT_BYTES: u64 = 1024 * 1024;
/// Largest padding `jwks.oversized` makes, so that a typo cannot exhaust memory.
pub const OVERSIZED_MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Debug, Default)]
pub struct Switches {
    dir: Option<PathBuf>,
}

impl Switches {
    pub fn new(dir: Option<PathBuf>) -> Switches {
        Switches { dir }
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(name))
    }

    pub fn on(&self, name: &str) -> bool {
        self.path(name).is_some_and(|p| p.exists())
    }

    /// `None` while the switch is off; `Some(default)` when its file holds no number.
    pub fn number(&self, name: &str, default: u64) -> Option<u64> {
        let text = fs::read_to_string(self.path(name)?).ok()?;
        Some(text.trim().parse().unwrap_or(default))
    }

    /// Writes counter `name` whole (a new file renamed over the old one).
    pub fn write_counter(&self, name: &str, value: u64) {
        let Some(path) = self.path(name) else { return };
        let tmp = path.with_extension("tmp");
        // A counter that cannot be written is not worth failing a fetch for; the test
        // reading it fails instead.
        let _ = fs::write(&tmp, format!("{value}\n")).and_then(|()| fs::rename(&tmp, &path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_switch_and_carry_numbers() {
        let dir = std::env::temp_dir().join(format!("sts_double_switches_{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let s = Switches::new(Some(dir.clone()));
        assert!(!s.on(SLOW) && s.number(SLOW, 5).is_none());
        fs::write(dir.join(SLOW), "").unwrap();
        assert_eq!(s.number(SLOW, 5), Some(5));
        fs::write(dir.join(SLOW), "250\n").unwrap();
        assert_eq!(s.number(SLOW, 5), Some(250));
        s.write_counter(JWKS_FETCHES, 3);
        assert_eq!(fs::read_to_string(dir.join(JWKS_FETCHES)).unwrap(), "3\n");
        fs::remove_dir_all(&dir).unwrap();
        assert!(!Switches::default().on(SLOW));
    }
}
