//! The state file: what a run created or adopted, per run key.
//!
//! `<state-dir>/state/<playbook>/<run-key>.json` (names encoded by [`crate::store::local::layout::encode`]),
//! versioned, written with [`crate::store::private::write_private`] (random temp file, fsync, rename)
//! with mode 0600 after every finished step. It holds ids, identity keys, fingerprints and
//! non-secret outputs; secret fields are removed before anything is stored. It records the
//! playbook and run key it belongs to, and [`State::load`] refuses one recorded for another.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::playbook::version::TemplateVersion;
use crate::store::StoreError;

pub const STATE_VERSION: u32 = 1;

/// One object the run owns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    #[serde(rename = "type")]
    pub ty: String,
    pub id: Option<String>,
    /// The identity key as rendered, e.g. `name "Servers"`.
    pub identity: Option<String>,
    /// `created` or `adopted`.
    pub origin: String,
    /// SHA-256 of the request body that was sent, secrets removed.
    pub fingerprint: String,
    /// Non-secret fields of the API response.
    pub outputs: Json,
    pub updated_at: String,
    /// Where it lives: the step's scope, and the parent id in its URL (a network, a user).
    #[serde(default)]
    pub scope: Option<crate::playbook::model::StepScope>,
    #[serde(default)]
    pub parent: Option<String>,
    /// `prune: false` on the step: never deleted by prune or destroy.
    #[serde(default = "yes")]
    pub prune: bool,
    /// Per write-only field (a secret NetBird never returns), the salted digest of what was
    /// last sent ([`crate::playbook::write_only`]): how a changed secret is told from an unchanged
    /// one. Never the secret.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sent: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

/// The tenant a run works in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TenantRecord {
    pub id: String,
    pub domain: String,
    pub origin: String,
}

/// Everything recorded for one run key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub version: u32,
    pub playbook: String,
    pub run_key: String,
    pub tenant: Option<TenantRecord>,
    /// By step address (`id` or `id["key"]`).
    pub steps: BTreeMap<String, Record>,
    /// Creates of a secret onboard keeps that were sent but not yet recorded, by address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, Pending>,
    /// The template version the last successful apply ran
    /// ([`crate::playbook::version::TemplateVersion`]): the digest always, the git commit and
    /// whether its tree was dirty when the playbook was in a git work tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_dirty: Option<bool>,
    /// Where the account's audit log stood when the account was last known to match the
    /// playbook (the end of a successful apply, or a drift check in sync): `onboard drift`
    /// reads only the log after it ([`crate::run::audit`]). Absent: a full live plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_mark: Option<AuditMark>,
    /// The key of the digests of write-only fields ([`Record::sent`]): random, made when the
    /// first such field is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// The API the recorded ids belong to ([`ApiBinding`]); absent in a state written before
    /// onboard recorded it (the first run adopts the API it meets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiBinding>,
}

/// The API a state was made against: its ids mean something there only. Another API would
/// not find them and would create every object again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiBinding {
    /// The management URL as the client normalised it (lower-case scheme and host, no default
    /// port, no trailing `/`), or `sandbox:<world file>` for `--sandbox`, whose port is new
    /// on every run.
    pub url: String,
    /// The PAT's own account: the MSP account of a playbook with a tenant block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl std::fmt::Display for ApiBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.account {
            Some(a) => write!(f, "{} (account {a})", self.url),
            None => write!(f, "{}", self.url),
        }
    }
}

/// How a state's recorded API compares with the one a run talks to.
#[derive(Debug, Clone, PartialEq)]
pub enum Binding {
    /// The same API, or a state that records nothing yet.
    Same,
    /// A state that records objects but not (all of) its API: an older onboard wrote it. The
    /// run records the API it meets.
    Unrecorded,
    /// Another API: the state's ids mean nothing here.
    Other(ApiBinding),
}

/// A point in an account's audit log: the account matched the playbook there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditMark {
    /// The newest event id of the log at a drift check: events with a greater id are after
    /// the mark. Absent after an apply (taken at no call): then `at` is the mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// RFC 3339: the end of the apply (every event of its writes is stamped before it), or
    /// the start of the drift check that took the mark.
    pub at: String,
    /// SHA-256 of the customer's offline plan (playbook and values): another one means the
    /// playbook changed since the mark.
    pub digest: String,
}

/// A create whose secret onboard must keep, saved before the create is sent and removed by the
/// save that records its result. A later run that finds such an object (its run was killed, or
/// its state store failed, between the create and the record) knows that NetBird showed the
/// secret to that run only: unless the outputs file shows it arrived there, it is lost.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pending {
    #[serde(rename = "type")]
    pub ty: String,
    /// The outputs that keep the secret.
    pub outputs: Vec<String>,
    /// The outputs file held all of `outputs` before the create (an earlier secret): then
    /// finding them there later proves nothing.
    pub held_before: bool,
    pub since: String,
}

