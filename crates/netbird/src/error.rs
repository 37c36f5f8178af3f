//! Typed errors of the client.
//!
//! [`ConfigError`]: the configuration was refused at construction.
//! [`ApiError`]: a call failed. Display is a lower-case fragment that starts
//! with the method and path, e.g.
//! `POST /api/groups: 409 group with name servers already exists (request id 7f3a)`.
//! Errors never carry the token or a request body; paths carry no query string. Text that
//! comes from the server (messages, request ids, decode details) or the user (URLs, paths) is
//! printed with terminal control characters escaped ([`crate::escape_controls`]).

use std::fmt;

use crate::kind::ResourceKind;
use crate::retry::Method;

/// Why a [`crate::ClientConfig`] was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("invalid api url `{}`: {}", esc(.url), esc(.reason))]
    InvalidUrl { url: String, reason: String },
    #[error(
        "refusing plain http to `{}`: the token would travel unencrypted; use https (http is allowed only for loopback hosts)",
        esc(.host)
    )]
    InsecureUrl { host: String },
    #[error("the api token is empty (set NB_PAT)")]
    EmptyToken,
    #[error("the api token contains characters that cannot be sent in an http header")]
    InvalidToken,
    #[error(
        "rate limit must be at least 1 a minute with a burst of at least 1 (got {per_minute}/min, burst {burst})"
    )]
    InvalidRate { per_minute: u32, burst: u32 },
    #[error("concurrency must be at least 1")]
    InvalidConcurrency,
    #[error("timeout must be greater than zero")]
    InvalidTimeout,
    #[error("cannot build the http client: {0}")]
    Http(String),
}

/// What kind of transport failure ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// Could not connect (refused, DNS, TLS handshake): nothing was sent.
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// The connection broke during the exchange.
    Reset,
    /// The TLS handshake failed: the server's certificate is not trusted or not valid for
    /// the host. Never retried; nothing was sent.
    Tls,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "cannot connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Reset => "connection reset",
            TransportKind::Tls => {
                "tls handshake failed (certificate not trusted or not valid for this host)"
            }
        })
    }
}

/// A failed API call.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ApiError {
    /// The server answered with an error status. `message` and `code` come from
    /// NetBird's `{"message": ..., "code": ...}` body.
    #[error("{method} {}: {status} {}{}", esc(.path), esc(.message), request_id_suffix(.request_id))]
    Status {
        method: Method,
        path: String,
        status: u16,
        message: String,
        code: Option<i64>,
        request_id: Option<String>,
    },
    /// The request failed below HTTP, and retries (if allowed) did not help.
    #[error("{method} {}: {kind} after {attempts} attempt(s): {}", esc(.path), esc(.detail))]
    Transport {
        method: Method,
        path: String,
        kind: TransportKind,
        attempts: u32,
        detail: String,
    },
    /// A non-idempotent request (POST) may or may not have been applied. The
    /// caller must look the object up before trying again.
    #[error("{method} {}: outcome unknown ({cause}); the request may have been applied{}", esc(.path), request_id_suffix(.request_id))]
    OutcomeUnknown {
        method: Method,
        path: String,
        cause: String,
        request_id: Option<String>,
    },
    /// A success answer that is not the JSON the call expects.
    #[error("{method} {}: unexpected response ({status}): {}", esc(.path), esc(.detail))]
    Decode {
        method: Method,
        path: String,
        status: u16,
        detail: String,
    },
    /// Still 429 after every retry.
    #[error(
        "{method} {}: rate limited (429) after {attempts} attempts; lower --rate-limit or try later",
        esc(.path)
    )]
    RateLimited {
        method: Method,
        path: String,
        attempts: u32,
    },
    /// The write gate refused the call: nothing was sent (see [`crate::WriteGate`]).
    #[error("{method} {}: not sent: {}", esc(.path), esc(&.reason.to_string()))]
    Refused {
        method: Method,
        path: String,
        #[source]
        reason: crate::GateRefusal,
    },
    /// The call itself was wrong (missing parent id, unsupported operation).
    #[error("{}", esc(.0))]
    Usage(String),
}

fn request_id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" (request id {})", esc(id)))
        .unwrap_or_default()
}

/// Text from the server or the user, with terminal control characters escaped.
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    crate::printable::escape_controls(s)
}

impl ApiError {
    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 409, or 422 with an "already exists" message (how NetBird reports
    /// duplicate network resources, posture checks and nameserver groups).
    pub fn is_already_exists(&self) -> bool {
        match self {
            ApiError::Status { status: 409, .. } => true,
            ApiError::Status {
                status: 422,
                message,
                ..
            } => message.contains("already exists"),
            _ => false,
        }
    }

    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, ApiError::OutcomeUnknown { .. })
    }

    /// The `X-Request-Id` the server gave, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Status { request_id, .. } | ApiError::OutcomeUnknown { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    pub(crate) fn unsupported(kind: ResourceKind, what: &str) -> ApiError {
        ApiError::Usage(format!("{kind}: {what} is not supported"))
    }

    pub(crate) fn outcome_unknown(
        method: Method,
        path: &str,
        cause: RetryCause,
        request_id: Option<String>,
    ) -> ApiError {
        ApiError::OutcomeUnknown {
            method,
            path: path.to_owned(),
            cause: cause.to_string(),
            request_id,
        }
    }
}

/// Why the outcome of a request is unknown (for [`ApiError::OutcomeUnknown`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RetryCause {
    Status(u16),
    Transport(TransportKind),
}

impl fmt::Display for RetryCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryCause::Status(s) => write!(f, "server answered {s}"),
            RetryCause::Transport(k) => write!(f, "{k} after sending"),
        }
    }
}
