//! What a run records: each finished instance in the state (never a secret), and the
//! end-of-run proof that every account the run wrote in still scopes `?account=` to itself.
//! Outputs and secrets: `keep.rs`.

use serde_json::Value as Json;

use super::{Event, Executor, Shared, StepResult, lock, now};
use crate::api::converge::Inspection;
use crate::plan::{Action, PlannedStep};
use crate::playbook::secrets::Secrets;
use crate::run::error::StepError;
use crate::store::state::{Record, fingerprint};

impl Executor {
    /// The end-of-run proof: every account this run wrote or read in still scopes
    /// `?account=` to itself (a tenant unlinked mid-run makes NetBird fall back to the MSP
    /// account silently). A fresh read, through the run's scope gate (an account whose gate
    /// closed is not proven again). Returns one message per account that failed, naming the
    /// instances that finished after its last good proof was sent: their writes may have
    /// landed, and their reads may have come from, the account the requests ran in.
    pub(super) async fn prove_again(&self, shared: &Shared) -> Vec<String> {
        let mut touched = std::mem::take(&mut *lock(&shared.touched));
        for account in self.gate.closed_accounts() {
            touched.entry(account).or_default();
        }
        let mut lost = Vec::new();
        for (account, done) in touched {
            let Err(why) = self.gate.prove_now(&self.client, &account).await else {
                (self.sink)(&Event::ScopeProven { account });
                continue;
            };
            let since = self.gate.last_good(&account).await;
            let suspect: Vec<&str> = done
                .iter()
                .filter(|(at, _)| since.is_none_or(|s| *at >= s))
                .map(|(_, what)| what.as_str())
                .collect();
            let message = match suspect.is_empty() {
                true => format!("{why}; the run stopped before writing anything more there"),
                false => format!(
                    "{why}; the run stopped. These finished after the last good proof, so they \
                     may have gone to the account the requests ran in: {}. Look for them there \
                     and delete any you find; if the tenant should stay with this MSP, invite \
                     it back (POST /api/integrations/msp/tenants/{account}/invite) before a \
                     re-run",
                    suspect.join(", ")
                ),
            };
            (self.sink)(&Event::ScopeLost {
                account,
                message: message.clone(),
            });
            lost.push(message);
        }
        lost
    }

    pub(super) fn record(
        &self,
        shared: &Shared,
        step: &crate::playbook::model::Step,
        address: &str,
        action: Action,
        body: &Json,
        object: &Json,
    ) -> Result<(), StepError> {
        let spec = step.ty.spec();
        let id = object.get("id").and_then(Json::as_str).map(str::to_owned);
        (self.sink)(&Event::StepFinished {
            address: address.into(),
            action,
            id: id.clone(),
        });
        if let Ok(mut r) = shared.results.lock() {
            r.push(StepResult {
                address: address.into(),
                action: Some(action),
                id: id.clone(),
                error: None,
            });
        }
        // The kind's secrets; a request's from the catalogue for its path, its
        // `secret_fields`, and for an unknown path every field named like a secret.
        let secrets = Secrets::of(step.ty, body);
        let mut state = lock(&shared.state);
        // Recorded: a later run has nothing to suspect about its secret.
        state.pending.remove(address);
        // What was sent of the write-only fields; an object not written keeps its record's.
        let wrote = matches!(action, Action::Create | Action::Update | Action::Replace);
        let sent = match (wrote, state.steps.get(address)) {
            (true, _) => {
                let salt = state
                    .salt
                    .get_or_insert_with(crate::playbook::write_only::new_salt)
                    .clone();
                crate::playbook::write_only::digests(step.ty, body, &salt)
            }
            (false, Some(prev)) => prev.sent.clone(),
            (false, None) => Default::default(),
        };
        let origin = match (action, state.steps.get(address)) {
            (_, Some(prev)) => prev.origin.clone(),
            (Action::Create, None) => "created".into(),
            (Action::Read, None) => "read".into(),
            _ => "adopted".into(),
        };
        state.steps.insert(
            address.into(),
            Record {
                ty: spec.name.into(),
                id,
                identity: crate::plan::identity_value(step.ty, body),
                origin,
                fingerprint: fingerprint(&crate::playbook::write_only::strip(
                    step.ty,
                    &secrets.strip(body),
                )),
                outputs: secrets.strip(object),
                updated_at: now(),
                scope: Some(step.scope),
                parent: spec
                    .parent()
                    .and_then(|p| body.get(p))
                    .and_then(Json::as_str)
                    .map(str::to_owned),
                prune: step.prune,
                sent,
            },
        );
        self.state_sink.save(&state).map_err(StepError::State)
    }
}

/// What the plan found for an instance, as the writer takes it.
pub(super) fn planned_inspection(p: &PlannedStep) -> Inspection {
    Inspection {
        action: p.action,
        live: p.object.clone(),
        changes: p
            .changes
            .iter()
            .map(|c| (c.field.clone(), c.before.clone(), c.after.clone()))
            .collect(),
    }
}
