//! The route table: every API path the sandbox answers, plus `/__sandbox/log`,
//! `/__sandbox/world` and `/__sandbox/dns/txt`. An unknown path is 404 and a known path with another method is 405,
//! both with the error body.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::error::ApiError;
use crate::app::App;
use crate::handlers::collection::settings;
use crate::handlers::{
    self, accounts, dns, events, introspect, network_children, notifications, users,
};

/// The router, with the shared state applied: every kind of `handlers::kinds!`, the two
/// settings objects and the bespoke endpoints.
pub fn build(app: Arc<App>) -> Router {
    Router::new()
        .route("/__sandbox/log", get(introspect::log))
        .route("/__sandbox/world", get(introspect::world))
        .route("/__sandbox/dns/txt", post(introspect::publish_txt))
        .merge(handlers::routes())
        .merge(settings::<accounts::Accounts>())
        .merge(settings::<dns::Dns>())
        .route("/api/users/current", get(users::current_user))
        .route("/api/events/audit", get(events::audit_events))
        .route(
            "/api/integrations/notifications/types",
            get(notifications::types),
        )
        .route(
            "/api/networks/routers",
            get(network_children::list_all_routers),
        )
        .fallback(|| async { ApiError::not_found("not found") })
        .method_not_allowed_fallback(|| async {
            ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .with_state(app)
}
