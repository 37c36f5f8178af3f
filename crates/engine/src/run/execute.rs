//! The executor: runs the graph against the API, concurrently, recording every outcome.
//!
//! Input: a loaded playbook, resolved inputs, a [`Client`] and the state of earlier runs.
//! Output: a [`RunReport`] and a stream of [`Event`]s (the only way the executor talks to
//! reporters and the journal). The loop never bails out: a failed step skips its dependants,
//! independent steps go on, and the report says what happened to every step. The tenant is
//! created or adopted first. Every write inside a tenant is sent right after a scope proof,
//! one per level of the graph that writes there, as the plan counts them ([`crate::api::gate`]);
//! a failed proof stops the run before its next write.
//!
//! The executor carries out the reviewed [`Plan`]: an instance's action and live object come
//! from it, so nothing the plan read is read again. Bodies are rendered again with the real
//! values (ids of objects created meanwhile, secrets); only an instance the plan could not look
//! up (`lookup_at_apply`, or a `for_each` known only now) is inspected, through the session's
//! read cache.

use futures_util::stream::{FuturesUnordered, StreamExt};
use onboard_netbird::{
    Client, ClientEvent, CreateTenantRequest, Scope as ApiScope, TenantGroup, UpdateTenantRequest,
};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::api::cache::{Api, Reads};
use crate::api::converge::{ConvergeError, Desired, inspect, write};
use crate::api::gate::{Entered, ScopeGate, within};
use crate::plan::{Action, Plan, PlannedStep, cost};
use crate::playbook::Loaded;
use crate::playbook::graph::NodeId;
use crate::playbook::inputs::Inputs;
use crate::playbook::instance::{self, Instance, When};
use crate::playbook::model::StepScope;
use crate::playbook::render::{Renderer, Scope, StepOutputs};
use crate::playbook::secrets::{Secrets, Seen};
use crate::run::error::StepError;
use crate::run::schedule::{Scheduler, Status};
use crate::store::state::{State, TenantRecord};

mod keep;
mod record;

pub use keep::{LostSecret, SecretSink};
use record::planned_inspection;

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
    /// The end-of-run proof failed: writes may have gone to another account.
    ScopeLost {
        account: String,
        message: String,
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
    /// Outputs that have no value, and why (a secret NetBird showed only at creation, in an
    /// earlier run). They are absent from `outputs` (the outputs file keeps what it held),
    /// never a placeholder text.
    pub unavailable: Vec<(String, String)>,
    /// Secrets onboard could not keep (a lost create answer, a run killed after a create, no
    /// output to keep them): gone, and the run is not ok.
    pub lost_secrets: Vec<LostSecret>,
    /// Objects created but not recorded in the state (its store failed): the next apply
    /// adopts them.
    pub unrecorded: Vec<LostSecret>,
    /// The end-of-run scope proof failed in these accounts (messages name the writes).
    pub scope_lost: Vec<String>,
}

/// Everything one run needs.
pub struct Executor {
    pub loaded: Arc<Loaded>,
    pub inputs: Inputs,
    pub run_key: String,
    /// The reviewed plan this run carries out.
    pub plan: Plan,
    /// Every call of this run goes through it (its observer writes the run's journal); its
    /// writes inside a tenant pass `gate`.
    pub client: Client,
    /// The scope gate `client` asks before every write inside a tenant.
    pub gate: Arc<ScopeGate>,
    /// The session's reads: what the plan read is not read again.
    pub reads: Arc<Reads>,
    /// `--account`: the account for steps without a tenant.
    pub account: Option<String>,
    pub state: State,
    /// Where the state is saved after every finished step.
    pub state_sink: crate::store::StateSink,
    pub concurrency: usize,
    pub sink: Sink,
    /// `--allow-replace`, `--rotate-setup-keys`.
    pub replace: crate::api::converge::Replace,
    /// Set (by Ctrl-C) to start nothing new: in-flight steps finish and are recorded.
    pub interrupted: Arc<AtomicBool>,
    /// Where the secrets this run creates go.
    pub secrets: SecretSink,
}

struct Shared {
    /// Inputs and the tenant; step outputs live in `known`.
    scope: Mutex<Scope>,
    /// `steps` for templates: a [`StepOutputs`], one entry per finished step.
    known: minijinja::Value,
    state: Mutex<State>,
    results: Mutex<Vec<StepResult>>,
    tenant_id: Mutex<Option<String>>,
    /// The plan's instances by address.
    planned: BTreeMap<String, PlannedStep>,
    /// The secrets the run was shown, kept and lost.
    secrets: Mutex<keep::Kept>,
    /// Per tenant account, the instances that wrote or read there (address, type and id), and
    /// when each finished.
    touched: Mutex<BTreeMap<String, Vec<(Instant, String)>>>,
    /// The secrets this run has seen: no rendered value that holds one is sent or recorded.
    seen: Seen,
}

