//! One exported step per live object: the `with` body in the API's own field names, with
//! live ids turned into references, read-only and empty fields dropped, and the documented
//! defaults left out (they come back when the playbook is applied).

use serde_json::{Map, Value, json};

use super::names::{Names, id_of};
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
pub fn sorted_by<'a>(items: &'a [Value], field: &str) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = items.iter().collect();
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
    drop_shape(ty.spec().body, with);
}

fn drop_shape(shape: &Shape, obj: &mut Map<String, Value>) {
    for (field, default) in (shape.defaults)() {
        if obj.get(field) == Some(&default) {
            obj.shift_remove(field);
        }
    }
    for (field, inner) in shape.nested {
        if let Some(Value::Array(items)) = obj.get_mut(*field) {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                drop_shape(inner, item);
            }
        }
    }
}

/// Removes `fields` whose value is an empty string or an empty list.
pub fn drop_empty(obj: &mut Map<String, Value>, fields: &[&str]) {
    for f in fields {
        let empty = match obj.get(*f) {
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if empty {
            obj.shift_remove(*f);
        }
    }
}

/// Replaces the ids in each of `fields` (lists of ids or objects) with references.
pub fn refer_lists(names: &mut Names, obj: &mut Map<String, Value>, fields: &[&str], ctx: &str) {
    for f in fields {
        if let Some(list) = obj.get(*f).cloned() {
            obj.insert((*f).to_owned(), names.refer_all(Some(&list), ctx));
        }
    }
}

/// A `{id, type}` resource reference with the id as a step reference.
pub fn refer_resource(names: &mut Names, obj: &mut Map<String, Value>, field: &str, ctx: &str) {
    let Some(Value::Object(res)) = obj.get(field).cloned() else {
        return;
    };
    let mut out = Map::new();
    if let Some(id) = res.get("id").and_then(Value::as_str) {
        out.insert("id".into(), names.refer(id, ctx));
    }
    if let Some(t) = res.get("type") {
        out.insert("type".into(), t.clone());
    }
    obj.insert(field.to_owned(), Value::Object(out));
}

/// A policy rule as a playbook writes it.
pub fn rule(names: &mut Names, live: &Value, ctx: &str) -> Value {
    let mut r = pick(
        live,
        &[
            "name",
            "description",
            "enabled",
            "action",
            "bidirectional",
            "protocol",
            "ports",
            "port_ranges",
            "authorized_groups",
            "sources",
            "sourceResource",
            "destinations",
            "destinationResource",
        ],
    );
    refer_lists(names, &mut r, &["sources", "destinations"], ctx);
    refer_resource(names, &mut r, "sourceResource", ctx);
    refer_resource(names, &mut r, "destinationResource", ctx);
    drop_empty(
        &mut r,
        &[
            "description",
            "ports",
            "port_ranges",
            "sources",
            "destinations",
        ],
    );
    if r.get("authorized_groups")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        r.shift_remove("authorized_groups");
    }
    Value::Object(r)
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
