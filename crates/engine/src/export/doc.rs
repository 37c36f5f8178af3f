//! The exported playbook as a document: header comments, `inputs`, the `tenant` block, the
//! steps of every type, the singletons and the users, rendered to YAML.

use std::collections::BTreeMap;

use onboard_netbird::ResourceKind;
use serde_json::{Map, Value, json};

use super::emit;
use super::names::{Names, id_of, slug};
use super::snapshot::Snapshot;
use super::steps::{Step, body, comment_text, literal, name_of, sorted_by};
use crate::playbook::resource::StepType;

/// Builds the playbook from a snapshot.
pub struct Exporter<'a> {
    pub snap: &'a Snapshot,
    pub names: Names,
    pub steps: Vec<Step>,
    pub inputs: Map<String, Value>,
    pub notes: Vec<String>,
}

/// The playbook text for `snap`, named `name` (default: from the domain).
pub fn playbook(snap: &Snapshot, name: Option<&str>) -> String {
    let mut ex = Exporter {
        snap,
        names: Names::default(),
        steps: Vec::new(),
        inputs: Map::new(),
        notes: Vec::new(),
    };
    let tenant = ex.tenant();
    ex.claim_ids();
    ex.kinds();
    ex.singletons();
    ex.users();
    if let Some(t) = &snap.tenant {
        for step in &mut ex.steps {
            if let Some(with) = step.body.get_mut("with") {
                templated_domain(with, &t.domain);
            }
        }
    }
    let name = name.map_or_else(|| default_name(snap), str::to_owned);
    ex.render(&name, tenant.as_ref())
}

/// The tenant's domain inside values (`intranet.acme.example`) becomes `{{ inputs.domain }}`,
/// so the export is a template for other customers. Strings with template syntax (references,
/// names written as string literals) are left alone.
fn templated_domain(v: &mut Value, domain: &str) {
    match v {
        Value::String(s) if !domain.is_empty() && s.contains(domain) && !s.contains('{') => {
            *s = s.replace(domain, "{{ inputs.domain }}");
        }
        Value::Array(items) => items.iter_mut().for_each(|i| templated_domain(i, domain)),
        Value::Object(map) => map.values_mut().for_each(|i| templated_domain(i, domain)),
        _ => {}
    }
}

fn default_name(snap: &Snapshot) -> String {
    let base = slug(&snap.domain).replace('_', "-");
    if base.is_empty() {
        "exported".to_owned()
    } else {
        base
    }
}

