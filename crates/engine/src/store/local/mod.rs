//! The local backend's folder, read whole: every state file and every run journal under
//! `<state-dir>`, for `onboard state list` and `onboard state migrate`.
//!
//! Single states are read and written by [`crate::store::state::State`]; locks by
//! [`crate::store::local::lock::RunLock`]; journals by [`crate::store::journal::Journal`].

pub mod layout;
pub mod lock;

use serde_json::Value as Json;
use std::path::{Path, PathBuf};

use crate::store::StoreError;
use crate::store::local::layout::{StateDir, decode};
use crate::store::state::State;

/// One local journal file.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalFile {
    /// The file name without `.jsonl`: `<stamp>-<run-key>`.
    pub run_id: String,
    pub run_key: String,
    pub events: Vec<Json>,
}

/// Entries of a folder, sorted; nothing when it does not exist.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("read", dir)(e)),
    };
    let mut paths = read
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::io("read", dir))?;
    paths.sort();
    Ok(paths)
}

fn is(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}

/// The state of `playbook` and `run_key` (a fresh one when nothing is recorded): its file
/// ([`StateDir::state`]), or the file an older onboard wrote for exactly these names
/// ([`StateDir::legacy_state`]), which the next lock moves ([`adopt_legacy`]). A file that
/// records another playbook or run key is an error ([`State::load`]).
pub fn load(state_dir: &Path, playbook: &str, run_key: &str) -> Result<State, StoreError> {
    let dir = StateDir::new(state_dir);
    let path = dir.state(playbook, run_key);
    if let Some(state) = State::read(&path)? {
        state.belongs_to(playbook, run_key, &path.display().to_string())?;
        return Ok(state);
    }
    Ok(legacy(&dir, playbook, run_key)?
        .map(|(_, state)| state)
        .unwrap_or_else(|| State::new(playbook, run_key)))
}

/// The file an older onboard wrote for `playbook` and `run_key`, when it records exactly
/// these names (a file there that records others is theirs, not ours).
fn legacy(
    dir: &StateDir,
    playbook: &str,
    run_key: &str,
) -> Result<Option<(PathBuf, State)>, StoreError> {
    let Some(old) = dir.legacy_state(playbook, run_key) else {
        return Ok(None);
    };
    Ok(State::read(&old)?
        .filter(|s| s.playbook == playbook && s.run_key == run_key)
        .map(|s| (old, s)))
}

/// Move the state an older onboard wrote for exactly these names to their own file, when that
/// does not exist yet. Called with the run key's lock held, before the state is loaded.
pub fn adopt_legacy(state_dir: &Path, playbook: &str, run_key: &str) -> Result<(), StoreError> {
    let dir = StateDir::new(state_dir);
    let path = dir.state(playbook, run_key);
    if std::fs::symlink_metadata(&path).is_ok() {
        return Ok(());
    }
    let Some((old, _)) = legacy(&dir, playbook, run_key)? else {
        return Ok(());
    };
    let moved = path
        .parent()
        .map_or(Ok(()), crate::store::private::private_dir)
        .and_then(|()| std::fs::rename(&old, &path));
    moved.map_err(|source| StoreError::Move {
        from: old,
        to: path,
        source,
    })
}

/// Where the state of `playbook` and `run_key` is, for messages: its file, or the file of an
/// older onboard it is still read from.
pub fn location(state_dir: &Path, playbook: &str, run_key: &str) -> PathBuf {
    let dir = StateDir::new(state_dir);
    let path = dir.state(playbook, run_key);
    if std::fs::symlink_metadata(&path).is_err()
        && let Ok(Some((old, _))) = legacy(&dir, playbook, run_key)
    {
        return old;
    }
    path
}

/// Every state under `<state-dir>/state/<playbook>/<run-key>.json`, in path order, whatever it
/// records.
pub fn states(state_dir: &Path) -> Result<Vec<State>, StoreError> {
    Ok(files(state_dir)?.into_iter().map(|(_, s)| s).collect())
}

/// [`states`] with the file each was read from.
pub fn files(state_dir: &Path) -> Result<Vec<(PathBuf, State)>, StoreError> {
    let mut out = Vec::new();
    for dir in entries(&state_dir.join("state"))? {
        if !dir.is_dir() {
            continue;
        }
        for file in entries(&dir)?.into_iter().filter(|p| is(p, "json")) {
            if let Some(state) = State::read(&file)? {
                out.push((file, state));
            }
        }
    }
    Ok(out)
}

