//! The plan: what apply would do, step by step.
//!
//! Input: a checked [`Playbook`], its [`Dag`] and resolved [`Inputs`]. Output: a [`Plan`]:
//! one [`PlannedStep`] per step instance (`for_each` expanded where its list is known), each
//! with an [`Action`] and its rendered request body, in dependency order. The offline plan
//! knows nothing live: every step is a create (`existing` steps a read) and ids render as
//! `(known after apply)`. Uniqueness of identity keys is checked here, on rendered values.

pub mod cost;
pub mod dot;
pub mod fleet;
pub mod report;
pub mod saved;

use minijinja::Value as Mj;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

use crate::diag::{Diag, Diags};
use crate::playbook::graph::{Dag, NodeId};
use crate::playbook::inputs::Inputs;
use crate::playbook::instance::{self, Instance, When};
pub use crate::playbook::instance::{ForEachError, address};
use crate::playbook::model::{Playbook, Step, StepScope};
use crate::playbook::render::{Renderer, SENSITIVE, Scope, StepOutputs};
use crate::playbook::resource::{Identity, StepType};
use crate::playbook::template::UNKNOWN;

/// The note of an orphan a plan without `--prune` keeps.
pub const KEPT: &str = "kept: no longer in the playbook; `--prune` deletes it";

/// What apply does with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    /// `existing: true`: looked up, never changed.
    Read,
    Adopt,
    Update,
    Replace,
    Delete,
    NoChange,
    /// A `for_each` over another step's output: its instances are known after that step.
    Deferred,
    /// `when` is false.
    Skip,
    /// Recorded in the state, gone from the playbook, and not deleted by this run (no
    /// `--prune`, or the step said `prune: false`): shown, never touched.
    Keep,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Read => "<=",
            Action::Adopt => "&",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoChange => " ",
            Action::Deferred => "?",
            Action::Skip => "x",
            Action::Keep => "=",
        }
    }
}

/// The tenant part of a plan.
#[derive(Debug, Clone, Serialize)]
pub struct TenantPlan {
    pub action: Action,
    /// The live tenant's id, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: Json,
    pub domain: Json,
    pub groups: Json,
    /// For an update: what differs from the live tenant (`name`, `groups`), live → desired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
}

/// One step instance.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    /// `id`, or `id["key"]` for a `for_each` instance.
    pub address: String,
    pub step: String,
    #[serde(rename = "type")]
    pub ty: StepType,
    pub scope: StepScope,
    pub action: Action,
    /// The request body, defaults filled in, secrets masked, unknowns marked.
    pub body: Json,
    pub depends_on: Vec<String>,
    pub level: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For an update or a replacement: what differs from the live object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// A fingerprint of the live object the live plan compared against (its stable fields),
    /// so that a saved plan can tell when the object changed since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<String>,
    /// The live object itself: what apply updates, and the outputs of an object it does not
    /// change. Not serialised (`apply PLAN.json` plans again and checks the fingerprints).
    #[serde(skip)]
    pub object: Option<Json>,
    /// The plan could not look the object up (its identity, or its parent, is known only
    /// after apply; or it is a built-in of a tenant this run creates): apply looks it up, once,
    /// from the collection's list, before writing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lookup_at_apply: bool,
    /// The real values of the kind's write-only fields, which `body` shows as `(sensitive)`:
    /// compared through their digests, never serialised.
    #[serde(skip)]
    pub write_only: Option<Json>,
    /// The address the state recorded the object at before a `moved:` rename: the object is
    /// kept, not deleted and created again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
}

/// One field that differs: live `before`, desired `after`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub before: Json,
    pub after: Json,
}

/// A named output.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedOutput {
    pub name: String,
    pub value: Json,
    pub sensitive: bool,
}

/// Counts per action.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub read: usize,
    pub adopt: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub no_change: usize,
    pub deferred: usize,
    pub skip: usize,
    /// Kept orphans (see [`Action::Keep`]); absent when none, so older plans read the same.
    #[serde(skip_serializing_if = "is_zero")]
    pub keep: usize,
    /// Steps whose records a `moved:` rename carries to their new address (any action).
    #[serde(skip_serializing_if = "is_zero")]
    pub moved: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The calls apply will make for one plan, and the least time they need under the budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Cost {
    pub writes: usize,
    pub reads: usize,
    /// Scope proofs, as apply makes them (see [`cost`]).
    pub proofs: usize,
    /// Of `writes`, those of objects apply looks up first (a built-in of a new tenant, an
    /// object whose identity is known only then): each may need no write, and then its proof
    /// may go too, so the counts are the most apply makes (see [`cost`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub writes_looked_up: usize,
    pub calls: usize,
    /// The least time of these calls alone, with the bucket full, in seconds.
    pub least_seconds: f64,
    pub rate_limit: u32,
    pub burst: u32,
}

