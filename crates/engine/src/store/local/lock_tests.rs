//! Lock tests. The race runs real processes: this test binary started again with only
//! `race_child` selected and `ONBOARD_LOCK_RACE` naming the lock file.

use super::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const RACE_ENV: &str = "ONBOARD_LOCK_RACE";

#[test]
fn second_holder_fails_naming_the_first_and_the_lock_is_free_after_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = RunLock::path(dir.path(), "pb", "acme");
    let first = RunLock::acquire(path.clone(), Duration::ZERO).unwrap();
    let err = RunLock::acquire(path.clone(), Duration::ZERO)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    drop(first);
    assert!(!path.exists());
    assert!(RunLock::acquire(path, Duration::ZERO).is_ok());
}

#[test]
fn a_lock_file_left_by_a_dead_process_is_free() {
    let dir = tempfile::tempdir().unwrap();
    let path = RunLock::path(dir.path(), "pb", "acme");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "pid 4000000000 on somewhere-else\n").unwrap();
    let lock = RunLock::acquire(path.clone(), Duration::ZERO);
    assert!(lock.is_ok(), "{lock:?}");
}

#[test]
fn a_held_lock_is_not_taken_even_when_its_text_names_a_dead_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = RunLock::path(dir.path(), "pb", "acme");
    let _held = RunLock::acquire(path.clone(), Duration::ZERO).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    std::fs::write(&path, format!("pid 4000000000 on {}\n", host.trim())).unwrap();
    assert!(RunLock::acquire(path, Duration::ZERO).is_err());
}

/// Processes racing for a stale lock: exactly one wins.
#[test]
fn processes_racing_for_a_stale_lock_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = RunLock::path(dir.path(), "pb", "acme");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    std::fs::write(&path, format!("pid 4000000000 on {}\n", host.trim())).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..6)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "store::local::lock::tests::race_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(RACE_ENV, &path)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    // Start them together: each waits for "go" before acquiring.
    for c in &mut children {
        writeln!(c.stdin.as_mut().unwrap(), "go").unwrap();
    }
    let results: Vec<String> = children
        .iter_mut()
        .map(|c| {
            let out = BufReader::new(c.stdout.as_mut().unwrap());
            out.lines()
                .map_while(Result::ok)
                .find_map(|l| l.split("LOCK-RESULT ").nth(1).map(str::to_owned))
                .unwrap_or_else(|| "no answer".into())
        })
        .collect();
    // Every child has answered while the winner still holds the lock; now let them go.
    for c in &mut children {
        drop(c.stdin.take());
        assert!(c.wait().unwrap().success());
    }
    let won = results.iter().filter(|r| *r == "won").count();
    let lost = results.iter().filter(|r| *r == "lost").count();
    assert_eq!((won, lost), (1, 5), "{results:?}");
}

/// One racer (does nothing unless started by the race test): waits for "go", tries the lock
/// once, says whether it won, holds it until its stdin closes.
#[test]
fn race_child() {
    let Some(path) = std::env::var_os(RACE_ENV) else {
        return;
    };
    let mut stdin = std::io::stdin().lock();
    let mut line = String::new();
    stdin.read_line(&mut line).unwrap();
    let lock = RunLock::acquire(PathBuf::from(path), Duration::ZERO);
    // On its own line: the harness has printed `test race_child ... ` without a newline.
    println!(
        "\nLOCK-RESULT {}",
        if lock.is_ok() { "won" } else { "lost" }
    );
    std::io::stdout().flush().unwrap();
    while stdin.read_line(&mut line).unwrap_or(0) > 0 {}
    drop(lock);
}

/// A hard link planted at the lock's path (to a file of the operator's, say) is not written
/// through: the lock is refused, saying why, and the linked file keeps its text.
#[test]
fn a_hard_link_planted_at_the_lock_path_is_refused_and_its_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let path = RunLock::path(dir.path(), "pb", "acme");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::hard_link(&victim, &path).unwrap();
    let err = RunLock::acquire(path.clone(), Duration::ZERO)
        .unwrap_err()
        .to_string();
    assert!(err.contains("link"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        path.exists(),
        "the planted link is left for the operator to look at"
    );
}

/// A symlink planted at the lock's path is not followed: the lock is refused and the link's
/// target keeps its text.
#[test]
fn a_symlink_planted_at_the_lock_path_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let path = RunLock::path(dir.path(), "pb", "acme");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let err = RunLock::acquire(path.clone(), Duration::ZERO)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}
/// A new lock file is created private; an existing one is used only when it is a regular file
/// with one link, owned by this user.
#[test]
fn a_new_lock_is_private_and_an_existing_one_must_be_ours_alone() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let path = RunLock::path(dir.path(), "pb", "acme");
    let held = RunLock::acquire(path.clone(), Duration::ZERO).unwrap();
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(usable(&meta, meta.uid()).is_ok());
    let err = usable(&meta, meta.uid().wrapping_add(1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("owned by"), "{err}");
    drop(held);
    let folder = dir.path().join("locks");
    let meta = std::fs::symlink_metadata(&folder).unwrap();
    let err = usable(&meta, meta.uid()).unwrap_err().to_string();
    assert!(err.contains("not a regular file"), "{err}");
}
