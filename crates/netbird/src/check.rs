//! Request body validation against the catalogue.
//!
//! [`check_request`] (create body) and [`check_update`] (PUT body) walk a JSON
//! value alongside the kind's [`ObjectSpec`] and report every problem at once:
//! missing required fields, wrong JSON types, values outside an enum, a range
//! or a length, strings of the wrong format (IP, CIDR, domain, ...), unknown
//! fields (with a suggestion), and the cross-field rules of `cross.rs`. `null`
//! counts as absent. The kind's parent field (`network_id` of a network
//! resource, `user_id` of a token) is accepted at the top level: playbooks
//! write it in `with`, and the client takes it out of the body before sending.
//!
//! The `_with` variants take an `opaque` predicate: a string for which it is
//! true stands for a value not known yet (the engine's "known after apply"),
//! which may turn out to be of any type; it is never reported.

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
        suggestion: Option<&'static str>,
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
        zero_ok: bool,
    },
    /// A string's length or a list's item count.
    Length {
        min: usize,
        max: usize,
        items: bool,
    },
    /// A string that is not in the field's format.
    Format {
        expected: &'static str,
    },
    /// A cross-field rule of the API (both `peer` and `peer_groups`, ...).
    Rule {
        message: String,
    },
    /// The kind has no update body: a change means a replacement.
    NotUpdatable,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => write!(f, "required field is missing"),
            Problem::Unknown {
                suggestion: Some(s),
                ..
            } => write!(f, "unknown field (did you mean `{s}`?)"),
            Problem::Unknown { known, .. } => {
                write!(f, "unknown field (known: {})", known.join(", "))
            }
            Problem::WrongType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            Problem::NotInEnum { allowed } => write!(f, "must be one of {}", allowed.join(", ")),
            Problem::OutOfRange { min, max, zero_ok } => {
                let range = match max {
                    &i64::MAX => format!("at least {min}"),
                    _ => format!("in {min}..={max}"),
                };
                match zero_ok {
                    true => write!(f, "must be 0 or {range}"),
                    false => write!(f, "must be {range}"),
                }
            }
            Problem::Length { min, max, items } => {
                let unit = if *items { "item" } else { "character" };
                match (min, max) {
                    (1, &usize::MAX) if !items => write!(f, "must not be empty"),
                    (m, &usize::MAX) => write!(f, "needs at least {m} {unit}(s)"),
                    (0, m) => write!(f, "takes at most {m} {unit}(s)"),
                    (a, b) => write!(f, "needs {a} to {b} {unit}(s)"),
                }
            }
            Problem::Format { expected } => write!(f, "must be {expected}"),
            Problem::Rule { message } => f.write_str(message),
            Problem::NotUpdatable => write!(f, "cannot be updated in place"),
        }
    }
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_empty() {
            "body"
        } else {
            &self.path
        };
        write!(f, "{at}: {}", self.problem)
    }
}

/// Validates a create body (for singletons: the body that is PUT).
pub fn check_request(kind: ResourceKind, body: &Value) -> Result<(), Vec<FieldIssue>> {
    check_request_with(kind, body, &|_| false)
}

/// [`check_request`], with strings for which `opaque` is true standing for unknown values.
pub fn check_request_with(
    kind: ResourceKind,
    body: &Value,
    opaque: &dyn Fn(&str) -> bool,
) -> Result<(), Vec<FieldIssue>> {
    let spec = kind.spec();
    let c = Checker { opaque };
    let mut issues = c.top(&spec.body(), spec.parent, body);
    if let Some(map) = body.as_object() {
        crate::cross::check(kind, map, opaque, &mut issues);
    }
    finish(issues)
}

/// Validates an update (PUT) body. A kind that cannot be updated reports one issue.
pub fn check_update(kind: ResourceKind, body: &Value) -> Result<(), Vec<FieldIssue>> {
    let spec = kind.spec();
    let c = Checker { opaque: &|_| false };
    match spec.update_body() {
        Some(object) => {
            let mut issues = c.top(&object, spec.parent, body);
            // The cross-field rules hold for updates too; a user's update body has no
            // `email` and no `is_service_user`, so its create-only rule does not apply.
            if let (true, Some(map)) = (kind != ResourceKind::User, body.as_object()) {
                crate::cross::check(kind, map, &|_| false, &mut issues);
            }
            finish(issues)
        }
        None => Err(vec![FieldIssue {
            path: String::new(),
            problem: Problem::NotUpdatable,
        }]),
    }
}

/// Validates `value` against any object spec (for nested use by the engine).
pub fn check_object(spec: &ObjectSpec, value: &Value) -> Result<(), Vec<FieldIssue>> {
    finish(Checker { opaque: &|_| false }.top(spec, None, value))
}

fn finish(issues: Vec<FieldIssue>) -> Result<(), Vec<FieldIssue>> {
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// Walks a body; `opaque` strings are never reported.
struct Checker<'a> {
    opaque: &'a dyn Fn(&str) -> bool,
}

