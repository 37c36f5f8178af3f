//! Retry policy as data.
//!
//! Two pure pieces, unit-tested with plain values:
//! - [`Backoff`]: an iterator of delays (exponential, capped, with jitter) that
//!   ends after [`RetryPolicy::max_retries`] items, so every retry loop is bounded.
//! - [`decide`]: what to do with the [`Outcome`] of one attempt, given the
//!   [`Method`]. GET, PUT and DELETE are idempotent and retried on 429, 5xx,
//!   timeouts and connection failures. A POST is retried only when it certainly
//!   did nothing (429, or a connection that failed before the request was sent);
//!   when it may have landed (timeout or reset after sending, 5xx) the answer is
//!   [`Decision::OutcomeUnknown`] and the caller settles it by lookup. A failed TLS handshake
//!   (certificate errors) is returned at once: a retry meets the same certificate.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use serde::Serialize;

/// HTTP methods the client sends. Own type: no reqwest types in public signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl Method {
    /// GET, PUT and DELETE may be repeated without changing the result.
    pub fn is_idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }

    /// Parses `get`, `POST`, ... (case-insensitive).
    pub fn parse(s: &str) -> Option<Method> {
        [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Delete,
            Method::Patch,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one attempt produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status (2xx included).
    Status(u16),
    /// No complete answer in time. `sent`: the request may have reached the server.
    Timeout { sent: bool },
    /// The connection failed (`sent: false`: refused or reset before the request
    /// was written) or broke before the whole answer arrived (`sent: true`).
    ConnectionReset { sent: bool },
    /// The TLS handshake failed (an untrusted or invalid certificate): nothing was sent,
    /// and trying again cannot help, so it is never retried.
    TlsRejected,
}

/// Why an attempt is repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryReason {
    /// 429: the server's bucket for this PAT is empty; nothing was done.
    RateLimited,
    /// A 5xx answer to an idempotent request.
    ServerError,
    /// A timeout of an idempotent request.
    Timeout,
    /// A broken connection of an idempotent request.
    ConnectionReset,
    /// The connection failed before the request was sent: safe for any method.
    NotSent,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetryReason::RateLimited => "rate limited (429)",
            RetryReason::ServerError => "server error",
            RetryReason::Timeout => "timeout",
            RetryReason::ConnectionReset => "connection reset",
            RetryReason::NotSent => "connection failed before sending",
        })
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Hand the answer to the caller (a success or a definite error status).
    Return,
    /// Wait for the next backoff delay and try again.
    Retry(RetryReason),
    /// A non-idempotent request may or may not have been applied: do not repeat
    /// it blindly; the caller looks the object up.
    OutcomeUnknown,
}

/// The retry decision table. Pure; see the module docs.
pub fn decide(method: Method, outcome: &Outcome) -> Decision {
    let idempotent = method.is_idempotent();
    match *outcome {
        Outcome::Status(429) => Decision::Retry(RetryReason::RateLimited),
        // 501 is a definite answer (NetBird uses it for a failed DNS challenge).
        Outcome::Status(501) => Decision::Return,
        Outcome::Status(500..=599) if idempotent => Decision::Retry(RetryReason::ServerError),
        Outcome::Status(500..=599) => Decision::OutcomeUnknown,
        Outcome::Status(_) | Outcome::TlsRejected => Decision::Return,
        Outcome::Timeout { sent: false } | Outcome::ConnectionReset { sent: false } => {
            Decision::Retry(RetryReason::NotSent)
        }
        Outcome::Timeout { sent: true } if idempotent => Decision::Retry(RetryReason::Timeout),
        Outcome::ConnectionReset { sent: true } if idempotent => {
            Decision::Retry(RetryReason::ConnectionReset)
        }
        Outcome::Timeout { sent: true } | Outcome::ConnectionReset { sent: true } => {
            Decision::OutcomeUnknown
        }
    }
}

/// How often and how long to retry. Plain data, part of the client config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// The first delay; each next one doubles.
    pub initial_delay: Duration,
    /// No delay exceeds this.
    pub max_delay: Duration,
    /// Fraction in `0.0..=1.0` by which a delay may be shortened at random
    /// (0.5: each delay is uniform in `[d/2, d]`).
    pub jitter: f64,
    /// For `create_or_adopt`: how many times a POST whose outcome was unknown
    /// and that did not land is sent again.
    pub max_reposts: u32,
    /// The whole call, every attempt and every wait between them, ends by then: each attempt
    /// gets an equal share of the time left (so a host that drops packets cannot take one
    /// connect timeout per attempt), and a retry whose wait would end after it is not made.
    /// `None`: each attempt has the client's timeout.
    pub deadline: Option<Duration>,
}

impl RetryPolicy {
    /// The time limit of the next attempt, `elapsed` into the call with `retries_left`
    /// retries still allowed after it; `None` without a deadline, zero when it has passed.
    pub fn attempt_limit(&self, elapsed: Duration, retries_left: u32) -> Option<Duration> {
        let left = self.deadline?.saturating_sub(elapsed);
        Some(left / retries_left.saturating_add(1))
    }

    /// Whether a retry after waiting `delay`, `elapsed` into the call, still starts before
    /// the deadline.
    pub fn retry_fits(&self, elapsed: Duration, delay: Duration) -> bool {
        self.deadline.is_none_or(|d| elapsed + delay < d)
    }
}

impl Default for RetryPolicy {
    /// 6 retries, 500 ms doubling up to 30 s, half jitter; 2 re-POSTs.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            jitter: 0.5,
            max_reposts: 2,
            deadline: None,
        }
    }
}

/// The delays between attempts: `initial * 2^n`, capped at `max_delay`, each
/// shortened by up to `jitter`; at most `max_retries` of them.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    step: u32,
    rng: u64,
}

impl Backoff {
    /// A backoff with a random jitter seed.
    pub fn new(policy: RetryPolicy) -> Self {
        let seed = RandomState::new().build_hasher().finish();
        Backoff::with_seed(policy, seed)
    }

    /// A backoff with a fixed jitter seed (deterministic; for tests).
    pub fn with_seed(policy: RetryPolicy, seed: u64) -> Self {
        Backoff {
            policy,
            step: 0,
            rng: seed | 1,
        }
    }

    /// xorshift64*: a uniform number in `[0, 1)`.
    fn next_unit(&mut self) -> f64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.step >= self.policy.max_retries {
            return None;
        }
        let factor = 2u32.saturating_pow(self.step);
        self.step += 1;
        let full = self
            .policy
            .initial_delay
            .saturating_mul(factor)
            .min(self.policy.max_delay);
        let jitter = self.policy.jitter.clamp(0.0, 1.0);
        let keep = 1.0 - jitter * self.next_unit();
        Some(full.mul_f64(keep))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.policy.max_retries.saturating_sub(self.step) as usize;
        (left, Some(left))
    }
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
