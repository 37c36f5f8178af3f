//! One exported step per live object: the `with` body in the API's own field names, with
//! live ids turned into references, read-only and empty fields dropped, and the documented
//! defaults left out (they come back when the playbook is applied).

use serde_json::{Map, Value, json};

use super::names::{Names, id_of};
use onboard_netbird::{FieldType, ObjectSpec, ResourceKind};

use crate::playbook::resource::{Shape, StepType};

/// One step of the exported playbook, with an optional comment line above it.
#[derive(Debug, Clone)]
pub struct Step {
    pub comment: Option<String>,
    pub body: Map<String, Value>,
}

impl Step {
    pub fn new(id: &str, ty: StepType, with: Map<String, Value>) -> Step {
        let mut body = Map::new();
        body.insert("id".into(), json!(id));
        body.insert("type".into(), json!(ty.name()));
        body.insert("with".into(), Value::Object(with));
        Step {
            comment: None,
            body,
        }
    }

    /// Marks the step `existing: true` (put before `with`, as people write it).
    pub fn existing(mut self) -> Step {
        let with = self.body.shift_remove("with");
        self.body.insert("existing".into(), json!(true));
        if let Some(w) = with {
            self.body.insert("with".into(), w);
        }
        self
    }

    /// Sets a field placed before `with` (`scope`, `prune`, `for_each`).
    pub fn set(mut self, field: &str, value: Value) -> Step {
        let with = self.body.shift_remove("with");
        self.body.insert(field.into(), value);
        if let Some(w) = with {
            self.body.insert("with".into(), w);
        }
        self
    }

    pub fn comment(mut self, text: impl Into<String>) -> Step {
        self.comment = Some(text.into());
        self
    }
}

/// The name of a live object (`name`, or another identifying text field).
pub fn name_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// Objects sorted by a text field as people read it (case-insensitive), then by their whole
/// JSON (stable for equal names).
pub fn sorted_by<'a>(items: Vec<&'a Value>, field: &str) -> Vec<&'a Value> {
    let mut out = items;
    out.sort_by_cached_key(|v| sort_key(name_of(v, field), v));
    out
}

/// The order of objects named `name`.
pub fn sort_key(name: &str, v: &Value) -> (String, String, String) {
    (name.to_lowercase(), name.to_owned(), v.to_string())
}

/// The fields of `live` listed in `fields`, without nulls.
pub fn pick(live: &Value, fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|f| {
            let v = live.get(*f)?;
            (!v.is_null()).then(|| ((*f).to_owned(), without_nulls(v)))
        })
        .collect()
}

fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        Value::String(text) => literal(text),
        other => other.clone(),
    }
}

/// A live string as a playbook value. Text with template syntax (`{{`, `{%`, `{#`) is
/// written as one string literal in one expression, `{{ '...' }}`, so that it renders as
/// itself and nothing in it is template code: the template engine reads a string literal to
/// its closing quote, and every quote and backslash of the text is escaped (control
/// characters too, as `\uXXXX`). A `{% raw %}` block would not do: the text could close it.
pub fn literal(text: &str) -> Value {
    if !["{{", "{%", "{#"].iter().any(|t| text.contains(t)) {
        return Value::String(text.to_owned());
    }
    let mut out = String::from("{{ '");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push_str("' }}");
    Value::String(out)
}

/// Text for a `# comment` line: control characters (a line break would end the comment and
/// make the rest of the text YAML) written as `\u{..}`.
pub fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Drops fields equal to the documented default of `ty` (nested lists included), and empty
/// optional lists and strings that the API treats as absent.
pub fn drop_defaults(ty: StepType, with: &mut Map<String, Value>) {
    drop_shape(&ty.spec().body, with);
}

fn drop_shape(shape: &Shape, obj: &mut Map<String, Value>) {
    for (field, default) in &shape.defaults {
        if obj.get(*field) == Some(default) {
            obj.shift_remove(*field);
        }
    }
    for (field, inner) in &shape.nested {
        if let Some(Value::Array(items)) = obj.get_mut(*field) {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                drop_shape(inner, item);
            }
        }
    }
}

