//! A lock per run key, so that two applies on the same tenant cannot interleave.
//!
//! `<state-dir>/locks/<playbook>/<run-key>.lock`, created exclusively and holding who took
//! it (pid, host, time). A lock whose process is gone (killed, crashed) is taken over, so a
//! SIGKILL never blocks the next run. The lock is released when the [`RunLock`] is dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
}

impl RunLock {
    /// The lock file of a run key.
    pub fn path(state_dir: &Path, playbook: &str, run_key: &str) -> PathBuf {
        crate::layout::StateDir::new(state_dir).lock(playbook, run_key)
    }

    /// Take the lock, waiting up to `timeout` for another holder. Err: who holds it.
    pub fn acquire(path: PathBuf, timeout: Duration) -> Result<RunLock, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let start = Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", holder_line());
                    return Ok(RunLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    if holder_is_gone(&holder) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if start.elapsed() >= timeout {
                        return Err(format!(
                            "another apply holds the lock for this run key: {} ({}); wait for it, or pass --lock-timeout",
                            holder.trim(),
                            path.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(format!("cannot create lock {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn holder_line() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("pid {} on {}", std::process::id(), host.trim())
}

/// A holder on this host whose process no longer exists.
fn holder_is_gone(holder: &str) -> bool {
    let mut words = holder.split_whitespace();
    let (Some("pid"), Some(pid), Some("on"), host) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return false;
    };
    let this_host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    if host.unwrap_or("") != this_host.trim() || !Path::new("/proc/self").exists() {
        return false;
    }
    !Path::new("/proc").join(pid).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_fails_naming_the_first_and_a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = RunLock::path(dir.path(), "pb", "acme");
        let first = RunLock::acquire(path.clone(), Duration::ZERO).unwrap();
        let err = RunLock::acquire(path.clone(), Duration::ZERO).unwrap_err();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(!path.exists());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        std::fs::write(&path, format!("pid 4000000000 on {}\n", host.trim())).unwrap();
        let taken = RunLock::acquire(path.clone(), Duration::ZERO);
        assert!(taken.is_ok(), "a lock of a dead process is taken over");
    }
}