/// What apply would do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub format_version: u32,
    pub playbook: String,
    pub run_key: String,
    pub offline: bool,
    pub inputs: Inputs,
    pub tenant: Option<TenantPlan>,
    pub steps: Vec<PlannedStep>,
    pub outputs: Vec<PlannedOutput>,
    pub summary: Summary,
    /// What apply will cost in API calls (live plans only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// The template version the state records for this run key, and the one on disk (live
    /// plans only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateChange>,
}

/// A customer's template version: recorded by its last successful apply → on disk now.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateChange {
    /// None: not recorded (never applied, or applied by an onboard that did not record it).
    pub current: Option<crate::playbook::version::TemplateVersion>,
    pub new: crate::playbook::version::TemplateVersion,
    /// The customer does not run the template on disk (not recorded, or another digest).
    pub behind: bool,
}

impl TemplateChange {
    pub fn new(
        current: Option<crate::playbook::version::TemplateVersion>,
        new: crate::playbook::version::TemplateVersion,
    ) -> TemplateChange {
        let behind = current.as_ref().is_none_or(|c| !c.same_template(&new));
        TemplateChange {
            current,
            new,
            behind,
        }
    }

    /// `3f2a9c1 → 8b41d07 (dirty)`, `not recorded → …`, `… (current)`.
    pub fn line(&self) -> String {
        let current = self
            .current
            .as_ref()
            .map_or_else(|| "not recorded".to_owned(), |c| c.short());
        let same = if self.behind { "" } else { " (current)" };
        format!("{current} → {}{same}", self.new.short())
    }
}

impl Plan {
    /// Mark the steps whose records `renames` (old address, new address) carried over.
    pub fn moved(&mut self, renames: &[(String, String)]) {
        for step in &mut self.steps {
            if let Some((old, _)) = renames.iter().find(|(_, new)| *new == step.address) {
                step.moved_from = Some(old.clone());
            }
        }
        self.summary = summarize(&self.steps);
    }

    /// A run without a tenant and without an inventory key in `--account ID` is keyed
    /// `account-<ID>`, so that it keeps its own state.
    pub fn in_account(mut self, account: Option<&str>) -> Plan {
        if let (Some(a), true) = (
            account,
            self.tenant.is_none() && self.run_key == run_key(None, None, None),
        ) {
            self.run_key = run_key(None, None, Some(a));
        }
        self
    }

    pub fn has_changes(&self) -> bool {
        let s = &self.summary;
        s.create + s.adopt + s.update + s.replace + s.delete + s.deferred > 0
            || self
                .tenant
                .as_ref()
                .is_some_and(|t| t.action != Action::NoChange)
    }
}

/// The run key: the inventory key, else the tenant's domain, else the account.
pub fn run_key(
    inventory_key: Option<&str>,
    tenant_domain: Option<&str>,
    account: Option<&str>,
) -> String {
    match (inventory_key, tenant_domain, account) {
        (Some(k), _, _) => k.to_owned(),
        (None, Some(d), _) => d.to_owned(),
        (None, None, Some(a)) => format!("account-{a}"),
        (None, None, None) => "own-account".to_owned(),
    }
}

/// The run key alone, as [`offline`]'s plan (after [`Plan::in_account`]) names it: the
/// inventory key, else the tenant's domain (only the inputs it names need values), else the
/// account. `destroy` needs nothing else.
pub fn run_key_only(
    playbook: &Playbook,
    dag: &Dag,
    inputs: &Inputs,
    inventory_key: Option<&str>,
    account: Option<&str>,
) -> Result<String, Diags> {
    if inventory_key.is_some() || playbook.tenant.is_none() {
        let account = account.filter(|_| inventory_key.is_none());
        return Ok(run_key(inventory_key, None, account));
    }
    let mut planner = Planner::new(playbook, dag, inputs);
    planner.tenant(None);
    let domain = planner.tenant.as_ref().and_then(|t| t.domain.as_str());
    match domain {
        Some(d) if !d.contains(UNKNOWN) => Ok(d.to_owned()),
        _ if !planner.diags.is_empty() => Err(planner.diags),
        _ => Err(Diag::plain(format!(
            "the tenant's domain of playbook `{}` does not render to a value",
            playbook.name
        ))
        .into()),
    }
}

