//! Where the secrets a run creates go: which outputs keep them.
//!
//! A secret is a field NetBird shows once, in the answer to a create: a setup key's `key`, a
//! token's `plain_token`, a `request` step's `secret_fields`, a user's `password`.
//! [`kept_fields`] says which of them onboard must keep: all of a setup key, a token or a
//! request; a user's password only when an output reads it (NetBird returns one only when its
//! IdP creates passwords; otherwise an invitation goes by email, and a plain invite creates no
//! secret).
//!
//! An output is written only when every secret it reads is shown in this run, i.e. was created
//! in this run ([`reads`]); otherwise it is left out and the outputs file keeps what it held.
//! [`needs`] applies that to a plan, before anything is written: the instances that will create
//! a kept secret (they need a sink, `--outputs FILE`), and those of them that no output written
//! in this run would keep (apply refuses them, saying what to add to `outputs:`).

use crate::plan::{Action, Plan, PlannedStep};
use crate::playbook::model::{Output, Playbook, Step};
use crate::playbook::resource::StepType;
use crate::playbook::secrets::Secrets;
use crate::playbook::template::{InstanceKey, Target};

/// The secret fields of a step's object (for a `request`, those the catalogue knows for its
/// path and its `secret_fields`: see [`Secrets`]).
pub fn secret_fields(step: &Step) -> Vec<String> {
    Secrets::of_step(step).top_fields()
}

/// The secret fields a create of `step` hands back that onboard must keep (empty: none).
pub fn kept_fields(pb: &Playbook, step: &Step) -> Vec<String> {
    let fields = secret_fields(step);
    let wanted = step.ty != StepType::USER
        || pb
            .outputs
            .iter()
            .any(|o| reads(o, step, &Instance::Any, &fields));
    if wanted { fields } else { Vec::new() }
}

/// Which instances of a step a reference may mean.
#[derive(Debug, Clone, PartialEq)]
pub enum Instance {
    /// A step without `for_each` (`None`), or one instance of it (`Some(key)`).
    One(Option<String>),
    /// Any instance: a `for_each` whose instances are known only at apply.
    Any,
}

/// Whether `output` reads one of `fields` (the step's secret fields) of `instance` of `step`,
/// directly or as part of the whole object or map of instances.
pub fn reads(output: &Output, step: &Step, instance: &Instance, fields: &[String]) -> bool {
    output.templates.iter().flat_map(|t| &t.refs).any(|r| {
        let Target::Step { id, key, field } = &r.target else {
            return false;
        };
        let instance_matches = match (instance, key) {
            (Instance::Any, _) | (_, None) => true,
            (Instance::One(_), Some(InstanceKey::Computed)) => true,
            (Instance::One(k), Some(InstanceKey::Literal(key))) => {
                k.as_deref() == Some(key.as_str())
            }
        };
        *id == step.id && instance_matches && field.as_ref().is_none_or(|f| fields.contains(f))
    })
}

/// The outputs that read (and so keep) the secret of `instance` of `step`.
pub fn keepers<'p>(pb: &'p Playbook, step: &Step, instance: &Instance) -> Vec<&'p Output> {
    let fields = secret_fields(step);
    pb.outputs
        .iter()
        .filter(|o| reads(o, step, instance, &fields))
        .collect()
}

/// An instance that will create a secret onboard keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSecret {
    pub address: String,
    pub ty: &'static str,
    /// When no output written in this run would keep it: the `outputs:` lines to add.
    pub add: Vec<String>,
    /// Outputs that read it but are not written in this run (they also read a secret created
    /// in an earlier run, which NetBird will not show again).
    pub blocked: Vec<String>,
}

impl NewSecret {
    /// Whether an output written in this run keeps it.
    pub fn is_kept(&self) -> bool {
        self.add.is_empty()
    }
}

/// Every instance of `plan` that will create a secret onboard keeps, and for those that no
/// output written in this run would keep, what to add.
pub fn needs(pb: &Playbook, plan: &Plan) -> Vec<NewSecret> {
    let mut out = Vec::new();
    for p in &plan.steps {
        let Some(step) = pb.step(&p.step) else {
            continue;
        };
        let fields = kept_fields(pb, step);
        if fields.is_empty() || !shown(p.action) {
            continue;
        }
        let instance = instance(p);
        let keepers = keepers(pb, step, &instance);
        let (written, blocked): (Vec<&Output>, Vec<&Output>) =
            keepers.into_iter().partition(|o| written(pb, plan, o));
        let add = match written.is_empty() {
            true => fields.iter().map(|f| line(step, &instance, f)).collect(),
            false => Vec::new(),
        };
        out.push(NewSecret {
            address: p.address.clone(),
            ty: step.ty.name(),
            add,
            blocked: blocked.iter().map(|o| o.name.clone()).collect(),
        });
    }
    out
}

/// Whether a planned action shows the object's secrets: a create (a replacement creates
/// anew; a deferred `for_each` may create).
fn shown(action: Action) -> bool {
    matches!(action, Action::Create | Action::Replace | Action::Deferred)
}