/// Removes `fields` whose value is an empty string, list or map.
pub fn drop_empty(obj: &mut Map<String, Value>, fields: &[&str]) {
    for f in fields {
        let empty = match obj.get(*f) {
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(m)) => m.is_empty(),
            _ => false,
        };
        if empty {
            obj.shift_remove(*f);
        }
    }
}

/// The `with` body of a live object of `kind`, from the catalogue alone: the request fields
/// an export carries (not those that belong to one account), without nulls; ids of other
/// kinds as step references; optional fields that are empty and fields equal to their
/// default left out (they come back when the playbook is applied).
pub fn body(names: &mut Names, kind: ResourceKind, live: &Value, ctx: &str) -> Map<String, Value> {
    let spec = kind.spec();
    let mut with = object(names, &spec.body(), live, ctx, !spec.singleton);
    drop_defaults(StepType::Resource(kind), &mut with);
    with
}

fn object(
    names: &mut Names,
    spec: &ObjectSpec,
    live: &Value,
    ctx: &str,
    drop_optional: bool,
) -> Map<String, Value> {
    let carried: Vec<&str> = spec
        .fields
        .iter()
        .filter(|f| !f.per_account)
        .map(|f| f.name)
        .collect();
    let mut obj = pick(live, &carried);
    for f in spec.fields {
        let Some(v) = obj.get_mut(f.name) else {
            continue;
        };
        match (f.ty, f.refers) {
            (FieldType::ObjectList(inner), _) => {
                if let Value::Array(items) = v {
                    for item in items.iter_mut() {
                        *item = Value::Object(object(names, inner, item, ctx, drop_optional));
                    }
                }
            }
            // Kept whole; the ids inside become references.
            (FieldType::Object(inner), _) => refer_inside(names, inner, v, ctx),
            (_, Some(_)) => *v = refer(names, v, ctx),
            _ => {}
        }
    }
    if drop_optional {
        let optional: Vec<&str> = spec
            .fields
            .iter()
            .filter(|f| !spec.required.contains(&f.name) && f.default.is_none())
            .map(|f| f.name)
            .collect();
        drop_empty(&mut obj, &optional);
    }
    obj
}

fn refer_inside(names: &mut Names, spec: &ObjectSpec, v: &mut Value, ctx: &str) {
    let Value::Object(map) = v else { return };
    for f in spec.fields.iter().filter(|f| f.refers.is_some()) {
        if let Some(inner) = map.get_mut(f.name) {
            *inner = refer(names, inner, ctx);
        }
    }
}

/// An id, or a list of ids (or of objects with ids), as step references.
fn refer(names: &mut Names, v: &Value, ctx: &str) -> Value {
    match v {
        Value::String(id) => names.refer(id, ctx),
        Value::Array(_) => names.refer_all(Some(v), ctx),
        other => other.clone(),
    }
}

/// Whether a `Default` policy is still NetBird's: enabled, one accept rule, All to All both
/// ways, every protocol, no posture checks.
pub fn is_builtin_default(policy: &Value, all_group: Option<&str>) -> bool {
    let rules = policy.get("rules").and_then(Value::as_array);
    let Some([rule]) = rules.map(Vec::as_slice) else {
        return false;
    };
    let only_all = |field: &str| {
        let ids: Vec<&str> = rule
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(id_of)
            .collect();
        all_group.is_some_and(|all| ids == [all])
    };
    policy.get("enabled") == Some(&json!(true))
        && policy
            .get("source_posture_checks")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        && rule.get("enabled") == Some(&json!(true))
        && rule.get("action") == Some(&json!("accept"))
        && rule.get("bidirectional") == Some(&json!(true))
        && rule.get("protocol") == Some(&json!("all"))
        && only_all("sources")
        && only_all("destinations")
}
