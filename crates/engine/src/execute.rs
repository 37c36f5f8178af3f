//! The executor: runs the graph against the API, concurrently, recording every outcome.
//!
//! Input: a loaded playbook, resolved inputs, a [`Client`] and the state of earlier runs.
//! Output: a [`RunReport`] and a stream of [`Event`]s (the only way the executor talks to
//! reporters and the journal). The loop never bails out: a failed step skips its dependants,
//! independent steps go on, and the report says what happened to every step. The tenant is
//! created or adopted first, and its scoping is proven before the first write inside it.

use futures_util::stream::{FuturesUnordered, StreamExt};
use onboard_netbird::{Client, ClientEvent, CreateTenantRequest, Scope as ApiScope, TenantGroup};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::converge::{Target, converge};
use crate::graph::NodeId;
use crate::inputs::Inputs;
use crate::plan::{Action, instances};
use crate::render::{Renderer, Scope, StepOutputs, truthy};
use crate::resource::{StepType, apply_defaults};
use crate::schedule::Scheduler;
use crate::state::{Record, State, TenantRecord, fingerprint, without_secrets};
use crate::{Loaded, model::StepScope};

/// What the executor reports, in order. Never carries a secret.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        playbook: String,
        run_key: String,
        nodes: usize,
    },
    TenantReady {
        id: String,
        action: Action,
    },
    ScopeProven {
        account: String,
    },
    StepStarted {
        address: String,
    },
    StepFinished {
        address: String,
        action: Action,
        id: Option<String>,
    },
    StepFailed {
        address: String,
        error: String,
    },
    StepSkipped {
        address: String,
        reason: String,
    },
    /// A call of the API client: `{"event": "api", "call": {"event": "request_sent", ...}}`.
    Api {
        call: ClientEvent,
    },
    RunFinished {
        ok: bool,
        failed: usize,
        skipped: usize,
    },
}

/// Receives every event.
pub type Sink = Arc<dyn Fn(&Event) + Send + Sync>;

/// What happened to one step instance.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub address: String,
    pub action: Option<Action>,
    pub id: Option<String>,
    pub error: Option<String>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub run_key: String,
    pub tenant_id: Option<String>,
    pub steps: Vec<StepResult>,
    /// `(name, value, sensitive)`; values unmasked: reporters mask.
    pub outputs: Vec<(String, Json, bool)>,
    pub state_path: PathBuf,
    pub ok: bool,
    /// Stopped by Ctrl-C: in-flight calls finished and were recorded; the rest did not start.
    pub interrupted: bool,
}

/// Everything one run needs.
pub struct Run {
    pub loaded: Arc<Loaded>,
    pub inputs: Inputs,
    pub run_key: String,
    pub client: Client,
    /// `--account`: the account for steps without a tenant.
    pub account: Option<String>,
    pub state: State,
    /// Where the state is saved after every finished step.
    pub state_sink: crate::store::StateSink,
    pub concurrency: usize,
    pub sink: Sink,
    /// `--allow-replace`, `--rotate-setup-keys`.
    pub replace: crate::converge::Replace,
    /// Set (by Ctrl-C) to start nothing new: in-flight steps finish and are recorded.
    pub interrupted: Arc<AtomicBool>,
}

struct Shared {
    /// Inputs and the tenant; step outputs live in `known`.
    scope: Mutex<Scope>,
    /// `steps` for templates: a [`StepOutputs`], one entry per finished step.
    known: minijinja::Value,
    state: Mutex<State>,
    results: Mutex<Vec<StepResult>>,
    tenant_id: Mutex<Option<String>>,
    /// Accounts whose `?account=` scoping was proven; held across the proof so it runs once.
    proven: tokio::sync::Mutex<Vec<String>>,
}