impl Checker<'_> {
    fn is_opaque(&self, v: &Value) -> bool {
        v.as_str().is_some_and(|s| (self.opaque)(s))
    }

    fn top(&self, spec: &ObjectSpec, parent: Option<&str>, value: &Value) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        self.obj(spec, parent, value, "", &mut issues);
        issues
    }

    fn obj(
        &self,
        spec: &ObjectSpec,
        parent: Option<&str>,
        value: &Value,
        at: &str,
        issues: &mut Vec<FieldIssue>,
    ) {
        if self.is_opaque(value) {
            return;
        }
        let Some(map) = value.as_object() else {
            issues.push(wrong_type(at, "an object", value));
            return;
        };
        for name in spec.required.iter().chain(parent.as_slice()) {
            if map.get(*name).is_none_or(Value::is_null) {
                issues.push(issue(join(at, name), Problem::Missing));
            }
        }
        for (key, v) in map {
            let here = join(at, key);
            match spec.fields.iter().find(|f| f.name == key) {
                Some(field) if !v.is_null() => self.value(field, v, &here, issues),
                Some(_) => {}
                // The parent id goes into the URL path: a non-empty string.
                None if Some(key.as_str()) == parent => match v.as_str() {
                    Some("") => issues.push(issue(
                        here,
                        Problem::Length {
                            min: 1,
                            max: usize::MAX,
                            items: false,
                        },
                    )),
                    Some(_) => {}
                    None => issues.push(wrong_type(&here, "a string", v)),
                },
                None => issues.push(issue(here, unknown(spec, key))),
            }
        }
    }

    fn value(&self, field: &FieldSpec, v: &Value, at: &str, issues: &mut Vec<FieldIssue>) {
        if self.is_opaque(v) {
            return;
        }
        match field.ty {
            FieldType::String => self.string(field, v, at, issues),
            FieldType::Integer => check_integer(field, v, at, issues),
            FieldType::Boolean if v.is_boolean() => {}
            FieldType::Map if v.is_object() => {}
            FieldType::Boolean | FieldType::Map => {
                issues.push(wrong_type(at, field.ty.describe(), v));
            }
            FieldType::Object(spec) => self.obj(spec, None, v, at, issues),
            FieldType::StringList | FieldType::IntegerList | FieldType::ObjectList(_) => {
                self.list(field, v, at, issues)
            }
        }
    }

    fn list(&self, field: &FieldSpec, v: &Value, at: &str, issues: &mut Vec<FieldIssue>) {
        let Some(items) = v.as_array() else {
            issues.push(wrong_type(at, field.ty.describe(), v));
            return;
        };
        if let Some((min, max)) = field.length
            && !(min..=max).contains(&items.len())
        {
            let problem = Problem::Length {
                min,
                max,
                items: true,
            };
            issues.push(issue(at.to_owned(), problem));
        }
        for (i, item) in items.iter().enumerate() {
            let here = format!("{at}[{i}]");
            match field.ty {
                FieldType::ObjectList(spec) => self.obj(spec, None, item, &here, issues),
                _ if self.is_opaque(item) => {}
                FieldType::IntegerList if item.as_i64().is_some() => {}
                FieldType::IntegerList => issues.push(wrong_type(&here, "an integer", item)),
                _ => match item.as_str() {
                    Some(s) => check_format(field, s, &here, issues),
                    None => issues.push(wrong_type(&here, "a string", item)),
                },
            }
        }
    }

    fn string(&self, field: &FieldSpec, v: &Value, at: &str, issues: &mut Vec<FieldIssue>) {
        let Some(s) = v.as_str() else {
            issues.push(wrong_type(at, "a string", v));
            return;
        };
        if !field.enum_values.is_empty() && !field.enum_values.contains(&s) {
            let allowed = field.enum_values;
            issues.push(issue(at.to_owned(), Problem::NotInEnum { allowed }));
            return;
        }
        if let Some((min, max)) = field.length
            && !(min..=max).contains(&s.chars().count())
        {
            let problem = Problem::Length {
                min,
                max,
                items: false,
            };
            issues.push(issue(at.to_owned(), problem));
            return;
        }
        check_format(field, s, at, issues);
    }
}

fn check_format(field: &FieldSpec, s: &str, at: &str, issues: &mut Vec<FieldIssue>) {
    if let Some(format) = field.format
        && !crate::formats::matches(format, s)
    {
        let expected = format.describe();
        issues.push(issue(at.to_owned(), Problem::Format { expected }));
    }
}

fn check_integer(field: &FieldSpec, v: &Value, at: &str, issues: &mut Vec<FieldIssue>) {
    let Some(n) = v.as_i64() else {
        issues.push(wrong_type(at, "an integer", v));
        return;
    };
    if let Some((min, max)) = field.range
        && !(min..=max).contains(&n)
        && !(field.zero_ok && n == 0)
    {
        let zero_ok = field.zero_ok;
        issues.push(issue(
            at.to_owned(),
            Problem::OutOfRange { min, max, zero_ok },
        ));
    }
}

fn unknown(spec: &ObjectSpec, key: &str) -> Problem {
    let known: Vec<&'static str> = spec.fields.iter().map(|f| f.name).collect();
    let suggestion = known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k);
    Problem::Unknown { known, suggestion }
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            let sub = prev + usize::from(ca != *cb);
            row[j + 1] = sub.min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

pub(crate) fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

pub(crate) fn issue(path: String, problem: Problem) -> FieldIssue {
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
