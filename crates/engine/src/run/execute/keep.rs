//! Keeping the secrets a run is shown.
//!
//! NetBird shows a secret once, in the answer to the create. The run writes it to the sink as
//! soon as the step that created it is done (`--outputs FILE`: merged into the file per run
//! key, see [`crate::run::outputs`]), again at the end with every output, and never writes a value
//! for an output that reads a secret it was not shown (an object of an earlier run): that
//! output is left out, the file keeps what it held, and the report says why. The secret fields
//! of such objects are removed before any template sees them, so no placeholder text exists
//! for a filter to turn into a value.
//!
//! A secret onboard could not keep is named ([`LostSecret`]) and fails the run: a create whose
//! answer was lost (the object found and adopted), an object created by an earlier run that
//! ended before recording it (a [`Pending`] mark, saved before the create, tells), a secret no
//! output written in this run reads, an outputs file that could not be written. An object whose
//! state save failed after the create keeps its secret all the same (it goes to the sink).

use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Executor, Shared, lock, now};
use crate::plan::Action;
use crate::playbook::model::Step;
use crate::playbook::render::Renderer;
use crate::run::error::StepError;
use crate::run::outputs::OutputsFile;
use crate::run::sinks::{Instance, keepers, kept_fields, key_of, reads, secret_fields};
use crate::store::state::Pending;

/// Where the secrets of a run go.
#[derive(Debug, Clone, Default)]
pub struct SecretSink {
    /// `--outputs FILE`.
    pub file: Option<Arc<OutputsFile>>,
    /// Something keeps secret outputs: the file, or `--show-secrets` on a terminal.
    pub kept: bool,
    /// `--discard-secrets`: a secret no output reads may go.
    pub discard: bool,
}

/// A secret that was not kept, or an object created but not recorded.
#[derive(Debug, Clone, Serialize)]
pub struct LostSecret {
    pub address: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// The object's id, when known.
    pub id: Option<String>,
    pub why: String,
}

/// What a run knows of its secrets.
#[derive(Debug, Default)]
pub(super) struct Kept {
    /// Every instance whose object has secret fields, by address.
    seen: BTreeMap<String, Shown>,
    lost: Vec<LostSecret>,
    /// Created, but the state could not record them: addresses.
    unrecorded: Vec<String>,
    /// The last failed write of the outputs file.
    write_error: Option<String>,
}

#[derive(Debug)]
struct Shown {
    step: String,
    key: Option<String>,
    ty: &'static str,
    id: Option<String>,
    /// Created in this run: its secrets are in its object.
    fresh: bool,
    /// Fresh, and onboard must keep its secret.
    kept: bool,
    /// An output that reads it reached the sink.
    written: bool,
}

/// `(name, value, sensitive)` of the outputs with a value; `(name, why)` of the others.
type Rendered = (Vec<(String, Json, bool)>, Vec<(String, String)>);

/// What [`Executor::settle`] hands the report.
pub(super) struct Settled {
    pub outputs: Vec<(String, Json, bool)>,
    pub unavailable: Vec<(String, String)>,
    pub lost: Vec<LostSecret>,
    pub unrecorded: Vec<LostSecret>,
}

impl Executor {
    /// Before the create of an instance whose secret onboard keeps: save a [`Pending`] mark,
    /// so that a later run that finds the object without a record knows whose secret it was.
    pub(super) fn mark_pending(
        &self,
        shared: &Shared,
        step: &Step,
        address: &str,
    ) -> Result<(), StepError> {
        let pb = &self.loaded.playbook;
        if !self.secrets.kept || step.ty.resource_kind().is_none() {
            return Ok(());
        }
        if kept_fields(pb, step).is_empty() {
            return Ok(());
        }
        let instance = Instance::One(key_of(address, &step.id));
        let outputs: Vec<String> = keepers(pb, step, &instance)
            .iter()
            .map(|o| o.name.clone())
            .collect();
        let held_before = !outputs.is_empty()
            && (self.secrets.file.as_ref()).is_some_and(|f| f.has_all(&self.run_key, &outputs));
        let mut state = lock(&shared.state);
        state.pending.insert(
            address.to_owned(),
            Pending {
                ty: step.ty.name().to_owned(),
                outputs,
                held_before,
                since: now(),
            },
        );
        let saved = self.state_sink.save(&state);
        if saved.is_err() {
            // Nothing is sent: nothing to suspect later.
            state.pending.remove(address);
        }
        saved.map_err(StepError::BeforeCreate)
    }