/// Every journal under `<state-dir>/runs/`, oldest first.
pub fn journals(state_dir: &Path) -> Result<Vec<JournalFile>, StoreError> {
    let mut out = Vec::new();
    for file in entries(&state_dir.join("runs"))?
        .into_iter()
        .filter(|p| is(p, "jsonl"))
    {
        let text = std::fs::read_to_string(&file).map_err(StoreError::io("read", &file))?;
        let events = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                serde_json::from_str(l).map_err(|source| StoreError::BadEvent {
                    path: file.clone(),
                    line: n + 1,
                    source,
                })
            })
            .collect::<Result<Vec<Json>, _>>()?;
        let run_id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        // The run key as encoded in the name (`crate::store::local::layout::encode`); a name no onboard
        // wrote is taken as it is.
        let run_key = run_id
            .split_once('-')
            .map(|(_, k)| decode(k).unwrap_or_else(|| k.to_owned()))
            .unwrap_or_default();
        out.push(JournalFile {
            run_id,
            run_key,
            events,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_journals_of_a_folder_are_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut a = State::new("pb", "acme");
        a.tenant = Some(crate::store::state::TenantRecord {
            id: "t1".into(),
            domain: "acme.example".into(),
            origin: "created".into(),
        });
        let b = State::new("other pb", "beta");
        for s in [&a, &b] {
            s.save(&State::path(dir.path(), &s.playbook, &s.run_key))
                .expect("save");
        }
        let runs = dir.path().join("runs");
        std::fs::create_dir_all(&runs).expect("runs");
        std::fs::write(
            runs.join("20261130T000000.000000000Z-acme.jsonl"),
            "{\"event\":\"run_started\"}\n{\"event\":\"run_finished\"}\n",
        )
        .expect("write");
        let found = states(dir.path()).expect("states");
        assert_eq!(found, vec![b, a], "sorted by folder: `other%20pb` < `pb`");
        let j = journals(dir.path()).expect("journals");
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].run_key, "acme");
        assert_eq!(j[0].events.len(), 2);
        std::fs::write(
            runs.join("20261130T000001.000000000Z-acme.jsonl"),
            "{\"event\":1}\nnot json\n",
        )
        .expect("write");
        let err = journals(dir.path())
            .expect_err("a broken line is reported")
            .to_string();
        assert!(err.contains(".jsonl:2:"), "{err}");
    }

    /// A state an older onboard wrote under a lossy name (`team a` as `team_a/`) still loads
    /// for its own playbook, and moves to its own file at the next lock; another playbook whose
    /// name is that folder (`team_a`) is told whose file it is, and never takes it over.
    #[test]
    fn a_state_written_under_a_lossy_name_is_found_and_moved_not_shared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut old = State::new("team a", "acme");
        old.tenant = Some(crate::store::state::TenantRecord {
            id: "t1".into(),
            domain: "acme.example".into(),
            origin: "created".into(),
        });
        let lossy = dir.path().join("state").join("team_a").join("acme.json");
        old.save(&lossy).expect("save");
        assert_eq!(load(dir.path(), "team a", "acme").expect("found"), old);
        assert_eq!(location(dir.path(), "team a", "acme"), lossy);
        let err = load(dir.path(), "team_a", "acme")
            .expect_err("not team_a's")
            .to_string();
        assert!(
            err.contains("`team a`") && err.contains("`team_a`"),
            "{err}"
        );

        adopt_legacy(dir.path(), "team a", "acme").expect("moved");
        let own = dir.path().join("state").join("team%20a").join("acme.json");
        assert!(own.exists() && !lossy.exists());
        assert_eq!(load(dir.path(), "team a", "acme").expect("its own"), old);
        assert_eq!(
            load(dir.path(), "team_a", "acme").expect("fresh"),
            State::new("team_a", "acme")
        );
        // A lossy file that records another playbook is left where it is.
        let theirs = State::new("team_a", "acme");
        theirs.save(&lossy).expect("save");
        std::fs::remove_file(&own).expect("remove");
        adopt_legacy(dir.path(), "team a", "acme").expect("nothing to move");
        assert!(lossy.exists() && !own.exists());
        assert_eq!(
            load(dir.path(), "team a", "acme").expect("fresh"),
            State::new("team a", "acme")
        );
    }
}
