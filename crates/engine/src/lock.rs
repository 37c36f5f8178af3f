//! A lock per run key, so that two applies on the same tenant cannot interleave.
//!
//! `<state-dir>/locks/<playbook>/<run-key>.lock`, held with an exclusive OS file lock
//! ([`File::try_lock`]: `flock` on Unix, `LockFileEx` on Windows). The kernel releases it
//! when the holder exits, however it exits, so a lock left by a killed process is simply free:
//! nothing is "taken over", no file is deleted to steal it, and two processes can never both
//! hold it. The file's text says who holds it (pid, host), for the error message only.
//!
//! The holder deletes the file when it lets go. A process that opened the file just before
//! that and then gets the lock holds it on a file no longer in the folder; so after locking,
//! [`RunLock::acquire`] checks that the path still names the file it locked, and starts over
//! when it does not.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held lock; dropping it deletes the file and releases the lock.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    file: File,
}

impl RunLock {
    /// The lock file of a run key.
    pub fn path(state_dir: &Path, playbook: &str, run_key: &str) -> PathBuf {
        crate::layout::StateDir::new(state_dir).lock(playbook, run_key)
    }

    /// Take the lock, waiting up to `timeout` for another holder. Err: who holds it.
    pub fn acquire(path: PathBuf, timeout: Duration) -> Result<RunLock, String> {
        if let Some(dir) = path.parent() {
            crate::private::private_dir(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
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
                    return Err(format!("cannot lock {}: {e}", path.display()));
                }
            }
            if start.elapsed() >= timeout {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                return Err(format!(
                    "another apply holds the lock for this run key: {} ({}); wait for it, or pass --lock-timeout",
                    holder_text(&holder),
                    path.display()
                ));
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

/// Open (or create) the lock file: mode 0600, no symlink followed, never truncated here.
fn open(path: &Path) -> Result<File, String> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    opts.open(path)
        .map_err(|e| format!("cannot open lock {}: {e}", path.display()))
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
