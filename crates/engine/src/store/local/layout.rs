//! The state directory's layout, in one place.
//!
//! ```text
//! <state-dir>/state/<playbook>/<run-key>.json   per-run state (crate::store::state), 0600
//! <state-dir>/locks/<playbook>/<run-key>.lock   held while a run plans and applies
//! <state-dir>/runs/<stamp>-<run-key>.jsonl      the run journal, one event per line, 0600
//! <state-dir>/sandbox.json                      the embedded sandbox's world (`--sandbox`)
//! ```
//!
//! Names are written with [`encode`], which is injective and reversible ([`decode`]): two
//! playbooks (or run keys) never share a file, and no name leaves its folder. Names made only
//! of ASCII letters, digits, `.`, `-` and `_` are written as they are, so their files keep the
//! path they always had; other names had a lossy path before ([`legacy`]: every other
//! character was `_`), which [`StateDir::legacy_state`] still names so their state is found.

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
            .join(encode(playbook))
            .join(format!("{}.json", encode(run_key)))
    }

    /// Where an older onboard kept this state, when that is not [`StateDir::state`]: names
    /// with other characters than letters, digits, `.`, `-` and `_` were written lossily then.
    pub fn legacy_state(&self, playbook: &str, run_key: &str) -> Option<PathBuf> {
        let old = self
            .0
            .join("state")
            .join(legacy(playbook))
            .join(format!("{}.json", legacy(run_key)));
        (old != self.state(playbook, run_key)).then_some(old)
    }

    pub fn lock(&self, playbook: &str, run_key: &str) -> PathBuf {
        self.0
            .join("locks")
            .join(encode(playbook))
            .join(format!("{}.lock", encode(run_key)))
    }

    /// The journals' folder.
    pub fn runs(&self) -> PathBuf {
        self.0.join("runs")
    }

    /// A new journal of `run_key`, named by the time it starts (`20261130T064851.123456789Z`).
    pub fn journal(&self, run_key: &str, stamp: &str) -> PathBuf {
        self.runs()
            .join(format!("{stamp}-{}.jsonl", encode(run_key)))
    }

    pub fn sandbox(&self) -> PathBuf {
        self.0.join("sandbox.json")
    }
}

/// Characters a name keeps as they are in a file name.
fn kept(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// A name as one file-name component, injective and reversible ([`decode`]): ASCII letters,
/// digits, `.`, `-` and `_` stay, every other byte is `%XX` (upper-case hex); the names `.` and
/// `..`, which would name a folder, are `%2E` and `%2E%2E`, and the empty name is `%`. So
/// `team a` is `team%20a` and `team_a` stays `team_a`; `../x` is `..%2Fx`.
pub fn encode(name: &str) -> String {
    match name {
        "" => return "%".to_owned(),
        "." => return "%2E".to_owned(),
        ".." => return "%2E%2E".to_owned(),
        _ => {}
    }
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        if kept(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The name [`encode`] wrote as `component`; None when it is not one of its results.
pub fn decode(component: &str) -> Option<String> {
    if component == "%" {
        return Some(String::new());
    }
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = component.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b if kept(b) => {
                out.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// How an older onboard wrote a name: every character but ASCII letters, digits, `.`, `-`
/// and `_` as `_` (lossy: `team a` and `team_a` shared a file).
pub fn legacy(s: &str) -> String {
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
            PathBuf::from("/s/state/..%2Fx/a%2Fb.json")
        );
        assert_eq!(dir.lock("p", "acme"), PathBuf::from("/s/locks/p/acme.lock"));
        assert_eq!(
            dir.legacy_state("../x", "a/b"),
            Some(PathBuf::from("/s/state/.._x/a_b.json"))
        );
    }

    /// Names that were safe keep their file: existing state files keep loading.
    #[test]
    fn safe_names_keep_the_path_they_always_had() {
        let dir = StateDir::new("/s");
        for (pb, key) in [
            ("standard-customer", "acme.example"),
            ("team_a", "own-account"),
        ] {
            assert_eq!(
                dir.state(pb, key).to_str(),
                Some(&*format!("/s/state/{pb}/{key}.json"))
            );
            assert_eq!(dir.legacy_state(pb, key), None);
        }
    }

    #[test]
    fn decode_reverses_encode() {
        for name in [
            "",
            ".",
            "..",
            "...",
            "a",
            "team a",
            "team%20a",
            "%",
            "%2E",
            "a/b\\c\0d",
            "é ü",
            ".hidden",
        ] {
            let encoded = encode(name);
            assert!(encoded.bytes().all(|b| kept(b) || b == b'%'), "{encoded}");
            assert!(!matches!(encoded.as_str(), "" | "." | ".."), "{name:?}");
            assert_eq!(decode(&encoded).as_deref(), Some(name), "{encoded}");
        }
        assert_eq!(decode("a b"), None);
        assert_eq!(decode("%G0"), None);
    }

    /// Names that differ only where the old `safe` wrote `_` get their own files, and no name
    /// leaves `state/` or `locks/`.
    #[test]
    fn different_names_never_share_a_file_and_none_escapes_its_folder() {
        let dir = StateDir::new("/s");
        let names = [
            "team a", "team_a", "team/a", "team\\a", "..", ".", "", "a\0b", "é",
        ];
        let mut seen = std::collections::BTreeSet::new();
        for pb in names {
            for key in ["acme", "acme example", "acme_example", ".."] {
                let state = dir.state(pb, key);
                let lock = dir.lock(pb, key);
                for (path, root) in [(&state, "/s/state"), (&lock, "/s/locks")] {
                    assert!(path.starts_with(root), "{pb:?} {key:?}: {}", path.display());
                    assert_eq!(path.components().count(), 5, "{}", path.display());
                    assert!(
                        !path
                            .components()
                            .any(|c| matches!(c, std::path::Component::ParentDir)),
                        "{}",
                        path.display()
                    );
                }
                assert!(
                    seen.insert(state.clone()),
                    "{pb:?} {key:?} shares {}",
                    state.display()
                );
            }
        }
    }
}
