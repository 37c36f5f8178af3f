//! The API's rules applied to rendered step bodies, before any request.
//!
//! The rules live in one place, the API client's catalogue (`onboard_netbird::check_request`:
//! types, enums, ranges, lengths, formats, unknown fields, cross-field rules). This module runs
//! it on a step instance's rendered body and turns each problem into a [`Diag`] at the line and
//! column of the field in the playbook: the problem's JSON path (`rules[0].protocol`) is walked
//! down the step's `with` tree, which keeps its spans. Values not known yet (`(known after
//! apply)`) and masked secrets are opaque to the check; [`check_body`] checks the real body
//! again just before it is sent, when ids are known.

use onboard_netbird::{FieldIssue, Problem, check_request_with};
use serde_json::Value as Json;

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, did_you_mean};
use crate::playbook::model::{Playbook, Step};
use crate::playbook::render::SENSITIVE;
use crate::playbook::resource::StepType;
use crate::playbook::template::{Target, UNKNOWN};
use crate::playbook::yaml::{Node, Value};

/// Whether a rendered string stands for a value the check cannot see.
fn opaque(s: &str) -> bool {
    s.contains(UNKNOWN) || s == SENSITIVE
}

/// Check a fully rendered create body of `ty` just before it is sent (ids known). The error
/// names the fields and the rules, never the values (a value may come from a secret).
pub fn check_body(ty: StepType, body: &Json) -> Result<(), BodyRefused> {
    let Some(kind) = ty.resource_kind() else {
        return Ok(());
    };
    check_request_with(kind, body, &|_| false).map_err(|issues| BodyRefused {
        ty: ty.name(),
        what: "body",
        issues,
    })
}

/// A rendered body NetBird would refuse: which fields break which rules (never the values).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {ty} {what} would be refused by NetBird: {}", issue_list(.issues))]
pub struct BodyRefused {
    /// The step type's name.
    pub ty: &'static str,
    /// `body` (a create) or `update` (a PUT).
    pub what: &'static str,
    pub issues: Vec<onboard_netbird::FieldIssue>,
}

fn issue_list(issues: &[onboard_netbird::FieldIssue]) -> String {
    let list: Vec<String> = issues.iter().map(ToString::to_string).collect();
    list.join("; ")
}

/// Check a fully rendered update (PUT) body of `ty` just before it is sent; like
/// [`check_body`], the error names fields and rules, never values.
pub fn check_update_body(ty: StepType, body: &Json) -> Result<(), BodyRefused> {
    let Some(kind) = ty.resource_kind() else {
        return Ok(());
    };
    onboard_netbird::check_update(kind, body).map_err(|issues| BodyRefused {
        ty: ty.name(),
        what: "update",
        issues,
    })
}

/// Check one planned instance of `step` (its rendered body, defaults filled in).
pub fn check_instance(playbook: &Playbook, step: &Step, body: &Json) -> Result<(), Diag> {
    if step.existing {
        return Ok(());
    }
    let mut issues = match step.ty.resource_kind() {
        Some(kind) => check_request_with(kind, body, &opaque)
            .err()
            .unwrap_or_default(),
        None => Vec::new(),
    };
    // A singleton's `with` is merged into the live settings: what it leaves out is kept (not
    // so for one that may be absent: its body is sent whole, and creates it).
    if step.ty.spec().identity == crate::playbook::resource::Identity::Singleton
        && !step
            .ty
            .resource_kind()
            .is_some_and(|k| k.spec().may_be_absent)
    {
        issues.retain(|i| i.problem != Problem::Missing || i.path.contains(['.', '[']));
    }
    let mut extra = all_group_refs(playbook, step);
    if issues.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut found: Vec<Found> = issues
        .drain(..)
        .map(|i| Found::of(step, body, &i))
        .collect();
    found.append(&mut extra);
    Err(to_diag(step, found))
}

/// One problem, located.
struct Found {
    span: Span,
    message: String,
    label: String,
    help: Option<String>,
}

impl Found {
    fn of(step: &Step, body: &Json, issue: &FieldIssue) -> Found {
        let path = segments(&issue.path);
        let (node, key) = locate(&step.with, &path);
        let value = pointer(body, &path);
        let shown = value.and_then(show);
        let span = match (&issue.problem, key) {
            (Problem::Unknown { .. }, Some(k)) => k,
            _ => node.span,
        };
        let field = if issue.path.is_empty() {
            format!("the {} body", step.ty.name())
        } else {
            format!("`{}`", issue.path)
        };
        let label = match (&issue.problem, &shown) {
            (Problem::Unknown { .. }, _) => "unknown field".to_owned(),
            (Problem::Missing, _) => format!("add `{}`", issue.path),
            (_, Some(v)) => format!("found {v}"),
            (_, None) => "here".to_owned(),
        };
        let message = match &issue.problem {
            Problem::Unknown { .. } => format!("unknown field {field}"),
            Problem::Missing => format!("{field} is missing"),
            Problem::WrongType { expected, found } => {
                format!("{field} must be {expected}, found {found}")
            }
            Problem::Rule { message } => format!("{field}: {message}"),
            p => format!("{field} {p}"),
        };
        Found {
            span,
            message,
            label,
            help: help(&issue.problem, value, node, &step.file),
        }
    }
}

