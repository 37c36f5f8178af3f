//! Typed resource calls: list, get, create, update, delete, singletons,
//! group lookup by name, accounts, the current user, and raw requests.
//!
//! Every call takes a [`Scope`] and, for nested kinds, the parent id
//! (`network_id`, `user_id`). Bodies and results are JSON values shaped as the
//! NetBird API has them, with three normalisations: a token's create response is
//! flattened (`personal_access_token` fields plus `plain_token`), account
//! settings are read and written as the bare settings object, and a numeric `id`
//! (an integration's) is read as its decimal string, as every other id is.

use std::borrow::Cow;

use serde_json::Value;

use crate::client::{Call, Client};
use crate::error::ApiError;
use crate::kind::{ResourceKind, encode_segment};
use crate::retry::Method;
use crate::scope::Scope;
use crate::spec::{KindSpec, UpdateBody};

impl Client {
    /// `GET <collection>`: every object of the kind.
    pub async fn list(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
    ) -> Result<Vec<Value>, ApiError> {
        let spec = collection_kind(kind)?;
        let path = spec.collection_path(parent)?;
        let list = self.get_list(scope, path, Vec::new()).await?;
        Ok(list.into_iter().map(string_id).collect())
    }

    /// `GET <collection>/<id>`. Users have no such endpoint: the list is searched.
    pub async fn get(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        id: &str,
    ) -> Result<Value, ApiError> {
        let spec = collection_kind(kind)?;
        let path = spec.item_path(parent, id)?;
        if spec.get_item {
            return self
                .call(Method::Get, scope, path, None)
                .await
                .map(string_id);
        }
        let list = self.list(kind, scope, parent).await?;
        list.into_iter()
            .find(|o| o.get("id").and_then(Value::as_str) == Some(id))
            .ok_or_else(|| ApiError::Status {
                method: Method::Get,
                path,
                status: 404,
                message: format!("{kind} {id} not found in the list"),
                code: None,
                request_id: None,
            })
    }

    /// `POST <collection>`. The parent field is taken out of the body. A POST
    /// whose outcome is unknown fails with [`ApiError::OutcomeUnknown`]; see
    /// [`Client::create_or_adopt`].
    pub async fn create(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let spec = collection_kind(kind)?;
        let path = spec.collection_path(parent)?;
        let body = without_parent(spec, body);
        let created = self
            .call(Method::Post, scope, path, Some(body.as_ref()))
            .await?;
        Ok(match kind {
            ResourceKind::Token => flatten_token(created),
            _ => string_id(created),
        })
    }

    /// `PUT <collection>/<id>` with the full object (PUT replaces).
    pub async fn update(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        id: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let spec = collection_kind(kind)?;
        if matches!(spec.update, UpdateBody::Unsupported) {
            return Err(ApiError::unsupported(kind, "update"));
        }
        let path = spec.item_path(parent, id)?;
        let body = without_parent(spec, body);
        self.call(Method::Put, scope, path, Some(body.as_ref()))
            .await
            .map(string_id)
    }

    /// `DELETE <collection>/<id>`. A 404 after a retried attempt that may have
    /// landed counts as deleted.
    pub async fn delete(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        id: &str,
    ) -> Result<(), ApiError> {
        let spec = collection_kind(kind)?;
        let path = spec.item_path(parent, id)?;
        self.delete_path(scope, path).await
    }

    /// `DELETE <path>`. A 404 after a retried attempt that may have landed counts as deleted.
    pub(crate) async fn delete_path(&self, scope: &Scope, path: String) -> Result<(), ApiError> {
        let call = Call {
            method: Method::Delete,
            path,
            query: Vec::new(),
            scope,
            body: None,
        };
        let reply = self.execute(&call).await?;
        if reply.status == 404 && reply.earlier_may_have_landed {
            return Ok(());
        }
        reply.json(&call).map(drop)
    }

