//! The live plan: what apply would do, read from the API without writing anything.
//!
//! Input: a loaded playbook, its inputs, a client and the state of earlier runs. Output: a
//! [`Plan`] whose actions come from the live objects: create (not found), adopt (found by its
//! identity key, equal, not yet in the state), update (with a field-level before → after diff),
//! replace (a change the API cannot make in place), read (`existing`), no change. Steps are
//! planned in dependency order, so later templates render with the real ids of what exists;
//! values that only apply can know stay `(known after apply)`. Steps that do not depend on
//! each other are looked up concurrently (as many calls in flight as the client allows).

use onboard_netbird::Scope as ApiScope;
use serde_json::{Map, Value as Json};

use crate::api::cache::{Api, ProofError, Reads};
use crate::api::compare::matches_field;
use crate::api::converge::{Desired, inspect};
use crate::diag::{Diag, Diags};
use crate::plan::{Action, FieldChange, Plan, PlannedStep, Planner};
use crate::playbook::Loaded;
use crate::playbook::inputs::Inputs;
use crate::playbook::model::StepScope;
use crate::run::destroy::stable;
use crate::store::state::{State, fingerprint};

/// Where the run's steps go.
pub struct Live<'a> {
    pub client: &'a onboard_netbird::Client,
    /// Every read goes through the session's cache: one list per collection.
    pub reads: &'a Reads,
    /// `--account`: the account for steps without a tenant.
    pub account: Option<&'a str>,
    pub state: &'a State,
    /// `--allow-replace`, `--rotate-setup-keys`.
    pub replace: crate::api::converge::Replace,
    /// `--prune`: the plan lists what apply will delete.
    pub prune: bool,
    /// `--rate-limit`, `--burst`: what the plan's cost is measured against.
    pub budget: onboard_netbird::RateLimit,
    /// `--concurrency`: how many instances apply starts at once (the scope proofs they share).
    pub concurrency: usize,
}

/// Plan against the live API.
pub async fn live(
    loaded: &Loaded,
    inputs: &Inputs,
    inventory_key: Option<&str>,
    to: &Live<'_>,
) -> Result<Plan, Diags> {
    let (playbook, dag) = (&loaded.playbook, &loaded.dag);
    let mut planner = Planner::new(playbook, dag, inputs);
    let api =
        |e: onboard_netbird::ApiError| Diags::from(Diag::plain(format!("reading live state: {e}")));
    // The tenant, found by its domain; its scoping is proven before anything is read inside.
    // A tenant this run creates holds only NetBird's built-ins: nothing in it is looked up.
    planner.tenant(None);
    let mut tenant = TenantAt::None;
    let mut live_tenant = None;
    if let Some(domain) = planner
        .tenant
        .as_ref()
        .and_then(|t| t.domain.as_str().map(str::to_owned))
    {
        tenant = TenantAt::New;
        let tenants = to.reads.tenants(to.client).await.map_err(api)?;
        if let Some(t) = tenants
            .into_iter()
            .find(|t| t.domain.eq_ignore_ascii_case(&domain))
        {
            prove(to, &t.id).await?;
            let mut live = Map::new();
            live.insert("id".into(), Json::String(t.id.clone()));
            live.insert(
                "status".into(),
                serde_json::to_value(t.status).unwrap_or(Json::Null),
            );
            live.insert(
                "dns_challenge".into(),
                Json::String(t.dns_challenge.clone()),
            );
            planner.tenant(Some(live));
            tenant = TenantAt::Live(t.id.clone());
            live_tenant = Some(t);
        } else {
            let refused = to.reads.refuse_service_user(to.client).await;
            refused.map_err(|e| Diags::from(Diag::plain(e.to_string())))?;
        }
    }
    if let Some(account) = to.account {
        prove(to, account).await?;
    }
    // Steps are planned in batches of consecutive steps (in the graph's order) that do not
    // depend on each other: their lookups run concurrently, bounded by the client's in-flight
    // cap, and they are recorded in order before a step that needs them is rendered.
    let tenant = &tenant;
    let mut batch: Vec<(usize, Vec<PlannedStep>)> = Vec::new();
    let mut in_batch = std::collections::BTreeSet::new();
    for &node in dag.order() {
        if dag.dependencies(node).iter().any(|d| in_batch.contains(d)) {
            look_batch(&mut planner, to, tenant, std::mem::take(&mut batch)).await?;
            in_batch.clear();
        }
        in_batch.insert(node);
        batch.extend(planner.step(node));
    }
    look_batch(&mut planner, to, tenant, batch).await?;
    if let Some(live) = &live_tenant {
        tenant_changes(&mut planner, live);
    }
    let mut plan = planner.into_plan(inventory_key, false)?;
    // Orphans are always shown: deleted with `--prune`, else kept (and said so).
    plan.steps
        .extend(orphans(loaded, &plan, to.state, to.prune));
    plan.summary = crate::plan::summarize(&plan.steps);
    let in_account = to.account.is_some();
    plan.cost = Some(crate::plan::Cost::of(
        &plan,
        to.budget,
        to.concurrency,
        in_account,
    ));
    Ok(plan)
}

