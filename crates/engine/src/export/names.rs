//! Step ids for exported objects, and live ids turned into step references.
//!
//! Input: object names as NetBird has them. Output: stable step ids (`Office Routers` becomes
//! `office_routers`; a second object with the same slug gets its type appended, then a
//! number) and `{{ steps.<id>.id }}` in place of every live id the export knows. Ids it does
//! not know (peers, objects outside the account) stay literal and are listed as notes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Claimed step ids and the live id each stands for.
#[derive(Debug, Default)]
pub struct Names {
    taken: BTreeSet<String>,
    by_live_id: BTreeMap<String, String>,
    /// Live ids referenced but not exported, with where they were met.
    pub unknown: BTreeSet<(String, String)>,
}

/// `Office Routers` → `office_routers`: lower-case ASCII letters, digits and `_`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// The `id` of a reference that the API gives as a string or as an object with an `id`.
pub fn id_of(v: &Value) -> Option<&str> {
    v.as_str().or_else(|| v.get("id").and_then(Value::as_str))
}

impl Names {
    /// A new step id from `name`, of type `ty` (used to tell apart equal names).
    pub fn claim(&mut self, name: &str, ty: &str) -> String {
        let base = slug(name);
        let base = match base.chars().next() {
            Some(c) if c.is_ascii_lowercase() => base,
            None => ty.to_owned(),
            Some(_) => format!("{ty}_{base}"),
        };
        let typed = if base.ends_with(ty) {
            base.clone()
        } else {
            format!("{base}_{ty}")
        };
        let mut candidates = vec![base, typed.clone()];
        candidates.extend((2..).map(|n| format!("{typed}_{n}")).take(1000));
        let chosen = candidates
            .into_iter()
            .find(|c| !self.taken.contains(c))
            .unwrap_or(typed);
        self.taken.insert(chosen.clone());
        chosen
    }

    /// A new step id for the object with live id `live`, which references will use.
    pub fn claim_for(&mut self, live: &str, name: &str, ty: &str) -> String {
        let id = self.claim(name, ty);
        self.by_live_id.insert(live.to_owned(), id.clone());
        id
    }

    /// The step id standing for a live id, if the export has one.
    pub fn step_of(&self, live: &str) -> Option<&str> {
        self.by_live_id.get(live).map(String::as_str)
    }

    /// `{{ steps.<id>.id }}` for a known live id; the id itself otherwise (noted).
    pub fn refer(&mut self, live: &str, context: &str) -> Value {
        match self.by_live_id.get(live) {
            Some(step) => Value::String(format!("{{{{ steps.{step}.id }}}}")),
            None => {
                self.unknown.insert((live.to_owned(), context.to_owned()));
                Value::String(live.to_owned())
            }
        }
    }

    /// A list of ids (or objects with ids) as references, sorted so the output is stable.
    pub fn refer_all(&mut self, list: Option<&Value>, context: &str) -> Value {
        let mut out: Vec<Value> = list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(id_of)
            .map(|id| self.refer(id, context))
            .collect();
        out.sort_by_key(Value::to_string);
        Value::Array(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_slugs_made_unique() {
        let mut n = Names::default();
        assert_eq!(n.claim("Office Routers", "group"), "office_routers");
        assert_eq!(n.claim("office", "group"), "office");
        assert_eq!(n.claim("office", "network"), "office_network");
        assert_eq!(n.claim("Office!", "network"), "office_network_2");
        assert_eq!(n.claim("1st floor", "group"), "group_1st_floor");
        assert_eq!(n.claim("***", "policy"), "policy");
    }

    #[test]
    fn known_ids_become_references_and_unknown_ones_are_noted() {
        let mut n = Names::default();
        n.claim_for("g1", "Servers", "group");
        let v = n.refer_all(Some(&json!([{"id": "p9"}, "g1"])), "policy x");
        assert_eq!(v, json!(["p9", "{{ steps.servers.id }}"]));
        assert_eq!(n.unknown.len(), 1);
    }
}
