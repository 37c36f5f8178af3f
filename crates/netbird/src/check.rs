//! Request body validation against the catalogue.
//!
//! [`check_request`] (create body) and [`check_update`] (PUT body) walk a JSON
//! value alongside the kind's [`ObjectSpec`] and report every problem at once:
//! missing required fields, wrong JSON types, values outside an enum or range,
//! and unknown fields. `null` counts as absent. The kind's parent field
//! (`network_id` of a network resource, `user_id` of a token) is accepted at
//! the top level: playbooks write it in `with`, and the client takes it out of
//! the body before sending.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::kind::ResourceKind;
use crate::spec::{FieldSpec, FieldType, ObjectSpec};

/// One problem in a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    /// Where: `name`, `rules[0].protocol`; empty for the body itself.
    pub path: String,
    pub problem: Problem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum Problem {
    Missing,
    Unknown {
        known: Vec<&'static str>,
    },
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    NotInEnum {
        allowed: &'static [&'static str],
    },
    OutOfRange {
        min: i64,
        max: i64,
    },
    /// The kind has no update body: a change means a replacement.
    NotUpdatable,
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_empty() {
            "body"
        } else {
            &self.path
        };
        match &self.problem {
            Problem::Missing => write!(f, "{at}: required field is missing"),
            Problem::Unknown { known } => {
                write!(f, "{at}: unknown field (known: {})", known.join(", "))
            }
            Problem::WrongType { expected, found } => {
                write!(f, "{at}: expected {expected}, found {found}")
            }
            Problem::NotInEnum { allowed } => {
                write!(f, "{at}: must be one of {}", allowed.join(", "))
            }
            Problem::OutOfRange { min, max } => write!(f, "{at}: must be in {min}..={max}"),
            Problem::NotUpdatable => write!(f, "{at}: cannot be updated in place"),
        }
    }
}

/// Validates a create body (for singletons: the body that is PUT).
pub fn check_request(kind: ResourceKind, body: &Value) -> Result<(), Vec<FieldIssue>> {
    let spec = kind.spec();
    finish(check_top(&spec.body(), spec.parent, body))
}

/// Validates an update (PUT) body. A kind that cannot be updated reports one issue.
pub fn check_update(kind: ResourceKind, body: &Value) -> Result<(), Vec<FieldIssue>> {
    let spec = kind.spec();
    match spec.update_body() {
        Some(object) => finish(check_top(&object, spec.parent, body)),
        None => Err(vec![FieldIssue {
            path: String::new(),
            problem: Problem::NotUpdatable,
        }]),
    }
}

/// Validates `value` against any object spec (for nested use by the engine).
pub fn check_object(spec: &ObjectSpec, value: &Value) -> Result<(), Vec<FieldIssue>> {
    finish(check_top(spec, None, value))
}

fn finish(issues: Vec<FieldIssue>) -> Result<(), Vec<FieldIssue>> {
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

fn check_top(spec: &ObjectSpec, parent: Option<&str>, value: &Value) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    check_obj(spec, parent, value, "", &mut issues);
    issues
}

fn check_obj(
    spec: &ObjectSpec,
    parent: Option<&str>,
    value: &Value,
    at: &str,
    issues: &mut Vec<FieldIssue>,
) {
    let Some(map) = value.as_object() else {
        issues.push(wrong_type(at, "an object", value));
        return;
    };
    for name in spec.required {
        if map.get(*name).is_none_or(Value::is_null) {
            issues.push(issue(join(at, name), Problem::Missing));
        }
    }
    for (key, v) in map {
        let here = join(at, key);
        match spec.fields.iter().find(|f| f.name == key) {
            Some(field) if !v.is_null() => check_value(field, v, &here, issues),
            Some(_) => {}
            None if Some(key.as_str()) == parent => {}
            None => issues.push(issue(
                here,
                Problem::Unknown {
                    known: spec.fields.iter().map(|f| f.name).collect(),
                },
            )),
        }
    }
}

fn check_value(field: &FieldSpec, v: &Value, at: &str, issues: &mut Vec<FieldIssue>) {
    match field.ty {
        FieldType::String => check_string(field, v, at, issues),
        FieldType::Integer => check_integer(field, v, at, issues),
        FieldType::Boolean if v.is_boolean() => {}
        FieldType::Boolean => issues.push(wrong_type(at, field.ty.describe(), v)),
        FieldType::Map if v.is_object() => {}
        FieldType::Map => issues.push(wrong_type(at, field.ty.describe(), v)),
        FieldType::Object(spec) => check_obj(spec, None, v, at, issues),
        FieldType::StringList | FieldType::ObjectList(_) => {
            let Some(items) = v.as_array() else {
                issues.push(wrong_type(at, field.ty.describe(), v));
                return;
            };
            for (i, item) in items.iter().enumerate() {
                let here = format!("{at}[{i}]");
                match field.ty {
                    FieldType::ObjectList(spec) => check_obj(spec, None, item, &here, issues),
                    _ if item.is_string() => {}
                    _ => issues.push(wrong_type(&here, "a string", item)),
                }
            }
        }
    }
}

fn check_string(field: &FieldSpec, v: &Value, at: &str, issues: &mut Vec<FieldIssue>) {
    match v.as_str() {
        None => issues.push(wrong_type(at, "a string", v)),
        Some(s) if !field.enum_values.is_empty() && !field.enum_values.contains(&s) => {
            issues.push(issue(
                at.to_owned(),
                Problem::NotInEnum {
                    allowed: field.enum_values,
                },
            ));
        }
        Some(_) => {}
    }
}

fn check_integer(field: &FieldSpec, v: &Value, at: &str, issues: &mut Vec<FieldIssue>) {
    let Some(n) = v.as_i64() else {
        issues.push(wrong_type(at, "an integer", v));
        return;
    };
    if let Some((min, max)) = field.range
        && !(min..=max).contains(&n)
    {
        issues.push(issue(at.to_owned(), Problem::OutOfRange { min, max }));
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

fn issue(path: String, problem: Problem) -> FieldIssue {
    FieldIssue { path, problem }
}

fn wrong_type(at: &str, expected: &'static str, found: &Value) -> FieldIssue {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    issue(at.to_owned(), Problem::WrongType { expected, found })
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
