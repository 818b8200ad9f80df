//! What the tool prints or writes.

use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::cli::Format;
use crate::failure::Failure;
use crate::option_file::{self, User};

/// Mode of a written file: it holds a credential.
const FILE_MODE: u32 = 0o600;
/// Temporary names tried in the output's directory before giving up (a taken one is left
/// alone: it may be another run's, or planted).
const MAX_TEMP_NAMES: u32 = 16;

/// The text for `format`. The token alone is one line of ASCII (see option_file::render);
/// the user name goes into the option file only.
pub fn render(format: Format, token: &str, user: Option<&User>, factor: u8) -> String {
    match format {
        Format::Token => format!("{token}\n"),
        Format::OptionFile => option_file::render(token, user, factor),
    }
}

/// Writes `text` to `path`, readable by its owner only: into a new temporary file of the same
/// directory, then renamed over `path`. So a reader sees the old file or the whole new one,
/// and no symbolic link is ever followed: one at `path` is replaced, not written through;
/// one at a temporary name makes the exclusive create fail and the next name be tried.
pub fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    let fail = |what: String| {
        Failure::Other(format!(
            "cannot write the token to {}: {what}",
            path.display()
        ))
    };
    let Some(name) = path.file_name() else {
        return Err(fail("it names no file".into()));
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (temp, mut file) = create_temp(dir, name).map_err(|e| {
        fail(format!(
            "cannot create a file in {}: {e}; check that the directory exists and is writable",
            dir.display()
        ))
    })?;
    let done = file
        .set_permissions(Permissions::from_mode(FILE_MODE))
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.sync_all())
        .map_err(|e| fail(e.to_string()))
        .and_then(|()| {
            std::fs::rename(&temp, path).map_err(|e| {
                fail(format!(
                    "cannot replace it: {e}; check that it is not a directory"
                ))
            })
        });
    if done.is_err() {
        // Ours: created exclusively above. Best effort, the error above is what matters.
        let _ = std::fs::remove_file(&temp);
    }
    done
}

/// Creates `.NAME.PID.N.tmp` in `dir` for the first free N, with mode 0600 (umask may only
/// narrow it). O_EXCL fails on any existing name, a symbolic link included (POSIX), and
/// O_NOFOLLOW says the same once more.
fn create_temp(dir: &Path, name: &OsStr) -> std::io::Result<(PathBuf, File)> {
    let mut attempt = 0;
    loop {
        let mut temp = OsString::from(".");
        temp.push(name);
        temp.push(format!(".{}.{attempt}.tmp", std::process::id()));
        let temp = dir.join(temp);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(FILE_MODE)
            .open(&temp)
        {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt + 1 < MAX_TEMP_NAMES => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "auth_awsiam_token_test_{name}_{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn token_format_has_no_user() {
        let user = User::parse("u").unwrap();
        assert_eq!(
            render(Format::Token, "awsiam1.abc", Some(&user), 2),
            "awsiam1.abc\n"
        );
    }

    #[test]
    fn a_link_at_a_temporary_name_is_not_followed() {
        let dir = scratch("templink");
        let victim = dir.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let first = dir.join(format!(".t.cnf.{}.0.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &first).unwrap();
        let path = dir.join("t.cnf");
        write_private(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert!(std::fs::symlink_metadata(&first).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        // No temporary file is left: the victim, the planted link and the output.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn gives_up_when_every_temporary_name_is_taken() {
        let dir = scratch("taken");
        for n in 0..MAX_TEMP_NAMES {
            let taken = dir.join(format!(".t.cnf.{}.{n}.tmp", std::process::id()));
            std::fs::write(taken, "").unwrap();
        }
        let path = dir.join("t.cnf");
        let m = write_private(&path, "new")
            .unwrap_err()
            .message()
            .to_string();
        assert!(
            m.starts_with(&format!(
                "cannot write the token to {}: cannot create a file in {}:",
                path.display(),
                dir.display()
            )),
            "{m}"
        );
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        assert_eq!(
            write_private(Path::new("/"), "x").unwrap_err().message(),
            "cannot write the token to /: it names no file"
        );
    }
}