    /// After an instance was written (or found): note what it shows, remove the secret fields
    /// it does not show (an object of an earlier run: NetBird masks them), and name a secret
    /// this run cannot keep.
    pub(super) fn saw(
        &self,
        shared: &Shared,
        step: &Step,
        address: &str,
        action: Action,
        planned_create: bool,
        object: &mut Json,
    ) {
        let fields = secret_fields(step);
        if fields.is_empty() {
            return;
        }
        let fresh = matches!(action, Action::Create | Action::Replace);
        if !fresh && let Some(obj) = object.as_object_mut() {
            obj.retain(|k, _| !fields.contains(k));
        }
        let kept = !kept_fields(&self.loaded.playbook, step).is_empty();
        // A user invited without a password (the IdP sends an invitation): nothing to keep.
        let shown = fields.iter().any(|f| {
            object
                .get(f)
                .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
        });
        let id = object.get("id").and_then(Json::as_str).map(str::to_owned);
        let lost = |why: String| LostSecret {
            address: address.to_owned(),
            ty: step.ty.name().to_owned(),
            id: id.clone(),
            why,
        };
        let pending = lock(&shared.state).pending.get(address).cloned();
        let mut secrets = lock(&shared.secrets);
        if kept && planned_create && action == Action::Adopt {
            secrets.lost.push(lost(format!(
                "it was created in this run, but the answer to the create was lost (the object \
                 was then found and adopted): NetBird showed its {} to nobody",
                fields.join(", ")
            )));
        } else if let Some(mark) = pending.filter(|_| !fresh && id.is_some()) {
            let arrived = !mark.held_before
                && !mark.outputs.is_empty()
                && (self.secrets.file.as_ref())
                    .is_some_and(|f| f.has_all(&self.run_key, &mark.outputs));
            if !arrived {
                secrets.lost.push(lost(format!(
                    "an earlier run created it ({}) and ended before recording it (it was \
                     killed, or its state store failed): NetBird showed its {} to that run only",
                    mark.since,
                    fields.join(", ")
                )));
            }
        }
        secrets.seen.insert(
            address.to_owned(),
            Shown {
                step: step.id.clone(),
                key: key_of(address, &step.id),
                ty: step.ty.name(),
                id,
                fresh,
                kept: kept && fresh && shown,
                written: false,
            },
        );
    }

    /// The state could not record an instance that was written: one this run created with
    /// secrets is named in the report, with where its secret went.
    pub(super) fn not_recorded(&self, shared: &Shared, address: &str) {
        let mut secrets = lock(&shared.secrets);
        if secrets.seen.get(address).is_some_and(|s| s.fresh) {
            secrets.unrecorded.push(address.to_owned());
        }
    }

    /// A finished step's outputs (instances by key for a `for_each`) for the templates that
    /// read them; when it created something, every output that has a value now is kept.
    pub(super) fn publish(
        &self,
        shared: &Shared,
        step: &Step,
        mut outputs: serde_json::Map<String, Json>,
        fresh: bool,
    ) {
        let value = match step.for_each {
            Some(_) => Json::Object(outputs),
            None => outputs.remove("").unwrap_or(Json::Null),
        };
        if let Some(known) = shared
            .known
            .downcast_object_ref::<crate::playbook::render::StepOutputs>()
        {
            known.insert(&step.id, &value);
        }
        if fresh && !secret_fields(step).is_empty() {
            self.keep(shared);
        }
    }

    /// Write every output that has a value now to the outputs file: called when a step that
    /// created a secret is done, so that a Ctrl-C, a crash or a failure later in the run does
    /// not take the secret with it.
    pub(super) fn keep(&self, shared: &Shared) {
        let (values, _) = self.render_outputs(shared);
        self.write_outputs(shared, &values);
    }

