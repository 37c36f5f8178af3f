//! The JSON Schema of each step type's `with`, derived from the API client's catalogue.
//!
//! Every field of the catalogue becomes a property with its JSON type, enum, range, length
//! and format pattern; unknown fields are refused (`additionalProperties: false`); the fields
//! a playbook must write (required by the API, no default) are `required` unless the step is
//! `existing`. Any value may also be a template (`"{{ ... }}"`), which only apply can judge.

use onboard_netbird::{FieldSpec, FieldType, Format, ObjectSpec};
use serde_json::{Map, Value, json};

use crate::playbook::resource::{Shape, StepType, missing_required};

/// A string holding a template: judged when rendered, not by the schema.
const TEMPLATE: &str = "^.*\\{\\{.*\\}\\}.*$";

/// Add `$defs.with_<type>` for every step type and tie each to `Step.with` by `type`.
pub fn extend(schema: &mut Value) {
    let mut defs = Map::new();
    let mut all_of = Vec::new();
    defs.insert(
        "template".into(),
        json!({"type": "string", "pattern": TEMPLATE}),
    );
    for ty in StepType::ALL {
        let Some(api) = ty.spec().api() else {
            continue;
        };
        let name = format!("with_{}", ty.name());
        let mut body = object(&api.body(), Some(Vec::new()));
        if let (Some(parent), Some(props)) = (api.parent, body["properties"].as_object_mut()) {
            let of = api
                .parent_kind()
                .map_or_else(|| "the parent".to_owned(), |k| format!("a {}", k.name()));
            let description = match api.msp_action {
                // An action on a tenant: the playbook's tenant when left out.
                true => "the id of the MSP tenant, the playbook's tenant (`{{ tenant.id }}`) \
                         when left out"
                    .to_owned(),
                false => format!("the id of {of}, usually `{{{{ steps.<id>.id }}}}`"),
            };
            props.insert(
                parent.into(),
                json!({"type": "string", "description": description}),
            );
        }
        nest_defaults(&mut body, &ty.spec().body);
        defs.insert(name.clone(), body);
        all_of.push(json!({
            "if": {"properties": {"type": {"const": ty.name()}}, "required": ["type"]},
            "then": {"properties": {"with": {"$ref": format!("#/$defs/{name}")}}}
        }));
        // An action's `tenant_id` defaults to the tenant block's, which the schema cannot see.
        let defaulted = |f: &str| api.msp_action && Some(f) == api.parent;
        let required = missing_required(&ty.spec().body, &defaulted);
        if !required.is_empty() {
            all_of.push(json!({
                "if": {
                    "properties": {"type": {"const": ty.name()}},
                    "required": ["type"],
                    "not": {"properties": {"existing": {"const": true}}, "required": ["existing"]}
                },
                "then": {"properties": {"with": {"required": required}}, "required": ["with"]}
            }));
        }
    }
    if let Some(d) = schema.get_mut("$defs").and_then(Value::as_object_mut) {
        d.extend(defs);
        if let Some(step) = d.get_mut("Step").and_then(Value::as_object_mut) {
            step.insert("allOf".into(), Value::Array(all_of));
        }
    }
}

/// Nested lists with an engine shape (policy rules, nameservers): their required fields are
/// those without a default.
fn nest_defaults(body: &mut Value, shape: &Shape) {
    for (list, inner) in &shape.nested {
        let required = missing_required(inner, &|_| false);
        if let Some(items) = body.pointer_mut(&format!("/properties/{list}/anyOf/0/items")) {
            items["required"] = json!(required);
        }
    }
}

/// An object: its fields, `required` from the spec unless `required` is given.
fn object(spec: &ObjectSpec, required: Option<Vec<&str>>) -> Value {
    let props: Map<String, Value> = spec
        .fields
        .iter()
        .map(|f| (f.name.to_owned(), or_template(field(f))))
        .collect();
    let mut out = json!({"type": "object", "properties": props, "additionalProperties": false});
    let required = required.unwrap_or_else(|| spec.required.to_vec());
    if !required.is_empty() {
        out["required"] = json!(required);
    }
    out
}

fn or_template(v: Value) -> Value {
    json!({"anyOf": [v, {"$ref": "#/$defs/template"}]})
}

fn field(f: &FieldSpec) -> Value {
    let mut s = shape(f);
    // An id field says which kind it takes; validate refuses ids of another kind.
    match (f.refers, f.ty) {
        (Some(kind), FieldType::StringList) => {
            s["description"] = json!(format!(
                "ids of {} objects, usually `[\"{{{{ steps.<id>.id }}}}\"]`",
                kind.name()
            ));
        }
        (Some(kind), _) => {
            s["description"] = json!(format!(
                "the id of a {} object, usually `{{{{ steps.<id>.id }}}}`",
                kind.name()
            ));
        }
        (None, _) => {}
    }
    s
}

fn shape(f: &FieldSpec) -> Value {
    match f.ty {
        FieldType::String => {
            let mut s = json!({"type": "string"});
            if !f.enum_values.is_empty() {
                s["enum"] = json!(f.enum_values);
            }
            lengths(&mut s, f, "minLength", "maxLength");
            if let Some(p) = f.format.and_then(pattern) {
                s["pattern"] = json!(p);
            }
            s
        }
        FieldType::Integer => integer(f),
        FieldType::Boolean => json!({"type": "boolean"}),
        FieldType::Map => json!({"type": "object"}),
        FieldType::Object(spec) => object(spec, None),
        FieldType::StringList => {
            let mut item = json!({"type": "string"});
            if let Some(p) = f.format.and_then(pattern) {
                item["pattern"] = json!(p);
            }
            let mut s = json!({"type": "array", "items": or_template(item)});
            lengths(&mut s, f, "minItems", "maxItems");
            s
        }
        FieldType::IntegerList => {
            let item = or_template(json!({"type": "integer"}));
            let mut s = json!({"type": "array", "items": item});
            lengths(&mut s, f, "minItems", "maxItems");
            s
        }
        FieldType::ObjectList(spec) => {
            let mut s = json!({"type": "array", "items": object(spec, None)});
            lengths(&mut s, f, "minItems", "maxItems");
            s
        }
    }
}

fn integer(f: &FieldSpec) -> Value {
    let mut s = json!({"type": "integer"});
    if let Some((min, max)) = f.range {
        s["minimum"] = json!(min);
        if max != i64::MAX {
            s["maximum"] = json!(max);
        }
    }
    if f.zero_ok {
        s = json!({"anyOf": [{"const": 0}, s]});
    }
    s
}

fn lengths(s: &mut Value, f: &FieldSpec, min_key: &str, max_key: &str) {
    if let Some((min, max)) = f.length {
        if min > 0 {
            s[min_key] = json!(min);
        }
        if max != usize::MAX {
            s[max_key] = json!(max);
        }
    }
}

/// A loose pattern for editors; the catalogue's check is the authority.
fn pattern(format: Format) -> Option<&'static str> {
    match format {
        Format::Port => Some("^[0-9]{1,5}$"),
        Format::Country => Some("^[A-Za-z]{2}$"),
        Format::Version => Some("^v?[0-9]+(\\.[0-9]+)*([-+].*)?$"),
        Format::Cidr => Some("^[0-9A-Fa-f:.]+/[0-9]{1,3}$"),
        Format::Email => Some("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"),
        Format::Domain => Some("^(\\*\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"),
        Format::Ip | Format::Address => None,
    }
}
