//! The steps of each resource type, in the order the exported playbook lists them. Every
//! function first claims the step ids of its objects (so that references to them resolve
//! whatever the order) and then builds the steps.

use onboard_netbird::ResourceKind;
use serde_json::{Map, Value, json};

use super::doc::Exporter;
use super::names::id_of;
use super::steps::{
    Step, drop_defaults, drop_empty, is_builtin_default, literal, name_of, pick, refer_lists, rule,
    sort_key, sorted_by,
};
use crate::playbook::resource::StepType;

fn with_name(name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), literal(name));
    m
}

fn live_id(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or_default()
}

impl Exporter<'_> {
    /// Claims step ids for every object that others reference, in a fixed order.
    pub fn claim_ids(&mut self) {
        let s = self.snap;
        for g in sorted_by(&s.groups, "name") {
            self.names
                .claim_for(live_id(g), name_of(g, "name"), "group");
        }
        for (kind, items) in [
            ("posture_check", &s.posture_checks),
            ("network", &s.networks),
        ] {
            for o in sorted_by(items, "name") {
                self.names.claim_for(live_id(o), name_of(o, "name"), kind);
            }
        }
        let mut resources: Vec<&(String, Value)> = s.resources.iter().collect();
        resources.sort_by_cached_key(|(_, r)| sort_key(name_of(r, "name"), r));
        for (_, r) in resources {
            self.names
                .claim_for(live_id(r), name_of(r, "name"), "resource");
        }
    }

    pub fn groups(&mut self) {
        let s = self.snap;
        for g in sorted_by(&s.groups, "name") {
            let name = name_of(g, "name");
            let id = self.step_id(g);
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

    pub fn posture_checks(&mut self) {
        for p in sorted_by(&self.snap.posture_checks, "name") {
            let mut with = pick(p, &["name", "description", "checks"]);
            drop_defaults(StepType::POSTURE_CHECK, &mut with);
            let id = self.step_id(p);
            self.steps
                .push(Step::new(&id, StepType::POSTURE_CHECK, with));
        }
    }

    pub fn networks(&mut self) {
        let s = self.snap;
        for n in sorted_by(&s.networks, "name") {
            let mut with = pick(n, &["name", "description"]);
            drop_defaults(StepType::NETWORK, &mut with);
            let id = self.step_id(n);
            self.steps.push(Step::new(&id, StepType::NETWORK, with));
            self.network_children(live_id(n), &id);
        }
    }

    fn network_children(&mut self, network: &str, step: &str) {
        let s = self.snap;
        let ctx = format!("network {step}");
        let mine = |list: &'_ [(String, Value)]| -> Vec<Value> {
            list.iter()
                .filter(|(n, _)| n == network)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let resources = mine(&s.resources);
        for r in sorted_by(&resources, "name") {
            let mut with = Map::new();
            with.insert("network_id".into(), self.names.refer(network, &ctx));
            with.extend(pick(
                r,
                &["name", "description", "address", "enabled", "groups"],
            ));
            refer_lists(&mut self.names, &mut with, &["groups"], &ctx);
            drop_defaults(StepType::NETWORK_RESOURCE, &mut with);
            let id = self.step_id(r);
            self.steps
                .push(Step::new(&id, StepType::NETWORK_RESOURCE, with));
        }
        let mut routers: Vec<Map<String, Value>> = mine(&s.routers)
            .iter()
            .map(|r| {
                let mut with = Map::new();
                with.insert("network_id".into(), self.names.refer(network, &ctx));
                with.extend(pick(
                    r,
                    &["peer", "peer_groups", "metric", "masquerade", "enabled"],
                ));
                refer_lists(&mut self.names, &mut with, &["peer_groups"], &ctx);
                drop_empty(&mut with, &["peer", "peer_groups"]);
                with
            })
            .collect();
        routers.sort_by_cached_key(|w| Value::Object(w.clone()).to_string());
        for mut with in routers {
            let peer = with.contains_key("peer");
            drop_defaults(StepType::NETWORK_ROUTER, &mut with);
            let id = self.names.claim(&format!("{step}_router"), "router");
            let step = Step::new(&id, StepType::NETWORK_ROUTER, with);
            self.steps.push(if peer {
                step.comment(
                    "routes through one peer: peers are not exported, the id is this account's",
                )
            } else {
                step
            });
        }
    }

    pub fn setup_keys(&mut self) {
        for k in sorted_by(&self.snap.setup_keys, "name") {
            let name = name_of(k, "name");
            if k.get("revoked") == Some(&json!(true)) || k.get("valid") == Some(&json!(false)) {
                self.notes.push(format!(
                    "setup key `{name}`: revoked or expired, not exported"
                ));
                continue;
            }
            let mut with = pick(
                k,
                &[
                    "name",
                    "type",
                    "auto_groups",
                    "usage_limit",
                    "ephemeral",
                    "allow_extra_dns_labels",
                ],
            );
            let ctx = format!("setup key {name}");
            refer_lists(&mut self.names, &mut with, &["auto_groups"], &ctx);
            drop_defaults(StepType::SETUP_KEY, &mut with);
            let id = self.names.claim(name, "setup_key");
            self.steps.push(Step::new(&id, StepType::SETUP_KEY, with));
        }
    }

    pub fn policies(&mut self) {
        let all = self
            .snap
            .groups
            .iter()
            .find(|g| name_of(g, "name") == "All")
            .map(live_id);
        for p in sorted_by(&self.snap.policies, "name") {
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
            let mut with = pick(
                p,
                &["name", "description", "enabled", "source_posture_checks"],
            );
            refer_lists(&mut self.names, &mut with, &["source_posture_checks"], &ctx);
            let rules: Vec<Value> = p
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| rule(&mut self.names, r, &ctx))
                .collect();
            with.insert("rules".into(), Value::Array(rules));
            drop_defaults(StepType::POLICY, &mut with);
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

    pub fn routes(&mut self) {
        let mut routes: Vec<&Value> = self.snap.routes.iter().collect();
        routes.sort_by_cached_key(|r| {
            (
                name_of(r, "network_id").to_owned(),
                name_of(r, "description").to_owned(),
                r.to_string(),
            )
        });
        for r in routes {
            let mut with = pick(r, &request_fields(ResourceKind::Route));
            let label = [name_of(r, "description"), name_of(r, "network_id")]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or("route")
                .to_owned();
            let ctx = format!("route {label}");
            let lists = ["peer_groups", "groups", "access_control_groups"];
            refer_lists(&mut self.names, &mut with, &lists, &ctx);
            drop_empty(&mut with, &["peer", "peer_groups", "network", "domains"]);
            drop_empty(&mut with, &["access_control_groups"]);
            drop_defaults(StepType::ROUTE, &mut with);
            let id = self.names.claim(&label, "route");
            self.steps.push(Step::new(&id, StepType::ROUTE, with));
        }
    }

    pub fn nameserver_groups(&mut self) {
        for n in sorted_by(&self.snap.nameserver_groups, "name") {
            let name = name_of(n, "name");
            let mut with = pick(n, &request_fields(ResourceKind::NameserverGroup));
            refer_lists(
                &mut self.names,
                &mut with,
                &["groups"],
                &format!("nameservers {name}"),
            );
            drop_defaults(StepType::NAMESERVER_GROUP, &mut with);
            let id = self.names.claim(name, "nameservers");
            self.steps
                .push(Step::new(&id, StepType::NAMESERVER_GROUP, with));
        }
    }

    /// The step id claimed for a live object in [`Exporter::claim_ids`], or a new one.
    fn step_id(&mut self, live: &Value) -> String {
        let id = id_of(live).unwrap_or_default();
        match self.names.step_of(id) {
            Some(s) => s.to_owned(),
            None => self.names.claim(name_of(live, "name"), "step"),
        }
    }
}

/// Every request field of `kind`, as the API client's catalogue lists them.
fn request_fields(kind: ResourceKind) -> Vec<&'static str> {
    kind.spec().fields.iter().map(|f| f.name).collect()
}
