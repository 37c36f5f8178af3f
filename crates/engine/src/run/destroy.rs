//! Deleting what a run owns: `destroy` (everything its state records) and `--prune` (what the
//! playbook no longer declares).
//!
//! Input: the state, the addresses to remove in order (dependants first), a client. Output: one
//! [`Removal`] per address. Only objects the state records as `created` or `adopted` are ever
//! deleted; `existing` reads, settings, raw requests, tenant DNS verifications (which leave
//! nothing to delete) and steps with `prune: false` are kept. An
//! object that changed behind our back since we last wrote it is reported and kept, never
//! silently deleted. The state is saved after every deletion.

use onboard_netbird::{ResourceKind, Scope as ApiScope};

use crate::api::cache::Api;
use crate::api::gate::{ScopeGate, ScopeRefusal, within};
use serde::Serialize;
use serde_json::Value as Json;

use crate::api::compare::diff;
use crate::playbook::graph::{Dag, NodeId};
use crate::playbook::model::{Playbook, StepScope};
use crate::playbook::resource::{Identity, StepType};
use crate::store::state::{Record, State};

/// What became of one object.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Deleted,
    /// Already gone; the record is dropped.
    Gone,
    Kept {
        reason: String,
    },
    /// Changed since we wrote it: these fields differ. Kept.
    Changed {
        fields: Vec<String>,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    pub address: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Fields that move on their own (counters, timestamps, derived lists): not drift.
const VOLATILE: &[&str] = &[
    "peers_count",
    "resources_count",
    "peers",
    "resources",
    "updated_at",
    "used_times",
    "last_used",
    "state",
    "valid",
    "expires",
    "routing_peers_count",
    "routers",
    "policies",
    "last_login",
    "status",
    "is_current",
    "permissions",
    "pending_approval",
    "issued",
    "expiration_date",
    "created_at",
    "created_by",
    "last_synced_at",
];

/// Addresses of the state, dependants first: reverse dependency order of their steps; records
/// of steps the playbook no longer has come first.
pub fn removal_order(playbook: &Playbook, dag: &Dag, state: &State) -> Vec<String> {
    let rank = |address: &str| {
        let id = address.split('[').next().unwrap_or(address);
        playbook
            .steps
            .iter()
            .position(|s| s.id == id)
            .and_then(|i| dag.order().iter().position(|n| *n == NodeId::Step(i)))
    };
    let mut addresses: Vec<(Option<usize>, &String)> =
        state.steps.keys().map(|a| (rank(a), a)).collect();
    // None (gone from the playbook) first, then the latest in dependency order.
    addresses.sort_by(|a, b| match (a.0, b.0) {
        (None, None) => a.1.cmp(b.1),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => y.cmp(&x).then(a.1.cmp(b.1)),
    });
    addresses.into_iter().map(|(_, a)| a.clone()).collect()
}

/// Delete `addresses` (in the given order), saving the state after each. Objects are found in
/// their collection's list (one read per collection, through the session's cache). In a tenant,
/// each delete passes `gate` (whose client `api` must be): a proof right before it; and an
/// object that looks gone is believed only after a proof too: with a PAT NetBird does not scope
/// (a service user's), or a tenant unlinked meanwhile, every object would look gone and the
/// state would be wiped while the tenant's objects stay. A failed proof stops before the next
/// delete and keeps the state of what remains.
pub async fn remove(
    api: &Api<'_>,
    gate: &ScopeGate,
    state: &mut State,
    sink: &crate::store::StateSink,
    addresses: &[String],
    account: Option<&str>,
) -> Vec<Removal> {
    let mut out = Vec::new();
    for address in addresses {
        let Some(record) = state.steps.get(address).cloned() else {
            continue;
        };
        let scope = scope_of(state, &record, account);
        let outcome = match &scope {
            ApiScope::Account(id) => match in_tenant(api, gate, &scope, id, &record).await {
                Ok(outcome) => outcome,
                Err(stopped) => {
                    out.push(Removal {
                        address: address.clone(),
                        outcome: Outcome::Failed {
                            error: stopped.to_string(),
                        },
                    });
                    return out;
                }
            },
            ApiScope::Own => remove_one(api, &scope, &record).await,
        };
        if matches!(outcome, Outcome::Deleted | Outcome::Gone) {
            state.steps.remove(address);
            if let Err(e) = sink.save(state) {
                out.push(Removal {
                    address: address.clone(),
                    outcome: Outcome::Failed {
                        error: e.to_string(),
                    },
                });
                return out;
            }
        }
        out.push(Removal {
            address: address.clone(),
            outcome,
        });
    }
    out
}

/// One removal in the tenant `id`: its read, then its delete, which the gate sends right after
/// a proof; and, when the object looks gone, a proof after that: a 404 from an account the
/// tenant was unlinked from meanwhile says nothing about the tenant.
/// A removal in a tenant whose gate closed: the run deletes nothing more there.
#[derive(Debug, thiserror::Error)]
#[error("{why}; so nothing more was deleted, and the state of what remains is kept")]
struct Stopped {
    why: String,
    #[source]
    refusal: Option<ScopeRefusal>,
}

async fn in_tenant(
    api: &Api<'_>,
    gate: &ScopeGate,
    scope: &ApiScope,
    id: &str,
    record: &Record,
) -> Result<Outcome, Stopped> {
    let refused = |refusal: ScopeRefusal| Stopped {
        why: refusal.to_string(),
        refusal: Some(refusal),
    };
    if gate.is_closed(id) {
        return Err(match gate.prove_now(api.client, id).await {
            Err(refusal) => refused(refusal),
            Ok(()) => Stopped {
                why: String::new(),
                refusal: None,
            },
        });
    }
    let work = async {
        let outcome = remove_one(api, scope, record).await;
        if let Outcome::Failed { error } = &outcome
            && gate.is_closed(id)
        {
            return Err(Stopped {
                why: error.clone(),
                refusal: None,
            });
        }
        if matches!(outcome, Outcome::Gone) {
            gate.prove_now(api.client, id).await.map_err(refused)?;
        }
        Ok(outcome)
    };
    within(gate.enter(id), work).await
}

/// The account a recorded object lives in.
fn scope_of(state: &State, record: &Record, account: Option<&str>) -> ApiScope {
    let given = || account.map_or(ApiScope::Own, |a| ApiScope::Account(a.to_owned()));
    match (record.scope, &state.tenant) {
        (Some(StepScope::Msp), _) => ApiScope::Own,
        (Some(StepScope::Account), _) => given(),
        (_, Some(t)) => ApiScope::Account(t.id.clone()),
        (_, None) => given(),
    }
}

async fn remove_one(api: &Api<'_>, scope: &ApiScope, record: &Record) -> Outcome {
    let (kind, id) = match deletable(record) {
        Ok(found) => found,
        Err(reason) => {
            return Outcome::Kept {
                reason: reason.to_owned(),
            };
        }
    };
    let parent = record.parent.as_deref();
    let absent_singleton = kind.spec().may_be_absent;
    let read = if absent_singleton {
        api.reads.singleton(api.client, kind, scope).await
    } else {
        api.reads.by_id(api.client, kind, scope, parent, id).await
    };
    let live = match read {
        Ok(Some(v)) => v,
        Ok(None) => return Outcome::Gone,
        Err(e) if e.is_not_found() => return Outcome::Gone,
        Err(e) => {
            return Outcome::Failed {
                error: e.to_string(),
            };
        }
    };
    let changed = drift(&record.outputs, &live);
    if !changed.is_empty() {
        return Outcome::Changed { fields: changed };
    }
    let deleted = if absent_singleton {
        api.client.delete_singleton(kind, scope).await
    } else {
        api.client.delete(kind, scope, parent, id).await
    };
    match deleted {
        Ok(()) => {
            api.reads.deleted(kind, scope, parent, id).await;
            Outcome::Deleted
        }
        Err(e) if e.is_not_found() => Outcome::Gone,
        Err(e) => Outcome::Failed {
            error: e.to_string(),
        },
    }
}

/// Why [`deletable`] refuses a record whose step said `prune: false`.
pub const PRUNE_FALSE: &str = "the step says `prune: false`";

/// What a record names when onboard may delete it, or why it never deletes it.
pub fn deletable(record: &Record) -> Result<(ResourceKind, &str), &'static str> {
    let ty = StepType::from_name(&record.ty).ok_or("unknown type")?;
    if !record.prune {
        return Err(PRUNE_FALSE);
    }
    if !matches!(record.origin.as_str(), "created" | "adopted") {
        return Err("not created or adopted by onboard");
    }
    let kind = ty.resource_kind().ok_or("a raw request cannot be undone")?;
    if kind.spec().msp_action {
        return Err("a tenant DNS verification leaves nothing to delete");
    }
    if kind.spec().may_be_absent {
        // One per account, deleted on its path: no id is needed.
        return Ok((kind, record.id.as_deref().unwrap_or_default()));
    }
    if matches!(ty.spec().identity, Identity::Singleton) {
        return Err("settings are never deleted");
    }
    let id = record.id.as_deref().ok_or("no id recorded")?;
    Ok((kind, id))
}

/// Fields of what we recorded that the live object no longer has.
fn drift(recorded: &Json, live: &Json) -> Vec<String> {
    diff(&stable(recorded), live)
        .into_iter()
        .map(|(f, _, _)| f)
        .collect()
}

/// An object without the fields that move on their own, references read as ids.
pub fn stable(object: &Json) -> Json {
    let Some(map) = object.as_object() else {
        return object.clone();
    };
    Json::Object(
        map.iter()
            .filter(|(k, _)| !VOLATILE.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), crate::api::compare::normalize(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counters_are_not_drift_but_a_rename_is() {
        let recorded = json!({"id": "g", "name": "Servers", "peers_count": 0, "issued": "api"});
        assert!(
            drift(
                &recorded,
                &json!({"id": "g", "name": "Servers", "peers_count": 3})
            )
            .is_empty()
        );
        assert_eq!(
            drift(&recorded, &json!({"id": "g", "name": "Servers2"})),
            vec!["name".to_owned()]
        );
    }
}
