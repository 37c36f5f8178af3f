//! The live plan: what apply would do, read from the API without writing anything.
//!
//! Input: a loaded playbook, its inputs, a client and the state of earlier runs. Output: a
//! [`Plan`] whose actions come from the live objects: create (not found), adopt (found by its
//! identity key, equal, not yet in the state), update (with a field-level before → after diff),
//! replace (a change the API cannot make in place), read (`existing`), no change. Steps are
//! planned in dependency order, so later templates render with the real ids of what exists;
//! values that only apply can know stay `(known after apply)`. Steps that do not depend on
//! each other are looked up concurrently (as many calls in flight as the client allows).

use onboard_netbird::{Client, Scope as ApiScope};
use serde_json::{Map, Value as Json};

use crate::Loaded;
use crate::converge::{Target, inspect};
use crate::destroy::stable;
use crate::diag::{Diag, Diags};
use crate::inputs::Inputs;
use crate::model::StepScope;
use crate::plan::{Action, FieldChange, Plan, PlannedStep, Planner};
use crate::state::{State, fingerprint};

/// Where the run's steps go.
pub struct Live<'a> {
    pub client: &'a Client,
    /// `--account`: the account for steps without a tenant.
    pub account: Option<&'a str>,
    pub state: &'a State,
    /// `--allow-replace`, `--rotate-setup-keys`.
    pub replace: crate::converge::Replace,
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
    planner.tenant(None);
    let mut tenant_id = None;
    if let Some(domain) = planner
        .tenant
        .as_ref()
        .and_then(|t| t.domain.as_str().map(str::to_owned))
    {
        let tenants = to.client.list_tenants().await.map_err(api)?;
        if let Some(t) = tenants
            .into_iter()
            .find(|t| t.domain.eq_ignore_ascii_case(&domain))
        {
            prove(to.client, &t.id).await?;
            let mut live = Map::new();
            live.insert("id".into(), Json::String(t.id.clone()));
            live.insert(
                "status".into(),
                serde_json::to_value(t.status).unwrap_or(Json::Null),
            );
            planner.tenant(Some(live));
            tenant_id = Some(t.id);
        }
    }
    if let Some(account) = to.account {
        prove(to.client, account).await?;
    }
    // Steps are planned in batches of consecutive steps (in the graph's order) that do not
    // depend on each other: their lookups run concurrently, bounded by the client's in-flight
    // cap, and they are recorded in order before a step that needs them is rendered.
    let tenant_id = tenant_id.as_deref();
    let mut batch: Vec<(usize, Vec<PlannedStep>)> = Vec::new();
    let mut in_batch = std::collections::BTreeSet::new();
    for &node in dag.order() {
        if dag.dependencies(node).iter().any(|d| in_batch.contains(d)) {
            look_batch(&mut planner, to, tenant_id, std::mem::take(&mut batch)).await?;
            in_batch.clear();
        }
        in_batch.insert(node);
        batch.extend(planner.step(node));
    }
    look_batch(&mut planner, to, tenant_id, batch).await?;
    planner.into_plan(inventory_key, false)
}

/// Look up every instance of a batch of independent steps at once, then record them in order.
async fn look_batch(
    planner: &mut Planner<'_>,
    to: &Live<'_>,
    tenant_id: Option<&str>,
    mut batch: Vec<(usize, Vec<PlannedStep>)>,
) -> Result<(), Diags> {
    let playbook = planner.playbook;
    let looks = batch.iter_mut().map(|(i, planned)| async move {
        let step = &playbook.steps[*i];
        let scope = match step.scope {
            StepScope::Tenant => tenant_id.map(|t| ApiScope::Account(t.to_owned())),
            StepScope::Msp => Some(ApiScope::Own),
            StepScope::Account => Some(
                to.account
                    .map_or(ApiScope::Own, |a| ApiScope::Account(a.to_owned())),
            ),
        };
        let mut found = Vec::new();
        for p in planned.iter_mut() {
            found.push(match &scope {
                Some(scope) => look(to, step.existing, scope, p).await?,
                None => None,
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

async fn prove(client: &Client, id: &str) -> Result<(), Diags> {
    let ran_in = client
        .effective_account(&ApiScope::Account(id.to_owned()))
        .await
        .map_err(|e| Diags::from(Diag::plain(format!("reading live state: {e}"))))?;
    if ran_in == id {
        return Ok(());
    }
    Err(Diag::plain(format!("the API does not scope requests to account {id} (they ran in account {ran_in})"))
        .help("check that the id is a tenant of this MSP account and that the PAT belongs to a user, not a service user")
        .into())
}

/// Inspect one planned instance; sets its action and changes, returns the live object.
async fn look(
    to: &Live<'_>,
    existing: bool,
    scope: &ApiScope,
    p: &mut PlannedStep,
) -> Result<Option<Json>, Diag> {
    if matches!(p.action, Action::Skip | Action::Deferred) {
        return Ok(None);
    }
    let known_id = to.state.steps.get(&p.address).and_then(|r| r.id.clone());
    let identity_known = crate::plan::identity_value(p.ty, &p.body).is_some();
    // Nothing to look it up by: a raw request that never ran, or an identity that depends
    // on something not created yet.
    if known_id.is_none() && !identity_known {
        return Ok(None);
    }
    // A child of a parent not created yet (a resource of a new network): nowhere to look.
    let parent = p.ty.spec().parent().and_then(|f| p.body.get(f));
    if parent.and_then(Json::as_str) == Some(crate::template::UNKNOWN) {
        return Ok(None);
    }
    let target = Target {
        ty: p.ty,
        scope,
        body: &p.body,
        existing,
        known_id: known_id.as_deref(),
        replace: to.replace,
    };
    let found = inspect(to.client, &target)
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
    Ok(found.live)
}
