//! Desired body versus live object.
//!
//! NetBird answers references as objects (`sources: [{id, name, ...}]`) where requests send
//! ids, and returns lists in its own order. [`matches`] compares only the fields the playbook
//! sets and the API returns, with objects-with-ids read as ids and lists of scalars as sets.

use serde_json::Value as Json;

/// Whether `live` already has every field of `desired` that it reports.
pub fn matches(desired: &Json, live: &Json) -> bool {
    match (desired, live) {
        (Json::Object(d), Json::Object(l)) => d.iter().all(|(k, dv)| match l.get(k) {
            Some(lv) => matches(dv, lv),
            // A field the API does not echo cannot be compared.
            None => true,
        }),
        (Json::Array(d), Json::Array(l)) if d.iter().all(is_scalar) => {
            let mut a: Vec<String> = d.iter().map(scalar_key).collect();
            let mut b: Vec<String> = l.iter().map(|v| scalar_key(&as_id(v))).collect();
            a.sort();
            b.sort();
            a == b
        }
        (Json::Array(d), Json::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| matches(a, b))
        }
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Json::String(a), lv @ Json::Object(_)) => {
            Some(a.as_str()) == lv.get("id").and_then(Json::as_str)
        }
        (a, b) => a == b,
    }
}

/// The fields of `desired` that differ from `live`: `(field, live, desired)`.
pub fn diff(desired: &Json, live: &Json) -> Vec<(String, Json, Json)> {
    let (Some(d), Some(l)) = (desired.as_object(), live.as_object()) else {
        return Vec::new();
    };
    d.iter()
        .filter_map(|(k, dv)| {
            let lv = l.get(k)?;
            (!matches(dv, lv)).then(|| (k.clone(), normalize(lv), dv.clone()))
        })
        .collect()
}

/// Objects with an `id` become the id, recursively in lists.
pub fn normalize(v: &Json) -> Json {
    match v {
        Json::Array(items) => Json::Array(items.iter().map(as_id).collect()),
        other => other.clone(),
    }
}

fn as_id(v: &Json) -> Json {
    match v.get("id") {
        Some(id @ Json::String(_)) if v.is_object() => id.clone(),
        _ => v.clone(),
    }
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

fn scalar_key(v: &Json) -> String {
    match v {
        Json::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_objects_compare_as_ids_and_lists_as_sets() {
        let desired = json!({"name": "p", "rules": [{"sources": ["a", "b"], "ports": ["22"]}]});
        let live = json!({"id": "x", "name": "p", "rules": [{"id": "r", "sources": [{"id": "b", "name": "B"}, {"id": "a", "name": "A"}], "ports": ["22"]}]});
        assert!(matches(&desired, &live));
        let changed = json!({"name": "p", "rules": [{"sources": ["a", "b"], "ports": ["2222"]}]});
        assert!(!matches(&changed, &live));
        assert_eq!(
            diff(&json!({"name": "q"}), &live),
            vec![("name".into(), json!("p"), json!("q"))]
        );
    }

    #[test]
    fn fields_the_api_does_not_echo_are_ignored() {
        assert!(matches(
            &json!({"name": "k", "expires_in": 86400}),
            &json!({"name": "k", "expires": "2026-12-01"})
        ));
        assert!(matches(&json!({"n": 1}), &json!({"n": 1.0})));
    }
}
