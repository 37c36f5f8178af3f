//! A session: the engine's run of plan → apply for one customer or an inventory of them.
//!
//! Input: [`Customer`]s (a loaded playbook and resolved inputs each), a client and [`Options`].
//! Output: [`Plan`]s, then per customer an [`Applied`] (the run report and what `--prune`
//! removed), with every event of a run sent to the sink its caller gave for it. The ops
//! (`crate::ops`) sequence a command around it; a frontend only shows what they return.
//!
//! The plan is the contract: [`Session::apply`] carries out the plans [`Session::plan`] made,
//! with the locks of [`Session::lock`] held from before the plan to the end of the apply, so
//! nobody changes what the plan read in between. One [`Reads`] serves the whole session: the
//! planner's reads are not repeated by the executor, and the MSP account's reads are made once
//! for all customers.

use miette::Diagnostic;
use onboard_netbird::Client;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::api::cache::{Api, Reads};
use crate::api::converge::Replace;
use crate::api::gate::{ScopeGate, gated};
use crate::diag::{Diag, Diags};
use crate::plan::{self, Action, Plan};
use crate::playbook::Loaded;
use crate::playbook::inputs::Inputs;
use crate::run::destroy::{Removal, deletable, removal_order, remove};
use crate::run::execute::{Event, Executor, RunReport, SecretSink, Sink};
use crate::run::plan_live;
use crate::store::state::{ApiBinding, Binding, State};
use crate::store::{Held, Store, StoreError};
use onboard_netbird::RateLimit;

/// One run of the playbook: a customer of an inventory, or the values given.
pub struct Customer {
    /// The inventory key, if any.
    pub key: Option<String>,
    pub loaded: Loaded,
    pub inputs: Inputs,
    /// Its inventory entry (where its values are written), if any.
    pub entry: Option<crate::playbook::inventory::Entry>,
    /// The template version on disk: recorded in the state by a successful apply.
    pub template: Option<crate::playbook::version::TemplateVersion>,
}

/// What every run of a session shares.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--account`: the account of steps without a tenant.
    pub account: Option<String>,
    pub replace: Replace,
    /// `--prune`: plan (and apply) the deletion of what the playbook no longer declares.
    pub prune: bool,
    pub budget: RateLimit,
    pub concurrency: usize,
    pub lock_timeout: Duration,
    /// `--rebind-state`: a state made against another API (URL or account) is used here, and
    /// apply records this API in it.
    pub rebind_state: bool,
}

/// The read a command makes first, which also serves as its connection check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstRead {
    /// A command that plans: the tenant list when a customer has a tenant block (its tenant is
    /// looked up there), else the PAT's own account.
    Plan,
    /// A command whose first read is each state's API check (`drift`, which then reads only
    /// audit logs): the PAT's own account, which that check needs.
    OwnAccount,
}

/// Why a session could not go on. Step failures are not errors: the report holds them.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum SessionError {
    #[error("cannot lock `{run_key}`: {reason}")]
    #[diagnostic(help(
        "another onboard run works on this customer; wait for it or pass --lock-timeout SECONDS"
    ))]
    Locked {
        run_key: String,
        #[source]
        reason: Box<StoreError>,
    },
    #[error(
        "cannot lock `{run_key}`: its state changed since it was listed (another runner?); \
         nothing was deleted"
    )]
    #[diagnostic(help(
        "another onboard run works on this customer; wait for it or pass --lock-timeout SECONDS"
    ))]
    Changed { run_key: String },
    #[error("cannot read the state of `{run_key}`: {reason}")]
    State {
        run_key: String,
        #[source]
        reason: Box<StoreError>,
    },
    #[error(
        "the state of `{run_key}` ({location}) was made against {recorded}, not {here}: its ids \
         belong to that API, and here every object would be created again"
    )]
    #[diagnostic(help(
        "run against the API the state records (NB_MANAGEMENT_URL, a PAT of that account; \
         `--sandbox` is bound to its world file), or keep this API's state apart (another \
         --state-dir or --state-url); if it is the same NetBird under a new address, pass \
         --rebind-state to plan and apply to move the state to it"
    ))]
    OtherApi {
        run_key: String,
        location: String,
        recorded: String,
        here: String,
    },
    #[error(
        "cannot tell which account the PAT belongs to (GET /api/accounts), which the state of \
         `{run_key}` must match: {source}"
    )]
    Account {
        run_key: String,
        #[source]
        source: onboard_netbird::ApiError,
    },
    #[error("the saved plan is stale: {why}; nothing was written")]
    #[diagnostic(help("make a new one with `onboard plan ... --out PLAN.json`"))]
    Stale { why: String },
}