/// The live tenant against the tenant block: a changed `name` or `groups` (an MSP group or
/// its role) is an update in place (`PUT /api/integrations/msp/tenants/{id}`); the domain is
/// its identity. Compared once the steps are planned, so the MSP groups it names have ids.
fn tenant_changes(planner: &mut Planner<'_>, live: &onboard_netbird::TenantResponse) {
    let Some((name, groups)) = planner.tenant_desired() else {
        return;
    };
    let live_groups = serde_json::to_value(&live.groups).unwrap_or(Json::Null);
    let mut changes = Vec::new();
    let live_name = Json::String(live.name.clone());
    if !matches_field("name", &name, &live_name) {
        changes.push(FieldChange {
            field: "name".into(),
            before: live_name,
            after: name,
        });
    }
    // Whole lists, so a changed role shows with its group (the compare treats them as sets).
    if !matches_field("groups", &groups, &live_groups) {
        changes.push(FieldChange {
            field: "groups".into(),
            before: live_groups,
            after: groups,
        });
    }
    if let Some(t) = planner.tenant.as_mut()
        && !changes.is_empty()
    {
        t.action = Action::Update;
        t.changes = changes;
    }
}

/// Orphans: what the state records and the plan no longer declares, dependants first. With
/// `--prune`, what onboard may delete is a deletion; everything else onboard created or adopted
/// is kept, with the reason (no `--prune`, or `prune: false`). A record of a step whose
/// instances are known only after apply (a `for_each` over another step's output) is left out:
/// nobody can tell yet whether it goes. Records of objects onboard only read are not its own.
fn orphans(loaded: &Loaded, plan: &Plan, state: &State, prune: bool) -> Vec<PlannedStep> {
    let declared: std::collections::BTreeSet<&str> =
        plan.steps.iter().map(|p| p.address.as_str()).collect();
    let deferred: std::collections::BTreeSet<&str> = plan
        .steps
        .iter()
        .filter(|p| p.action == Action::Deferred)
        .map(|p| p.step.as_str())
        .collect();
    crate::run::destroy::removal_order(&loaded.playbook, &loaded.dag, state)
        .into_iter()
        .filter(|a| !declared.contains(a.as_str()))
        .filter(|a| !deferred.contains(a.split('[').next().unwrap_or(a)))
        .filter_map(|address| {
            let record = state.steps.get(&address)?;
            let (action, why) = match crate::run::destroy::deletable(record) {
                Ok(_) if prune => (Action::Delete, None),
                Ok(_) => (Action::Keep, Some(crate::plan::KEPT.to_owned())),
                Err(why) if why == crate::run::destroy::PRUNE_FALSE => (
                    Action::Keep,
                    Some(format!("kept: no longer in the playbook; {why}")),
                ),
                Err(_) => return None,
            };
            let ty = crate::playbook::resource::StepType::from_name(&record.ty)?;
            let what = record
                .identity
                .clone()
                .map(|i| format!("{i}, id {}", record.id.clone().unwrap_or_default()));
            let note = match (why, what) {
                (Some(why), Some(what)) => Some(format!("{why} ({what})")),
                (why, what) => why.or(what),
            };
            Some(PlannedStep {
                step: address.split('[').next().unwrap_or(&address).to_owned(),
                ty,
                scope: record.scope.unwrap_or(StepScope::Tenant),
                action,
                body: Json::Null,
                depends_on: Vec::new(),
                level: 0,
                note,
                changes: Vec::new(),
                live: None,
                object: None,
                lookup_at_apply: false,
                write_only: None,
                moved_from: None,
                address,
            })
        })
        .collect()
}