impl Run {
    /// Execute the whole graph.
    pub async fn execute(self) -> RunReport {
        let pb = &self.loaded.playbook;
        let order: Vec<NodeId> = self.loaded.dag.order().to_vec();
        let index = |n: NodeId| order.iter().position(|m| *m == n).unwrap_or(0);
        let edges: Vec<(usize, usize)> = order
            .iter()
            .flat_map(|&n| {
                self.loaded
                    .dag
                    .dependencies(n)
                    .into_iter()
                    .map(move |d| (n, d))
            })
            .map(|(n, d)| (index(n), index(d)))
            .collect();
        let mut sched = Scheduler::new(order.len(), &edges);
        (self.sink)(&Event::RunStarted {
            playbook: pb.name.clone(),
            run_key: self.run_key.clone(),
            nodes: order.len(),
        });
        let shared = Arc::new(Shared {
            known: minijinja::Value::from_object(StepOutputs::default()),
            scope: Mutex::new(Scope {
                inputs: self.inputs.0.clone().into_iter().collect(),
                ..Scope::default()
            }),
            tenant_id: Mutex::new(self.state.tenant.as_ref().map(|t| t.id.clone())),
            state: Mutex::new(self.state.clone()),
            results: Mutex::new(Vec::new()),
            proven: tokio::sync::Mutex::new(Vec::new()),
        });
        let this = &self;
        // One task, many futures: requests overlap while the scheduler stays single-threaded.
        let mut tasks = FuturesUnordered::new();
        let (mut failed, mut skipped) = (0, 0);
        while !sched.is_finished() {
            let stopping = this.interrupted.load(Ordering::SeqCst);
            while !stopping && tasks.len() < this.concurrency.max(1) {
                let Some(i) = sched.next_ready() else { break };
                let (node, shared) = (order[i], shared.clone());
                tasks.push(async move { (i, this.node(node, &shared).await) });
            }
            let Some((i, result)) = tasks.next().await else {
                break;
            };
            match result {
                Ok(()) => sched.done(i),
                Err(_) => {
                    failed += 1;
                    for s in sched.failed(i) {
                        skipped += 1;
                        let address = this.node_name(order[s]);
                        (this.sink)(&Event::StepSkipped {
                            address,
                            reason: format!("`{}` failed", this.node_name(order[i])),
                        });
                    }
                }
            }
        }
        let outputs = this.outputs(&shared);
        let interrupted = this.interrupted.load(Ordering::SeqCst) && !sched.is_finished();
        let ok = failed == 0 && skipped == 0 && !interrupted;
        (this.sink)(&Event::RunFinished {
            ok,
            failed,
            skipped,
        });
        let steps = shared.results.lock().map(|r| r.clone()).unwrap_or_default();
        let tenant_id = shared.tenant_id.lock().ok().and_then(|t| t.clone());
        RunReport {
            run_key: this.run_key.clone(),
            tenant_id,
            steps,
            outputs,
            state_path: this.state_sink.location(),
            ok,
            interrupted,
        }
    }

    fn node_name(&self, n: NodeId) -> String {
        match n {
            NodeId::Tenant => "tenant".into(),
            NodeId::Step(i) => self.loaded.playbook.steps[i].id.clone(),
        }
    }

    async fn node(&self, node: NodeId, shared: &Shared) -> Result<(), String> {
        let result = match node {
            NodeId::Tenant => self.tenant(shared).await,
            NodeId::Step(i) => self.step(i, shared).await,
        };
        if let Err(e) = &result {
            let address = self.node_name(node);
            (self.sink)(&Event::StepFailed {
                address: address.clone(),
                error: e.clone(),
            });
            if let Ok(mut r) = shared.results.lock() {
                r.push(StepResult {
                    address,
                    action: None,
                    id: None,
                    error: Some(e.clone()),
                });
            }
        }
        result
    }

