//! The state directory's layout, in one place.
//!
//! ```text
//! <state-dir>/state/<playbook>/<run-key>.json   per-run state (crate::state), 0600
//! <state-dir>/locks/<playbook>/<run-key>.lock   held while a run plans and applies
//! <state-dir>/runs/<stamp>-<run-key>.jsonl      the run journal, one event per line, 0600
//! <state-dir>/sandbox.json                      the embedded sandbox's world (`--sandbox`)
//! ```
//!
//! Names are made safe ([`safe`]) so a playbook name or a run key never escapes its folder.

use std::path::{Path, PathBuf};

/// A state directory (`--state-dir`, default `.onboard`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir(PathBuf);

impl StateDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self(path.into())
    }

    pub fn root(&self) -> &Path {
        &self.0
    }

    pub fn state(&self, playbook: &str, run_key: &str) -> PathBuf {
        self.0
            .join("state")
            .join(safe(playbook))
            .join(format!("{}.json", safe(run_key)))
    }

    pub fn lock(&self, playbook: &str, run_key: &str) -> PathBuf {
        self.0
            .join("locks")
            .join(safe(playbook))
            .join(format!("{}.lock", safe(run_key)))
    }

    /// The journals' folder.
    pub fn runs(&self) -> PathBuf {
        self.0.join("runs")
    }

    /// A new journal of `run_key`, named by the time it starts (`20261130T064851.123456789Z`).
    pub fn journal(&self, run_key: &str, stamp: &str) -> PathBuf {
        self.runs().join(format!("{stamp}-{}.jsonl", safe(run_key)))
    }

    pub fn sandbox(&self) -> PathBuf {
        self.0.join("sandbox.json")
    }
}

/// A file name component made safe.
pub fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_their_folder() {
        let dir = StateDir::new("/s");
        assert_eq!(
            dir.state("../x", "a/b"),
            PathBuf::from("/s/state/.._x/a_b.json")
        );
        assert_eq!(dir.lock("p", "acme"), PathBuf::from("/s/locks/p/acme.lock"));
    }
}
