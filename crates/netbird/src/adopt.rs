//! Creating without duplicates when a POST's outcome is unknown.
//!
//! NetBird has no idempotency keys, so a POST that timed out, lost its
//! connection after sending, or got a 5xx may or may not have created the
//! object. [`Client::create_or_adopt`] settles it: wait a backoff delay, list
//! the collection, and adopt the object the caller's `lookup` recognises;
//! only when it is not there is the POST sent again (at most
//! [`crate::RetryPolicy::max_reposts`] more times).
//!
//! An adopted object comes from a listing, so it lacks create-only secrets
//! (a setup key's `key` is masked, a token has no `plain_token`).

use serde_json::Value;

use crate::client::Client;
use crate::error::ApiError;
use crate::kind::ResourceKind;
use crate::retry::{Backoff, RetryPolicy};
use crate::scope::Scope;

/// How an object came to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created<T = Value> {
    /// The create call answered with it.
    New(T),
    /// A create's outcome was unknown and the object was found afterwards.
    Adopted(T),
}

impl<T> Created<T> {
    pub fn value(&self) -> &T {
        match self {
            Created::New(v) | Created::Adopted(v) => v,
        }
    }

    pub fn into_inner(self) -> T {
        match self {
            Created::New(v) | Created::Adopted(v) => v,
        }
    }

    pub fn is_adopted(&self) -> bool {
        matches!(self, Created::Adopted(_))
    }
}

/// A lookup for [`Client::create_or_adopt`]: the first object whose `field`
/// equals `value`.
pub fn by_field<'a>(field: &'a str, value: &'a Value) -> impl Fn(&[Value]) -> Option<Value> + 'a {
    move |items| items.iter().find(|o| o.get(field) == Some(value)).cloned()
}

impl Client {
    /// `create`, but when the outcome is unknown, look before creating again.
    /// Errors other than [`ApiError::OutcomeUnknown`] are returned as they are;
    /// when the object is still not found after the last repost, the last
    /// `OutcomeUnknown` is returned.
    pub async fn create_or_adopt(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        body: &Value,
        lookup: impl Fn(&[Value]) -> Option<Value>,
    ) -> Result<Created, ApiError> {
        self.settle(
            async || self.create(kind, scope, parent, body).await,
            async || Ok(lookup(&self.list(kind, scope, parent).await?)),
        )
        .await
    }

    /// Runs `create`; on an unknown outcome waits, runs `lookup`, and adopts
    /// what it finds, else creates again (at most `max_reposts` times).
    pub(crate) async fn settle<T>(
        &self,
        create: impl AsyncFn() -> Result<T, ApiError>,
        lookup: impl AsyncFn() -> Result<Option<T>, ApiError>,
    ) -> Result<Created<T>, ApiError> {
        let policy = self.retry_policy();
        let mut delays = Backoff::new(RetryPolicy {
            max_retries: policy.max_reposts.saturating_add(1),
            ..policy
        });
        let mut reposts_left = policy.max_reposts;
        loop {
            let unknown = match create().await {
                Ok(v) => return Ok(Created::New(v)),
                Err(e) if e.is_outcome_unknown() => e,
                Err(e) => return Err(e),
            };
            tracing::debug!(error = %unknown, "create outcome unknown; looking it up");
            if let Some(delay) = delays.next() {
                tokio::time::sleep(delay).await;
            }
            if let Some(found) = lookup().await? {
                return Ok(Created::Adopted(found));
            }
            if reposts_left == 0 {
                return Err(unknown);
            }
            reposts_left -= 1;
        }
    }
}