    /// Create or adopt the tenant, then prove that `?account=` really scopes to it.
    async fn tenant(&self, shared: &Shared) -> Result<(), String> {
        let Some(decl) = &self.loaded.playbook.tenant else {
            return Ok(());
        };
        let ctx = lock(&shared.scope).context_with_steps(shared.known.clone(), None);
        let r = Renderer {
            playbook: &self.loaded.playbook,
            ctx,
            mask_secrets: false,
        };
        let text = |t| {
            r.template(t)
                .map_err(|e| e.message)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        };
        let (name, domain) = (text(&decl.name)?, text(&decl.domain)?);
        let groups: Vec<TenantGroup> =
            serde_json::from_value(r.node(&decl.groups).map_err(|e| e.message)?)
                .map_err(|e| format!("tenant groups: {e}"))?;
        let existing = self
            .client
            .list_tenants()
            .await
            .map_err(|e| e.to_string())?;
        let (tenant, origin) = match existing
            .into_iter()
            .find(|t| t.domain.eq_ignore_ascii_case(&domain))
        {
            Some(t) => (t, "adopted"),
            None => {
                let req = CreateTenantRequest {
                    name: name.clone(),
                    domain: domain.clone(),
                    groups,
                };
                let created = self
                    .client
                    .create_tenant_or_adopt(&req)
                    .await
                    .map_err(|e| e.to_string())?;
                let origin = if created.is_adopted() {
                    "adopted"
                } else {
                    "created"
                };
                (created.into_inner(), origin)
            }
        };
        let recorded = lock(&shared.state)
            .tenant
            .clone()
            .filter(|t| t.id == tenant.id);
        let action = match (&recorded, origin) {
            (Some(_), _) => Action::NoChange,
            (None, "created") => Action::Create,
            (None, _) => Action::Adopt,
        };
        let origin = recorded.map_or_else(|| origin.to_owned(), |t| t.origin);
        (self.sink)(&Event::TenantReady {
            id: tenant.id.clone(),
            action,
        });
        self.prove(shared, &tenant.id).await?;
        let mut t = Map::new();
        t.insert("id".into(), Json::String(tenant.id.clone()));
        t.insert("name".into(), Json::String(tenant.name.clone()));
        t.insert("domain".into(), Json::String(tenant.domain.clone()));
        t.insert(
            "status".into(),
            serde_json::to_value(tenant.status).unwrap_or(Json::Null),
        );
        lock(&shared.scope).tenant = Some(t);
        *lock(&shared.tenant_id) = Some(tenant.id.clone());
        let mut state = lock(&shared.state);
        state.tenant = Some(TenantRecord {
            id: tenant.id,
            domain: tenant.domain,
            origin,
        });
        self.state_sink.save(&state)
    }

    /// Prove that `?account=<id>` really runs in `id` before anything is written there:
    /// NetBird silently falls back to the caller's own account when it does not.
    async fn prove(&self, shared: &Shared, id: &str) -> Result<(), String> {
        let mut proven = shared.proven.lock().await;
        if proven.iter().any(|p| p == id) {
            return Ok(());
        }
        let ran_in = self
            .client
            .effective_account(&ApiScope::Account(id.to_owned()))
            .await
            .map_err(|e| e.to_string())?;
        if ran_in != id {
            return Err(format!(
                "the API does not scope requests to account {id} (they ran in account {ran_in}), so nothing was written there; \
                 check that the id is a tenant of this MSP account and that the PAT belongs to a user, not a service user"
            ));
        }
        (self.sink)(&Event::ScopeProven { account: ran_in });
        proven.push(id.to_owned());
        Ok(())
    }

    fn api_scope(&self, scope: StepScope, shared: &Shared) -> Result<ApiScope, String> {
        Ok(match scope {
            StepScope::Tenant => ApiScope::Account(
                lock(&shared.tenant_id)
                    .clone()
                    .ok_or("the tenant is not ready")?,
            ),
            StepScope::Msp => ApiScope::Own,
            StepScope::Account => self
                .account
                .clone()
                .map_or(ApiScope::Own, ApiScope::Account),
        })
    }