fn help(problem: &Problem, value: Option<&Json>, node: &Node, file: &SourceFile) -> Option<String> {
    match problem {
        Problem::Unknown {
            suggestion: Some(s),
            ..
        } => Some(format!("did you mean `{s}`?")),
        Problem::Unknown { known, .. } => Some(format!("known fields: {}", known.join(", "))),
        Problem::NotInEnum { allowed } => value
            .and_then(Json::as_str)
            .and_then(|v| did_you_mean(v, allowed.iter().copied()))
            .map(|s| format!("did you mean `{s}`?")),
        Problem::WrongType {
            expected: "a boolean",
            ..
        } if yaml11_bool(node) && !file.is_quoted(node.span) => {
            Some("YAML 1.2 has only `true` and `false` as booleans: write `true` or `false`".into())
        }
        Problem::WrongType {
            expected: "an integer",
            found: "a string",
        } => Some("write the number without quotes, in the unit the field takes".into()),
        Problem::WrongType {
            expected: "a list of strings",
            ..
        } => Some("write a list: `[a, b]`".into()),
        Problem::Format { expected: f } if f.contains("port number") => {
            Some("ports are strings in NetBird: `ports: [\"443\"]`".into())
        }
        _ => None,
    }
}

/// `yes`/`no`/`on`/`off` (and `y`/`n`) as written: YAML 1.1 booleans, strings in YAML 1.2.
fn yaml11_bool(node: &Node) -> bool {
    const WORDS: [&str; 8] = ["yes", "no", "on", "off", "y", "n", "True", "False"];
    node.as_str()
        .is_some_and(|s| WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)))
}

/// A short rendering of a scalar value for a label (`"tcpp"`, `33`), none for opaque ones.
fn show(v: &Json) -> Option<String> {
    match v {
        Json::String(s) if opaque(s) => None,
        Json::String(s) if s.is_empty() => Some("an empty string".into()),
        Json::String(s) => (s.chars().count() <= 60).then(|| format!("`{s}`")),
        Json::Number(_) | Json::Bool(_) => Some(format!("`{v}`")),
        Json::Array(a) if a.len() == 1 => Some("1 item".into()),
        Json::Array(a) => Some(format!("{} items", a.len())),
        Json::Object(_) | Json::Null => None,
    }
}

/// One step of a path: a key or a list index.
#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `rules[0].protocol` → `rules`, 0, `protocol`.
fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Seg::Key(rest[..i].to_owned()));
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                if let Ok(n) = rest[1..end].parse() {
                    out.push(Seg::Index(n));
                }
                rest = &rest[end + 1..];
            }
        } else {
            out.push(Seg::Key(rest.to_owned()));
        }
    }
    out
}

/// The deepest node of `with` along `path`, and the key span of the last step if it is a key
/// that was written.
fn locate<'n>(with: &'n Node, path: &[Seg]) -> (&'n Node, Option<Span>) {
    let mut node = with;
    let mut key = None;
    for seg in path {
        let next = match (seg, &node.value) {
            (Seg::Key(k), Value::Map(entries)) => entries
                .iter()
                .find(|(name, _)| name.name == *k)
                .map(|(name, v)| (v, Some(name.span))),
            (Seg::Index(i), Value::Seq(items)) => items.get(*i).map(|v| (v, None)),
            _ => None,
        };
        match next {
            Some((n, k)) => {
                node = n;
                key = k;
            }
            None => return (node, None),
        }
    }
    (node, key)
}

fn pointer<'j>(body: &'j Json, path: &[Seg]) -> Option<&'j Json> {
    path.iter().try_fold(body, |v, seg| match seg {
        Seg::Key(k) => v.get(k.as_str()),
        Seg::Index(i) => v.get(*i),
    })
}

