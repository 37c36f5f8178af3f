//! Saved plans: `onboard plan --out plan.json`, then `onboard apply plan.json`.
//!
//! A saved plan records, per run, the playbook (path and SHA-256), the values files it was made
//! with (path and SHA-256), the inventory key and the live plan itself, whose steps carry a
//! fingerprint of each live object they were compared with. Applying it re-plans from the
//! same playbook and inputs and refuses, writing nothing, unless the result is the same plan:
//! any change to the playbook, a values file or a live object it touches makes it stale.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use crate::playbook::inputs::Inputs;

pub const KIND: &str = "onboard-saved-plan";

/// A saved plan that cannot be read or used, or a file it names that changed.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A playbook or values file that changed since the plan was made.
    #[error("{path} changed since the plan was made")]
    Changed { path: String },
    #[error("not a valid saved plan: {0}")]
    Invalid(#[source] serde_json::Error),
    /// An input that holds a token.
    #[error("the saved plan's {}", .0.message)]
    Token(Box<crate::diag::Diag>),
}

/// A file and its content hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hashed {
    pub path: String,
    pub sha256: String,
}

impl Hashed {
    pub fn of(path: &Path) -> Result<Hashed, SavedPlanError> {
        let bytes = std::fs::read(path).map_err(|source| SavedPlanError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(Hashed {
            path: path.display().to_string(),
            sha256: sha256_hex(&bytes),
        })
    }

    /// Err: what changed.
    pub fn check(&self) -> Result<(), SavedPlanError> {
        match Hashed::of(Path::new(&self.path)) {
            Ok(now) if now.sha256 == self.sha256 => Ok(()),
            Ok(_) => Err(SavedPlanError::Changed {
                path: self.path.clone(),
            }),
            Err(e) => Err(e),
        }
    }
}

/// One run of a saved plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedRun {
    pub playbook: Hashed,
    /// Values files and the inventory the inputs came from.
    pub sources: Vec<Hashed>,
    pub inventory_key: Option<String>,
    pub inputs: Inputs,
    /// The live plan, as `plan --format json` prints it.
    pub plan: Json,
}

/// The saved-plan file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedPlan {
    pub kind: String,
    pub version: u32,
    pub runs: Vec<SavedRun>,
}

impl SavedPlan {
    pub fn new(runs: Vec<SavedRun>) -> Self {
        Self {
            kind: KIND.into(),
            version: 1,
            runs,
        }
    }

    /// The saved plan in `text`, or None when it is not one (a playbook, say). An input that
    /// holds a PAT makes it invalid ([`crate::playbook::token_scan::in_json`]).
    pub fn parse(text: &str) -> Option<Result<SavedPlan, SavedPlanError>> {
        let json: Json = serde_json::from_str(text).ok()?;
        if json.get("kind").and_then(Json::as_str) != Some(KIND) {
            return None;
        }
        let saved: SavedPlan = match serde_json::from_value(json) {
            Ok(saved) => saved,
            Err(e) => return Some(Err(SavedPlanError::Invalid(e))),
        };
        // Inputs come from this file as they are: a token in one is refused like one in a
        // values file (it would be planned, stored and sent).
        for run in &saved.runs {
            for (name, value) in &run.inputs.0 {
                if let Err(d) =
                    crate::playbook::token_scan::in_json(&format!("input `{name}`"), value)
                {
                    return Some(Err(SavedPlanError::Token(Box::new(d))));
                }
            }
        }
        Some(Ok(saved))
    }
}

/// The first difference between a saved plan and a fresh one, as a sentence.
pub fn first_difference(saved: &Json, fresh: &Json) -> Option<String> {
    if saved == fresh {
        return None;
    }
    let steps = |p: &Json| p["steps"].as_array().cloned().unwrap_or_default();
    for (a, b) in steps(saved).iter().zip(steps(fresh).iter()) {
        if a != b {
            let address = a["address"].as_str().unwrap_or("?");
            return Some(format!(
                "`{address}` would now be planned differently (the live object or the playbook changed)"
            ));
        }
    }
    if steps(saved).len() != steps(fresh).len() {
        return Some("the playbook now plans a different set of steps".into());
    }
    if saved["tenant"] != fresh["tenant"] {
        return Some("the tenant changed".into());
    }
    Some("the plan's inputs or outputs changed".into())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token put into a saved plan's inputs (by hand: `plan --out` refuses one) is refused
    /// when the plan is read, naming the input, never the token.
    #[test]
    fn a_token_in_a_saved_plans_inputs_is_refused_without_repeating_it() {
        let pat = "nbp_ExampleTokenThatMustNotBeRepeated00";
        let mut inputs = Inputs::default();
        inputs
            .0
            .insert("admins".into(), serde_json::json!(["ok", pat]));
        let run = SavedRun {
            playbook: Hashed {
                path: "pb.yaml".into(),
                sha256: String::new(),
            },
            sources: Vec::new(),
            inventory_key: None,
            inputs,
            plan: Json::Null,
        };
        let text = serde_json::to_string(&SavedPlan::new(vec![run])).expect("JSON");
        let err = SavedPlan::parse(&text)
            .expect("a saved plan")
            .expect_err("a token in an input")
            .to_string();
        assert!(err.contains("input `admins`"), "{err}");
        assert!(err.contains("personal access token"), "{err}");
        assert!(!err.contains("ExampleToken"), "{err}");
    }
}