/// Plan without reading anything live: every step is a create, ids are unknown.
pub fn offline(
    playbook: &Playbook,
    dag: &Dag,
    inputs: &Inputs,
    inventory_key: Option<&str>,
) -> Result<Plan, Diags> {
    let mut planner = Planner::new(playbook, dag, inputs);
    planner.tenant(None);
    for node in dag.order() {
        if let Some((i, planned)) = planner.step(*node) {
            planner.finish_step(i, planned, None);
        }
    }
    planner.into_plan(inventory_key, true)
}

/// Builds a [`Plan`] one step at a time in dependency order. Offline, every step's outputs
/// are unknown; the live planner ([`crate::run::plan_live`]) inspects each instance between
/// [`Planner::step`] and [`Planner::finish_step`] and hands in what it found.
pub struct Planner<'a> {
    pub playbook: &'a Playbook,
    dag: &'a Dag,
    inputs: &'a Inputs,
    levels: BTreeMap<NodeId, usize>,
    pub scope: Scope,
    /// `steps` for templates, grown one step at a time (and mirrored in `scope`).
    known: Mj,
    pub tenant: Option<TenantPlan>,
    steps: Vec<PlannedStep>,
    pub diags: Diags,
}

impl<'a> Planner<'a> {
    pub fn new(playbook: &'a Playbook, dag: &'a Dag, inputs: &'a Inputs) -> Self {
        Self {
            playbook,
            dag,
            inputs,
            levels: level_map(dag),
            scope: Scope {
                inputs: inputs.0.clone().into_iter().collect(),
                ..Scope::default()
            },
            known: Mj::from_object(StepOutputs::default()),
            tenant: None,
            steps: Vec::new(),
            diags: Diags::new(),
        }
    }

    /// Plan the tenant block. `live`: the tenant as it exists (`id`, `status`), if it does.
    pub fn tenant(&mut self, live: Option<Map<String, Json>>) {
        let Some(t) = &self.playbook.tenant else {
            return;
        };
        // The tenant comes first; the steps it references (MSP-side groups) are not known yet.
        let before = Scope {
            pending: self.playbook.steps.iter().map(|s| s.id.clone()).collect(),
            ..self.scope.clone()
        };
        let r = Renderer {
            playbook: self.playbook,
            file: &self.playbook.file,
            ctx: before.context(None),
            mask_secrets: true,
        };
        let diags = &mut self.diags;
        let mut field = |tpl| {
            r.template(tpl).unwrap_or_else(|e| {
                diags.push(e.to_diag());
                Json::Null
            })
        };
        let (name, domain) = (field(&t.name), field(&t.domain));
        let groups = r.node(&t.groups).unwrap_or_else(|e| {
            diags.push(e.to_diag());
            Json::Null
        });
        // Checked once: the live planner plans the tenant again when it finds it.
        if live.is_none() {
            check_roles(self.playbook, &t.groups, &groups, diags);
        }
        let unknown = || Json::String(UNKNOWN.into());
        let mut map = Map::new();
        let field_of = |k: &str| live.as_ref().and_then(|l| l.get(k).cloned());
        map.insert("id".into(), field_of("id").unwrap_or_else(unknown));
        map.insert("name".into(), name.clone());
        map.insert("domain".into(), domain.clone());
        map.insert("status".into(), field_of("status").unwrap_or_else(unknown));
        let challenge = field_of("dns_challenge").unwrap_or_else(unknown);
        map.insert("dns_challenge".into(), challenge);
        self.scope.tenant = Some(map);
        let action = if live.is_some() {
            Action::NoChange
        } else {
            Action::Create
        };
        self.tenant = Some(TenantPlan {
            action,
            id: live
                .as_ref()
                .and_then(|l| l.get("id"))
                .and_then(Json::as_str)
                .map(str::to_owned),
            name,
            domain,
            groups,
            changes: Vec::new(),
        });
    }

    /// The tenant's `name` and `groups` rendered again now that the steps before it are
    /// planned (the MSP groups it names have their live ids), secrets masked: what the live
    /// tenant is compared with. Values only apply knows stay `(known after apply)`.
    pub fn tenant_desired(&self) -> Option<(Json, Json)> {
        let t = self.playbook.tenant.as_ref()?;
        let r = Renderer {
            playbook: self.playbook,
            file: &self.playbook.file,
            ctx: self.scope.context_with_steps(self.known.clone(), None),
            mask_secrets: true,
        };
        let name = r.template(&t.name).ok()?;
        let groups = r.node(&t.groups).ok()?;
        Some((name, groups))
    }

