//! Typed references: an id field takes the ids of one kind.
//!
//! The API client's catalogue says which kind each id field holds ([`FieldSpec::refers`]:
//! `auto_groups` holds group ids, `source_posture_checks` posture check ids) and which kind a
//! parent id names ([`KindSpec::parent_kind`]: a network resource's `network_id`). This module
//! walks each step's `with` along its kind's fields and refuses, each at its place:
//!
//! - a reference to the `id` of a step of another kind (a network's id in `auto_groups`);
//! - a single string where the field takes a list (`sources: "{{ steps.x.id }}"`);
//! - a literal equal to the id or the name of a step of the field's kind where an id belongs
//!   (`sources: [laptops]`): NetBird takes ids, never names.
//!
//! Steps with `existing: true` and steps in another scope count as their kind. Peers are not a
//! kind of the playbook: `peer` and `peers` take peer ids and are not checked. A `request`
//! step's kind is unknown, so a reference to it is not checked either.

use onboard_netbird::{FieldType, KindSpec, ObjectSpec, ResourceKind};

use crate::diag::source::Span;
use crate::diag::{Diag, Diags};
use crate::playbook::model::{Playbook, Step};
use crate::playbook::template::{Form, Target, Template};
use crate::playbook::yaml::{Node, Value};

/// Check every step's id fields.
pub fn check(playbook: &Playbook, diags: &mut Diags) {
    for step in &playbook.steps {
        let Some(spec) = step.ty.spec().api() else {
            continue;
        };
        let walk = Walk { playbook, step };
        walk.parent(spec, diags);
        walk.object(&step.with, &spec.body(), "", diags);
    }
}

/// How a kind is written in messages: `group`, `posture check`.
fn kind_name(kind: ResourceKind) -> String {
    kind.name().replace('_', " ")
}

/// `a group`, `an account settings`.
fn a(kind: ResourceKind) -> String {
    let name = kind_name(kind);
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

struct Walk<'a> {
    playbook: &'a Playbook,
    step: &'a Step,
}

