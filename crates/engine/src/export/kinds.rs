//! The steps of each resource type, in the order the exported playbook lists them. The
//! objects others refer to get their step ids first (so that references resolve whatever the
//! order); then every kind's steps are built, most of them by [`Exporter::plain`] from the
//! catalogue alone. Groups, setup keys, policies, routes, routers and users have rules of
//! their own (built-ins, revoked keys, labels, comments).

use onboard_netbird::{FieldType, ObjectSpec, ResourceKind};
use serde_json::{Map, Value, json};

use super::doc::Exporter;
use super::names::id_of;
use super::steps::{Step, body, is_builtin_default, literal, name_of, sort_key, sorted_by};
use crate::playbook::resource::{Identity, StepType};

/// The kinds whose order in the exported playbook is fixed; the other exported top-level
/// kinds follow in catalogue order, then the settings and the users.
const FIRST: [ResourceKind; 7] = [
    ResourceKind::Group,
    ResourceKind::PostureCheck,
    ResourceKind::Network,
    ResourceKind::SetupKey,
    ResourceKind::Policy,
    ResourceKind::Route,
    ResourceKind::NameserverGroup,
];

/// Exported kinds listed by their own collection (not under a parent, not a singleton).
pub fn top_level() -> Vec<ResourceKind> {
    let rest = ResourceKind::ALL.into_iter().filter(|k| {
        let s = k.spec();
        s.exported
            && !s.singleton
            && s.parent_kind().is_none()
            && !FIRST.contains(k)
            && *k != ResourceKind::User
    });
    FIRST.into_iter().chain(rest).collect()
}

/// Exported kinds whose collection lives under an object of `kind`.
fn children(kind: ResourceKind) -> impl Iterator<Item = ResourceKind> {
    ResourceKind::ALL
        .into_iter()
        .filter(move |c| c.spec().exported && c.spec().parent_kind() == Some(kind))
}

/// Kinds whose ids other exported objects hold: referenced by a field, or the parent of a
/// collection.
fn referenced(kind: ResourceKind) -> bool {
    fn refers_in(spec: &ObjectSpec, kind: ResourceKind) -> bool {
        spec.fields.iter().any(|f| {
            f.refers == Some(kind)
                || matches!(f.ty, FieldType::Object(i) | FieldType::ObjectList(i) if refers_in(i, kind))
        })
    }
    ResourceKind::ALL.into_iter().any(|k| {
        let s = k.spec();
        s.exported && (refers_in(&s.body(), kind) || s.parent_kind() == Some(kind))
    })
}

/// The word a step id gets when its name alone is taken or empty.
fn suffix(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::NetworkResource => "resource",
        ResourceKind::NetworkRouter => "router",
        ResourceKind::NameserverGroup => "nameservers",
        ResourceKind::DnsSettings | ResourceKind::AccountSettings => "settings",
        other => other.name(),
    }
}

/// What names an object in its step id and its order: its identity fields (the parent's
/// id left out), joined by spaces.
fn label(kind: ResourceKind, live: &Value) -> String {
    let spec = kind.spec();
    let fields: &[&str] = match spec.identity {
        Identity::Fields(f) => f,
        Identity::AnyOf(sets) => sets.first().copied().unwrap_or_default(),
        Identity::Singleton | Identity::None => &[],
    };
    fields
        .iter()
        .filter(|f| Some(**f) != spec.parent)
        .map(|f| name_of(live, f))
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn sorted(kind: ResourceKind, items: Vec<&Value>) -> Vec<&Value> {
    let mut items = items;
    items.sort_by_cached_key(|v| sort_key(&label(kind, v), v));
    items
}

fn with_name(name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), literal(name));
    m
}

fn live_id(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or_default()
}