/// A setup key's `auto_groups` item that is the id of a group step named `All`.
fn all_group_refs(playbook: &Playbook, step: &Step) -> Vec<Found> {
    let Some(list) = step.with.get("auto_groups") else {
        return Vec::new();
    };
    if step.ty != StepType::SETUP_KEY {
        return Vec::new();
    }
    let within = |s: Span| {
        s.offset >= list.span.offset && s.offset < list.span.offset + list.span.len.max(1)
    };
    let mut out = Vec::new();
    for t in step.templates.iter().filter(|t| within(t.span)) {
        for r in &t.refs {
            let Target::Step { id, .. } = &r.target else {
                continue;
            };
            let named_all = playbook.step(id).is_some_and(|s| {
                s.ty == StepType::GROUP && s.with.get("name").and_then(Node::as_str) == Some("All")
            });
            if named_all {
                out.push(Found {
                    span: t.span,
                    message: "`auto_groups` names the `All` group, which NetBird refuses in a setup key (422)".into(),
                    label: format!("the id of `{id}`, the `All` group"),
                    help: Some("every peer joins `All` anyway: leave it out".into()),
                });
            }
        }
    }
    out
}

fn to_diag(step: &Step, mut found: Vec<Found>) -> Diag {
    found.sort_by_key(|f| f.span.offset);
    let what = format!("step `{}` ({})", step.id, step.ty.name());
    let mut iter = found.into_iter();
    let Some(first) = iter.next() else {
        return Diag::at(
            &step.file,
            step.span,
            format!("{what}: invalid body"),
            "here",
        );
    };
    let rest: Vec<Found> = iter.collect();
    if rest.is_empty() {
        return Diag::at(
            &step.file,
            first.span,
            format!("{what}: {}", first.message),
            first.label,
        )
        .maybe_help(first.help);
    }
    let count = rest.len() + 1;
    let mut helps = Vec::new();
    let mut diag = Diag::at(
        &step.file,
        first.span,
        format!("{what}: {count} problems NetBird would refuse"),
        format!("{} ({})", first.message, first.label),
    );
    helps.extend(first.help);
    for f in rest {
        diag = diag.label(f.span, format!("{} ({})", f.message, f.label));
        helps.extend(f.help);
    }
    diag.maybe_help((!helps.is_empty()).then(|| helps.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_keys_and_indexes() {
        assert_eq!(
            segments("rules[0].port_ranges[1].start"),
            [
                Seg::Key("rules".into()),
                Seg::Index(0),
                Seg::Key("port_ranges".into()),
                Seg::Index(1),
                Seg::Key("start".into()),
            ]
        );
        assert!(segments("").is_empty());
    }

    /// Every default the engine fills in is a value the catalogue's own checks accept: a body
    /// (and a rule, a nameserver) made of defaults only has no issue but missing fields.
    #[test]
    fn the_catalogue_defaults_pass_the_catalogue_checks() {
        use onboard_netbird::{FieldType, ObjectSpec};
        fn defaults_only(spec: &ObjectSpec) -> serde_json::Value {
            let mut obj = serde_json::Map::new();
            for f in spec.fields {
                if let Some(d) = f.default {
                    obj.insert(f.name.into(), d.to_json());
                } else if let FieldType::ObjectList(inner) = f.ty {
                    obj.insert(f.name.into(), serde_json::json!([defaults_only(inner)]));
                }
            }
            serde_json::Value::Object(obj)
        }
        let mut defaults = 0;
        for ty in StepType::ALL {
            let Some(api) = ty.spec().api() else { continue };
            defaults += ty.spec().body.defaults.len();
            let body = defaults_only(&api.body());
            let issues = onboard_netbird::check_object(&api.body(), &body).err();
            for i in issues.into_iter().flatten() {
                assert!(
                    matches!(i.problem, Problem::Missing),
                    "{}: the default at `{}` is refused: {}",
                    ty.name(),
                    i.path,
                    i.problem
                );
            }
        }
        assert!(
            defaults > 20,
            "the catalogue declares the defaults ({defaults})"
        );
    }

    #[test]
    fn update_bodies_are_checked_with_the_same_rules() {
        let put = serde_json::json!({"revoked": false, "auto_groups": ["g1"]});
        assert_eq!(check_update_body(StepType::SETUP_KEY, &put), Ok(()));
        let rule = serde_json::json!({"name": "r", "enabled": true, "action": "accept",
            "bidirectional": true, "protocol": "tcp", "sources": ["g"], "destinations": ["g"]});
        let policy =
            serde_json::json!({"name": "p", "enabled": true, "rules": [rule.clone(), rule]});
        let err = check_update_body(StepType::POLICY, &policy)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rules[1]"), "{err}");
    }

    #[test]
    fn check_body_names_fields_not_values() {
        let body = serde_json::json!({"name": "k", "type": "one-off", "expires_in": 86400,
            "auto_groups": ["secret-id"], "usage_limit": 5});
        let err = check_body(StepType::SETUP_KEY, &body)
            .unwrap_err()
            .to_string();
        assert!(err.contains("usage_limit"), "{err}");
        assert!(!err.contains("secret-id"), "{err}");
        assert_eq!(check_body(StepType::Request, &body), Ok(()));
    }
}
