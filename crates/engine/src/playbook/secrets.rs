//! What of a step's answer is secret, and the secret values a run has seen.
//!
//! [`Secrets`]: for a resource type, the catalogue's secret fields (setup key `key`, user
//! `password`, token `plain_token`); for a `request` step, the catalogue's for its path
//! (`onboard_netbird::response_secrets`), the fields it declares in `secret_fields`, and, for
//! a path the catalogue does not know, every field named like a secret at any depth unless
//! `not_secret_fields` lists it. Validation asks it which `steps.<id>.<field>` are secret; the
//! executor strips the secrets before anything is stored ([`Secrets::strip`]) and collects
//! their values ([`Seen`]), the run-time belt: a rendered value that still holds one (also
//! with its case changed) is refused before it is sent or recorded.

use onboard_netbird::{ResponseSecrets, looks_secret, response_secrets};
use serde_json::Value as Json;
use std::sync::Mutex;

use crate::playbook::model::{Output, Playbook, Step};
use crate::playbook::resource::StepType;
use crate::playbook::template::{InstanceKey, Target, Template};
use crate::playbook::yaml::Node;

/// Secret values shorter than this are not looked for in rendered values: they would match
/// ordinary text (a field named `key` that holds `1`).
pub const MIN_LEN: usize = 8;

/// What of one step's answer is secret. Field paths are dotted (`auth.password`); lists
/// are looked through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Exactly these paths.
    paths: Vec<String>,
    /// Also every field whose name reads like a secret's, except `not_secret`.
    by_name: bool,
    not_secret: Vec<String>,
}

impl Secrets {
    /// Of a rendered instance (for a request, its `path` and lists as rendered).
    pub fn of(ty: StepType, body: &Json) -> Secrets {
        if ty != StepType::Request {
            return Secrets::of_kind(ty);
        }
        let list = |field: &str| -> Vec<String> {
            body.get(field)
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let path = body.get("path").and_then(Json::as_str);
        Secrets::of_request(path, list("secret_fields"), list("not_secret_fields"))
    }

    /// Of a step as written, for validation: a request's path counts by its shape, each
    /// `{{ … }}` standing for one segment (`/api/users/{{ steps.bot.id }}/tokens` is a token's
    /// path); a path with a `{% … %}` block is judged by field names.
    pub fn of_step(step: &Step) -> Secrets {
        if step.ty != StepType::Request {
            return Secrets::of_kind(step.ty);
        }
        let list = |field: &str| -> Vec<String> {
            step.with
                .get(field)
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        };
        let path = step.with.get("path").and_then(Node::as_str).and_then(shape);
        Secrets::of_request(
            path.as_deref(),
            list("secret_fields"),
            list("not_secret_fields"),
        )
    }

    fn of_kind(ty: StepType) -> Secrets {
        Secrets {
            paths: ty
                .spec()
                .secrets()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            ..Secrets::default()
        }
    }

    fn of_request(path: Option<&str>, declared: Vec<String>, not_secret: Vec<String>) -> Secrets {
        let (mut paths, by_name) = match path.map(response_secrets) {
            Some(ResponseSecrets::Known(fields)) => {
                (fields.into_iter().map(str::to_owned).collect(), false)
            }
            _ => (Vec::new(), true),
        };
        paths.extend(declared);
        Secrets {
            paths,
            by_name,
            not_secret,
        }
    }

    /// The top-level fields the catalogue (or `secret_fields`) names as secret or holding one.
    pub fn top_fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = self
            .paths
            .iter()
            .map(|p| p.split('.').next().unwrap_or(p).to_owned())
            .collect();
        fields.sort_unstable();
        fields.dedup();
        fields
    }

    /// Whether the answer may hold a secret at all.
    pub fn any(&self) -> bool {
        self.by_name || !self.paths.is_empty()
    }

    /// Whether the top-level field `field` is a secret or holds one the catalogue knows of
    /// (a secret deeper inside a field of an unknown path is found only at run time).
    pub fn field_is_secret(&self, field: &str) -> bool {
        self.paths
            .iter()
            .any(|p| p == field || p.starts_with(&format!("{field}.")))
            || self.by_name_at(field)
    }