impl State {
    pub fn new(playbook: &str, run_key: &str) -> Self {
        Self {
            version: STATE_VERSION,
            playbook: playbook.into(),
            run_key: run_key.into(),
            tenant: None,
            steps: BTreeMap::new(),
            pending: BTreeMap::new(),
            template_digest: None,
            template_commit: None,
            template_dirty: None,
            audit_mark: None,
            salt: None,
            api: None,
        }
    }

    /// Whether this state records nothing (a run key never applied).
    /// Rename the records of moved steps (`moved:` in the playbook): the record at `from`
    /// (or at an instance of it, `from["k"]`) is now at `to`, unless `to` has one already.
    /// The renames made, as (old address, new address), in order.
    pub fn apply_moves<'m>(
        &mut self,
        moves: impl IntoIterator<Item = (&'m str, &'m str)>,
    ) -> Vec<(String, String)> {
        let mut done = Vec::new();
        for (from, to) in moves {
            let instance = format!("{from}[");
            let moved = |a: &String| *a == from || a.starts_with(&instance);
            let mut found: Vec<String> = self.steps.keys().filter(|a| moved(a)).cloned().collect();
            // A create sent but not recorded (a secret's) moves too, record or not.
            found.extend(self.pending.keys().filter(|a| moved(a)).cloned());
            found.sort();
            found.dedup();
            for old in found {
                let new = format!("{to}{}", &old[from.len()..]);
                if self.steps.contains_key(&new) || self.pending.contains_key(&new) {
                    continue;
                }
                if let Some(record) = self.steps.remove(&old) {
                    self.steps.insert(new.clone(), record);
                }
                if let Some(p) = self.pending.remove(&old) {
                    self.pending.insert(new.clone(), p);
                }
                done.push((old, new));
            }
        }
        done
    }

    pub fn is_empty(&self) -> bool {
        self.tenant.is_none() && self.steps.is_empty() && self.pending.is_empty()
    }

    /// How the API this state records compares with `here` (the URLs as normalised; the
    /// accounts when both are known).
    pub fn binding(&self, here: &ApiBinding) -> Binding {
        let Some(recorded) = &self.api else {
            return match self.is_empty() {
                true => Binding::Same,
                false => Binding::Unrecorded,
            };
        };
        if recorded.url != here.url {
            return Binding::Other(recorded.clone());
        }
        match (&recorded.account, &here.account) {
            (Some(a), Some(b)) if a != b => Binding::Other(recorded.clone()),
            (None, Some(_)) if !self.is_empty() => Binding::Unrecorded,
            _ => Binding::Same,
        }
    }

    /// The template version recorded, if any.
    pub fn template(&self) -> Option<TemplateVersion> {
        Some(TemplateVersion {
            template_digest: self.template_digest.clone()?,
            template_commit: self.template_commit.clone(),
            template_dirty: self.template_dirty,
        })
    }

    /// Record the template version a run applied.
    pub fn set_template(&mut self, v: &TemplateVersion) {
        self.template_digest = Some(v.template_digest.clone());
        self.template_commit = v.template_commit.clone();
        self.template_dirty = v.template_dirty;
    }

    /// The state file of a run key under `state_dir` ([`crate::store::local::layout`]).
    pub fn path(state_dir: &Path, playbook: &str, run_key: &str) -> PathBuf {
        crate::store::local::layout::StateDir::new(state_dir).state(playbook, run_key)
    }

    /// Load the state of `playbook` and `run_key`, or a fresh state when there is no file yet.
    /// A file that records another playbook or run key is an error naming both: a state
    /// belongs to one playbook (its prune and destroy delete what it records).
    pub fn load(path: &Path, playbook: &str, run_key: &str) -> Result<State, StoreError> {
        match State::read(path)? {
            Some(state) => {
                state.belongs_to(playbook, run_key, &path.display().to_string())?;
                Ok(state)
            }
            None => Ok(State::new(playbook, run_key)),
        }
    }

    /// The state in `path` whatever it records, or None when there is no file.
    pub fn read(path: &Path) -> Result<Option<State>, StoreError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("read", path)(e)),
        };
        let state: State = serde_json::from_str(&text).map_err(|source| StoreError::Invalid {
            at: path.display().to_string(),
            what: "state file",
            source,
        })?;
        if state.version != STATE_VERSION {
            return Err(StoreError::Version {
                at: path.display().to_string(),
                found: state.version,
                expected: STATE_VERSION,
            });
        }
        Ok(Some(state))
    }

    /// Ok when this state records `playbook` and `run_key`; else an error naming both (`at`:
    /// where it was read).
    pub fn belongs_to(&self, playbook: &str, run_key: &str, at: &str) -> Result<(), StoreError> {
        if self.playbook == playbook && self.run_key == run_key {
            return Ok(());
        }
        Err(StoreError::NotOurs {
            at: at.to_owned(),
            recorded_playbook: self.playbook.clone(),
            recorded_run_key: self.run_key.clone(),
            playbook: playbook.to_owned(),
            run_key: run_key.to_owned(),
        })
    }

    /// Write atomically with mode 0600.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_private(path, text.as_bytes())
    }
}

