//! Build script of the `onboard` binary: the version line `onboard --version` prints.
//!
//! Built from a git work tree (this package's folder is the top of it) with `git` on the PATH:
//! `0.1.0 (commit 9b13774a1, 2026-12-05)`, the commit and its commit date. Built from a
//! crates.io package: `0.1.0 (commit 9b13774a1)` from the `.cargo_vcs_info.json` that `cargo
//! package` writes. Otherwise (no git, another repository around the folder, any failure):
//! the version alone. Never an error: the build goes on without git.
//!
//! Cargo runs this again only when `build.rs`, the work tree's `HEAD`, the branch it points to
//! or `packed-refs` change (a commit, a checkout), not on every edit.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let built_from = from_git(&dir).or_else(|| from_package(&dir));
    let line = match built_from {
        Some(what) => format!("{version} ({what})"),
        None => version,
    };
    println!("cargo:rustc-env=ONBOARD_VERSION_LINE={line}");
}

/// `commit <9 hex>, <YYYY-MM-DD>` when `dir` is the top of a git work tree.
fn from_git(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    // A package unpacked inside some other repository (a vendored copy, a registry under a
    // home folder kept in git) must not claim that repository's commit.
    if std::fs::canonicalize(&top).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    // Rebuild when HEAD moves: the HEAD file (a checkout), its reflog (every commit and
    // checkout of this work tree), the branch it names and packed-refs. A worktree's HEAD is in
    // its own git dir, its branches in the common one. Only files that exist: Cargo would run
    // the script on every build for a missing one.
    let git_dir = absolute(dir, &git(dir, &["rev-parse", "--git-dir"])?);
    let common = absolute(dir, &git(dir, &["rev-parse", "--git-common-dir"])?);
    let mut watched = vec![
        git_dir.join("HEAD"),
        git_dir.join("logs").join("HEAD"),
        common.join("packed-refs"),
    ];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(common.join(branch));
    }
    for path in watched.iter().filter(|p| p.is_file()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let line = git(dir, &["log", "-1", "--format=%H %cs"])?;
    let (commit, date) = line.split_once(' ')?;
    Some(format!("commit {}, {date}", commit.get(..9)?))
}

/// `commit <9 hex>` from the `.cargo_vcs_info.json` of a packaged crate.
fn from_package(dir: &Path) -> Option<String> {
    let path = dir.join(".cargo_vcs_info.json");
    let text = std::fs::read_to_string(&path).ok()?;
    println!("cargo:rerun-if-changed={}", path.display());
    let rest = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let start = rest.find('"')? + 1;
    let hex: String = rest[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (hex.len() >= 9).then(|| format!("commit {}", &hex[..9]))
}

/// A git command's trimmed stdout, or nothing when git is missing or fails. Never prompts.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn absolute(dir: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    match path.is_absolute() {
        true => path.to_path_buf(),
        false => dir.join(path),
    }
}