impl Exporter<'_> {
    /// Claims step ids for every object that others reference, kind by kind in catalogue
    /// order, each kind's objects in label order.
    pub fn claim_ids(&mut self) {
        let s = self.snap;
        for kind in ResourceKind::ALL.into_iter().filter(|k| referenced(*k)) {
            for o in sorted(kind, s.values(kind)) {
                self.names
                    .claim_for(live_id(o), &label(kind, o), suffix(kind));
            }
        }
    }

    /// Every kind's steps, in the export's order: the collections, then the singletons an
    /// account may have none of (the EDR integrations), in catalogue order.
    pub fn kinds(&mut self) {
        for kind in top_level() {
            match kind {
                ResourceKind::Group => self.groups(),
                ResourceKind::SetupKey => self.setup_keys(),
                ResourceKind::Policy => self.policies(),
                ResourceKind::Route => self.routes(),
                _ => self.plain(kind),
            }
        }
        let absent = ResourceKind::ALL.into_iter().filter(|k| {
            let s = k.spec();
            s.exported && s.may_be_absent
        });
        for kind in absent.collect::<Vec<_>>() {
            self.plain(kind);
        }
    }

    /// A kind without rules of its own: one step per object, its body from the catalogue,
    /// then the objects under it.
    fn plain(&mut self, kind: ResourceKind) {
        let s = self.snap;
        for o in sorted(kind, s.values(kind)) {
            let ctx = format!("{} {}", suffix(kind), label(kind, o));
            // Switched off in NetBird, but a playbook can only create it on (its create takes
            // no `enabled`): a copy would start it. Left out, and said so.
            let writable = kind.spec().field("enabled").is_some();
            if o.get("enabled") == Some(&serde_json::Value::Bool(false)) && !writable {
                self.notes.push(format!(
                    "{ctx}: disabled in NetBird, not exported (a playbook creates it enabled)"
                ));
                continue;
            }
            let mut with = body(&mut self.names, kind, o, &ctx);
            let id = self.step_id(kind, o);
            self.credentials(kind, &id, &label(kind, o), &mut with);
            self.steps
                .push(Step::new(&id, StepType::Resource(kind), with));
            for child in children(kind) {
                self.children(child, live_id(o), &id);
            }
        }
    }

    /// The write-only credentials of an object (an identity provider's `client_secret`), which
    /// NetBird never answers: each becomes a sensitive input `<step id>_<field>`, given at
    /// plan and apply as `ONBOARD_VAR_<step id>_<field>`, and the field its template.
    fn credentials(
        &mut self,
        kind: ResourceKind,
        step: &str,
        label: &str,
        with: &mut Map<String, Value>,
    ) {
        let fields = kind.spec().fields.iter();
        // A singleton has no label: the account's one.
        let of = match label {
            "" => format!("the account's {}", kind.name()),
            label => format!("{} `{label}`", kind.name()),
        };
        for f in fields.filter(|f| f.write_only && f.ty == FieldType::String) {
            let input = format!("{step}_{}", f.name);
            let description = format!(
                "the `{}` of {of} (NetBird never returns it): from your secret store, as \
                 ONBOARD_VAR_{input}",
                f.name,
            );
            self.inputs.insert(
                input.clone(),
                json!({"type": "string", "sensitive": true, "description": description}),
            );
            with.insert(f.name.into(), json!(format!("{{{{ inputs.{input} }}}}")));
        }
    }

    /// The objects of `kind` under the live object `parent`, exported as step `step`.
    fn children(&mut self, kind: ResourceKind, parent: &str, step: &str) {
        let s = self.snap;
        let ctx = format!(
            "{} {step}",
            kind.spec().parent_kind().map_or("", ResourceKind::name)
        );
        let field = kind.spec().parent.unwrap_or_default();
        let mut bodies: Vec<(Map<String, Value>, &Value)> = sorted(kind, s.children(kind, parent))
            .into_iter()
            .map(|o| {
                let mut with = Map::new();
                with.insert(field.into(), self.names.refer(parent, &ctx));
                with.extend(body(&mut self.names, kind, o, &ctx));
                (with, o)
            })
            .collect();
        if kind == ResourceKind::NetworkRouter {
            // Routers have no name: ordered by their body, named after their network.
            bodies.sort_by_cached_key(|(w, _)| Value::Object(w.clone()).to_string());
        }
        for (with, o) in bodies {
            if kind == ResourceKind::NetworkRouter {
                let peer = with.contains_key("peer");
                let id = self.names.claim(&format!("{step}_router"), "router");
                let step = Step::new(&id, StepType::Resource(kind), with);
                self.steps.push(if peer {
                    step.comment(
                        "routes through one peer: peers are not exported, the id is this account's",
                    )
                } else {
                    step
                });
                continue;
            }
            let id = self.step_id(kind, o);
            self.steps
                .push(Step::new(&id, StepType::Resource(kind), with));
        }
    }

    fn groups(&mut self) {
        let s = self.snap;
        for g in sorted_by(s.values(ResourceKind::Group), "name") {
            let name = name_of(g, "name");
            let id = self.step_id(ResourceKind::Group, g);
            let step = Step::new(&id, StepType::GROUP, with_name(name));
            let issued = name_of(g, "issued");
            self.steps.push(if name == "All" {
                step.existing()
                    .comment("every account has it: NetBird manages it, onboarding only uses it")
            } else if !issued.is_empty() && issued != "api" {
                step.existing().comment(format!(
                    "issued by `{issued}`, not by the API: the identity provider manages it"
                ))
            } else {
                step
            });
        }
    }

    fn setup_keys(&mut self) {
        let s = self.snap;
        for k in sorted_by(s.values(ResourceKind::SetupKey), "name") {
            let name = name_of(k, "name");
            if k.get("revoked") == Some(&json!(true)) || k.get("valid") == Some(&json!(false)) {
                self.notes.push(format!(
                    "setup key `{name}`: revoked or expired, not exported"
                ));
                continue;
            }
            let ctx = format!("setup key {name}");
            let with = body(&mut self.names, ResourceKind::SetupKey, k, &ctx);
            let id = self.names.claim(name, "setup_key");
            self.steps.push(Step::new(&id, StepType::SETUP_KEY, with));
        }
    }

    fn policies(&mut self) {
        let s = self.snap;
        let all = s
            .values(ResourceKind::Group)
            .into_iter()
            .find(|g| name_of(g, "name") == "All")
            .map(live_id);
        for p in sorted_by(s.values(ResourceKind::Policy), "name") {
            let name = name_of(p, "name");
            if name == "Default" && is_builtin_default(p, all) {
                let id = self.names.claim("default_policy", "policy");
                self.steps.push(
                    Step::new(&id, StepType::POLICY, with_name(name))
                        .existing()
                        .comment("NetBird's allow-all policy of a new account, unchanged here"),
                );
                continue;
            }
            let ctx = format!("policy {name}");
            let with = body(&mut self.names, ResourceKind::Policy, p, &ctx);
            let step_name = if name == "Default" {
                "default_policy"
            } else {
                name
            };
            let id = self.names.claim(step_name, "policy");
            let step = Step::new(&id, StepType::POLICY, with);
            self.steps.push(if name == "Default" {
                step.set("prune", json!(false)).comment(
                    "NetBird's Default policy, changed in this account; kept if the step is removed",
                )
            } else {
                step
            });
        }
    }

    /// Routes are named by their description, else their network id.
    fn routes(&mut self) {
        let mut routes = self.snap.values(ResourceKind::Route);
        routes.sort_by_cached_key(|r| {
            (
                name_of(r, "network_id").to_owned(),
                name_of(r, "description").to_owned(),
                r.to_string(),
            )
        });
        for r in routes {
            let label = [name_of(r, "description"), name_of(r, "network_id")]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or("route")
                .to_owned();
            let ctx = format!("route {label}");
            let with = body(&mut self.names, ResourceKind::Route, r, &ctx);
            let id = self.names.claim(&label, "route");
            self.steps.push(Step::new(&id, StepType::ROUTE, with));
        }
    }

    /// The step id claimed for a live object in [`Exporter::claim_ids`], or a new one.
    fn step_id(&mut self, kind: ResourceKind, live: &Value) -> String {
        let id = id_of(live).unwrap_or_default();
        match self.names.step_of(id) {
            Some(s) => s.to_owned(),
            None => self.names.claim(&label(kind, live), suffix(kind)),
        }
    }
}
