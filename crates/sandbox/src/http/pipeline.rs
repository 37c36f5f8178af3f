//! What happens to every request before and after its handler:
//!
//! 1. `/__sandbox/...` goes straight to the router: no auth, no limit, no faults, no log.
//! 2. Otherwise the request draws its fate (see `faults`), takes a fault a test scripted for
//!    it (see `scripted`), and waits the injected latency.
//! 3. An injected failure answers 500 `internal server error` without doing anything; a
//!    scripted rejection answers its status the same way. A scripted failure after the work
//!    replaces the answer after step 6; a scripted drop drops it in step 8, after a scripted
//!    delay, which comes last: the request is done and logged, its answer is slow.
//! 4. Authentication and the `?account=` switch (see `auth`): 401 on failure.
//! 5. The caller's PAT bucket (see `ratelimit`): 429 `too many requests`, no `Retry-After`.
//! 6. The router and the handler, with the [`Ctx`] as a request extension.
//! 7. Any error response the router made itself (405, bad path encoding) gets the error
//!    body; every response gets an `X-Request-Id`.
//! 8. The request is logged; a held one (see `hold`) waits for the test to release it; a
//!    dropped one then fails the service call, which makes hyper close the connection
//!    without writing a response.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::Service;

use super::auth::{self, Ctx};
use super::error::ApiError;
use super::query;
use super::scripted::Fault;
use crate::app::App;
use crate::log::{LogEntry, now_ms};

/// The service error that aborts a connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("response dropped by fault injection")]
pub struct Dropped;

/// Handles one request on a connection.
pub async fn serve(
    app: Arc<App>,
    router: Router,
    req: Request<hyper::body::Incoming>,
) -> Result<Response, Dropped> {
    let req = req.map(Body::new);
    if req.uri().path().starts_with("/__sandbox/") {
        return Ok(call(router, req).await);
    }
    let started_ms = now_ms();
    let seq = app.log.next_seq();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let pairs = query::parse(req.uri().query().unwrap_or(""));
    let account = pairs
        .iter()
        .find(|(k, _)| k == "account")
        .map(|(_, v)| v.clone());
    let query = req.uri().query().map(str::to_owned);
    let (user_agent, accept, auth_scheme) = {
        let text = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let scheme = text(header::AUTHORIZATION)
            .and_then(|v| v.split_whitespace().next().map(str::to_owned));
        (text(header::USER_AGENT), text(header::ACCEPT), scheme)
    };
    let (req, body) = match buffered(req).await {
        Ok(buffered) => buffered,
        Err(too_large) => return Ok(too_large),
    };
    let mut fate = app.faults.draw();
    let scripted = app.scripted.take(&method, &path);
    if !fate.delay.is_zero() {
        tokio::time::sleep(fate.delay).await;
    }
    let (mut response, who) = if fate.fail {
        let error = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error");
        (error.into_response(), None)
    } else if let Some(Fault::Reject(status)) = scripted {
        (scripted_error(status).into_response(), None)
    } else {
        run(&app, router, req, pairs, user_agent.as_deref()).await
    };
    match scripted {
        Some(Fault::FailAfter(status)) => response = scripted_error(status).into_response(),
        Some(Fault::Drop) => fate.drop = true,
        _ => {}
    }
    response = with_error_body(response);
    response
        .headers_mut()
        .insert("x-request-id", HeaderValue::from(seq));
    let (effective_account, user_id) = who.unzip();
    let entry = LogEntry {
        seq,
        method,
        path,
        query,
        account,
        effective_account,
        status: response.status().as_u16(),
        dropped: fate.drop,
        user_id,
        user_agent,
        accept,
        auth_scheme,
        body,
        started_ms,
        finished_ms: now_ms(),
    };
    // Logged first: a test told that the request is held finds it in the log.
    app.log.push(entry.clone());
    if let Some(release) = app.holds.check(&entry) {
        let _ = release.await;
    }
    if let Some(Fault::Delay(slow)) = scripted {
        tokio::time::sleep(slow).await;
    }
    if fate.drop {
        Err(Dropped)
    } else {
        Ok(response)
    }
}

/// The most a request body may hold before the sandbox answers 413 (the handlers' own
/// limit, axum's default 2 MB, still applies after).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Reads the body whole, for the log (as JSON, when it is), and puts it back.
async fn buffered(
    req: Request<Body>,
) -> Result<(Request<Body>, Option<serde_json::Value>), Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE).into_response())?;
    let json = serde_json::from_slice(&bytes).ok();
    Ok((Request::from_parts(parts, Body::from(bytes)), json))
}

/// Steps 4 to 6; also answers who ran where, for the log.
async fn run(
    app: &App,
    router: Router,
    mut req: Request<Body>,
    pairs: Vec<(String, String)>,
    user_agent: Option<&str>,
) -> (Response, Option<(String, String)>) {
    let ctx: Result<Ctx, ApiError> = {
        let mut world = app.lock();
        auth::authenticate(&mut world, req.headers().get(header::AUTHORIZATION), pairs)
    };
    let ctx = match ctx {
        Ok(ctx) => ctx,
        Err(error) => return (error.into_response(), None),
    };
    let who = Some((ctx.account_id.clone(), ctx.user.id.clone()));
    if !app.limiter.admit(&ctx.token_id, user_agent) {
        return (ApiError::too_many_requests().into_response(), who);
    }
    req.extensions_mut().insert(Arc::new(ctx));
    (call(router, req).await, who)
}

async fn call(mut router: Router, req: Request<Body>) -> Response {
    let result: Result<Response, Infallible> = router.call(req).await;
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The error a scripted fault answers: NetBird's 429 body, `internal server error` for a
/// 500, otherwise the status's reason phrase.
fn scripted_error(status: u16) -> ApiError {
    match StatusCode::from_u16(status) {
        Ok(StatusCode::TOO_MANY_REQUESTS) => ApiError::too_many_requests(),
        Ok(status) if status.as_u16() >= 400 => ApiError::from_status(status),
        _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
    }
}

/// Gives router-made error responses (no JSON body) NetBird's error body.
fn with_error_body(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    ApiError::from_status(status).into_response()
}