    /// Plan one node's instances (None for the tenant node or when the step has errors).
    pub fn step(&mut self, node: NodeId) -> Option<(usize, Vec<PlannedStep>)> {
        let NodeId::Step(i) = node else { return None };
        let step = &self.playbook.steps[i];
        let deps = dependency_names(self.playbook, self.dag, node);
        match plan_step(
            self.playbook,
            step,
            &self.scope,
            &self.known,
            deps,
            self.levels[&node],
        ) {
            Ok(planned) => Some((i, planned)),
            Err(d) => {
                self.diags.push(d);
                if let Some(o) = self.known.downcast_object_ref::<StepOutputs>() {
                    o.insert_unknown(&step.id);
                }
                self.scope.pending.push(step.id.clone());
                None
            }
        }
    }

    /// Record a step's instances. `found`: per instance, the live object (None: unknown).
    pub fn finish_step(
        &mut self,
        i: usize,
        planned: Vec<PlannedStep>,
        found: Option<Vec<Option<Json>>>,
    ) {
        let step = &self.playbook.steps[i];
        let found = found.unwrap_or_else(|| vec![None; planned.len()]);
        let value = |f: Option<Json>| f.unwrap_or_else(|| Json::String(UNKNOWN.into()));
        let json = match (&step.for_each, planned.first()) {
            (Some(_), Some(p)) if p.action == Action::Deferred => Json::String(UNKNOWN.into()),
            (Some(_), _) => Json::Object(
                planned
                    .iter()
                    .zip(found)
                    .map(|(p, f)| (instance_key(&p.address, &step.id), value(f)))
                    .collect(),
            ),
            (None, _) => value(found.into_iter().next().flatten()),
        };
        if let Some(o) = self.known.downcast_object_ref::<StepOutputs>() {
            o.insert(&step.id, &json);
        }
        self.scope.steps.insert(step.id.clone(), json);
        self.steps.extend(planned);
    }

    pub fn into_plan(mut self, inventory_key: Option<&str>, offline: bool) -> Result<Plan, Diags> {
        check_unique(self.playbook, &self.steps, &mut self.diags);
        check_module_inputs(self.playbook, &self.scope, &mut self.diags);
        let outputs = render_outputs(self.playbook, &self.scope, &mut self.diags);
        let domain = self
            .tenant
            .as_ref()
            .and_then(|t| t.domain.as_str().map(str::to_owned));
        let plan = Plan {
            format_version: 1,
            playbook: self.playbook.name.clone(),
            run_key: run_key(inventory_key, domain.as_deref(), None),
            offline,
            inputs: self.inputs.masked(self.playbook),
            tenant: self.tenant,
            summary: summarize(&self.steps),
            steps: self.steps,
            outputs,
            cost: None,
            template: None,
        };
        let diags = crate::playbook::compose::annotate(self.playbook, self.diags);
        diags.into_result(plan)
    }
}

/// Each tenant group's role, once rendered, is one NetBird knows (a literal one was checked
/// when the playbook was read): located at the role's template.
fn check_roles(
    playbook: &Playbook,
    written: &crate::playbook::yaml::Node,
    rendered: &Json,
    diags: &mut Diags,
) {
    use crate::playbook::parse::{ROLES, unknown_role};
    let (Some(nodes), Some(values)) = (written.as_seq(), rendered.as_array()) else {
        return;
    };
    for (node, value) in nodes.iter().zip(values) {
        let (Some(role), Some(Json::String(r))) = (node.get("role"), value.get("role")) else {
            continue;
        };
        let Some(template) = role.as_str() else {
            continue;
        };
        let templated = template.contains("{{") || template.contains("{%");
        if templated && r != UNKNOWN && r != SENSITIVE && !ROLES.contains(&r.as_str()) {
            diags.push(unknown_role(&playbook.file, role.span, r, Some(template)));
        }
    }
}

/// `key` of an address `id["key"]`.
fn instance_key(address: &str, id: &str) -> String {
    let inner = address.strip_prefix(id).unwrap_or(address);
    let inner = inner
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(inner);
    serde_json::from_str::<String>(inner).unwrap_or_else(|_| inner.to_owned())
}

fn level_map(dag: &Dag) -> BTreeMap<NodeId, usize> {
    dag.levels()
        .into_iter()
        .enumerate()
        .flat_map(|(l, nodes)| nodes.into_iter().map(move |n| (n, l)))
        .collect()
}

