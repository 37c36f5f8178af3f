//! The HTTP core: one request, retried as the policy says.
//!
//! [`Client`] is cheap to clone: clones share one HTTP connection pool, one
//! [`RateLimiter`] (one per PAT) and one semaphore capping requests in flight.
//! Every call goes through [`Client::execute`]: take an in-flight permit, take
//! a token from the bucket, send with the auth headers, classify the
//! [`Outcome`](crate::Outcome), and ask [`decide`] whether to return, retry after the next
//! [`Backoff`] delay, or report [`ApiError::OutcomeUnknown`]. A 429 drains the
//! shared bucket. One attempt is `attempt.rs`; the typed calls live in `calls.rs`,
//! `accounts.rs`, `tenants.rs` and `adopt.rs`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde_json::Value;
use tokio::sync::Semaphore;

use tokio::time::Instant;
use tracing::Instrument;

use crate::attempt::{Attempt, Reply, may_have_landed, send, to_reqwest};
use crate::budget::{SharedBudget, SharedPool};
use crate::config::{ClientConfig, RateLimit};
use crate::error::{ApiError, ConfigError, RetryCause};
use crate::events::{ClientEvent, Observer};
use crate::gate::{Reservation, Slot, WriteGate};
use crate::kind::encode_segment;
use crate::limiter::RateLimiter;
use crate::retry::{Backoff, Decision, Method, RetryPolicy, RetryReason, decide};
use crate::scope::Scope;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("onboard/", env!("CARGO_PKG_VERSION"));

/// A NetBird management API client. Clones share the rate limiter and the
/// in-flight cap; each clone may carry its own observer.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    observer: Option<Observer>,
    /// Replaces the configured retry policy for this clone's calls.
    retry: Option<RetryPolicy>,
    /// Asked before every write inside another account.
    gate: Option<Arc<dyn WriteGate>>,
    /// Calls run on an in-flight slot the caller holds; the flag says the next attempt's rate
    /// token is paid too, and is taken by that attempt ([`Client::prepaid`]).
    prepaid: Option<Arc<AtomicBool>>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base: String,
    limiter: RateLimiter,
    /// The budget shared with other runners of this PAT, once attached.
    shared: std::sync::OnceLock<SharedPool>,
    inflight: Arc<Semaphore>,
    concurrency: usize,
    pub(crate) retry: RetryPolicy,
    rate: RateLimit,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("rate", &self.inner.rate)
            .field("token", &"(sensitive)")
            .finish_non_exhaustive()
    }
}

/// One request as the typed calls describe it.
pub(crate) struct Call<'a> {
    pub method: Method,
    /// Percent-encoded path without query, e.g. `/api/groups/abc`.
    pub path: String,
    /// Extra query parameters (`name=...`); `account` comes from the scope.
    pub query: Vec<(String, String)>,
    pub scope: &'a Scope,
    pub body: Option<&'a Value>,
}

impl Client {
    /// Checks the configuration and builds the client.
    pub fn new(cfg: ClientConfig) -> Result<Client, ConfigError> {
        let base = cfg.validate()?;
        let mut auth = HeaderValue::from_str(&format!("Token {}", cfg.token.expose()))
            .map_err(|_| ConfigError::InvalidToken)?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let mut builder = reqwest::Client::builder();
        if crate::config::is_loopback(&base) {
            // Plain http is allowed to loopback only; a proxy would carry the token off it.
            builder = builder.no_proxy();
        }
        // Certificates are always verified: nothing here turns verification off.
        let http = builder
            .default_headers(headers)
            .user_agent(USER_AGENT)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        let inner = Inner {
            http,
            base: base.as_str().trim_end_matches('/').to_owned(),
            limiter: RateLimiter::new(cfg.rate.with_headroom()),
            shared: std::sync::OnceLock::new(),
            inflight: Arc::new(Semaphore::new(cfg.concurrency)),
            concurrency: cfg.concurrency,
            retry: cfg.retry,
            rate: cfg.rate,
        };
        Ok(Client {
            inner: Arc::new(inner),
            observer: None,
            retry: None,
            gate: None,
            prepaid: None,
        })
    }

