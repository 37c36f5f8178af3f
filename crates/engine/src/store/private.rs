//! Private files: the state, `--outputs`, `plan --out` and `export --out`.
//!
//! One way to write them, [`write_private`]: a temp file with a random name in the target's
//! folder, created with `O_CREAT|O_EXCL|O_NOFOLLOW` and mode 0600 from the start (a stale temp
//! file or a symlink planted there makes the create fail instead of being reused or followed),
//! written, fsynced, then renamed over the target. The target itself must be absent or a
//! regular file ([`check_target`]); a symlink or a device is refused. Folders this module
//! creates get mode 0700 ([`private_dir`]). [`check_writable`] proves, before the first API
//! write, that the state can be saved at all.

use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// A target of a private file that onboard refuses to write, or could not check.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(
        "refusing to write {}: it is a symbolic link (onboard never writes through one); give the real path",
        .0.display()
    )]
    Symlink(PathBuf),
    #[error("refusing to write {}: it is not a regular file", .0.display())]
    NotRegular(PathBuf),
    #[error("cannot check {}: {source}", path.display())]
    Check {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Create `dir` and its missing parents with mode 0700 (existing folders are left alone).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Ok when `path` does not exist or is a regular file (not a symlink, folder, device or pipe).
/// Call it for `--outputs`, `plan --out` and `export --out` before the run starts.
pub fn check_target(path: &Path) -> Result<(), FileError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(FileError::Symlink(path.to_owned())),
        Ok(meta) if !meta.file_type().is_file() => Err(FileError::NotRegular(path.to_owned())),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FileError::Check {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Write `path` atomically, readable by the owner only: random-named temp file created
/// exclusively (no symlink followed) with mode 0600, fsync, rename. Missing folders are
/// created with mode 0700. Refuses a target that is a symlink or not a regular file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    check_target(path).map_err(std::io::Error::other)?;
    let dir = parent(path);
    private_dir(dir)?;
    let (tmp, mut file) = create_temp(dir, path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir);
    Ok(())
}

/// Ok when a private file can be created in `dir` (created with mode 0700 if missing): the
/// check the run makes before its first API write, so that a read-only state folder fails the
/// run before anything is created that the state could not record.
pub fn check_writable(dir: &Path) -> Result<(), StoreError> {
    let fail = |source: std::io::Error| StoreError::NotWritable {
        dir: dir.to_owned(),
        source,
    };
    private_dir(dir).map_err(fail)?;
    let (tmp, file) = create_temp(dir, &dir.join("write-check")).map_err(fail)?;
    drop(file);
    std::fs::remove_file(&tmp).map_err(fail)
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A new temp file next to `target`: `.NAME.RANDOM.tmp`, exclusive, no symlink followed,
/// mode 0600. Retries a few names in the unlikely case that one exists.
fn create_temp(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let mut last = None;
    for _ in 0..8 {
        let tmp = dir.join(format!(".{name}.{}.tmp", random_suffix()));
        match exclusive(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp file name")))
}

/// A new private file (a run journal): created exclusively, no symlink followed, mode 0600;
/// an existing file or symlink at `path` is an error.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    exclusive(path)
}

/// `O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`, mode 0600.
fn exclusive(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    opts.open(path)
}

/// 64 random bits in hex (std's per-process random hasher keys, the pid and the clock).
fn random_suffix() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    format!("{:016x}", h.finish())
}

/// Make the rename durable; best effort (not every platform can open a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
#[path = "private_tests.rs"]
mod tests;
