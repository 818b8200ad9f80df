//! What the tool prints or writes.

use std::fs::{OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::cli::Format;
use crate::option_file::{self, User};

/// Mode of a written file: it holds a credential.
const FILE_MODE: u32 = 0o600;

/// The text for `format`. The token alone is one line of ASCII (see option_file::render);
/// the user name goes into the option file only.
pub fn render(format: Format, token: &str, user: Option<&User>) -> String {
    match format {
        Format::Token => format!("{token}\n"),
        Format::OptionFile => option_file::render(token, user),
    }
}

/// Writes `text` to `path`, readable by its owner only (also when the file existed).
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    f.set_permissions(Permissions::from_mode(FILE_MODE))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn token_format_has_no_user() {
        let user = User::parse("u").unwrap();
        assert_eq!(
            render(Format::Token, "awsiam1.abc", Some(&user)),
            "awsiam1.abc\n"
        );
    }

    #[test]
    fn files_are_private_even_if_they_existed() {
        let dir =
            std::env::temp_dir().join(format!("auth_awsiam_token_test_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.cnf");
        std::fs::write(&path, "old content that is longer").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