    /// A clone that reports every [`ClientEvent`] to `observer` (and shares the
    /// limiter and in-flight cap with `self`).
    pub fn with_observer(&self, observer: Observer) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            observer: Some(observer),
            ..self.clone()
        }
    }

    /// A clone that asks `gate` before every write inside another account (see
    /// [`WriteGate`]).
    pub fn with_write_gate(&self, gate: Arc<dyn WriteGate>) -> Client {
        Client {
            gate: Some(gate),
            ..self.clone()
        }
    }

    /// A clone whose calls retry as `policy` says (and share the limiter and in-flight cap
    /// with `self`): e.g. a connection check that must fail within seconds.
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            retry: Some(policy),
            ..self.clone()
        }
    }

    /// A clone whose calls run on an in-flight slot the caller holds, and whose next attempt
    /// (one, whichever call makes it) is sent at once, its rate token paid: the caller holds a
    /// [`Reservation`] (a scope proof, sent on the slot of the first write it covers, before
    /// any of them) or took the token with [`Client::pay`]. Later attempts take a token of
    /// their own.
    pub fn prepaid(&self) -> Client {
        Client {
            prepaid: Some(Arc::new(AtomicBool::new(true))),
            ..self.clone()
        }
    }

    /// Takes `calls` rate tokens, waiting until they are there: for calls a [`Client::prepaid`]
    /// clone then sends at once.
    pub async fn pay(&self, calls: u32) {
        self.tokens(calls).await;
    }

    /// Spends this PAT's budget together with other runners (see [`SharedBudget`]): every
    /// clone of this client, from now on, takes each rate token from the local limiter and
    /// from `budget` (shaped as this client's limit, with the same headroom). Only the first
    /// budget attached counts; returns false for a later one.
    pub fn share_budget(&self, budget: Arc<dyn SharedBudget>) -> bool {
        let pool = SharedPool::new(budget, self.inner.rate.with_headroom());
        self.inner.shared.set(pool).is_ok()
    }

    /// Takes `n` rate tokens from the local limiter and, if one is attached, the shared budget:
    /// both reserve at once and the wait is the later of the two; returns it.
    async fn tokens(&self, n: u32) -> Duration {
        let local = self.inner.limiter.acquire_many(n);
        match self.inner.shared.get() {
            Some(pool) => {
                let (local, shared) = tokio::join!(local, pool.acquire(n));
                local.max(shared)
            }
            None => local.await,
        }
    }

    /// The most writes one scope proof may cover ([`RateLimit::writes_per_proof`]).
    pub fn writes_per_proof(&self) -> usize {
        self.inner.rate.writes_per_proof(self.inner.concurrency)
    }

    /// Takes `writes` in-flight slots and `writes + 1` rate tokens together, waiting until
    /// all are there: for a scope proof and the writes it covers, so that the writes can be
    /// sent the moment the proof answers. `writes` is capped at [`Client::writes_per_proof`].
    pub async fn reserve(&self, writes: usize) -> Reservation {
        let writes = writes.clamp(1, self.writes_per_proof());
        let n = u32::try_from(writes).unwrap_or(u32::MAX);
        // The semaphore is never closed, so acquiring cannot fail.
        let permits = Arc::clone(&self.inner.inflight)
            .acquire_many_owned(n)
            .await
            .expect("the in-flight semaphore is never closed");
        self.tokens(n.saturating_add(1)).await;
        Reservation::new(permits)
    }

    /// The retry policy of this clone's calls.
    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.retry.unwrap_or(self.inner.retry)
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Tokens left in the shared bucket (negative when tasks are waiting).
    pub fn rate_tokens_available(&self) -> f64 {
        self.inner.limiter.available()
    }

    pub(crate) fn emit(&self, event: ClientEvent) {
        tracing::debug!(?event, "netbird client event");
        if let Some(observer) = &self.observer {
            observer(&event);
        }
    }

    /// Sends `call`, retrying as [`decide`] says. An error status that is not
    /// retried comes back as an `Ok(Reply)`; callers map it with [`Reply::json`].
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<Reply, ApiError> {
        let url = self.url(call)?;
        let gate = match (&self.gate, call.scope, call.method == Method::Get) {
            (Some(gate), Scope::Account(account), false) => Some((gate, account)),
            _ => None,
        };
        let refused = |reason| ApiError::Refused {
            method: call.method,
            path: call.path.clone(),
            reason,
        };
        let policy = self.retry_policy();
        let mut backoff = Backoff::new(policy);
        let mut landed = false;
        let mut attempt = 0u32;
        // Every attempt of this call counts against one policy: one counter, one deadline.
        let started = Instant::now();
        loop {
            attempt += 1;
            let retries_left = u32::try_from(backoff.size_hint().0).unwrap_or(u32::MAX);
            let limit = policy.attempt_limit(started.elapsed(), retries_left);
            // Every attempt of a write in another account, a retry too, follows a proof of
            // its own and is sent on the slot the gate reserved with that proof.
            let slot = match gate {
                Some((gate, account)) => Some(
                    gate.before_write(self, account, attempt)
                        .await
                        .map_err(refused)?,
                ),
                None => None,
            };
            let span = tracing::debug_span!("netbird_request", method = %call.method, path = %call.path, attempt);
            let result = self
                .attempt(call, &url, attempt, slot, limit)
                .instrument(span)
                .await;
            let outcome = result.outcome();
            let reason = match decide(call.method, &outcome) {
                Decision::Return => return finish(call, result, attempt, landed),
                Decision::OutcomeUnknown => return Err(unknown(call, result)),
                Decision::Retry(reason) => reason,
            };
            if reason == RetryReason::RateLimited {
                self.inner.limiter.drain();
            } else {
                landed |= may_have_landed(outcome);
            }
            let Some(delay) = backoff
                .next()
                .filter(|d| policy.retry_fits(started.elapsed(), *d))
            else {
                return exhausted(call, result, reason, attempt, landed);
            };
            self.emit(ClientEvent::Retry {
                method: call.method,
                path: call.path.clone(),
                reason,
                attempt,
                delay_ms: millis(delay),
            });
            tokio::time::sleep(delay).await;
        }
    }

    fn url(&self, call: &Call<'_>) -> Result<String, ApiError> {
        let mut url = format!("{}{}", self.inner.base, call.path);
        let account = match call.scope {
            Scope::Own => None,
            Scope::Account(id) if id.is_empty() => {
                return Err(ApiError::Usage("empty account id in scope".into()));
            }
            Scope::Account(id) => Some(("account".to_owned(), id.clone())),
        };
        for (i, (k, v)) in account.iter().chain(call.query.iter()).enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode_segment(k));
            url.push('=');
            url.push_str(&encode_segment(v));
        }
        Ok(url)
    }

    /// One attempt. With a `slot` (a gated write) or the first attempt of a prepaid clone,
    /// the slot and token were taken before: it is sent at once.
    async fn attempt(
        &self,
        call: &Call<'_>,
        url: &str,
        attempt: u32,
        slot: Option<Slot>,
        limit: Option<Duration>,
    ) -> Attempt {
        // A prepaid clone's calls run on the caller's reserved slot, retries too (taking
        // another would wait for a slot the caller holds); only its next attempt's token was
        // paid.
        let prepaid = self.prepaid.as_ref();
        let has_slot = slot.is_some() || prepaid.is_some();
        let paid = slot.is_some() || prepaid.is_some_and(|p| p.swap(false, Ordering::SeqCst));
        let _slot = slot;
        // The semaphore is never closed, so acquire cannot fail.
        let _permit = match has_slot {
            true => None,
            false => self.inner.inflight.acquire().await.ok(),
        };
        let waited = match paid {
            true => Duration::ZERO,
            false => self.tokens(1).await,
        };
        if !waited.is_zero() {
            self.emit(ClientEvent::RateLimited {
                method: call.method,
                path: call.path.clone(),
                waited_ms: millis(waited),
            });
        }
        let mut req = self.inner.http.request(to_reqwest(call.method), url);
        if let Some(body) = call.body {
            req = req.json(body);
        }
        if let Some(limit) = limit {
            req = req.timeout(limit);
        }
        self.emit(ClientEvent::RequestSent {
            method: call.method,
            path: call.path.clone(),
            account: call.scope.account().map(str::to_owned),
            attempt,
        });
        let started = Instant::now();
        let result = send(req).await;
        let elapsed_ms = millis(started.elapsed());
        match &result {
            Attempt::Answer(reply) => self.emit(ClientEvent::Response {
                method: call.method,
                path: call.path.clone(),
                status: reply.status,
                elapsed_ms,
                request_id: reply.request_id.clone(),
            }),
            Attempt::Failed { kind, sent, .. } => self.emit(ClientEvent::TransportError {
                method: call.method,
                path: call.path.clone(),
                kind: *kind,
                sent: *sent,
                elapsed_ms,
            }),
        }
        result
    }
}

fn finish(
    call: &Call<'_>,
    result: Attempt,
    attempts: u32,
    landed: bool,
) -> Result<Reply, ApiError> {
    match result {
        Attempt::Answer(mut reply) => {
            reply.earlier_may_have_landed = landed;
            Ok(reply)
        }
        Attempt::Failed { kind, detail, .. } => Err(ApiError::Transport {
            method: call.method,
            path: call.path.clone(),
            kind,
            attempts,
            detail,
        }),
    }
}

fn unknown(call: &Call<'_>, result: Attempt) -> ApiError {
    let (cause, request_id) = match result {
        Attempt::Answer(r) => (RetryCause::Status(r.status), r.request_id),
        Attempt::Failed { kind, .. } => (RetryCause::Transport(kind), None),
    };
    ApiError::outcome_unknown(call.method, &call.path, cause, request_id)
}

fn exhausted(
    call: &Call<'_>,
    result: Attempt,
    reason: RetryReason,
    attempts: u32,
    landed: bool,
) -> Result<Reply, ApiError> {
    if reason == RetryReason::RateLimited {
        return Err(ApiError::RateLimited {
            method: call.method,
            path: call.path.clone(),
            attempts,
        });
    }
    finish(call, result, attempts, landed)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