fn instance(p: &PlannedStep) -> Instance {
    if p.action == Action::Deferred {
        return Instance::Any;
    }
    Instance::One(key_of(&p.address, &p.step))
}

/// The `for_each` key of an address (`id["key"]`), if any.
pub fn key_of(address: &str, id: &str) -> Option<String> {
    let quoted = address
        .strip_prefix(id)?
        .strip_prefix('[')?
        .strip_suffix(']')?;
    serde_json::from_str(quoted).ok()
}

/// Whether the plan writes `output` in this run: every secret it reads is shown.
fn written(pb: &Playbook, plan: &Plan, output: &Output) -> bool {
    plan.steps.iter().all(|q| {
        let Some(step) = pb.step(&q.step) else {
            return true;
        };
        let fields = secret_fields(step);
        fields.is_empty() || !reads(output, step, &instance(q), &fields) || shown(q.action)
    })
}

/// The `outputs:` line that keeps `field` of an instance.
fn line(step: &Step, instance: &Instance, field: &str) -> String {
    let id = &step.id;
    match instance {
        Instance::One(None) => format!("{id}_{field}: \"{{{{ steps.{id}.{field} }}}}\""),
        Instance::One(Some(k)) => {
            let quoted = serde_json::Value::String(k.clone()).to_string();
            let template = format!("{{{{ steps.{id}[{quoted}].{field} }}}}");
            format!(
                "{}: '{}'",
                name(&format!("{id}_{k}_{field}")),
                template.replace('\'', "''")
            )
        }
        Instance::Any => format!("{id}: \"{{{{ steps.{id} }}}}\""),
    }
}

/// An output name from any text: lower-case letters, digits and `_`.
fn name(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_lowercase(),
            false => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> crate::playbook::Loaded {
        let file = crate::diag::source::SourceFile::new("t.yaml", text);
        crate::playbook::load(&file).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn plan(loaded: &crate::playbook::Loaded, actions: &[(&str, Action)]) -> Plan {
        let mut plan = crate::plan::offline(
            &loaded.playbook,
            &loaded.dag,
            &crate::playbook::inputs::Inputs::default(),
            None,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        for (address, action) in actions {
            let p = plan.steps.iter_mut().find(|p| p.address == *address);
            p.unwrap_or_else(|| panic!("no {address}")).action = *action;
        }
        plan
    }

    const KEYS: &str = r#"version: 1
name: t
steps:
  - id: g
    type: group
    with: { name: G }
  - id: keys
    type: setup_key
    for_each: { a: 1, b: 2 }
    with: { name: "k-{{ key }}", type: reusable, expires_in: 86400 }
  - id: one
    type: setup_key
    with: { name: one, type: reusable, expires_in: 86400 }
  - id: alice
    type: user
    with: { email: alice@example.com, role: user }
outputs:
  all: "{{ steps.keys }}"
  group: "{{ steps.g.id }}"
"#;

    #[test]
    fn a_key_no_output_reads_is_not_kept_and_the_line_to_add_is_given() {
        let l = load(KEYS);
        let needs = needs(&l.playbook, &plan(&l, &[]));
        let one = needs.iter().find(|n| n.address == "one").unwrap();
        assert_eq!(one.add, ["one_key: \"{{ steps.one.key }}\""]);
        let a = needs.iter().find(|n| n.address == "keys[\"a\"]").unwrap();
        assert!(a.is_kept(), "the map of instances keeps it: {a:?}");
        assert!(
            needs.iter().all(|n| n.address != "alice"),
            "a plain invite creates no secret onboard keeps"
        );
    }

    #[test]
    fn an_output_that_also_reads_an_earlier_runs_key_keeps_no_new_one() {
        let l = load(KEYS);
        let p = plan(&l, &[("keys[\"a\"]", Action::NoChange)]);
        let needs = needs(&l.playbook, &p);
        let b = needs.iter().find(|n| n.address == "keys[\"b\"]").unwrap();
        assert_eq!(b.blocked, ["all"]);
        assert_eq!(b.add, ["keys_b_key: '{{ steps.keys[\"b\"].key }}'"]);
        assert!(needs.iter().all(|n| n.address != "keys[\"a\"]"));
    }

    #[test]
    fn a_users_password_is_kept_when_an_output_reads_it() {
        let text = KEYS.replace(
            "  group: \"{{ steps.g.id }}\"",
            "  pw: \"{{ steps.alice.password }}\"",
        );
        let l = load(&text);
        let needs = needs(&l.playbook, &plan(&l, &[]));
        let alice = needs.iter().find(|n| n.address == "alice").unwrap();
        assert!(alice.is_kept(), "{alice:?}");
    }

    #[test]
    fn the_key_of_an_address() {
        assert_eq!(key_of("keys[\"a b\"]", "keys"), Some("a b".into()));
        assert_eq!(key_of("keys", "keys"), None);
    }
}