    /// `GET /api/groups?name=<name>` (exact match); a 404 means there is none.
    pub async fn find_group_by_name(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<Value>, ApiError> {
        let query = vec![("name".to_owned(), name.to_owned())];
        match self.get_list(scope, "/api/groups".into(), query).await {
            Ok(groups) => Ok(groups
                .into_iter()
                .find(|g| g.get("name").and_then(Value::as_str) == Some(name))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Any request, for playbook `request` steps. `path` starts with `/` and
    /// may carry a query string; retries follow the method like every call.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        scope: &Scope,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let (path, query) = split_raw_path(path)?;
        let call = Call {
            method,
            path,
            query,
            scope,
            body,
        };
        self.execute(&call).await?.json(&call)
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        scope: &Scope,
        path: String,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let call = Call {
            method,
            path,
            query: Vec::new(),
            scope,
            body,
        };
        self.execute(&call).await?.json(&call)
    }

    async fn get_list(
        &self,
        scope: &Scope,
        path: String,
        query: Vec<(String, String)>,
    ) -> Result<Vec<Value>, ApiError> {
        let call = Call {
            method: Method::Get,
            path,
            query,
            scope,
            body: None,
        };
        match self.execute(&call).await?.json(&call)? {
            Value::Array(items) => Ok(items),
            Value::Null => Ok(Vec::new()),
            _ => Err(ApiError::Decode {
                method: Method::Get,
                path: call.path,
                status: 200,
                detail: "expected a json array".into(),
            }),
        }
    }
}

/// An object whose `id` is a number (an integration's) with that id as its decimal string.
fn string_id(mut object: Value) -> Value {
    if let Some(id) = object.get_mut("id")
        && let Value::Number(n) = id
    {
        *id = Value::String(n.to_string());
    }
    object
}

/// The spec of a kind that has a collection (not a singleton).
fn collection_kind(kind: ResourceKind) -> Result<&'static KindSpec, ApiError> {
    let spec = kind.spec();
    if spec.singleton {
        return Err(ApiError::unsupported(
            kind,
            "a collection call on a singleton (use get_singleton/put_singleton)",
        ));
    }
    Ok(spec)
}

/// The body without the kind's parent field (it belongs in the path).
fn without_parent<'a>(spec: &KindSpec, body: &'a Value) -> Cow<'a, Value> {
    match (spec.parent, body) {
        (Some(parent), Value::Object(map)) if map.contains_key(parent) => {
            let mut map = map.clone();
            map.remove(parent);
            Cow::Owned(Value::Object(map))
        }
        _ => Cow::Borrowed(body),
    }
}

/// `{"plain_token", "personal_access_token": {...}}` → the token's fields plus `plain_token`.
pub(crate) fn flatten_token(created: Value) -> Value {
    let Value::Object(mut outer) = created else {
        return created;
    };
    let Some(Value::Object(mut token)) = outer.remove("personal_access_token") else {
        return Value::Object(outer);
    };
    for (k, v) in outer {
        token.insert(k, v);
    }
    Value::Object(token)
}

/// Splits `/api/x?a=b` into an encoded path and query pairs; refuses anything
/// that could leave the API's host, and an `account` parameter (the scope
/// decides the account).
fn split_raw_path(raw: &str) -> Result<(String, Vec<(String, String)>), ApiError> {
    let bad = |why: &str| ApiError::Usage(format!("request path `{raw}`: {why}"));
    if !raw.starts_with('/') || raw.starts_with("//") {
        return Err(bad("must start with a single /"));
    }
    if raw.contains(['#', ' ', '\\', '%']) || raw.chars().any(char::is_control) {
        return Err(bad("contains characters not allowed in a path"));
    }
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let mut segments = Vec::new();
    for seg in path.split('/') {
        if seg == ".." || seg == "." {
            return Err(bad("contains a dot segment"));
        }
        segments.push(encode_segment(seg));
    }
    let mut pairs = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "account" {
            return Err(bad("set the account with the scope, not in the path"));
        }
        pairs.push((k.to_owned(), v.to_owned()));
    }
    Ok((segments.join("/"), pairs))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_numeric_id_reads_as_its_decimal_string() {
        assert_eq!(
            string_id(json!({"id": 123, "prefix": "p"})),
            json!({"id": "123", "prefix": "p"})
        );
        assert_eq!(string_id(json!({"id": "g1"})), json!({"id": "g1"}));
    }

    #[test]
    fn token_create_response_is_flattened() {
        let v = flatten_token(json!({
            "plain_token": "nbp_x",
            "personal_access_token": {"id": "t1", "name": "ci"},
        }));
        assert_eq!(v, json!({"id": "t1", "name": "ci", "plain_token": "nbp_x"}));
    }

    #[test]
    fn raw_paths_stay_on_the_api() {
        assert!(split_raw_path("/api/peers").is_ok());
        let (path, query) = split_raw_path("/api/groups?name=Servers&x").unwrap();
        assert_eq!(path, "/api/groups");
        assert_eq!(
            query,
            [
                ("name".into(), "Servers".into()),
                ("x".into(), String::new())
            ]
        );
        for bad in [
            "api/x",
            "//evil.com/x",
            "/api/../x",
            "/a b",
            "/a#b",
            "/a?account=x",
        ] {
            assert!(split_raw_path(bad).is_err(), "{bad}");
        }
    }
}