impl Executor {
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
            planned: self
                .plan
                .steps
                .iter()
                .map(|p| (p.address.clone(), p.clone()))
                .collect(),
            secrets: Mutex::default(),
            touched: Mutex::new(BTreeMap::new()),
            seen: Seen::default(),
        });
        let this = &self;
        if let Some(account) = &this.account {
            this.expect(account, StepScope::Account);
        }
        // One task, many futures: requests overlap while the scheduler stays single-threaded.
        let mut tasks = FuturesUnordered::new();
        let (mut failed, mut skipped) = (0, 0);
        // A write parked at the scope gate until its level's wave closes does not hold a place:
        // the instances its wave waits for must be able to start.
        let mut parked = this.gate.parked();
        while !sched.is_finished() {
            // Ctrl-C, or a scope proof that failed: nothing new starts.
            let stopping = this.interrupted.load(Ordering::SeqCst) || this.gate.closed();
            let mut started = false;
            loop {
                let at_work = tasks.len().saturating_sub(*parked.borrow_and_update());
                if stopping || at_work >= this.concurrency.max(1) {
                    break;
                }
                let Some(i) = sched.next_ready() else { break };
                started = true;
                let (node, shared) = (order[i], shared.clone());
                // A node in another account writes there as the plan expects of it: its
                // writes join their level's wave (see `crate::api::gate`).
                let entered = this.enter(i, node, &shared);
                tasks.push(async move {
                    let result = match entered {
                        Some(entered) => within(entered, this.node(node, &shared)).await,
                        None => this.node(node, &shared).await,
                    };
                    (i, result)
                });
            }
            // Nodes that will not start make none of the writes the waves wait for: when the
            // run stops, and (a safety net: the plan's order rules it out) when every node at
            // work waits at the gate and none can start.
            let stuck = !started && !tasks.is_empty() && *parked.borrow() >= tasks.len();
            if stopping || stuck {
                for i in (0..order.len())
                    .filter(|&i| matches!(sched.status(i), Status::Waiting | Status::Ready))
                {
                    this.gate.forgo(i);
                }
            }
            let next = tokio::select! {
                next = tasks.next() => next,
                // Parked or unparked: look again at what may start.
                _ = parked.changed() => continue,
            };
            let Some((i, result)) = next else {
                break;
            };
            this.gate.forgo(i);
            match result {
                Ok(()) => sched.done(i),
                Err(_) => {
                    failed += 1;
                    for s in sched.failed(i) {
                        this.gate.forgo(s);
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
        if this.gate.closed() {
            skipped += this.not_started(&order, &sched);
        }
        let settled = this.settle(&shared);
        let interrupted = this.interrupted.load(Ordering::SeqCst) && !sched.is_finished();
        let lost_secrets = settled.lost;
        let scope_lost = this.prove_again(&shared).await;
        let ok = failed == 0
            && skipped == 0
            && !interrupted
            && lost_secrets.is_empty()
            && scope_lost.is_empty();
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
            outputs: settled.outputs,
            state_path: this.state_sink.location(),
            ok,
            interrupted,
            unavailable: settled.unavailable,
            lost_secrets,
            unrecorded: settled.unrecorded,
            scope_lost,
        }
    }

    /// Reports the nodes a closed scope gate kept from starting; returns how many.
    fn not_started(&self, order: &[NodeId], sched: &Scheduler) -> usize {
        let waiting: Vec<NodeId> = (0..order.len())
            .filter(|&i| matches!(sched.status(i), Status::Waiting | Status::Ready))
            .map(|i| order[i])
            .collect();
        for &n in &waiting {
            (self.sink)(&Event::StepSkipped {
                address: self.node_name(n),
                reason: "not started: a scope proof failed".to_owned(),
            });
        }
        waiting.len()
    }

    fn node_name(&self, n: NodeId) -> String {
        match n {
            NodeId::Tenant => "tenant".into(),
            NodeId::Step(i) => self.loaded.playbook.steps[i].id.clone(),
        }
    }

    /// Enters the scope gate of the account a step node works in, if another than the PAT's,
    /// as node `index` of the run.
    fn enter(&self, index: usize, node: NodeId, shared: &Shared) -> Option<Entered> {
        let NodeId::Step(i) = node else { return None };
        match self.api_scope(self.loaded.playbook.steps[i].scope, shared) {
            Ok(ApiScope::Account(id)) => Some(self.gate.enter_node(&id, index)),
            _ => None,
        }
    }

    /// Tells the scope gate of `account` the writes the plan expects there: those of the
    /// steps in `scope`, per node (its index in the run's order), with its level and the
    /// writes of its instances, in turn. `--prune`'s deletions come after the run, one by one.
    fn expect(&self, account: &str, scope: StepScope) {
        let pb = &self.loaded.playbook;
        let mut writes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let planned = self.plan.steps.iter();
        for p in planned.filter(|p| p.scope == scope && p.action != Action::Delete) {
            let w = writes.entry(&p.step).or_insert((p.level, 0));
            w.1 += cost::planned_writes(p);
        }
        let nodes = self
            .loaded
            .dag
            .order()
            .iter()
            .enumerate()
            .filter_map(|(index, n)| {
                let NodeId::Step(i) = n else { return None };
                let (level, writes) = writes.get(pb.steps[*i].id.as_str())?;
                (pb.steps[*i].scope == scope).then_some((index, *level, *writes))
            });
        self.gate
            .expect(account, self.client.writes_per_proof(), nodes);
    }

    async fn node(&self, node: NodeId, shared: &Shared) -> Result<(), StepError> {
        let result = match node {
            NodeId::Tenant => self.tenant(shared).await,
            NodeId::Step(i) => self.step(i, shared).await,
        };
        if let Err(e) = &result {
            let address = self.node_name(node);
            (self.sink)(&Event::StepFailed {
                address: address.clone(),
                error: e.report(),
            });
            if let Ok(mut r) = shared.results.lock() {
                r.push(StepResult {
                    address,
                    action: None,
                    id: None,
                    error: Some(e.report()),
                });
            }
        }
        result
    }

    /// Create or adopt the tenant, then prove that `?account=` really scopes to it.
    async fn tenant(&self, shared: &Shared) -> Result<(), StepError> {
        let Some(decl) = &self.loaded.playbook.tenant else {
            return Ok(());
        };
        let ctx = lock(&shared.scope).context_with_steps(shared.known.clone(), None);
        let r = Renderer {
            playbook: &self.loaded.playbook,
            file: &self.loaded.playbook.file,
            ctx,
            mask_secrets: false,
        };
        let text = |t| {
            r.template(t)
                .map_err(StepError::from)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        };
        let (name, domain) = (text(&decl.name)?, text(&decl.domain)?);
        let groups = r.node(&decl.groups)?;
        let rendered = serde_json::json!({"name": name, "domain": domain, "groups": groups});
        no_secret_in(shared, &rendered, "tenant block")?;
        let groups: Vec<TenantGroup> =
            serde_json::from_value(groups).map_err(StepError::TenantGroups)?;
        let planned = self.plan.tenant.as_ref().and_then(|t| t.id.clone());
        let update = self
            .plan
            .tenant
            .as_ref()
            .is_some_and(|t| t.action == Action::Update);
        let found = match planned {
            Some(id) => self
                .reads
                .tenants(&self.client)
                .await?
                .into_iter()
                .find(|t| t.id == id),
            None => None,
        };
        let (tenant, origin) = match found {
            // The plan found its name or groups changed: a write in the MSP account, as the
            // create is (no `?account=`, so no scope proof).
            Some(t) if update => {
                let req = UpdateTenantRequest { name, groups };
                let updated = self.client.update_tenant(&t.id, &req).await?;
                self.reads.tenant_written(&updated).await;
                (updated, "updated")
            }
            Some(t) => (t, "adopted"),
            None => {
                let refused = self.reads.refuse_service_user(&self.client).await;
                refused.map_err(StepError::Unproven)?;
                let req = CreateTenantRequest {
                    name: name.clone(),
                    domain: domain.clone(),
                    groups,
                };
                let created = match self.client.create_tenant_or_adopt(&req).await {
                    Err(e) if e.is_already_exists() => {
                        return Err(StepError::DomainTaken { domain, source: e });
                    }
                    created => created?,
                };
                let origin = if created.is_adopted() {
                    "adopted"
                } else {
                    "created"
                };
                let tenant = created.into_inner();
                self.reads.tenant_written(&tenant).await;
                (tenant, origin)
            }
        };
        let recorded = lock(&shared.state)
            .tenant
            .clone()
            .filter(|t| t.id == tenant.id);
        let action = match (&recorded, origin) {
            (_, "updated") => Action::Update,
            (Some(_), _) => Action::NoChange,
            (None, "created") => Action::Create,
            (None, _) => Action::Adopt,
        };
        // The state says how onboard came to own the tenant, which an update does not change.
        let origin = match (recorded, origin) {
            (Some(t), _) => t.origin,
            (None, "updated") => "adopted".to_owned(),
            (None, o) => o.to_owned(),
        };
        (self.sink)(&Event::TenantReady {
            id: tenant.id.clone(),
            action,
        });
        let mut t = Map::new();
        t.insert("id".into(), Json::String(tenant.id.clone()));
        t.insert("name".into(), Json::String(tenant.name.clone()));
        t.insert("domain".into(), Json::String(tenant.domain.clone()));
        t.insert(
            "status".into(),
            serde_json::to_value(tenant.status).unwrap_or(Json::Null),
        );
        let challenge = Json::String(tenant.dns_challenge.clone());
        t.insert("dns_challenge".into(), challenge);
        lock(&shared.scope).tenant = Some(t);
        *lock(&shared.tenant_id) = Some(tenant.id.clone());
        // Before any step in the tenant starts: they all depend on it.
        self.expect(&tenant.id, StepScope::Tenant);
        let mut state = lock(&shared.state);
        state.tenant = Some(TenantRecord {
            id: tenant.id,
            domain: tenant.domain,
            origin,
        });
        self.state_sink.save(&state).map_err(StepError::State)
    }

    fn api_scope(&self, scope: StepScope, shared: &Shared) -> Result<ApiScope, StepError> {
        Ok(match scope {
            StepScope::Tenant => {
                ApiScope::Account(lock(&shared.tenant_id).clone().ok_or(StepError::NoTenant)?)
            }
            StepScope::Msp => ApiScope::Own,
            StepScope::Account => self
                .account
                .clone()
                .map_or(ApiScope::Own, ApiScope::Account),
        })
    }

    async fn step(&self, i: usize, shared: &Shared) -> Result<(), StepError> {
        let pb = &self.loaded.playbook;
        let step = &pb.steps[i];
        let api_scope = self.api_scope(step.scope, shared)?;
        let scope = lock(&shared.scope).clone();
        let r = instance::renderer(pb, step, &scope, &shared.known, None, false);
        let list = instance::for_each_value(step, &r)?;
        if let Some(v) = &list {
            no_secret_in(shared, v, "`for_each`")?;
        }
        let list = instance::instances(&step.id, list.as_ref()).map_err(StepError::ForEach)?;
        let mut outputs = Map::new();
        // An instance was created: its secrets are kept as soon as the step is done.
        let mut fresh = false;
        // However the step ends, what its instances created reaches the outputs (a later
        // instance that fails must not take an earlier one's secret along).
        let result = self
            .instances(
                shared,
                step,
                &api_scope,
                &scope,
                list,
                &mut outputs,
                &mut fresh,
            )
            .await;
        self.publish(shared, step, outputs, fresh);
        result
    }

    /// The instances of a step, in turn; each one's object goes into `outputs`.
    #[allow(clippy::too_many_arguments)]
    async fn instances(
        &self,
        shared: &Shared,
        step: &crate::playbook::model::Step,
        api_scope: &ApiScope,
        scope: &Scope,
        list: Vec<Instance>,
        outputs: &mut Map<String, Json>,
        fresh: &mut bool,
    ) -> Result<(), StepError> {
        let pb = &self.loaded.playbook;
        for inst in list {
            let address = inst.address.clone();
            (self.sink)(&Event::StepStarted {
                address: address.clone(),
            });
            let r = instance::renderer(pb, step, scope, &shared.known, Some(&inst), false);
            if instance::when(step, &r)? == When::Skip {
                (self.sink)(&Event::StepFinished {
                    address: address.clone(),
                    action: Action::Skip,
                    id: None,
                });
                continue;
            }
            let key = inst.key;
            let body = instance::body(step, &r)?;
            // A secret may go to a write-only field (NetBird never returns it).
            let plain = crate::playbook::write_only::strip(step.ty, &body);
            no_secret_in(shared, &plain, "`with`")?;
            let known = lock(&shared.state)
                .steps
                .get(&address)
                .and_then(|r| r.id.clone());
            // A request ran once, an action once for its tenant; the state holds its answer
            // (its secrets removed).
            let ran = step
                .ty
                .spec()
                .runs_once()
                .then(|| lock(&shared.state).steps.get(&address).cloned())
                .flatten()
                .filter(|rec| step.ty.spec().ran(Some(rec.id.as_deref()), &body));
            if let Some(rec) = ran {
                let mut object = rec.outputs.clone();
                self.saw(shared, step, &address, Action::NoChange, false, &mut object);
                outputs.insert(key.clone().unwrap_or_default(), object);
                (self.sink)(&Event::StepFinished {
                    address,
                    action: Action::NoChange,
                    id: rec.id.clone(),
                });
                continue;
            }
            let (salt, sent) = {
                let state = lock(&shared.state);
                let sent = state.steps.get(&address).map(|r| r.sent.clone());
                (state.salt.clone().unwrap_or_default(), sent)
            };
            let target = Desired {
                ty: step.ty,
                scope: api_scope,
                body: &body,
                existing: step.existing,
                known_id: known.as_deref(),
                replace: self.replace,
                write_only: crate::api::converge::WriteOnly {
                    salt: &salt,
                    recorded: sent.as_ref(),
                    values: None,
                },
            };
            let api = Api {
                client: &self.client,
                reads: &self.reads,
            };
            let planned = shared
                .planned
                .get(&address)
                .filter(|p| !p.lookup_at_apply && p.action != Action::Deferred);
            let converge = async {
                let found = match planned {
                    Some(p) => planned_inspection(p),
                    None => inspect(&api, &target).await?,
                };
                let planned_create = found.action == Action::Create;
                if matches!(found.action, Action::Create | Action::Replace) {
                    self.mark_pending(shared, step, &address)?;
                }
                Ok::<_, StepError>((planned_create, write(&api, &target, found).await?))
            };
            // Its writes in a tenant pass the gate in the API client, as writes of this node
            // (which entered the gate when it started).
            let (planned_create, (action, mut object)) =
                converge.await.map_err(|e| located(step, e))?;
            self.saw(shared, step, &address, action, planned_create, &mut object);
            // What wrote or read in a tenant: the proof at the end of the run covers it.
            let wrote = matches!(action, Action::Create | Action::Update | Action::Replace)
                || (planned_create && action == Action::Adopt);
            if let (ApiScope::Account(account), true) = (api_scope, wrote || planned.is_none()) {
                let id = object.get("id").and_then(Json::as_str).unwrap_or("no id");
                let what = format!("{address} ({} {id})", step.ty.name());
                lock(&shared.touched)
                    .entry(account.clone())
                    .or_default()
                    .push((Instant::now(), what));
            }
            let recorded = self.record(shared, step, &address, action, &body, &object);
            shared
                .seen
                .add(&address, &Secrets::of(step.ty, &body), &object);
            *fresh |= matches!(action, Action::Create | Action::Replace);
            outputs.insert(key.clone().unwrap_or_default(), object);
            if let Err(e) = recorded {
                // The object exists all the same: its secret goes where secrets go.
                self.not_recorded(shared, &address);
                return Err(e);
            }
        }
        Ok(())
    }
}

/// A failed DNS verification names the step's place in the playbook and the record to create.
fn located(step: &crate::playbook::model::Step, e: StepError) -> StepError {
    match e {
        StepError::Converge(ConvergeError::DnsNotVerified {
            tenant,
            domain,
            dns_challenge,
        }) => StepError::DnsNotVerified {
            at: step.file.location(step.id_span),
            domain: domain.unwrap_or_else(|| format!("the domain of tenant {tenant}")),
            tenant,
            dns_challenge,
        },
        StepError::Converge(ConvergeError::Api(onboard_netbird::ApiError::Status {
            status: 404,
            path,
            message,
            ..
        })) if step.ty.resource_kind()
            == Some(onboard_netbird::ResourceKind::TenantDnsVerification) =>
        {
            let tenant = path
                .trim_end_matches("/dns")
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            StepError::UnknownTenant {
                at: step.file.location(step.id_span),
                tenant,
                message,
            }
        }
        e => e,
    }
}

/// The run-time belt behind the secret check at validation: refuse a rendered value that
/// holds a secret this run has seen, before it is sent or recorded.
fn no_secret_in(shared: &Shared, value: &Json, what: &str) -> Result<(), StepError> {
    match shared.seen.find(value) {
        Some(from) => Err(StepError::SecretInValue {
            what: what.to_owned(),
            from,
        }),
        None => Ok(()),
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