fn dependency_names(playbook: &Playbook, dag: &Dag, node: NodeId) -> Vec<String> {
    dag.dependencies(node)
        .into_iter()
        .map(|d| match d {
            NodeId::Tenant => "tenant".to_owned(),
            NodeId::Step(j) => playbook.steps[j].id.clone(),
        })
        .collect()
}

/// The instances of one step and the outputs later templates will see.
fn plan_step(
    playbook: &Playbook,
    step: &Step,
    scope: &Scope,
    known: &Mj,
    deps: Vec<String>,
    level: usize,
) -> Result<Vec<PlannedStep>, Diag> {
    let r = instance::renderer(playbook, step, scope, known, None, true);
    let base = PlannedStep {
        address: step.id.clone(),
        step: step.id.clone(),
        ty: step.ty,
        scope: step.scope,
        action: if step.existing {
            Action::Read
        } else {
            Action::Create
        },
        body: Json::Null,
        depends_on: deps,
        level,
        note: None,
        changes: Vec::new(),
        live: None,
        object: None,
        lookup_at_apply: false,
        write_only: None,
        moved_from: None,
    };
    let list = instance::for_each_value(step, &r).map_err(|e| e.to_diag())?;
    if list.as_ref().and_then(Json::as_str) == Some(UNKNOWN) {
        let planned = PlannedStep {
            action: Action::Deferred,
            note: Some("for_each over another step's output: instances known after apply".into()),
            ..base
        };
        return Ok(vec![planned]);
    }
    let items = instance::instances(&step.id, list.as_ref()).map_err(|m| {
        Diag::at(
            &step.file,
            step.for_each
                .as_ref()
                .map(|fe| fe.node.span)
                .unwrap_or_default(),
            m.to_string(),
            "for_each value",
        )
    })?;
    let mut planned = Vec::new();
    for inst in &items {
        let one = PlannedStep {
            address: inst.address.clone(),
            ..base.clone()
        };
        planned.push(plan_instance(playbook, step, scope, known, inst, one)?);
    }
    Ok(planned)
}

fn plan_instance(
    playbook: &Playbook,
    step: &Step,
    scope: &Scope,
    known: &Mj,
    inst: &Instance,
    mut planned: PlannedStep,
) -> Result<PlannedStep, Diag> {
    let r = instance::renderer(playbook, step, scope, known, Some(inst), true);
    match instance::when(step, &r).map_err(|e| e.to_diag())? {
        When::Unknown => planned.note = Some("`when` known after apply".into()),
        When::Skip => planned.action = Action::Skip,
        When::Run => {}
    }
    let body = instance::body(step, &r).map_err(|e| e.to_diag())?;
    if planned.action != Action::Skip {
        crate::playbook::rules::check_instance(playbook, step, &body)?;
    }
    planned.body = body;
    // Write-only fields: the real values are kept aside for their digests; the body, which
    // plans show and save, holds `(sensitive)`.
    let write_only = crate::playbook::write_only::fields(step.ty);
    if !write_only.is_empty() && planned.action != Action::Skip {
        let real = instance::renderer(playbook, step, scope, known, Some(inst), false);
        let full = instance::body(step, &real).map_err(|e| e.to_diag())?;
        planned.write_only = Some(crate::playbook::write_only::pick(step.ty, &full));
        crate::playbook::write_only::mask(step.ty, &mut planned.body);
    }
    Ok(planned)
}

/// Two instances that would create the same identity in one scope.
fn check_unique(playbook: &Playbook, steps: &[PlannedStep], diags: &mut Diags) {
    let mut seen: BTreeMap<(StepScope, StepType, String), &PlannedStep> = BTreeMap::new();
    for planned in steps
        .iter()
        .filter(|p| !matches!(p.action, Action::Skip | Action::Deferred | Action::Read))
    {
        let Some(identity) = identity_value(planned.ty, &planned.body) else {
            continue;
        };
        let key = (planned.scope, planned.ty, identity.clone());
        if let Some(first) = seen.get(&key) {
            let span = playbook
                .step(&planned.step)
                .map(|s| s.id_span)
                .unwrap_or_default();
            let first_at = playbook
                .step(&first.step)
                .map(|s| (&s.file, s.id_span))
                .unwrap_or((&playbook.file, Default::default()));
            let file = playbook
                .step(&planned.step)
                .map_or(&playbook.file, |s| &s.file);
            let what = if planned.ty.spec().unique().is_some() {
                "NetBird keeps it unique"
            } else {
                "it is how an existing object is found"
            };
            let diag = Diag::at(
                file,
                span,
                format!(
                    "`{}` and `{}` would both create a {} identified by {identity} in the {} scope",
                    first.address,
                    planned.address,
                    planned.ty.name(),
                    planned.scope.name()
                ),
                "second one here",
            )
            .help(format!("give each its own identity ({what})"));
            // The first one may be written in another file (a module's).
            diags.push(match first_at.0.same(file) {
                true => diag.label(first_at.1, "first one here"),
                false => diag.related(Diag::at(
                    first_at.0,
                    first_at.1,
                    format!("`{}` is written here", first.address),
                    "first one here",
                )),
            });
        } else {
            seen.insert(key, planned);
        }
    }
}