    /// Whether `path` is a secret the catalogue (or `secret_fields`) names for this answer.
    pub fn is_known_secret(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path)
    }

    /// The secret fields, for messages: `key`, `plain_token`, `fields named like secrets`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.paths.iter().map(|p| format!("`{p}`")).collect();
        if self.by_name {
            parts.push("fields named like secrets".to_owned());
        }
        parts.join(", ")
    }

    fn by_name_at(&self, path: &str) -> bool {
        self.by_name
            && path.rsplit('.').next().is_some_and(looks_secret)
            && !self.not_secret.iter().any(|n| n == path)
    }

    fn is_secret(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path) || self.by_name_at(path)
    }

    /// `value` without its secret fields, at any depth.
    pub fn strip(&self, value: &Json) -> Json {
        self.walk(value, "", &mut |_, _| {})
    }

    /// The secret strings of `value` with their paths (`key`, `auth.password`).
    pub fn values(&self, value: &Json) -> Vec<(String, String)> {
        let mut found = Vec::new();
        self.walk(value, "", &mut |path, v| strings(v, path, &mut found));
        found
    }

    /// A copy of `value` without its secrets; `seen` is called with each one removed.
    fn walk(&self, value: &Json, at: &str, seen: &mut dyn FnMut(&str, &Json)) -> Json {
        match value {
            Json::Object(map) => Json::Object(
                map.iter()
                    .filter_map(|(k, v)| {
                        let path = if at.is_empty() {
                            k.clone()
                        } else {
                            format!("{at}.{k}")
                        };
                        if self.is_secret(&path) {
                            seen(&path, v);
                            None
                        } else {
                            Some((k.clone(), self.walk(v, &path, seen)))
                        }
                    })
                    .collect(),
            ),
            Json::Array(items) => {
                Json::Array(items.iter().map(|i| self.walk(i, at, seen)).collect())
            }
            other => other.clone(),
        }
    }
}

/// What of a playbook is secret (here rather than in `model`, which knows no secrets).
impl Playbook {
    /// Whether an output derives from a secret field of a step.
    pub fn output_is_secret(&self, output: &Output) -> bool {
        output.templates.iter().any(|t| self.template_is_secret(t))
    }

    /// Whether a template reads a secret response field, or may: it reads a whole object
    /// that has one, or uses `steps` in a way that names no step literally while a step
    /// of the playbook has a secret.
    pub fn template_is_secret(&self, template: &Template) -> bool {
        template.refs.iter().any(|r| self.ref_is_secret(&r.target))
    }

    /// Whether a reference reads (or may read) a secret.
    pub fn ref_is_secret(&self, target: &Target) -> bool {
        match target {
            Target::Step { id, key, field } => self.step(id).is_some_and(|s| {
                let secrets = Secrets::of_step(s);
                // `steps.<id>[<expression>]` of a step without instances picks a field.
                let computed_field =
                    matches!(key, Some(InstanceKey::Computed)) && s.for_each.is_none();
                match field {
                    Some(f) if !computed_field => secrets.field_is_secret(f),
                    // The whole object (or the map of instances) carries its secrets.
                    _ => secrets.any(),
                }
            }),
            Target::StepsDynamic(_) => !self.secret_steps().is_empty(),
            Target::Input(name) => self.inputs.get(name).is_some_and(|d| d.sensitive),
            Target::InputsDynamic => self.inputs.values().any(|d| d.sensitive),
            _ => false,
        }
    }

    /// The steps whose answers may hold a secret, with their secret fields.
    pub fn secret_steps(&self) -> Vec<(&Step, Secrets)> {
        self.steps
            .iter()
            .map(|s| (s, Secrets::of_step(s)))
            .filter(|(_, secrets)| secrets.any())
            .collect()
    }
}

/// Every string inside `v`, with `path`.
fn strings(v: &Json, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Json::String(s) => out.push((path.to_owned(), s.clone())),
        Json::Array(items) => items.iter().for_each(|i| strings(i, path, out)),
        Json::Object(map) => map.values().for_each(|i| strings(i, path, out)),
        _ => {}
    }
}

/// The shape of a templated path: each `{{ … }}` as one segment (`x`); none when the path
/// has a block or an unclosed expression, whose shape cannot be told.
fn shape(path: &str) -> Option<String> {
    if path.contains("{%") || path.contains("{#") {
        return None;
    }
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}")? + start;
        out.push_str(&rest[..start]);
        out.push('x');
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// The secret values a run has seen, each with where it came from (`steps.bootstrap.key`).
#[derive(Debug, Default)]
pub struct Seen(Mutex<Vec<(String, String)>>);

