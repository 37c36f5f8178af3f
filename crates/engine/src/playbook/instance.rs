//! A step's instances, written once for the planner and the executor: `for_each` evaluated into
//! keys and items, each instance's address, its `when` and its `with` body (defaults applied).
//!
//! Both sides render through a [`Renderer`]; the planner's masks secrets and sees unknowns, the
//! executor's renders real values. Which errors stop what stays with the caller.

use minijinja::Value as Mj;
use serde_json::Value as Json;

use crate::playbook::model::{Playbook, Step};
use crate::playbook::render::{RenderError, Renderer, Scope, truthy};
use crate::playbook::resource::apply_defaults;
use crate::playbook::template::UNKNOWN;

/// A `for_each` value that gives no instances.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForEachError {
    #[error("for_each lists `{0}` twice; each instance needs its own key")]
    Twice(String),
    #[error("for_each must be a list or a map, found {0}")]
    NotAList(&'static str),
}

/// One instance of a step: the step itself, or one key of its `for_each`.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// The `for_each` key (None: the step has no `for_each`).
    pub key: Option<String>,
    /// The `for_each` item (null without `for_each`).
    pub item: Json,
    /// `id`, or `id["key"]`.
    pub address: String,
}

/// What an instance's `when` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Run,
    Skip,
    /// Known only at apply (it runs unless apply says otherwise).
    Unknown,
}

/// A renderer for a step (`instance`: None) or one of its instances.
pub fn renderer<'a>(
    playbook: &'a Playbook,
    step: &'a Step,
    scope: &Scope,
    known: &Mj,
    instance: Option<&Instance>,
    mask_secrets: bool,
) -> Renderer<'a> {
    let inst = instance.and_then(|i| i.key.as_deref().map(|k| (k, &i.item)));
    Renderer {
        playbook,
        file: &step.file,
        ctx: scope.context_with_steps(known.clone(), inst),
        mask_secrets,
    }
}

/// The step's `for_each` value rendered (None: the step has none).
pub fn for_each_value(step: &Step, r: &Renderer) -> Result<Option<Json>, RenderError> {
    step.for_each
        .as_ref()
        .map(|fe| r.node(&fe.node))
        .transpose()
}

/// The instances of a step given its `for_each` value (None: one instance, the step).
pub fn instances(id: &str, list: Option<&Json>) -> Result<Vec<Instance>, ForEachError> {
    let Some(list) = list else {
        return Ok(vec![Instance {
            key: None,
            item: Json::Null,
            address: address(id, None),
        }]);
    };
    Ok(keys_and_items(list)?
        .into_iter()
        .map(|(key, item)| Instance {
            address: address(id, Some(&key)),
            key: Some(key),
            item,
        })
        .collect())
}

/// The keys and items of a `for_each` value.
pub fn keys_and_items(list: &Json) -> Result<Vec<(String, Json)>, ForEachError> {
    match list {
        Json::Array(items) => {
            let mut out: Vec<(String, Json)> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let key = item.as_str().map_or_else(|| i.to_string(), str::to_owned);
                if out.iter().any(|(k, _)| *k == key) {
                    return Err(ForEachError::Twice(key));
                }
                out.push((key, item.clone()));
            }
            Ok(out)
        }
        Json::Object(map) => Ok(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        other => Err(ForEachError::NotAList(crate::playbook::inputs::json_kind(
            other,
        ))),
    }
}

/// A step instance's address: `id`, or `id["key"]` for a `for_each` instance.
pub fn address(id: &str, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("{id}[{}]", Json::String(k.to_owned())),
        None => id.to_owned(),
    }
}

/// The step's `when` for the instance `r` renders, after the `when` of each import that
/// brought the step in: a false one skips it.
pub fn when(step: &Step, r: &Renderer) -> Result<When, RenderError> {
    let mut out = When::Run;
    let guards = step.guards.iter().map(|g| (Some(&g.file), &g.when));
    for (file, when) in guards.chain(step.when.iter().map(|w| (None, w))) {
        let v = r.template(when).map_err(|mut e| {
            if let Some(f) = file {
                e.file = f.clone();
            }
            e
        })?;
        if v.as_str() == Some(UNKNOWN) {
            out = When::Unknown;
        } else if !truthy(&v) {
            return Ok(When::Skip);
        }
    }
    Ok(out)
}

/// The step's `with` for the instance `r` renders, with the type's defaults unless the step
/// reads an existing object.
pub fn body(step: &Step, r: &Renderer) -> Result<Json, RenderError> {
    let mut body = r.node(&step.with)?;
    if !step.existing {
        apply_defaults(step.ty, &mut body);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_step_without_for_each_is_one_instance_at_its_id() {
        let one = instances("users", None).expect("one instance");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].key, None);
        assert_eq!(one[0].address, "users");
    }

    #[test]
    fn list_and_map_keys_give_addresses() {
        let list = instances("u", Some(&json!(["a", 7]))).expect("a list");
        let addresses: Vec<&str> = list.iter().map(|i| i.address.as_str()).collect();
        assert_eq!(addresses, ["u[\"a\"]", "u[\"1\"]"]);
        assert_eq!(list[1].item, json!(7));
        let map = instances("u", Some(&json!({"k": {"x": 1}}))).expect("a map");
        assert_eq!(map[0].key.as_deref(), Some("k"));
        assert_eq!(map[0].item, json!({"x": 1}));
    }

    #[test]
    fn for_each_errors() {
        assert_eq!(
            instances("u", Some(&json!(["a", "a"]))),
            Err(ForEachError::Twice("a".into()))
        );
        assert!(matches!(
            instances("u", Some(&json!("a"))),
            Err(ForEachError::NotAList(_))
        ));
    }
}