/// The rendered identity key of a body, when fully known.
pub fn identity_value(ty: StepType, body: &Json) -> Option<String> {
    let sets: Vec<&[&str]> = match ty.spec().identity {
        Identity::Fields(f) => vec![f],
        Identity::AnyOf(sets) => sets.to_vec(),
        Identity::Singleton => return Some("(singleton)".into()),
        Identity::None => return None,
    };
    // A write-only value identifies nothing, and is not shown.
    let body = &crate::playbook::write_only::strip(ty, body);
    let set = sets
        .into_iter()
        .find(|set| set.iter().all(|f| body.get(f).is_some()))?;
    // An empty key (an Okta SCIM integration, whose name is never answered): one per account.
    if set.is_empty() {
        return Some("(one per account)".into());
    }
    let values: Vec<&Json> = set.iter().filter_map(|f| body.get(f)).collect();
    if values
        .iter()
        .any(|v| crate::playbook::render::contains_unknown(v) || v.as_str() == Some(SENSITIVE))
    {
        return None;
    }
    Some(
        set.iter()
            .zip(values)
            .map(|(f, v)| format!("{f} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// The module inputs an import gives a template, checked once rendered against the module's
/// declaration (type, `pattern`, `enum`), at the import's `with` value: what the same value
/// given to a playbook's input would be. A value known only after apply, or a secret, is not
/// judged; one that fails to render is reported where the module uses it.
fn check_module_inputs(playbook: &Playbook, scope: &Scope, diags: &mut Diags) {
    if playbook.module_inputs.is_empty() {
        return;
    }
    let ctx = scope.context(None);
    for m in &playbook.module_inputs {
        let r = Renderer {
            playbook,
            file: &m.file,
            ctx: ctx.clone(),
            mask_secrets: true,
        };
        let Ok(value) = r.node(&m.value) else {
            continue;
        };
        let masked = |v: &Json| v.to_string().contains(SENSITIVE);
        if crate::playbook::render::contains_unknown(&value) || masked(&value) {
            continue;
        }
        if let Err(why) = crate::playbook::inputs::check_value(&m.decl, &value) {
            diags.push(
                Diag::at(
                    &m.file,
                    m.span,
                    format!("{} {why}", m.what),
                    "not what the module takes",
                )
                .help(format!("the module declares it at {}", m.declared_at)),
            );
        }
    }
}

fn render_outputs(playbook: &Playbook, scope: &Scope, diags: &mut Diags) -> Vec<PlannedOutput> {
    let r = Renderer {
        playbook,
        file: &playbook.file,
        ctx: scope.context(None),
        mask_secrets: true,
    };
    playbook
        .outputs
        .iter()
        .map(|o| {
            let sensitive = playbook.output_is_secret(o);
            let value = r.node(&o.value).unwrap_or_else(|e| {
                diags.push(e.to_diag());
                Json::Null
            });
            PlannedOutput {
                name: o.name.clone(),
                value,
                sensitive,
            }
        })
        .collect()
}

pub fn summarize(steps: &[PlannedStep]) -> Summary {
    let mut s = Summary::default();
    for p in steps {
        *match p.action {
            Action::Create => &mut s.create,
            Action::Read => &mut s.read,
            Action::Adopt => &mut s.adopt,
            Action::Update => &mut s.update,
            Action::Replace => &mut s.replace,
            Action::Delete => &mut s.delete,
            Action::NoChange => &mut s.no_change,
            Action::Deferred => &mut s.deferred,
            Action::Skip => &mut s.skip,
            Action::Keep => &mut s.keep,
        } += 1;
        s.moved += usize::from(p.moved_from.is_some());
    }
    s
}