/// Look up every instance of a batch of independent steps at once, then record them in order.
async fn look_batch(
    planner: &mut Planner<'_>,
    to: &Live<'_>,
    tenant: &TenantAt,
    mut batch: Vec<(usize, Vec<PlannedStep>)>,
) -> Result<(), Diags> {
    let playbook = planner.playbook;
    let looks = batch.iter_mut().map(|(i, planned)| async move {
        let step = &playbook.steps[*i];
        let scope = match step.scope {
            StepScope::Tenant => match tenant {
                TenantAt::Live(t) => Some(ApiScope::Account(t.clone())),
                TenantAt::New | TenantAt::None => None,
            },
            StepScope::Msp => Some(ApiScope::Own),
            StepScope::Account => Some(
                to.account
                    .map_or(ApiScope::Own, |a| ApiScope::Account(a.to_owned())),
            ),
        };
        event_types(step, planned, to).await?;
        let mut found = Vec::new();
        for p in planned.iter_mut() {
            found.push(match &scope {
                Some(scope) => look(to, step.existing, scope, p).await?,
                // In a tenant this run creates, only a built-in (`All`, `Default`, the
                // settings) can exist: apply looks for it once the tenant is there.
                None => {
                    let builtin = !step.existing && p.ty.spec().may_be_builtin(&p.body);
                    p.lookup_at_apply = is_pending(p.action) && (step.existing || builtin);
                    if p.lookup_at_apply && builtin {
                        p.note = Some(
                            "may be one of NetBird's built-ins of the new tenant: apply looks \
                             it up and adopts or updates it"
                                .into(),
                        );
                    }
                    None
                }
            });
        }
        Ok::<_, Diag>(found)
    });
    let results = futures_util::future::join_all(looks).await;
    let mut diags = Diags::new();
    for ((i, planned), found) in batch.into_iter().zip(results) {
        match found {
            Ok(found) => planner.finish_step(i, planned, Some(found)),
            Err(d) => diags.push(d),
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

/// A notification channel's `event_types`, checked against the codes NetBird lists (one read
/// a session, only for a playbook with a channel): an unknown code is an error at its line
/// before anything is written, not a 422 at apply.
async fn event_types(
    step: &crate::playbook::model::Step,
    planned: &[PlannedStep],
    to: &Live<'_>,
) -> Result<(), Diag> {
    if step.ty.resource_kind() != Some(onboard_netbird::ResourceKind::NotificationChannel) {
        return Ok(());
    }
    let wanted: Vec<&str> = planned
        .iter()
        .filter(|p| is_pending(p.action))
        .filter_map(|p| p.body.get("event_types")?.as_array())
        .flatten()
        .filter_map(Json::as_str)
        .filter(|t| *t != crate::playbook::template::UNKNOWN)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let known = to
        .reads
        .notification_types(to.client)
        .await
        .map_err(|e| Diag::plain(format!("reading NetBird's notification event types: {e}")))?;
    let unknown: Vec<&str> = wanted.into_iter().filter(|t| !known.contains(*t)).collect();
    let Some(first) = unknown.first() else {
        return Ok(());
    };
    let span = step
        .with
        .get("event_types")
        .map_or(step.id_span, |n| n.span);
    let hint = crate::diag::did_you_mean(first, known.iter().map(String::as_str)).map_or_else(
        || "`GET /api/integrations/notifications/types` lists the codes NetBird knows".to_owned(),
        |s| format!("did you mean `{s}`?"),
    );
    Err(Diag::at(
        &step.file,
        span,
        format!(
            "`{}`: NetBird knows no event type {}",
            step.id,
            unknown
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "event types",
    )
    .help(hint))
}

/// Where a run's tenant stands.
enum TenantAt {
    /// The playbook has no tenant block.
    None,
    /// Not there yet: apply creates it.
    New,
    /// It exists, with this id, and its scoping is proven.
    Live(String),
}

/// Prove `?account=<id>` before anything inside is read (cached: apply does not repeat it).
async fn prove(to: &Live<'_>, id: &str) -> Result<(), Diags> {
    match to.reads.prove(to.client, id, false).await {
        Ok(()) => Ok(()),
        Err(e @ ProofError::NotScoped { .. }) => Err(Diag::plain(e.to_string())
            .maybe_help(e.help().map(str::to_owned))
            .into()),
        Err(e) => Err(Diag::plain(format!("reading live state: {e}")).into()),
    }
}

/// A DNS verification of a tenant NetBird already lists as `active` (verified before, by
/// onboard or in the portal): nothing to do, and no call. The tenant list is the session's
/// cached read (the plan of a tenant playbook has made it already).
async fn verified(to: &Live<'_>, p: &PlannedStep) -> bool {
    use onboard_netbird::ResourceKind;
    if p.ty.resource_kind() != Some(ResourceKind::TenantDnsVerification) {
        return false;
    }
    let Some(id) = p.body.get("tenant_id").and_then(Json::as_str) else {
        return false;
    };
    let Ok(tenants) = to.reads.tenants(to.client).await else {
        return false;
    };
    tenants
        .iter()
        .any(|t| t.id == id && t.status == onboard_netbird::TenantStatus::Active)
}

fn is_pending(action: Action) -> bool {
    !matches!(action, Action::Skip | Action::Deferred)
}

/// Inspect one planned instance; sets its action and changes, returns the live object.
async fn look(
    to: &Live<'_>,
    existing: bool,
    scope: &ApiScope,
    p: &mut PlannedStep,
) -> Result<Option<Json>, Diag> {
    if !is_pending(p.action) {
        return Ok(None);
    }
    let known_id = to.state.steps.get(&p.address).and_then(|r| r.id.clone());
    let identity_known = crate::plan::identity_value(p.ty, &p.body).is_some();
    let once = p.ty.spec().runs_once();
    // A raw request runs once: recorded (with or without an id in its answer), it is done,
    // as apply will find; an action on a tenant, once for that tenant.
    let record = to.state.steps.get(&p.address).map(|r| r.id.as_deref());
    if once {
        if p.ty.spec().ran(record, &p.body) {
            p.action = Action::NoChange;
        } else if verified(to, p).await {
            p.action = Action::NoChange;
            p.note = Some("the tenant is active: its domain is verified".into());
        }
        return Ok(None);
    }
    // Nothing to look it up by yet: an identity that depends on something not created yet.
    if known_id.is_none() && !identity_known {
        p.lookup_at_apply = true;
        return Ok(None);
    }
    // A child of a parent known only after apply (a resource of a new network): apply looks
    // in the parent's collection, which is known empty when the parent is new.
    let parent = p.ty.spec().parent().and_then(|f| p.body.get(f));
    if parent.and_then(Json::as_str) == Some(crate::playbook::template::UNKNOWN) {
        p.lookup_at_apply = true;
        return Ok(None);
    }
    let target = Desired {
        ty: p.ty,
        scope,
        body: &p.body,
        existing,
        known_id: known_id.as_deref(),
        replace: to.replace,
        write_only: crate::api::converge::WriteOnly {
            salt: to.state.salt.as_deref().unwrap_or_default(),
            recorded: to.state.steps.get(&p.address).map(|r| &r.sent),
            values: p.write_only.as_ref(),
        },
    };
    let api = Api {
        client: to.client,
        reads: to.reads,
    };
    let found = inspect(&api, &target)
        .await
        .map_err(|e| Diag::plain(format!("{}: {e}", p.address)))?;
    p.action = found.action;
    p.live = found.live.as_ref().map(|l| fingerprint(&stable(l)));
    p.changes = found
        .changes
        .into_iter()
        .map(|(field, before, after)| FieldChange {
            field,
            before,
            after,
        })
        .collect();
    p.object = found.live.clone();
    Ok(found.live)
}
