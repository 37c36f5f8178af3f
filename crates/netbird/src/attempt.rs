//! One attempt: send a request, read the answer, classify the outcome.
//!
//! [`send`] turns a reqwest request into an [`Attempt`]: the server's answer
//! ([`Reply`]: status, body, `X-Request-Id`) or a transport failure with
//! whether the request may have reached the server. [`Attempt::outcome`] is
//! what the retry table in `retry.rs` decides on; [`Reply::json`] maps an
//! error status to [`ApiError::Status`] with NetBird's `message` and `code`.
//! Error details never contain the URL (its query may carry values).

use std::error::Error as _;

use serde_json::Value;

use crate::client::Call;
use crate::error::{ApiError, TransportKind};
use crate::retry::{Method, Outcome};

/// The server's answer to the last attempt.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub request_id: Option<String>,
    /// An earlier attempt was sent and may have been applied before a retry.
    pub earlier_may_have_landed: bool,
}

pub(crate) enum Attempt {
    Answer(Reply),
    Failed {
        kind: TransportKind,
        sent: bool,
        detail: String,
    },
}

impl Attempt {
    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            Attempt::Answer(r) => Outcome::Status(r.status),
            Attempt::Failed {
                kind: TransportKind::Timeout,
                sent,
                ..
            } => Outcome::Timeout { sent: *sent },
            Attempt::Failed {
                kind: TransportKind::Tls,
                ..
            } => Outcome::TlsRejected,
            Attempt::Failed { sent, .. } => Outcome::ConnectionReset { sent: *sent },
        }
    }
}

pub(crate) async fn send(req: reqwest::RequestBuilder) -> Attempt {
    let resp = match req.send().await {
        Ok(resp) => resp,
        Err(e) => return classify(&e),
    };
    let status = resp.status().as_u16();
    let request_id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match resp.bytes().await {
        Ok(body) => Attempt::Answer(Reply {
            status,
            body: body.to_vec(),
            request_id,
            earlier_may_have_landed: false,
        }),
        // The server answered, so the request was handled; its body was lost.
        Err(e) => Attempt::Failed {
            kind: if e.is_timeout() {
                TransportKind::Timeout
            } else {
                TransportKind::Reset
            },
            sent: true,
            detail: describe(&e),
        },
    }
}

fn classify(e: &reqwest::Error) -> Attempt {
    let (kind, sent) = if is_tls_failure(e) {
        (TransportKind::Tls, false)
    } else if e.is_connect() || e.is_builder() {
        (TransportKind::Connect, false)
    } else if e.is_timeout() {
        (TransportKind::Timeout, true)
    } else {
        (TransportKind::Reset, true)
    };
    Attempt::Failed {
        kind,
        sent,
        detail: describe(e),
    }
}

/// Whether a rustls error (a certificate or handshake failure) is among the causes. rustls
/// errors reach us wrapped in `io::Error`s, whose `source()` skips the wrapped error itself,
/// so each `io::Error` is opened with `get_ref`.
fn is_tls_failure(e: &reqwest::Error) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = next {
        if err.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            if inner.is::<rustls::Error>() {
                return true;
            }
            next = Some(inner);
            continue;
        }
        next = err.source();
    }
    false
}

/// The error and its causes, without the URL (it may carry query values).
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    if let Some(url) = e.url() {
        out = out
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "");
    }
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON on success (`null` when empty); the error status otherwise.
    pub fn json(self, call: &Call<'_>) -> Result<Value, ApiError> {
        if !self.is_success() {
            return Err(self.status_error(call));
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Decode {
            method: call.method,
            path: call.path.clone(),
            status: self.status,
            detail: e.to_string(),
        })
    }

    /// NetBird's `{"message", "code"}` error body as an [`ApiError::Status`].
    pub fn status_error(&self, call: &Call<'_>) -> ApiError {
        let parsed: Option<Value> = serde_json::from_slice(&self.body).ok();
        let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k).cloned());
        let message = field("message")
            .and_then(|m| m.as_str().map(str::to_owned))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| {
                reqwest::StatusCode::from_u16(self.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("error")
                    .to_lowercase()
            });
        ApiError::Status {
            method: call.method,
            path: call.path.clone(),
            status: self.status,
            message,
            code: field("code").and_then(|c| c.as_i64()),
            request_id: self.request_id.clone(),
        }
    }
}

/// Whether an attempt that is about to be retried may already have been applied.
pub(crate) fn may_have_landed(outcome: Outcome) -> bool {
    match outcome {
        Outcome::Status(_) => true,
        Outcome::Timeout { sent } | Outcome::ConnectionReset { sent } => sent,
        Outcome::TlsRejected => false,
    }
}

pub(crate) fn to_reqwest(m: Method) -> reqwest::Method {
    match m {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
        Method::Patch => reqwest::Method::PATCH,
    }
}
