//! Events the client reports to an observer, for the engine's run journal.
//!
//! An observer is any `Fn(&ClientEvent) + Send + Sync` behind an `Arc`; attach
//! it with [`crate::Client::with_observer`]. Events carry the method, the path
//! (no query string), the `account` the call was scoped to, statuses, timings
//! and request ids: never bodies, headers or secrets. They serialize to JSON
//! as `{"event": "request_sent", ...}`.

use std::sync::Arc;

use serde::Serialize;

use crate::error::TransportKind;
use crate::retry::{Method, RetryReason};

/// Receives every [`ClientEvent`]; called inline, so keep it cheap.
pub type Observer = Arc<dyn Fn(&ClientEvent) + Send + Sync>;

/// One thing that happened while talking to the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ClientEvent {
    /// An attempt is about to be sent. `attempt` starts at 1.
    RequestSent {
        method: Method,
        path: String,
        account: Option<String>,
        attempt: u32,
    },
    /// The server answered.
    Response {
        method: Method,
        path: String,
        status: u16,
        elapsed_ms: u64,
        request_id: Option<String>,
    },
    /// The attempt will be repeated after `delay_ms`.
    Retry {
        method: Method,
        path: String,
        reason: RetryReason,
        attempt: u32,
        delay_ms: u64,
    },
    /// The local token bucket held the request back for `waited_ms`
    /// (after a 429 the bucket is drained, so this follows it).
    RateLimited {
        method: Method,
        path: String,
        waited_ms: u64,
    },
    /// The attempt failed below HTTP.
    TransportError {
        method: Method,
        path: String,
        kind: TransportKind,
        sent: bool,
        elapsed_ms: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_tagged_json() {
        let e = ClientEvent::RequestSent {
            method: Method::Post,
            path: "/api/groups".into(),
            account: Some("acc1".into()),
            attempt: 1,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"event":"request_sent","method":"POST","path":"/api/groups","account":"acc1","attempt":1}"#
        );
    }
}
