//! Files that hold secrets: written readable by their owner only, and refused when
//! anyone else can read them.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use crate::IssuerError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IssuerError + '_ {
    move |e| IssuerError::Config(format!("{}: {e}", path.display()))
}

/// Writes `text` to a new file at `path` with mode 0600 (replacing any file there).
pub fn write_private(path: &Path, text: &str) -> Result<(), IssuerError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp))?;
    file.write_all(text.as_bytes()).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Reads a secret file, refusing one that group or others may read.
pub fn read_private(path: &Path) -> Result<String, IssuerError> {
    let meta = std::fs::metadata(path).map_err(io(path))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(IssuerError::Config(format!(
            "{} holds secrets but others may read it (mode {:o}); chmod 600 it",
            path.display(),
            meta.permissions().mode() & 0o777
        )));
    }
    std::fs::read_to_string(path).map_err(io(path))
}
