//! The request log behind `GET /__sandbox/log` and [`crate::SandboxHandle::log`]: one entry
//! per API request, ordered by arrival (`seq`, also the `X-Request-Id` answered), never
//! holding a token: of `Authorization` only the scheme is kept. Introspection requests
//! (`/__sandbox/...`) are not logged.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// One API request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Arrival sequence number, from 1.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The raw query string (after `?`), or `None` when the URL has none.
    #[serde(default)]
    pub query: Option<String>,
    /// The `account` query parameter as given (the first one when repeated), or `None`.
    pub account: Option<String>,
    /// The account the request ran in; `None` when it did not get that far (401, 500 fault).
    pub effective_account: Option<String>,
    /// Status answered (or that would have been answered, when dropped).
    pub status: u16,
    /// The response was dropped (connection closed without an answer).
    pub dropped: bool,
    /// The authenticated user, if any.
    pub user_id: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The `Accept` header, if any.
    #[serde(default)]
    pub accept: Option<String>,
    /// The scheme of the `Authorization` header (`Token`, `Bearer`), never the credential;
    /// `None` without the header.
    #[serde(default)]
    pub auth_scheme: Option<String>,
    /// The request body when it is JSON (request bodies carry no tokens), else `None`.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// Arrival, milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// Completion, milliseconds since the Unix epoch.
    pub finished_ms: u64,
}

/// The log: a sequence counter and the entries.
#[derive(Debug, Default)]
pub struct RequestLog {
    next: AtomicU64,
    entries: Mutex<Vec<LogEntry>>,
}

impl RequestLog {
    /// The next sequence number.
    pub fn next_seq(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Appends an entry.
    pub fn push(&self, entry: LogEntry) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }

    /// A copy of every entry, by `seq`.
    pub fn snapshot(&self) -> Vec<LogEntry> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        entries.sort_by_key(|e| e.seq);
        entries
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
