//! The local backend's folder, read whole: every state file and every run journal under
//! `<state-dir>`, for `onboard state list` and `onboard state migrate`.
//!
//! Single states are read and written by [`crate::state::State`]; locks by
//! [`crate::lock::RunLock`]; journals by [`super::journal::Journal`].

use serde_json::Value as Json;
use std::path::{Path, PathBuf};

use crate::state::State;

/// One local journal file.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalFile {
    /// The file name without `.jsonl`: `<stamp>-<run-key>`.
    pub run_id: String,
    pub run_key: String,
    pub events: Vec<Json>,
}

/// Entries of a folder, sorted; nothing when it does not exist.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let mut paths = read
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

fn is(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}

/// Every state under `<state-dir>/state/<playbook>/<run-key>.json`, in path order.
pub fn states(state_dir: &Path) -> Result<Vec<State>, String> {
    let mut out = Vec::new();
    for dir in entries(&state_dir.join("state"))? {
        if !dir.is_dir() {
            continue;
        }
        for file in entries(&dir)?.into_iter().filter(|p| is(p, "json")) {
            out.push(State::load(&file, "", "")?);
        }
    }
    Ok(out)
}

/// Every journal under `<state-dir>/runs/`, oldest first.
pub fn journals(state_dir: &Path) -> Result<Vec<JournalFile>, String> {
    let mut out = Vec::new();
    for file in entries(&state_dir.join("runs"))?
        .into_iter()
        .filter(|p| is(p, "jsonl"))
    {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let events = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                serde_json::from_str(l).map_err(|e| {
                    format!(
                        "{}:{}:{}: not a JSON event: {e}",
                        file.display(),
                        n + 1,
                        e.column()
                    )
                })
            })
            .collect::<Result<Vec<Json>, _>>()?;
        let run_id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let run_key = run_id
            .split_once('-')
            .map(|(_, k)| k.to_owned())
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
        a.tenant = Some(crate::state::TenantRecord {
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
        assert_eq!(found, vec![b, a], "sorted by folder: `other_pb` < `pb`");
        let j = journals(dir.path()).expect("journals");
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].run_key, "acme");
        assert_eq!(j[0].events.len(), 2);
        std::fs::write(
            runs.join("20261130T000001.000000000Z-acme.jsonl"),
            "{\"event\":1}\nnot json\n",
        )
        .expect("write");
        let err = journals(dir.path()).expect_err("a broken line is reported");
        assert!(err.contains(".jsonl:2:"), "{err}");
    }
}
