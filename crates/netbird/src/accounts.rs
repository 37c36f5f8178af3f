//! Account-level calls: the singletons (DNS settings, account settings), the
//! account list and the effective account, and the current user.
//!
//! Account settings are read from `GET /api/accounts` (a list of one) and
//! written with `PUT /api/accounts/{id}` as `{"settings": ...}`; both return the
//! bare settings object, so a read can be changed and written back as it is.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::adopt::Created;
use crate::client::Client;
use crate::error::ApiError;
use crate::kind::ResourceKind;
use crate::models::{Account, User};
use crate::retry::Method;
use crate::scope::Scope;

impl Client {
    /// Reads a singleton: DNS settings, or the account's settings object.
    pub async fn get_singleton(
        &self,
        kind: ResourceKind,
        scope: &Scope,
    ) -> Result<Value, ApiError> {
        match kind {
            ResourceKind::DnsSettings => {
                let path = kind.spec().collection_path(None)?;
                // The spec wraps it in an array; the server sends one object.
                Ok(match self.call(Method::Get, scope, path, None).await? {
                    Value::Array(items) => items.into_iter().next().unwrap_or(Value::Null),
                    v => v,
                })
            }
            ResourceKind::AccountSettings => {
                let account = self.own_account(scope).await?;
                Ok(Value::Object(account.settings))
            }
            _ if kind.spec().may_be_absent => {
                let path = kind.spec().collection_path(None)?;
                self.call(Method::Get, scope, path, None).await
            }
            _ => Err(ApiError::unsupported(kind, "get_singleton")),
        }
    }

    /// Replaces a singleton. Account settings: `GET /api/accounts` for the id,
    /// then `PUT /api/accounts/{id}` with `{"settings": body}`; returns the
    /// settings object the server answered with.
    pub async fn put_singleton(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        body: &Value,
    ) -> Result<Value, ApiError> {
        match kind {
            ResourceKind::DnsSettings => {
                let path = kind.spec().collection_path(None)?;
                self.call(Method::Put, scope, path, Some(body)).await
            }
            ResourceKind::AccountSettings => {
                let account = self.own_account(scope).await?;
                self.put_account_settings(scope, &account.id, body).await
            }
            _ if kind.spec().may_be_absent => {
                let path = kind.spec().collection_path(None)?;
                self.call(Method::Put, scope, path, Some(body)).await
            }
            _ => Err(ApiError::unsupported(kind, "put_singleton")),
        }
    }

    /// Reads a singleton; `None` when it is one an account may have none of
    /// (`may_be_absent`, an EDR integration) and the server answers 404.
    pub async fn find_singleton(
        &self,
        kind: ResourceKind,
        scope: &Scope,
    ) -> Result<Option<Value>, ApiError> {
        match self.get_singleton(kind, scope).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if kind.spec().may_be_absent && e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST` on the path of a singleton that may be absent. A POST whose outcome is
    /// unknown is settled by reading the path: an object found there is adopted.
    pub async fn create_singleton(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        body: &Value,
    ) -> Result<Created, ApiError> {
        let path = absent_singleton_path(kind, "create_singleton")?;
        self.settle(
            async || {
                self.call(Method::Post, scope, path.clone(), Some(body))
                    .await
            },
            async || self.find_singleton(kind, scope).await,
        )
        .await
    }

    /// `DELETE` on the path of a singleton that may be absent. A 404 after a retried
    /// attempt that may have landed counts as deleted.
    pub async fn delete_singleton(
        &self,
        kind: ResourceKind,
        scope: &Scope,
    ) -> Result<(), ApiError> {
        let path = absent_singleton_path(kind, "delete_singleton")?;
        self.delete_path(scope, path).await
    }

    /// `PUT /api/accounts/{account_id}` with `{"settings": body}`, for a caller that already
    /// read the account (and compared its id with the tenant it means to write in); returns
    /// the settings object the server answered with.
    pub async fn put_account_settings(
        &self,
        scope: &Scope,
        account_id: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let path = ResourceKind::AccountSettings
            .spec()
            .collection_path(Some(account_id))?;
        let mut wrapped = Map::new();
        wrapped.insert("settings".into(), body.clone());
        let reply = self
            .call(Method::Put, scope, path, Some(&Value::Object(wrapped)))
            .await?;
        Ok(reply.get("settings").cloned().unwrap_or(reply))
    }

    /// `GET /api/accounts`: the account(s) the request ran in (always one).
    pub async fn list_accounts(&self, scope: &Scope) -> Result<Vec<Account>, ApiError> {
        let path = "/api/accounts".to_owned();
        let value = self.call(Method::Get, scope, path.clone(), None).await?;
        decode(Method::Get, &path, value)
    }

    /// The id of the account a request with this scope really runs in. NetBird
    /// ignores an `account` it does not accept, so compare this with the
    /// tenant id before the first write.
    pub async fn effective_account(&self, scope: &Scope) -> Result<String, ApiError> {
        Ok(self.own_account(scope).await?.id)
    }

    /// `GET /api/users/current`: the user the PAT belongs to.
    pub async fn current_user(&self, scope: &Scope) -> Result<User, ApiError> {
        let path = "/api/users/current".to_owned();
        let value = self.call(Method::Get, scope, path.clone(), None).await?;
        decode(Method::Get, &path, value)
    }

    async fn own_account(&self, scope: &Scope) -> Result<Account, ApiError> {
        self.list_accounts(scope)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::Decode {
                method: Method::Get,
                path: "/api/accounts".into(),
                status: 200,
                detail: "no account in the list".into(),
            })
    }
}

/// The path of a singleton that may be absent; any other kind is a usage error.
fn absent_singleton_path(kind: ResourceKind, call: &str) -> Result<String, ApiError> {
    if !kind.spec().may_be_absent {
        return Err(ApiError::unsupported(kind, call));
    }
    kind.spec().collection_path(None)
}

pub(crate) fn decode<T: DeserializeOwned>(
    method: Method,
    path: &str,
    value: Value,
) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Decode {
        method,
        path: path.to_owned(),
        status: 200,
        detail: e.to_string(),
    })
}
