//! Files that hold secrets: written readable by their owner only, and refused when
//! anyone else can read them.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use crate::IssuerError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IssuerError + '_ {
    move |e| IssuerError::Config(format!("{}: {e}", path.display()))
}

/// Writes `text` to a new file at `path` with mode 0600 (replacing any file there),
/// atomically: through a temporary file beside it, synced, renamed over `path`, and the
/// directory synced, so a crash leaves the old file or the new one.
///
/// The temporary file has a random name and is created exclusively (`O_EXCL`, which also
/// refuses to follow a symbolic link): whatever someone planted beside the secret, a
/// link to another file or a file others can read, is never written through or reused.
pub fn write_private(path: &Path, text: &str) -> Result<(), IssuerError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let mut tail = [0u8; 8];
    getrandom::fill(&mut tail).map_err(IssuerError::Randomness)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", hex::encode(tail)));
    let tmp = path.with_file_name(name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp))?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(path)(e));
    }
    std::fs::File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(io(parent))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_link_or_file_beside_a_secret_is_never_written_through() -> Result<(), IssuerError>
    {
        let dir = tempfile::tempdir().map_err(|e| IssuerError::Internal(e.to_string()))?;
        let secret = dir.path().join("issuer-secrets.json");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").map_err(io(&victim))?;
        // Links where a temporary file of the secret could be expected, to another file.
        for planted in ["issuer-secrets.tmp", "issuer-secrets.json.tmp"] {
            std::os::unix::fs::symlink(&victim, dir.path().join(planted)).map_err(io(&victim))?;
        }
        // A file others may read, at the secret's own path.
        std::fs::write(&secret, "old").map_err(io(&secret))?;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644))
            .map_err(io(&secret))?;

        write_private(&secret, "the pepper")?;
        assert_eq!(read_private(&secret)?, "the pepper");
        let mode = std::fs::metadata(&secret)
            .map_err(io(&secret))?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read_to_string(&victim).map_err(io(&victim))?,
            "untouched"
        );
        // No temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .map_err(io(dir.path()))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
        Ok(())
    }
}