impl From<SessionError> for Diag {
    fn from(e: SessionError) -> Diag {
        Diag::plain(e.to_string()).maybe_help(e.help().map(|h| h.to_string()))
    }
}

/// What one customer's apply did.
pub struct Applied {
    pub report: RunReport,
    /// `--prune`: what was deleted or kept, in order; empty when nothing was to delete.
    pub removals: Vec<Removal>,
    /// `--prune` was skipped because some steps failed.
    pub prune_skipped: bool,
}

/// The offline plan of every customer: validation, and each run's key.
pub fn offline(customers: &[Customer], account: Option<&str>) -> Result<Vec<Plan>, Diags> {
    let mut diags = Diags::new();
    if let Some(d) = account_with_tenant(customers, account) {
        diags.push(d);
    }
    let mut plans = Vec::new();
    for c in customers {
        match plan::offline(
            &c.loaded.playbook,
            &c.loaded.dag,
            &c.inputs,
            c.key.as_deref(),
        ) {
            Ok(p) => plans.push(p.in_account(account)),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() {
        diags.extend(same_domain(customers, &plans));
    }
    diags.sorted().into_result(plans)
}

/// `--account` with a playbook that has a tenant block: an error. Silently ignoring it would
/// write in the tenant when the operator meant `account`.
fn account_with_tenant(customers: &[Customer], account: Option<&str>) -> Option<Diag> {
    let account = account?;
    let c = customers
        .iter()
        .find(|c| c.loaded.playbook.tenant.is_some())?;
    Some(
        Diag::plain(format!(
            "`--account {account}` is for playbooks without a tenant block, and `{}` has one",
            c.loaded.playbook.name
        ))
        .help("drop --account: the tenant block says which tenant the playbook works in"),
    )
}

/// One tenant, one owner: customers of an inventory whose tenants have the same domain are an
/// error at each of them (where its values write the domain), before anything is read.
fn same_domain(customers: &[Customer], plans: &[Plan]) -> Diags {
    let mut by_domain: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, p) in plans.iter().enumerate() {
        let domain = p.tenant.as_ref().and_then(|t| t.domain.as_str());
        if let (Some(domain), Some(_)) = (domain, &customers[i].entry) {
            by_domain
                .entry(domain.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
    }
    let mut diags = Diags::new();
    for (domain, at) in by_domain.into_iter().filter(|(_, at)| at.len() > 1) {
        let keys: Vec<String> = at
            .iter()
            .filter_map(|&i| customers[i].key.as_ref().map(|k| format!("`{k}`")))
            .collect();
        for &i in &at {
            let Some(entry) = &customers[i].entry else {
                continue;
            };
            let others: Vec<&str> = at
                .iter()
                .filter(|&&j| j != i)
                .filter_map(|&j| customers[j].key.as_deref())
                .collect();
            let (file, span) = entry.value_at(&domain);
            diags.push(
                Diag::at(
                    &file,
                    span,
                    format!(
                        "customers {} have the same tenant domain `{domain}`: a tenant has one owner",
                        keys.join(" and ")
                    ),
                    format!("`{}`'s domain, also `{}`'s", entry.key, others.join("`, `")),
                )
                .help("give each customer its own domain, or remove the duplicate entry"),
            );
        }
    }
    diags
}

pub struct Session {
    client: Client,
    reads: Arc<Reads>,
    options: Options,
    /// Where state, journals and locks live: the local folder or PostgreSQL.
    store: Store,
    /// The API the session talks to, as a state records it: the client's normalised URL, or
    /// the embedded sandbox's world file ([`Session::bound_as`]).
    api_url: String,
}

impl Session {
    pub fn new(client: Client, options: Options, store: Store) -> Self {
        Self {
            api_url: client.base_url().to_owned(),
            client,
            reads: Arc::new(Reads::new()),
            options,
            store,
        }
    }

    /// The API as states record it, when the client's URL does not name it for good: the
    /// embedded sandbox listens on a new port every run, so it is `sandbox:<world file>`.
    pub fn bound_as(mut self, api_url: String) -> Self {
        self.api_url = api_url;
        self
    }

    /// The API this session talks to, as a state records it ([`ApiBinding`]): its URL and the
    /// PAT's own account (read once a session; the first contact already read it for a
    /// playbook without a tenant block).
    async fn here(&self, run_key: &str) -> Result<ApiBinding, SessionError> {
        let own = onboard_netbird::Scope::Own;
        let account = self.reads.account(&self.client, &own).await;
        let account = account.map_err(|source| SessionError::Account {
            run_key: run_key.to_owned(),
            source,
        })?;
        Ok(ApiBinding {
            url: self.api_url.clone(),
            account: Some(account.id),
        })
    }

    /// Refuse `state` when it was made against another API (unless `--rebind-state`), as
    /// [`Session::plan`] does; for a command that reads with a state's ids without planning
    /// (`drift`'s audit log).
    pub async fn check_api(&self, state: &State) -> Result<(), SessionError> {
        self.bind(state, false).await.map(drop)
    }

    /// The API `state` must record from now on: this session's. A state made against another
    /// API is refused, naming both, unless `--rebind-state`; a state that records objects but
    /// not its API (an older onboard's) adopts this one. An empty state is not checked (no
    /// call) unless `record`: apply records the API in what it writes.
    async fn bind(&self, state: &State, record: bool) -> Result<Option<ApiBinding>, SessionError> {
        if state.is_empty() && !record {
            return Ok(None);
        }
        let here = self.here(&state.run_key).await?;
        match state.binding(&here) {
            Binding::Same | Binding::Unrecorded => {}
            Binding::Other(recorded) if self.options.rebind_state => tracing::warn!(
                "the state of `{}` was made against {recorded}; --rebind-state: it is used \
                 against {here}{}",
                state.run_key,
                if record {
                    " and records it from now on"
                } else {
                    ""
                }
            ),
            Binding::Other(recorded) => {
                return Err(SessionError::OtherApi {
                    run_key: state.run_key.clone(),
                    location: self.store.location(&state.playbook, &state.run_key),
                    recorded: recorded.to_string(),
                    here: here.to_string(),
                });
            }
        }
        Ok(Some(here))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    async fn state(&self, playbook: &str, run_key: &str) -> Result<State, SessionError> {
        self.store
            .load(playbook, run_key)
            .await
            .map_err(|reason| SessionError::State {
                run_key: run_key.to_owned(),
                reason: Box::new(reason),
            })
    }

    /// The state of a customer's run key, with the playbook's `moved:` renames made (in
    /// memory: apply saves them with its first record). The renames made, too.
    async fn moved_state(
        &self,
        loaded: &crate::playbook::Loaded,
        run_key: &str,
    ) -> Result<(State, Vec<(String, String)>), SessionError> {
        let mut state = self.state(&loaded.playbook.name, run_key).await?;
        let renames = state.apply_moves(loaded.playbook.moves());
        Ok((state, renames))
    }

    /// The session's first read, with `quick` (a client that fails fast): the one the command
    /// makes first anyway, so it lands in the cache and costs nothing extra ([`FirstRead`]).
    /// Err: what was read, and the error.
    pub async fn first_contact(
        &self,
        quick: &Client,
        customers: &[Customer],
        first: FirstRead,
    ) -> Result<(), (&'static str, onboard_netbird::ApiError)> {
        let tenants = customers.iter().any(|c| c.loaded.playbook.tenant.is_some());
        if tenants && first == FirstRead::Plan {
            let read = self.reads.tenants(quick).await;
            return read
                .map(drop)
                .map_err(|e| ("GET /api/integrations/msp/tenants", e));
        }
        let own = onboard_netbird::Scope::Own;
        let read = self.reads.account(quick, &own).await;
        read.map(drop).map_err(|e| ("GET /api/accounts", e))
    }

    /// A client whose calls go to `sink` as events (shares the limiter with the others).
    pub fn observed(&self, sink: &Sink) -> Client {
        let sink = sink.clone();
        self.client.with_observer(Arc::new(move |e| {
            sink(&Event::Api { call: e.clone() });
        }))
    }

    /// The live plan of every customer, side by side (one read cache for all). `keys`: the
    /// customers' [`offline`] plans, which name their run keys. `sinks`, when given, receive
    /// each customer's calls (its journal records the plan's reads too).
    pub async fn plan(
        &self,
        customers: &[Customer],
        keys: &[Plan],
        sinks: &[Sink],
    ) -> Result<Vec<Plan>, Diags> {
        let account = self.options.account.as_deref();
        let clients: Vec<Client> = (0..customers.len())
            .map(|i| {
                sinks
                    .get(i)
                    .map_or_else(|| self.client.clone(), |s| self.observed(s))
            })
            .collect();
        // Who owns which tenant: every recorded state, read once (the store, no API call). A
        // store that cannot be listed whole (another run key's file is unreadable) does not
        // stop this run: its own state is read below, and errors there.
        let owners = if customers.iter().any(|c| c.loaded.playbook.tenant.is_some()) {
            self.store.list().await.unwrap_or_else(|e| {
                tracing::warn!("cannot list the states to find each tenant's owner: {e}");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let owners = &owners;
        let jobs = customers
            .iter()
            .zip(keys)
            .zip(&clients)
            .map(|((c, k), client)| async move {
                let (state, renames) = self
                    .moved_state(&c.loaded, &k.run_key)
                    .await
                    .map_err(|e| Diags::from(Diag::from(e)))?;
                self.bind(&state, false)
                    .await
                    .map_err(|e| Diags::from(Diag::from(e)))?;
                let template = c
                    .template
                    .clone()
                    .map(|new| plan::TemplateChange::new(state.template(), new));
                let to = plan_live::Live {
                    client,
                    reads: &self.reads,
                    account,
                    state: &state,
                    replace: self.options.replace,
                    prune: self.options.prune,
                    budget: self.options.budget,
                    concurrency: self.options.concurrency.max(1),
                };
                let mut p = plan_live::live(&c.loaded, &c.inputs, c.key.as_deref(), &to)
                    .await
                    .map(|p| p.in_account(account))?;
                if let Some(other) = owned_elsewhere(&p, owners) {
                    return Err(Diags::from(self.owned_by(&p, other)));
                }
                p.moved(&renames);
                p.template = template;
                Ok(p)
            });
        let mut diags = Diags::new();
        let mut plans = Vec::new();
        for result in futures_util::future::join_all(jobs).await {
            match result {
                Ok(p) => plans.push(p),
                Err(d) => diags.extend(d),
            }
        }
        diags.into_result(plans)
    }

    /// A tenant recorded under another run key of the same playbook: refused, naming that run
    /// key and the command that moves its record.
    fn owned_by(&self, plan: &Plan, other: &State) -> Diag {
        let domain = plan
            .tenant
            .as_ref()
            .and_then(|t| t.domain.as_str())
            .unwrap_or_default();
        let url = match &self.store {
            Store::Local(_) => String::new(),
            Store::Postgres(pg) => format!(" --state-url {}", pg.shown()),
        };
        Diag::plain(format!(
            "the tenant {domain} is already recorded under run key `{}` (playbook `{}`, {}); \
             refusing to adopt it under run key `{}`: a tenant has one owner",
            other.run_key,
            other.playbook,
            self.store.location(&other.playbook, &other.run_key),
            plan.run_key
        ))
        .help(format!(
            "to run it as `{}` from now on, move its record: `onboard state mv {} {}{url}`",
            plan.run_key, other.run_key, plan.run_key
        ))
    }

    /// The lock of every customer's run key (`keys`: their [`offline`] plans), in the
    /// customers' order, taken in order of key
    /// so that two sessions never wait on each other in a circle. Held until dropped.
    /// `waiting` is told who holds a lock when a run has to wait for it.
    pub async fn lock(
        &self,
        customers: &[Customer],
        keys: &[Plan],
        waiting: &(dyn Fn(&str) + Sync),
    ) -> Result<Vec<Held>, Diags> {
        let mut order: Vec<usize> = (0..customers.len()).collect();
        order.sort_by(|&a, &b| keys[a].run_key.cmp(&keys[b].run_key));
        let mut held: Vec<Option<Held>> = (0..customers.len()).map(|_| None).collect();
        for i in order {
            let (playbook, run_key) = (&customers[i].loaded.playbook.name, &keys[i].run_key);
            let lock = self
                .store
                .lock(playbook, run_key, self.options.lock_timeout, waiting)
                .await
                .map_err(|reason| {
                    Diag::from(SessionError::Locked {
                        run_key: run_key.clone(),
                        reason: Box::new(reason),
                    })
                })?;
            held[i] = Some(lock);
        }
        Ok(held.into_iter().flatten().collect())
    }

    /// Carry out one customer's plan, then its planned deletions (`--prune`) if every step
    /// succeeded. `sink` receives the run's events, the client's calls included; `secrets` says
    /// where the secrets it creates go.
    pub async fn apply(
        &self,
        customer: Customer,
        plan: Plan,
        held: &Held,
        sink: Sink,
        interrupted: Arc<AtomicBool>,
        secrets: SecretSink,
    ) -> Result<Applied, SessionError> {
        let run_key = plan.run_key.clone();
        let playbook = customer.loaded.playbook.name.clone();
        let (mut state, renames) = self.moved_state(&customer.loaded, &run_key).await?;
        let state_sink = held.sink(&playbook, &run_key);
        // The ids the run records belong to this API: a state of another is refused here (the
        // plan refused it already, unless the state changed meanwhile), an older one adopts it.
        let here = self.bind(&state, true).await?;
        let rebound = here.is_some() && state.api != here;
        if rebound {
            state.api = here;
        }
        // A new binding, and `moved:` renames (the objects are the same), are kept before
        // anything runs.
        if (rebound && !state.is_empty()) || !renames.is_empty() {
            state_sink
                .save(&state)
                .map_err(|reason| SessionError::State {
                    run_key: run_key.clone(),
                    reason: Box::new(reason),
                })?;
        }
        // A lost database connection stops the run before its next write, as Ctrl-C does.
        held.stop_on_loss(interrupted.clone());
        let deletions: Vec<String> = plan
            .steps
            .iter()
            .filter(|p| p.action == Action::Delete)
            .map(|p| p.address.clone())
            .collect();
        let template = customer.template.clone();
        let writes = plan.has_changes();
        let digest = crate::run::audit::digest(&customer);
        let gate = ScopeGate::new(self.reads.clone());
        let client = gated(&self.observed(&sink), &gate);
        let run = Executor {
            loaded: Arc::new(customer.loaded),
            inputs: customer.inputs,
            run_key: run_key.clone(),
            plan,
            client: client.clone(),
            gate: gate.clone(),
            reads: self.reads.clone(),
            account: self.options.account.clone(),
            state,
            state_sink: state_sink.clone(),
            concurrency: self.options.concurrency.max(1),
            sink,
            interrupted,
            replace: self.options.replace,
            secrets,
        };
        let report = run.execute().await;
        let mut applied = Applied {
            removals: Vec::new(),
            prune_skipped: false,
            report,
        };
        if deletions.is_empty() || !applied.report.ok {
            // Only after a run where every step succeeded: a failed render never looks like a
            // removed step.
            applied.prune_skipped = !deletions.is_empty();
            self.record(
                &applied,
                &playbook,
                &run_key,
                &state_sink,
                template,
                writes,
                digest,
            )
            .await?;
            return Ok(applied);
        }
        let mut state = self.state(&playbook, &run_key).await?;
        let account = self.options.account.as_deref();
        let api = Api {
            client: &client,
            reads: &self.reads,
        };
        let (order, gate) = (&deletions, &gate);
        applied.removals = remove(&api, gate, &mut state, &state_sink, order, account).await;
        self.record(
            &applied,
            &playbook,
            &run_key,
            &state_sink,
            template,
            true,
            digest,
        )
        .await?;
        Ok(applied)
    }

    /// What a run leaves in its state besides its objects, in one read and one save of the
    /// store (no API call):
    /// - after a run where every step succeeded, the template version it ran; a failed run
    ///   keeps the version recorded before (the customer is still behind);
    /// - where the audit log stands ([`crate::run::audit`]): a run where everything succeeded
    ///   marks its end (an unchanged one keeps a mark of the same playbook); any other run drops
    ///   the mark, so that `drift` plans it in full.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        applied: &Applied,
        playbook: &str,
        run_key: &str,
        sink: &crate::store::StateSink,
        template: Option<crate::playbook::version::TemplateVersion>,
        writes: bool,
        digest: Option<String>,
    ) -> Result<(), SessionError> {
        use crate::run::destroy::Outcome;
        let mut state = self.state(playbook, run_key).await?;
        let before = (state.template(), state.audit_mark.clone());
        if let Some(v) = template.filter(|_| applied.report.ok) {
            state.set_template(&v);
        }
        let ok = applied.report.ok
            && !applied
                .removals
                .iter()
                .any(|r| matches!(r.outcome, Outcome::Failed { .. }));
        let mark = match (ok, digest) {
            (true, Some(digest)) => {
                let kept = state.audit_mark.as_ref().filter(|m| m.digest == digest);
                match (writes, kept) {
                    (false, Some(kept)) => Some(kept.clone()),
                    _ => Some(crate::store::state::AuditMark {
                        event_id: None,
                        at: crate::run::audit::now(),
                        digest,
                    }),
                }
            }
            _ => None,
        };
        // An empty state (nothing recorded) gets no mark of its own.
        if !(state.tenant.is_none() && state.steps.is_empty()) {
            state.audit_mark = mark;
        }
        if (state.template(), state.audit_mark.clone()) == before {
            return Ok(());
        }
        sink.save(&state).map_err(|reason| SessionError::State {
            run_key: run_key.to_owned(),
            reason: Box::new(reason),
        })
    }

    /// Delete what a teardown lists, holding the run key's lock; nothing when another runner
    /// changed the state since it was listed.
    pub async fn destroy(&self, t: &Teardown) -> Result<Vec<Removal>, SessionError> {
        let locked = |reason| SessionError::Locked {
            run_key: t.run_key.clone(),
            reason: Box::new(reason),
        };
        let held = self
            .store
            .lock(&t.playbook, &t.run_key, self.options.lock_timeout, &|_| {})
            .await
            .map_err(locked)?;
        let mut state = self.state(&t.playbook, &t.run_key).await?;
        state.apply_moves(t.moves.iter().map(|(f, t)| (f.as_str(), t.as_str())));
        if state != t.listed {
            return Err(SessionError::Changed {
                run_key: t.run_key.clone(),
            });
        }
        // Ids of another API would delete nothing here, or the wrong objects.
        if let Some(here) = self.bind(&state, false).await? {
            state.api = Some(here);
        }
        let gate = ScopeGate::new(self.reads.clone());
        let client = gated(&self.client, &gate);
        let api = Api {
            client: &client,
            reads: &self.reads,
        };
        let account = self.options.account.as_deref();
        let sink = held.sink(&t.playbook, &t.run_key);
        Ok(remove(&api, &gate, &mut state, &sink, &t.order, account).await)
    }
}

/// The state, of the same playbook under another run key, that records the plan's tenant (by
/// its live id, or by its domain).
fn owned_elsewhere<'a>(plan: &Plan, states: &'a [State]) -> Option<&'a State> {
    let tenant = plan.tenant.as_ref()?;
    let domain = tenant.domain.as_str()?;
    states.iter().find(|s| {
        s.playbook == plan.playbook
            && s.run_key != plan.run_key
            && s.tenant.as_ref().is_some_and(|t| {
                t.domain.eq_ignore_ascii_case(domain) || tenant.id.as_deref() == Some(&t.id)
            })
    })
}

/// What `destroy` deletes for each customer: everything its state records that onboard may
/// delete, dependants first. Reads the store only, no API (so it is shown before connecting).
pub async fn teardowns(
    store: &Store,
    account: Option<&str>,
    customers: &[Customer],
) -> Result<Vec<Teardown>, Diags> {
    if let Some(d) = account_with_tenant(customers, account) {
        return Err(d.into());
    }
    let mut out = Vec::new();
    for c in customers {
        let (pb, dag) = (&c.loaded.playbook, &c.loaded.dag);
        let run_key = plan::run_key_only(pb, dag, &c.inputs, c.key.as_deref(), account)?;
        let playbook = c.loaded.playbook.name.clone();
        let mut state = store.load(&playbook, &run_key).await.map_err(|reason| {
            Diags::from(Diag::from(SessionError::State {
                run_key: run_key.clone(),
                reason: Box::new(reason),
            }))
        })?;
        state.apply_moves(pb.moves());
        let order = removal_order(&c.loaded.playbook, &c.loaded.dag, &state)
            .into_iter()
            .filter(|a| state.steps.get(a).is_some_and(|r| deletable(r).is_ok()))
            .collect();
        out.push(Teardown {
            location: store.location(&playbook, &run_key),
            run_key,
            playbook,
            listed: state,
            order,
            moves: pb
                .moves()
                .map(|(f, t)| (f.to_owned(), t.to_owned()))
                .collect(),
        });
    }
    Ok(out)
}

/// What `destroy` deletes for one customer.
pub struct Teardown {
    pub run_key: String,
    pub playbook: String,
    /// Where its state is kept, for messages.
    pub location: String,
    /// The state as listed (with the playbook's `moved:` renames made).
    pub listed: State,
    /// Addresses, dependants first.
    pub order: Vec<String>,
    /// The playbook's `moved:` renames, (from, to).
    pub moves: Vec<(String, String)>,
}

/// `apply PLAN.json`: refuse a saved plan whose fresh counterpart differs.
pub fn check_saved(saved: &[serde_json::Value], fresh: &[Plan]) -> Result<(), SessionError> {
    if saved.len() != fresh.len() {
        return Err(SessionError::Stale {
            why: format!(
                "it has {} run(s), the playbook now makes {}",
                saved.len(),
                fresh.len()
            ),
        });
    }
    for (s, p) in saved.iter().zip(fresh) {
        let fresh = serde_json::to_value(p).unwrap_or_default();
        if let Some(why) = crate::plan::saved::first_difference(s, &fresh) {
            return Err(SessionError::Stale { why });
        }
    }
    Ok(())
}
