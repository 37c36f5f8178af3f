//! A small YAML writer for exported playbooks.
//!
//! Input: JSON values (maps in insertion order). Output: block-style YAML as a person would
//! write it: short maps and lists of scalars in flow style (`with: { name: Servers }`,
//! `auto_groups: ["{{ steps.servers.id }}"]`), everything else in block style, strings plain
//! when that cannot change their meaning and JSON-quoted (valid YAML) otherwise. Comments are
//! the caller's business: this module only renders values.

use serde_json::{Map, Value};

/// Longest flow-style collection, in characters.
const FLOW_WIDTH: usize = 72;

/// A scalar as YAML text: plain when safe, double-quoted otherwise.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if is_plain(s) => s.clone(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")),
        other => flow(other).unwrap_or_else(|| other.to_string()),
    }
}

/// Whether `s` reads back as the same string without quotes.
fn is_plain(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "true", "false", "null", "yes", "no", "on", "off", "y", "n", "inf", "nan",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_' || first == '/')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " _.-/@+()".contains(c))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

/// The value in flow style when it is a scalar, empty, or short enough; `None` otherwise.
pub fn flow(v: &Value) -> Option<String> {
    let text = match v {
        Value::Array(items) if items.is_empty() => return Some("[]".to_owned()),
        Value::Object(map) if map.is_empty() => return Some("{}".to_owned()),
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(flow_item).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Object(map) => {
            let parts: Option<Vec<String>> = map
                .iter()
                .map(|(k, v)| flow_item(v).map(|v| format!("{}: {v}", key(k))))
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
        scalar_value => return Some(scalar(scalar_value)),
    };
    (text.chars().count() <= FLOW_WIDTH).then_some(text)
}

/// Items of a flow collection are scalars only (nesting reads badly on one line).
fn flow_item(v: &Value) -> Option<String> {
    match v {
        Value::Array(_) | Value::Object(_) => None,
        s => Some(scalar(s)),
    }
}

fn key(k: &str) -> String {
    scalar(&Value::String(k.to_owned()))
}

/// Writes the entries of `map` at `indent` spaces, one `key: value` per line (nested values
/// indented below their key).
pub fn map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    let pad = " ".repeat(indent);
    for (k, v) in map {
        match flow(v) {
            Some(text) => out.push_str(&format!("{pad}{}: {text}\n", key(k))),
            None => {
                out.push_str(&format!("{pad}{}:\n", key(k)));
                block(out, v, indent + 2);
            }
        }
    }
}

/// Writes a map or a list in block style at `indent` spaces.
pub fn block(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) => map(out, m, indent),
        Value::Array(items) => list(out, items, indent),
        other => out.push_str(&format!("{}{}\n", " ".repeat(indent), scalar(other))),
    }
}

fn list(out: &mut String, items: &[Value], indent: usize) {
    let pad = " ".repeat(indent);
    for item in items {
        if let Some(text) = flow(item) {
            out.push_str(&format!("{pad}- {text}\n"));
            continue;
        }
        // Render the item two columns in, then put the dash on its first line.
        let mut inner = String::new();
        block(&mut inner, item, indent + 2);
        let rest = inner.get(indent + 2..).unwrap_or_default();
        out.push_str(&format!("{pad}- {rest}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_quoted_only_when_they_must_be() {
        assert_eq!(scalar(&json!("Servers")), "Servers");
        assert_eq!(scalar(&json!("admins-to-servers")), "admins-to-servers");
        for s in [
            "true",
            "No",
            "22",
            "10.0.0.0/24",
            "",
            "a: b",
            "x #y",
            "{{ a }}",
            "-x",
        ] {
            let out = scalar(&json!(s));
            assert!(out.starts_with('"'), "{s:?} -> {out}");
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn short_collections_flow_long_ones_block() {
        let v = json!({"with": {"name": "Servers"}, "rules": [{"name": "ssh", "ports": ["22"]}]});
        let mut out = String::new();
        block(&mut out, &v, 0);
        assert_eq!(
            out,
            "with: { name: Servers }\nrules:\n  - name: ssh\n    ports: [\"22\"]\n"
        );
        let long = json!({"rules": [{"name": "ssh", "sources": ["{{ steps.admins.id }}"],
            "destinations": ["{{ steps.servers.id }}"]}]});
        let mut out = String::new();
        block(&mut out, &long, 0);
        assert_eq!(
            out,
            "rules:\n  - name: ssh\n    sources: [\"{{ steps.admins.id }}\"]\n    \
             destinations: [\"{{ steps.servers.id }}\"]\n"
        );
    }
}
