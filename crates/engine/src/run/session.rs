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
use crate::store::state::State;
use crate::store::{Held, Store, StoreError};
use onboard_netbird::RateLimit;

/// One run of the playbook: a customer of an inventory, or the values given.
pub struct Customer {
    /// The inventory key, if any.
    pub key: Option<String>,
    pub loaded: Loaded,
    pub inputs: Inputs,
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
    if let (Some(account), Some(c)) = (
        account,
        customers
            .iter()
            .find(|c| c.loaded.playbook.tenant.is_some()),
    ) {
        // Silently ignoring it would write in the tenant when the operator meant `account`.
        diags.push(
            Diag::plain(format!(
                "`--account {account}` is for playbooks without a tenant block, and `{}` has one",
                c.loaded.playbook.name
            ))
            .help("drop --account: the tenant block says which tenant the playbook works in"),
        );
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
    diags.sorted().into_result(plans)
}

pub struct Session {
    client: Client,
    reads: Arc<Reads>,
    options: Options,
    /// Where state, journals and locks live: the local folder or PostgreSQL.
    store: Store,
}

impl Session {
    pub fn new(client: Client, options: Options, store: Store) -> Self {
        Self {
            client,
            reads: Arc::new(Reads::new()),
            options,
            store,
        }
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

    /// The session's first read, with `quick` (a client that fails fast): the tenant list when
    /// a customer has a tenant block, else the PAT's own account. Either is a read the plan
    /// makes anyway, so it lands in the cache and costs nothing extra. Err: what was read, and
    /// the error.
    pub async fn first_contact(
        &self,
        quick: &Client,
        customers: &[Customer],
    ) -> Result<(), (&'static str, onboard_netbird::ApiError)> {
        if customers.iter().any(|c| c.loaded.playbook.tenant.is_some()) {
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
        let jobs = customers
            .iter()
            .zip(keys)
            .zip(&clients)
            .map(|((c, k), client)| async move {
                let state = self
                    .state(&c.loaded.playbook.name, &k.run_key)
                    .await
                    .map_err(|e| Diags::from(Diag::from(e)))?;
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
                plan_live::live(&c.loaded, &c.inputs, c.key.as_deref(), &to)
                    .await
                    .map(|p| p.in_account(account))
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
        let state = self.state(&playbook, &run_key).await?;
        let state_sink = held.sink(&playbook, &run_key);
        // A lost database connection stops the run before its next write, as Ctrl-C does.
        held.stop_on_loss(interrupted.clone());
        let deletions: Vec<String> = plan
            .steps
            .iter()
            .filter(|p| p.action == Action::Delete)
            .map(|p| p.address.clone())
            .collect();
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
            self.mark(&playbook, &run_key, &state_sink, &applied, writes, digest)
                .await;
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
        self.mark(&playbook, &run_key, &state_sink, &applied, true, digest)
            .await;
        Ok(applied)
    }

    /// Record where the audit log stands after an apply ([`crate::run::audit`]), at no call:
    /// a run where everything succeeded marks its end (an unchanged one keeps a mark of the
    /// same playbook); any other run drops the mark, so that `drift` plans it in full. A
    /// state that cannot be read or saved here only costs that full plan later.
    async fn mark(
        &self,
        playbook: &str,
        run_key: &str,
        sink: &crate::store::StateSink,
        applied: &Applied,
        writes: bool,
        digest: Option<String>,
    ) {
        use crate::run::destroy::Outcome;
        let Ok(mut state) = self.state(playbook, run_key).await else {
            return;
        };
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
        if state.audit_mark == mark || (state.tenant.is_none() && state.steps.is_empty()) {
            return;
        }
        state.audit_mark = mark;
        let _ = sink.save(&state);
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
        if state != t.listed {
            return Err(SessionError::Changed {
                run_key: t.run_key.clone(),
            });
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

/// What `destroy` deletes for each customer: everything its state records that onboard may
/// delete, dependants first. Reads the store only, no API (so it is shown before connecting).
pub async fn teardowns(
    store: &Store,
    account: Option<&str>,
    customers: &[Customer],
) -> Result<Vec<Teardown>, Diags> {
    let keys = offline(customers, account)?;
    let mut out = Vec::new();
    for (c, k) in customers.iter().zip(&keys) {
        let playbook = c.loaded.playbook.name.clone();
        let state = store.load(&playbook, &k.run_key).await.map_err(|reason| {
            Diags::from(Diag::from(SessionError::State {
                run_key: k.run_key.clone(),
                reason: Box::new(reason),
            }))
        })?;
        let order = removal_order(&c.loaded.playbook, &c.loaded.dag, &state)
            .into_iter()
            .filter(|a| state.steps.get(a).is_some_and(|r| deletable(r).is_ok()))
            .collect();
        out.push(Teardown {
            location: store.location(&playbook, &k.run_key),
            run_key: k.run_key.clone(),
            playbook,
            listed: state,
            order,
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
    /// The state as listed.
    pub listed: State,
    /// Addresses, dependants first.
    pub order: Vec<String>,
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