    async fn step(&self, i: usize, shared: &Shared) -> Result<(), String> {
        let pb = &self.loaded.playbook;
        let step = &pb.steps[i];
        let api_scope = self.api_scope(step.scope, shared)?;
        if let ApiScope::Account(id) = &api_scope {
            self.prove(shared, id).await?;
        }
        let scope = lock(&shared.scope).clone();
        let list = match &step.for_each {
            None => vec![(None, Json::Null)],
            Some(fe) => {
                let r = Renderer {
                    playbook: pb,
                    ctx: scope.context_with_steps(shared.known.clone(), None),
                    mask_secrets: false,
                };
                let v = r.node(&fe.node).map_err(|e| e.message)?;
                instances(&v)?
                    .into_iter()
                    .map(|(k, item)| (Some(k), item))
                    .collect()
            }
        };
        let mut outputs = Map::new();
        for (key, item) in list {
            let address = crate::plan::address(&step.id, key.as_deref());
            (self.sink)(&Event::StepStarted {
                address: address.clone(),
            });
            let r = Renderer {
                playbook: pb,
                ctx: scope
                    .context_with_steps(shared.known.clone(), key.as_deref().map(|k| (k, &item))),
                mask_secrets: false,
            };
            if let Some(when) = &step.when
                && !truthy(&r.template(when).map_err(|e| e.message)?)
            {
                (self.sink)(&Event::StepFinished {
                    address: address.clone(),
                    action: Action::Skip,
                    id: None,
                });
                continue;
            }
            let mut body = r.node(&step.with).map_err(|e| e.message)?;
            if !step.existing {
                apply_defaults(step.ty, &mut body);
            }
            let known = lock(&shared.state)
                .steps
                .get(&address)
                .and_then(|r| r.id.clone());
            if step.ty == StepType::Request
                && let Some(rec) = lock(&shared.state).steps.get(&address)
            {
                outputs.insert(address.clone(), rec.outputs.clone());
                (self.sink)(&Event::StepFinished {
                    address,
                    action: Action::NoChange,
                    id: rec.id.clone(),
                });
                continue;
            }
            let target = Target {
                ty: step.ty,
                scope: &api_scope,
                body: &body,
                existing: step.existing,
                known_id: known.as_deref(),
                replace: self.replace,
            };
            let (action, mut object) = converge(&self.client, &target)
                .await
                .map_err(|e| e.to_string())?;
            if !matches!(action, Action::Create | Action::Replace) {
                mark_unreadable_secrets(step.ty, &mut object);
            }
            self.record(shared, step, &address, action, &body, &object)?;
            match &key {
                Some(k) => outputs.insert(k.clone(), object),
                None => outputs.insert(String::new(), object),
            };
        }
        let value = match step.for_each {
            Some(_) => Json::Object(outputs),
            None => outputs.remove("").unwrap_or(Json::Null),
        };
        if let Some(known) = shared.known.downcast_object_ref::<StepOutputs>() {
            known.insert(&step.id, &value);
        }
        Ok(())
    }

    fn record(
        &self,
        shared: &Shared,
        step: &crate::model::Step,
        address: &str,
        action: Action,
        body: &Json,
        object: &Json,
    ) -> Result<(), String> {
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
        let mut secrets: Vec<&str> = spec.secrets().to_vec();
        let request_secrets: Vec<String> = body
            .get("secret_fields")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        secrets.extend(request_secrets.iter().map(String::as_str));
        let mut state = lock(&shared.state);
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
                fingerprint: fingerprint(&without_secrets(body, &secrets)),
                outputs: without_secrets(object, &secrets),
                updated_at: now(),
                scope: Some(step.scope),
                parent: spec
                    .parent()
                    .and_then(|p| body.get(p))
                    .and_then(Json::as_str)
                    .map(str::to_owned),
                prune: step.prune,
            },
        );
        self.state_sink.save(&state)
    }

    fn outputs(&self, shared: &Shared) -> Vec<(String, Json, bool)> {
        let pb = &self.loaded.playbook;
        let ctx = lock(&shared.scope).context_with_steps(shared.known.clone(), None);
        let r = Renderer {
            playbook: pb,
            ctx,
            mask_secrets: false,
        };
        pb.outputs
            .iter()
            .map(|o| {
                let value = r
                    .node(&o.value)
                    .unwrap_or_else(|e| Json::String(format!("not available: {}", e.message)));
                (o.name.clone(), value, pb.output_is_secret(o))
            })
            .collect()
    }
}

/// What a secret output shows when the object was not created by this run.
pub const SECRET_UNAVAILABLE: &str = "not available: created in an earlier run";

/// NetBird returns secrets only in the create response; a read shows them masked. Say so
/// instead of passing the mask on as if it were the secret.
fn mark_unreadable_secrets(ty: StepType, object: &mut Json) {
    if let Some(obj) = object.as_object_mut() {
        for field in ty.spec().secrets() {
            if let Some(v) = obj.get_mut(*field) {
                *v = Json::String(SECRET_UNAVAILABLE.to_owned());
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