impl Seen {
    /// Remember the secrets of an instance's answer (masked ones are not secrets, and too short ones would match ordinary text).
    pub fn add(&self, address: &str, secrets: &Secrets, answer: &Json) {
        let mut list = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (path, value) in secrets.values(answer) {
            if value.chars().count() >= MIN_LEN && !value.contains("****") {
                list.push((value.to_lowercase(), format!("steps.{address}.{path}")));
            }
        }
    }

    /// Where the first secret found in `value` came from: a string or a map key of `value`
    /// that contains one, compared without case (a filter such as `upper` changes it).
    pub fn find(&self, value: &Json) -> Option<String> {
        let list = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if list.is_empty() {
            return None;
        }
        let holds = |s: &str| {
            let s = s.to_lowercase();
            list.iter()
                .find(|(secret, _)| s.contains(secret.as_str()))
                .map(|(_, from)| from.clone())
        };
        find_in(value, &holds)
    }
}

fn find_in(v: &Json, holds: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    match v {
        Json::String(s) => holds(s),
        Json::Array(items) => items.iter().find_map(|i| find_in(i, holds)),
        Json::Object(map) => map
            .iter()
            .find_map(|(k, i)| holds(k).or_else(|| find_in(i, holds))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(path: &str, extra: Json) -> Secrets {
        let mut body = json!({"method": "POST", "path": path});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        Secrets::of(StepType::Request, &body)
    }

    #[test]
    fn a_templated_path_is_known_by_its_shape() {
        assert_eq!(
            shape("/api/users/{{ steps.bot.id }}/tokens").as_deref(),
            Some("/api/users/x/tokens")
        );
        assert_eq!(shape("/api/{% if x %}groups{% endif %}"), None);
        assert_eq!(shape("/api/users/{{ broken"), None);
        let shaped = Secrets::of_request(
            shape("/api/users/{{ steps.bot.id }}/tokens").as_deref(),
            Vec::new(),
            Vec::new(),
        );
        assert_eq!(shaped.top_fields(), vec!["plain_token".to_owned()]);
    }

    #[test]
    fn a_request_to_a_known_path_has_its_kinds_secrets() {
        let pat = request("/api/users/u1/tokens", json!({}));
        let answer = json!({"plain_token": "nbp_abcdefghijkl",
            "personal_access_token": {"id": "t1", "name": "ci"}});
        assert_eq!(
            pat.strip(&answer),
            json!({"personal_access_token": {"id": "t1", "name": "ci"}})
        );
        assert!(pat.field_is_secret("plain_token"));
        assert!(!pat.field_is_secret("personal_access_token"));
        let key = request("/api/setup-keys", json!({}));
        assert!(key.field_is_secret("key") && !key.field_is_secret("id"));
        let groups = request("/api/groups", json!({}));
        assert!(!groups.any());
    }

    #[test]
    fn an_unknown_path_has_fields_named_like_secrets_at_any_depth() {
        let s = request(
            "/api/somewhere",
            json!({"secret_fields": ["pin"], "not_secret_fields": ["usage.tokens"]}),
        );
        let answer = json!({"id": "x", "pin": "1234", "api_key": "k-123456789",
            "data": [{"token": "t-123456789", "name": "n"}], "usage": {"tokens": 5}});
        assert_eq!(
            s.strip(&answer),
            json!({"id": "x", "data": [{"name": "n"}], "usage": {"tokens": 5}})
        );
        let values: Vec<String> = s.values(&answer).into_iter().map(|(p, _)| p).collect();
        assert_eq!(values, ["pin", "api_key", "data.token"]);
        assert!(s.field_is_secret("pin") && s.field_is_secret("api_key"));
        assert!(!s.field_is_secret("data") && !s.field_is_secret("id"));
    }

    #[test]
    fn the_belt_finds_a_secret_in_any_case_and_never_a_short_or_masked_one() {
        let seen = Seen::default();
        let key = Secrets::of(StepType::SETUP_KEY, &json!({}));
        seen.add(
            "bootstrap",
            &key,
            &json!({"id": "k1", "key": "A616097E-fcf0-48fa"}),
        );
        seen.add("old", &key, &json!({"key": "A6160****"}));
        seen.add("short", &key, &json!({"key": "abc"}));
        let from = seen.find(&json!({"name": "g-a616097e-FCF0-48FA"}));
        assert_eq!(from.as_deref(), Some("steps.bootstrap.key"));
        assert_eq!(
            seen.find(&json!({"x": {"A616097E-FCF0-48FA": 1}}))
                .as_deref(),
            Some("steps.bootstrap.key")
        );
        assert_eq!(seen.find(&json!({"name": "A6160****", "n": "abc"})), None);
    }
}