    /// At the end of the run: every output, written once more, and what was not kept.
    pub(super) fn settle(&self, shared: &Shared) -> Settled {
        let (outputs, unavailable) = self.render_outputs(shared);
        self.write_outputs(shared, &outputs);
        let mut secrets = lock(&shared.secrets);
        let (sink, file) = (&self.secrets, self.secrets.file.as_ref());
        let error = secrets.write_error.clone();
        let mut lost = Vec::new();
        for (address, s) in secrets.seen.iter().filter(|(_, s)| s.kept && !s.written) {
            let why = match (&error, file) {
                (Some(e), _) => e.clone(),
                _ if !sink.kept || sink.discard => continue,
                (None, Some(_)) => "no output written in this run reads it".to_owned(),
                (None, None) => "no output shown in this run reads it".to_owned(),
            };
            lost.push(LostSecret {
                address: address.clone(),
                ty: s.ty.to_owned(),
                id: s.id.clone(),
                why,
            });
        }
        let unrecorded = secrets
            .unrecorded
            .iter()
            .filter_map(|address| {
                let s = secrets.seen.get(address)?;
                let kept_in = match (s.written, file) {
                    (true, Some(f)) => format!("; its secret is in {}", f.path().display()),
                    _ => String::new(),
                };
                Some(LostSecret {
                    address: address.clone(),
                    ty: s.ty.to_owned(),
                    id: s.id.clone(),
                    why: format!(
                        "it was created, but the state could not record it; the next apply \
                         finds it and adopts it{kept_in}"
                    ),
                })
            })
            .collect();
        secrets.lost.extend(lost);
        Settled {
            outputs,
            unavailable,
            lost: secrets.lost.clone(),
            unrecorded,
        }
    }

    /// Merge `values` into the outputs file (or, without one, note what the report shows),
    /// and mark the secrets they carry as kept.
    fn write_outputs(&self, shared: &Shared, values: &[(String, Json, bool)]) {
        let pb = &self.loaded.playbook;
        if let Some(file) = &self.secrets.file {
            let named: Vec<(String, Json)> = values
                .iter()
                .map(|(n, v, _)| (n.clone(), v.clone()))
                .collect();
            let order: Vec<&str> = pb.outputs.iter().map(|o| o.name.as_str()).collect();
            if let Err(e) = file.write(&self.run_key, &named, &order) {
                lock(&shared.secrets).write_error = Some(e.to_string());
                return;
            }
        }
        let mut secrets = lock(&shared.secrets);
        for s in secrets.seen.values_mut().filter(|s| s.kept && !s.written) {
            let Some(step) = pb.step(&s.step) else {
                continue;
            };
            let (instance, fields) = (Instance::One(s.key.clone()), secret_fields(step));
            s.written = values.iter().any(|(name, _, _)| {
                (pb.outputs.iter()).any(|o| o.name == *name && reads(o, step, &instance, &fields))
            });
        }
    }

    /// Every output with a value, and why the others have none: an output that reads a secret
    /// this run was not shown is left out, whatever it would render to.
    fn render_outputs(&self, shared: &Shared) -> Rendered {
        let pb = &self.loaded.playbook;
        let ctx = lock(&shared.scope).context_with_steps(shared.known.clone(), None);
        let r = Renderer {
            playbook: pb,
            file: &pb.file,
            ctx,
            mask_secrets: false,
        };
        let (mut values, mut unavailable) = (Vec::new(), Vec::new());
        for o in &pb.outputs {
            if let Some(why) = self.unshown(shared, o) {
                unavailable.push((o.name.clone(), why));
                continue;
            }
            match r.node(&o.value) {
                Ok(v) => {
                    // A value that holds a secret the run has seen is one, however made.
                    let sensitive = pb.output_is_secret(o) || shared.seen.find(&v).is_some();
                    values.push((o.name.clone(), v, sensitive));
                }
                Err(e) => unavailable.push((o.name.clone(), e.message)),
            }
        }
        (values, unavailable)
    }

    /// Why `output` has no value in this run: it reads a secret of an object this run did not
    /// create.
    fn unshown(&self, shared: &Shared, output: &crate::playbook::model::Output) -> Option<String> {
        let pb = &self.loaded.playbook;
        let secrets = lock(&shared.secrets);
        let (address, step, fields) = secrets.seen.iter().find_map(|(address, s)| {
            let step = pb.step(&s.step)?;
            let fields = secret_fields(step);
            let read = reads(output, step, &Instance::One(s.key.clone()), &fields);
            (!s.fresh && read).then_some((address, step, fields))
        })?;
        let kept = (self.secrets.file.as_ref())
            .filter(|f| f.has_all(&self.run_key, std::slice::from_ref(&output.name)));
        let then = match kept {
            Some(f) => format!("{} keeps the value written then", f.path().display()),
            None if step.ty == crate::playbook::resource::StepType::SETUP_KEY => {
                "`--rotate-setup-keys` makes a new one".to_owned()
            }
            None => "it cannot be shown again".to_owned(),
        };
        Some(format!(
            "NetBird shows the {} of `{address}` only in the answer to its create, which was not \
             in this run (an earlier run, or by hand); {then}",
            fields.join(", ")
        ))
    }
}
