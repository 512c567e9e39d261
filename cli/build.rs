//! Records the commit the binary is built from, so that a benchmark report names the code
//! that produced its figures, not what the checkout holds when the report runs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the binary is compiled from, relative to the workspace: a change under these paths
/// that is not committed makes the record say so.
const SOURCES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "core",
    "proto",
    "registry",
    "issuer",
    "verifier",
    "wallet",
    "tui",
    "cli",
];

fn main() {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let workspace = manifest.as_deref().and_then(Path::parent);
    let commit = workspace.map_or_else(|| "unknown (no source directory)".to_owned(), describe);
    println!("cargo:rustc-env=REALDID_BUILD_COMMIT={commit}");
    let Some(root) = workspace else { return };
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", root.join(source).display());
    }
    // A commit or a checkout moves HEAD, a branch's ref or the index.
    let git_paths = [
        git(root, &["rev-parse", "--git-path", "HEAD"]),
        git(root, &["rev-parse", "--git-path", "index"]),
        git(root, &["rev-parse", "--git-path", "refs/heads"]),
        git(root, &["rev-parse", "--git-path", "packed-refs"]),
    ];
    for path in git_paths.into_iter().flatten() {
        let path = root.join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// The short hash of HEAD, and whether the sources differ from it.
fn describe(root: &Path) -> String {
    let Some(hash) = git(root, &["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown (built outside a git checkout)".to_owned();
    };
    let mut status = vec!["status", "--porcelain", "--untracked-files=no", "--"];
    status.extend_from_slice(SOURCES);
    match git(root, &status) {
        Some(changes) if changes.is_empty() => hash,
        Some(_) => format!("{hash} with uncommitted changes"),
        None => format!("{hash} (whether it has uncommitted changes is unknown)"),
    }
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