impl Exporter<'_> {
    /// The tenant block and its inputs; MSP-side groups become `existing` steps.
    fn tenant(&mut self) -> Option<Value> {
        let t = self.snap.tenant.as_ref()?;
        self.input(
            "customer",
            json!(t.name),
            "Customer display name (the tenant's name)",
        );
        self.input(
            "domain",
            json!(t.domain),
            "Customer domain; identifies the tenant",
        );
        let mut groups = Vec::new();
        for g in &t.groups {
            let Some(live) = self
                .snap
                .msp_groups
                .iter()
                .find(|m| id_of(m) == Some(&g.id))
            else {
                groups.push(json!({"id": g.id, "role": g.role}));
                self.notes.push(format!(
                    "tenant group `{}` is not a group of the MSP account; its id is kept",
                    g.id
                ));
                continue;
            };
            let name = name_of(live, "name");
            let base = slug(name);
            let base = if base.starts_with("msp") {
                base
            } else {
                format!("msp_{base}")
            };
            let id = self.names.claim_for(&g.id, &base, "group");
            let mut with = Map::new();
            with.insert("name".into(), literal(name));
            self.steps.push(
                Step::new(&id, StepType::GROUP, with)
                    .existing()
                    .set("scope", json!("msp"))
                    .comment("a group of the MSP account whose members manage the tenant"),
            );
            groups.push(json!({"id": format!("{{{{ steps.{id}.id }}}}"), "role": g.role}));
        }
        Some(json!({
            "name": "{{ inputs.customer }}",
            "domain": "{{ inputs.domain }}",
            "groups": groups,
        }))
    }

    fn input(&mut self, name: &str, default: Value, description: &str) {
        let ty = if default.is_array() { "list" } else { "string" };
        self.inputs.insert(
            name.to_owned(),
            json!({"type": ty, "default": default, "description": description}),
        );
    }

    /// DNS settings and the account settings an export carries (the catalogue leaves out
    /// the values that belong to one account: its network range, DNS domain, switches).
    fn singletons(&mut self) {
        let dns = body(
            &mut self.names,
            ResourceKind::DnsSettings,
            &self.snap.dns,
            "dns settings",
        );
        if !dns.is_empty() {
            let id = self.names.claim("dns", "settings");
            self.steps.push(Step::new(&id, StepType::DNS_SETTINGS, dns));
        }
        let settings = body(
            &mut self.names,
            ResourceKind::AccountSettings,
            &self.snap.settings,
            "account settings",
        );
        if !settings.is_empty() {
            let id = self.names.claim("settings", "settings");
            self.steps.push(
                Step::new(&id, StepType::ACCOUNT_SETTINGS, settings).comment(
                    "only these fields are changed; the rest stay as the account has them",
                ),
            );
        }
    }

    /// Regular users grouped by role, groups and blocking: one `for_each` step each, over a
    /// list input of emails. Service users: one step each, by name.
    fn users(&mut self) {
        let mut groups: BTreeMap<(String, String, bool), (Value, Vec<String>)> = BTreeMap::new();
        for u in sorted_by(self.snap.values(ResourceKind::User), "email") {
            let email = name_of(u, "email");
            let role = name_of(u, "role").to_owned();
            if role == "owner" || u.get("is_current") == Some(&json!(true)) {
                let who = if email.is_empty() {
                    name_of(u, "name")
                } else {
                    email
                };
                self.notes.push(format!(
                    "user `{who}` ({}): the account's owner or the PAT's own user, not exported",
                    if role == "owner" {
                        "owner"
                    } else {
                        "current user"
                    }
                ));
                continue;
            }
            let ctx = format!("user {email}");
            let auto = self.names.refer_all(u.get("auto_groups"), &ctx);
            let blocked = u.get("is_blocked") == Some(&json!(true));
            if u.get("is_service_user") == Some(&json!(true)) {
                self.service_user(u, &role, auto, blocked);
                continue;
            }
            let key = (role, auto.to_string(), blocked);
            groups
                .entry(key)
                .or_insert((auto, Vec::new()))
                .1
                .push(email.to_owned());
        }
        for ((role, _, blocked), (auto, emails)) in groups {
            let base = if role == "user" {
                "users".to_owned()
            } else {
                format!("{role}_users")
            };
            let id = self.names.claim(&base, "");
            let what = if role == "user" {
                "users".to_owned()
            } else {
                format!("{role}s")
            };
            self.input(&id, json!(emails), &format!("Emails of the {what}"));
            let mut with = Map::new();
            with.insert("email".into(), json!("{{ item }}"));
            with.insert("role".into(), json!(role));
            with.insert("auto_groups".into(), auto);
            if blocked {
                with.insert("is_blocked".into(), json!(true));
            }
            let step = Step::new(&id, StepType::USER, with)
                .set("for_each", json!(format!("{{{{ inputs.{id} }}}}")));
            self.steps.push(step);
        }
    }

    fn service_user(&mut self, u: &Value, role: &str, auto: Value, blocked: bool) {
        let name = name_of(u, "name");
        let mut with = Map::new();
        with.insert("name".into(), literal(name));
        with.insert("role".into(), json!(role));
        with.insert("auto_groups".into(), auto);
        with.insert("is_service_user".into(), json!(true));
        if blocked {
            with.insert("is_blocked".into(), json!(true));
        }
        let id = self.names.claim(name, "service_user");
        self.steps.push(Step::new(&id, StepType::USER, with));
    }

    fn render(&mut self, name: &str, tenant: Option<&Value>) -> String {
        let mut out = String::new();
        out.push_str("# yaml-language-server: $schema=../schemas/playbook.schema.json\n");
        out.push_str(&format!(
            "# Exported by `onboard export` from {}.\n",
            comment_text(&self.snap.domain)
        ));
        out.push_str(HEADER);
        if self.snap.tenant.is_none() {
            out.push_str(
                "# No tenant block: it runs in the PAT's own account, or in `--account ID`.\n",
            );
        }
        self.render_notes(&mut out);
        let mut head = Map::new();
        head.insert("version".into(), json!(1));
        head.insert("name".into(), json!(name));
        let description = format!("Exported from {}", self.snap.domain);
        head.insert("description".into(), json!(description));
        emit::map(&mut out, &head, 0);
        if !self.inputs.is_empty() {
            out.push_str("\ninputs:\n");
            emit::map(&mut out, &self.inputs, 2);
        }
        if let Some(Value::Object(t)) = tenant {
            out.push_str("\ntenant:\n");
            emit::map(&mut out, t, 2);
        }
        out.push_str("\nsteps:\n");
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if let Some(c) = &step.comment {
                out.push_str(&format!("  # {}\n", comment_text(c)));
            }
            emit::block(
                &mut out,
                &Value::Array(vec![Value::Object(step.body.clone())]),
                2,
            );
        }
        out
    }

    fn render_notes(&self, out: &mut String) {
        let unknown = self.names.unknown.iter().map(|(id, ctx)| {
            format!("{ctx}: id `{id}` is not part of the export (a peer?) and is kept as is")
        });
        let notes: Vec<String> = self.notes.iter().cloned().chain(unknown).collect();
        if !notes.is_empty() {
            out.push_str("#\n# Notes:\n");
            for n in notes {
                out.push_str(&format!("#   - {}\n", comment_text(&n)));
            }
        }
        out.push('\n');
    }
}

const HEADER: &str = "\
# Peers are not exported: machines join with the setup keys below and land in their groups.
# Setup keys are exported without their secret `key`, and with NetBird's default lifetime.
# Personal access tokens are not exported. Ids are step references (`{{ steps.<id>.id }}`).
";