pub use crate::store::private::write_private;

/// A stable fingerprint of a request body.
pub fn fingerprint(body: &Json) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body.to_string().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// One line of `onboard state list`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StateSummary {
    pub playbook: String,
    pub run_key: String,
    /// The tenant's domain, when the run has one.
    pub tenant: Option<String>,
    /// Objects recorded.
    pub records: usize,
    /// The newest record's time.
    pub updated_at: Option<String>,
    /// Where it is stored.
    pub location: String,
    /// The template version of the last successful apply (absent: not recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_dirty: Option<bool>,
}

impl StateSummary {
    pub fn of(state: &State, location: String) -> StateSummary {
        StateSummary {
            playbook: state.playbook.clone(),
            run_key: state.run_key.clone(),
            tenant: state.tenant.as_ref().map(|t| t.domain.clone()),
            records: state.steps.len(),
            updated_at: state.steps.values().map(|r| r.updated_at.clone()).max(),
            location,
            template_digest: state.template_digest.clone(),
            template_commit: state.template_commit.clone(),
            template_dirty: state.template_dirty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state file belongs to one playbook and run key: loading it for another is an error
    /// naming both, never a silent takeover of the other's records.
    #[test]
    fn a_state_recorded_for_another_playbook_is_refused_naming_both() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("acme.json");
        let mut other = State::new("team a", "acme");
        other.tenant = Some(TenantRecord {
            id: "t1".into(),
            domain: "acme.example".into(),
            origin: "created".into(),
        });
        other.save(&path).expect("save");
        let err = State::load(&path, "team_a", "acme")
            .expect_err("another playbook's state")
            .to_string();
        assert!(
            err.contains("`team a`") && err.contains("`team_a`"),
            "{err}"
        );
        let err = State::load(&path, "team a", "globex")
            .expect_err("another run key's state")
            .to_string();
        assert!(err.contains("`acme`") && err.contains("`globex`"), "{err}");
        assert_eq!(
            State::load(&path, "team a", "acme").expect("its own"),
            other
        );
    }

    fn api(url: &str, account: Option<&str>) -> ApiBinding {
        ApiBinding {
            url: url.into(),
            account: account.map(str::to_owned),
        }
    }

    /// A state is bound to the URL and the account it was made against: another URL, or the
    /// same URL with another account, is another API; a state that records objects but no API
    /// (or no account) adopts the one it meets; an empty state is free.
    #[test]
    fn a_state_belongs_to_one_url_and_account() {
        let here = api("https://nb.example", Some("a1"));
        let mut state = State::new("p", "acme");
        assert_eq!(state.binding(&here), Binding::Same, "nothing recorded");
        state.tenant = Some(TenantRecord {
            id: "t1".into(),
            domain: "acme.example".into(),
            origin: "created".into(),
        });
        assert_eq!(state.binding(&here), Binding::Unrecorded, "an older state");
        state.api = Some(api("https://nb.example", None));
        assert_eq!(state.binding(&here), Binding::Unrecorded, "no account yet");
        state.api = Some(here.clone());
        assert_eq!(state.binding(&here), Binding::Same);
        for other in [
            api("https://other.example", Some("a1")),
            api("https://nb.example", Some("a2")),
        ] {
            state.api = Some(other.clone());
            assert_eq!(state.binding(&here), Binding::Other(other));
        }
        assert_eq!(here.to_string(), "https://nb.example (account a1)");
    }

    /// States without `api` (written before it was recorded) load as before.
    #[test]
    fn an_older_state_without_api_loads() {
        let text =
            r#"{"version": 1, "playbook": "p", "run_key": "k", "tenant": null, "steps": {}}"#;
        let state: State = serde_json::from_str(text).expect("an older state");
        assert_eq!(state.api, None);
        assert!(!serde_json::to_string(&state).expect("json").contains("api"));
    }
}
