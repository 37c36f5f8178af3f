//! The state file: what a run created or adopted, per run key.
//!
//! `<state-dir>/state/<playbook>/<run-key>.json`, versioned, written with [`crate::private::write_private`]
//! (random temp file, fsync, rename) with mode 0600 after every finished step. It holds ids, identity keys,
//! fingerprints and non-secret outputs; secret fields are removed before anything is stored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    pub scope: Option<crate::model::StepScope>,
    #[serde(default)]
    pub parent: Option<String>,
    /// `prune: false` on the step: never deleted by prune or destroy.
    #[serde(default = "yes")]
    pub prune: bool,
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
        }
    }

    /// The state file of a run key under `state_dir` ([`crate::layout`]).
    pub fn path(state_dir: &Path, playbook: &str, run_key: &str) -> PathBuf {
        crate::layout::StateDir::new(state_dir).state(playbook, run_key)
    }

    /// Load, or a fresh state when there is no file yet.
    pub fn load(path: &Path, playbook: &str, run_key: &str) -> Result<State, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let state: State = serde_json::from_str(&text)
                    .map_err(|e| format!("{}: not a valid state file: {e}", path.display()))?;
                if state.version != STATE_VERSION {
                    return Err(format!(
                        "{}: state version {} is not supported (expected {STATE_VERSION})",
                        path.display(),
                        state.version
                    ));
                }
                Ok(state)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::new(playbook, run_key)),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Write atomically with mode 0600.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_private(path, text.as_bytes())
    }
}

pub use crate::layout::safe;

pub use crate::private::write_private;

/// An object without the named secret fields.
pub fn without_secrets(value: &Json, secrets: &[&str]) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.iter()
                .filter(|(k, _)| !secrets.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

/// A stable fingerprint of a request body.
pub fn fingerprint(body: &Json) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body.to_string().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