impl Walk<'_> {
    /// The parent id (`network_id` of a network resource): one id of the parent's kind.
    fn parent(&self, spec: &KindSpec, diags: &mut Diags) {
        let (Some(field), Some(kind)) = (spec.parent, spec.parent_kind()) else {
            return;
        };
        if let Some(node) = self.step.with.get(field) {
            self.id(node, field, kind, diags);
        }
    }

    /// The fields of a map `node` that follows `spec`; `at` is the path of the map.
    fn object(&self, node: &Node, spec: &ObjectSpec, at: &str, diags: &mut Diags) {
        let Some(entries) = node.as_map() else {
            return;
        };
        // A resource of type `peer` holds a peer id: not a kind of the playbook.
        let peer = entries
            .iter()
            .any(|(k, v)| k.name == "type" && v.as_str() == Some("peer"));
        for (key, value) in entries {
            let Some(field) = spec.fields.iter().find(|f| f.name == key.name) else {
                continue;
            };
            let path = if at.is_empty() {
                field.name.to_owned()
            } else {
                format!("{at}.{}", field.name)
            };
            match (field.ty, field.refers) {
                (FieldType::StringList, Some(kind)) => self.ids(value, &path, kind, diags),
                (FieldType::String, Some(kind)) if !peer => self.id(value, &path, kind, diags),
                (FieldType::Object(inner), _) => self.object(value, inner, &path, diags),
                (FieldType::ObjectList(inner), _) => {
                    for (i, item) in value.as_seq().unwrap_or_default().iter().enumerate() {
                        self.object(item, inner, &format!("{path}[{i}]"), diags);
                    }
                }
                _ => {}
            }
        }
    }

    /// A field that takes a list of ids of `kind`.
    fn ids(&self, node: &Node, path: &str, kind: ResourceKind, diags: &mut Diags) {
        match &node.value {
            Value::Seq(items) => {
                for item in items {
                    self.id(item, path, kind, diags);
                }
            }
            Value::Str(_) => {
                let Some(tpl) = self.template(node) else {
                    // A literal string: the body check refuses it as not a list, located.
                    return;
                };
                let one_id = match &tpl.form {
                    Form::Mixed => true,
                    Form::Expr(_) => tpl.refs.iter().any(
                        |r| matches!(&r.target, Target::Step { field: Some(f), .. } if f == "id"),
                    ),
                    Form::Literal => false,
                };
                if !one_id {
                    // A template that may yield a list (`{{ inputs.groups }}`): judged when rendered.
                    return;
                }
                let field = path.rsplit('.').next().unwrap_or(path);
                diags.push(
                    self.diag(
                        node.span,
                        format!(
                            "`{path}` takes a list of {} ids, found a single string",
                            kind_name(kind)
                        ),
                        "a string, not a list",
                    )
                    .help(format!(
                        "write a list, even of one id: `{field}: [\"{}\"]`",
                        tpl.src
                    )),
                );
            }
            _ => {}
        }
    }

    /// One id of `kind`: a reference to a step of that kind, or a value that is not a step's
    /// name.
    fn id(&self, node: &Node, path: &str, kind: ResourceKind, diags: &mut Diags) {
        let Some(text) = node.as_str() else {
            return;
        };
        match self.template(node) {
            Some(tpl) => {
                if matches!(tpl.form, Form::Expr(_)) {
                    self.typed(tpl, path, kind, diags);
                }
            }
            None => self.literal(node, text, path, kind, diags),
        }
    }

    /// The references of `tpl` to an `id` name steps of `kind`.
    fn typed(&self, tpl: &Template, path: &str, kind: ResourceKind, diags: &mut Diags) {
        for r in &tpl.refs {
            let Target::Step {
                id,
                field: Some(field),
                ..
            } = &r.target
            else {
                continue;
            };
            if field != "id" {
                continue;
            }
            let Some(target) = self.playbook.step(id) else {
                continue;
            };
            let Some(found) = target.ty.resource_kind() else {
                continue;
            };
            if found == kind {
                continue;
            }
            let hint = match self.steps_of(kind).as_slice() {
                [] => format!(
                    "reference the id of {} step: `{{{{ steps.<id>.id }}}}`",
                    a(kind)
                ),
                [one] => format!("did you mean `{{{{ steps.{one}.id }}}}`?"),
                many => format!(
                    "reference one of the {} steps: {}",
                    kind_name(kind),
                    many.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            diags.push(
                self.diag(
                    r.span,
                    format!(
                        "`{path}` takes {} ids, but step `{id}` is {}",
                        kind_name(kind),
                        a(found)
                    ),
                    format!("the id of {}", a(found)),
                )
                .help(hint),
            );
        }
    }

    /// A literal where an id belongs: refused when it is the id or the name of a step of
    /// `kind`, whose id is meant.
    fn literal(&self, node: &Node, text: &str, path: &str, kind: ResourceKind, diags: &mut Diags) {
        let Some(target) = self.playbook.steps.iter().find(|s| {
            s.ty.resource_kind() == Some(kind)
                && s.for_each.is_none()
                && (s.id == text || literal_name(s) == Some(text))
        }) else {
            return;
        };
        let (what, label) = if target.id == text {
            (
                format!("the id of step `{}`", target.id),
                "a step's id, not NetBird's",
            )
        } else {
            (
                format!("the name of step `{}`", target.id),
                "a name, not an id",
            )
        };
        diags.push(
            self.diag(
                node.span,
                format!(
                    "`{path}` takes {} ids, found `{text}`, {what}",
                    kind_name(kind)
                ),
                label,
            )
            .help(format!(
                "NetBird takes ids, known after the step runs: did you mean `{{{{ steps.{}.id }}}}`?",
                target.id
            )),
        );
    }

    fn template(&self, node: &Node) -> Option<&Template> {
        self.step.templates.iter().find(|t| t.span == node.span)
    }

    /// The ids of the steps of `kind` (a `for_each` step's instances are not listed).
    fn steps_of(&self, kind: ResourceKind) -> Vec<&str> {
        self.playbook
            .steps
            .iter()
            .filter(|s| s.ty.resource_kind() == Some(kind) && s.for_each.is_none())
            .map(|s| s.id.as_str())
            .collect()
    }

    fn diag(&self, span: Span, message: String, label: impl Into<String>) -> Diag {
        Diag::at(
            &self.step.file,
            span,
            format!(
                "step `{}` ({}): {message}",
                self.step.id,
                self.step.ty.name()
            ),
            label,
        )
    }
}

/// A step's `name`, when written as a literal.
fn literal_name(step: &Step) -> Option<&str> {
    step.with
        .get("name")
        .and_then(Node::as_str)
        .filter(|n| !n.contains("{{") && !n.contains("{%"))
}
