//! A lock per run key, so that two applies on the same tenant cannot interleave.
//!
//! `<state-dir>/locks/<playbook>/<run-key>.lock`, held with an exclusive OS file lock
//! ([`File::try_lock`]: `flock` on Unix, `LockFileEx` on Windows). The kernel releases it
//! when the holder exits, however it exits, so a lock left by a killed process is simply free:
//! nothing is "taken over", no file is deleted to steal it, and two processes can never both
//! hold it. The file's text says who holds it (pid, host), for the error message only.
//!
//! The lock file is created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600); one that
//! exists is used only when it is a regular file with one link, owned by this user (a hard
//! link or a symlink planted at the path would otherwise lead the holder line into another
//! file).
//!
//! The holder deletes the file when it lets go. A process that opened the file just before
//! that and then gets the lock holds it on a file no longer in the folder; so after locking,
//! [`RunLock::acquire`] checks that the path still names the file it locked, and starts over
//! when it does not.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::store::{LockFileProblem, StoreError};

/// A held lock; dropping it deletes the file and releases the lock.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: File,
}

impl RunLock {
    /// The lock file of a run key.
    pub fn path(state_dir: &Path, playbook: &str, run_key: &str) -> PathBuf {
        crate::store::local::layout::StateDir::new(state_dir).lock(playbook, run_key)
    }

    /// Take the lock, waiting up to `timeout` for another holder. Err: who holds it.
    pub fn acquire(path: PathBuf, timeout: Duration) -> Result<RunLock, StoreError> {
        if let Some(dir) = path.parent() {
            crate::store::private::private_dir(dir).map_err(StoreError::io("create", dir))?;
        }
        let start = Instant::now();
        loop {
            let file = open(&path)?;
            match file.try_lock() {
                Ok(()) if names(&path, &file) => return Ok(RunLock::held(path, file)),
                // Locked a file its holder has just deleted: open the new one.
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => {
                    return Err(StoreError::io("lock", path)(e));
                }
            }
            if start.elapsed() >= timeout {
                // From the file that was checked and opened, not the path again; a line.
                let mut holder = String::new();
                let _ = (&file).take(256).read_to_string(&mut holder);
                return Err(StoreError::LockHeld {
                    holder: holder_text(&holder),
                    path,
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn held(path: PathBuf, mut file: File) -> RunLock {
        // Who holds it, for the message of the next one; the lock does not depend on it.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", holder_line()));
        RunLock { path, file }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Delete while still holding it; the lock goes with the file handle.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Open the lock file without trusting what sits at its path. A new one is created
/// exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600). An existing one (a holder's, or one
/// left by a killed process) is used only when it is a regular file with one link, owned by
/// this user ([`usable`]), checked before it is opened and again on the open file: the holder
/// line is written into it, so a hard link or a symlink planted there must not lead that write
/// into another file. Never truncated here.
fn open(path: &Path) -> Result<File, StoreError> {
    loop {
        match create(path) {
            Ok(file) => return Ok(file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::io("create lock", path)(e)),
        }
        let refuse = |source: LockFileProblem| StoreError::LockFile {
            path: path.to_owned(),
            source,
        };
        // Not even opened unless it looks right: opening a device or a pipe has effects.
        match std::fs::symlink_metadata(path) {
            Ok(meta) => usable(&meta, euid()).map_err(refuse)?,
            // Its holder deleted it in between: create it again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io("check lock", path)(e)),
        }
        let file = match open_existing(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(StoreError::io("open lock", path)(e)),
        };
        // What was opened, which may have been swapped since it was checked.
        let meta = file
            .metadata()
            .map_err(StoreError::io("check lock", path))?;
        usable(&meta, euid()).map_err(refuse)?;
        return Ok(file);
    }
}

/// `O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`, mode 0600: a new file or an error.
fn create(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    opts.open(path)
}

/// An existing file, no symlink followed, no blocking on a pipe, never created.
fn open_existing(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK);
    }
    opts.open(path)
}

/// Ok when `meta` (not followed through a link) is a lock file this process may write: a
/// regular file (not a symlink, folder, device or pipe) with one link (a hard link would make
/// it another file's name too), owned by `uid`.
pub(crate) fn usable(meta: &std::fs::Metadata, uid: u32) -> Result<(), LockFileProblem> {
    if meta.file_type().is_symlink() {
        return Err(LockFileProblem::Symlink);
    }
    if !meta.file_type().is_file() {
        return Err(LockFileProblem::NotRegular);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() != 1 {
            return Err(LockFileProblem::Links(meta.nlink()));
        }
        if meta.uid() != uid {
            return Err(LockFileProblem::Owner {
                owner: meta.uid(),
                uid,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = uid;
    Ok(())
}

/// This process's effective user id.
fn euid() -> u32 {
    #[cfg(unix)]
    {
        rustix::process::geteuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// Whether `path` still names the file `file` is (same device and inode).
fn names(path: &Path, file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(path), file.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

fn holder_line() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    format!("pid {} on {}", std::process::id(), host.trim())
}

/// The holder's line, made printable (it is read from a file anyone may have written).
fn holder_text(holder: &str) -> String {
    let line = holder.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return "a process that is starting".into();
    }
    line.chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
