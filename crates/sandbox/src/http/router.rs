//! The route table: every API path the sandbox answers, plus `/__sandbox/log` and
//! `/__sandbox/world`. An unknown path is 404 and a known path with another method is 405,
//! both with the error body.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use super::error::ApiError;
use crate::app::App;
use crate::handlers::collection::{routes, settings};
use crate::handlers::{
    accounts, dns, events, groups, introspect, network_children as nc, networks, peers, policies,
    posture_checks as pc, routes as legacy, setup_keys, tenants, tokens, users,
};

type Routes = Router<Arc<App>>;

/// The router, with the shared state applied.
pub fn build(app: Arc<App>) -> Router {
    Router::new()
        .route("/__sandbox/log", get(introspect::log))
        .route("/__sandbox/world", get(introspect::world))
        .merge(people())
        .merge(access())
        .merge(network())
        .fallback(|| async { ApiError::not_found("not found") })
        .method_not_allowed_fallback(|| async {
            ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .with_state(app)
}

/// Accounts, users, tokens, peers and the audit log.
fn people() -> Routes {
    Router::new()
        .merge(settings::<accounts::Accounts>())
        .route("/api/users/current", get(users::current_user))
        .merge(routes::<users::Users>())
        .merge(routes::<tokens::Tokens>())
        .merge(routes::<peers::Peers>())
        .route("/api/events/audit", get(events::audit_events))
}

/// Setup keys, groups, policies and posture checks.
fn access() -> Routes {
    Router::new()
        .merge(routes::<setup_keys::SetupKeys>())
        .merge(routes::<groups::Groups>())
        .merge(routes::<policies::Policies>())
        .merge(routes::<pc::PostureChecks>())
}

/// Networks with their resources and routers, routes, nameservers and DNS settings; MSP
/// tenants.
fn network() -> Routes {
    Router::new()
        .merge(routes::<networks::Networks>())
        .route("/api/networks/routers", get(nc::list_all_routers))
        .merge(routes::<nc::Resources>())
        .merge(routes::<nc::Routers>())
        .merge(routes::<legacy::Routes>())
        .merge(routes::<dns::Nameservers>())
        .merge(settings::<dns::Dns>())
        .merge(routes::<tenants::Tenants>())
}
