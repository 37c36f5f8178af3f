//! The route table: every API path the sandbox answers, plus `/__sandbox/log` and
//! `/__sandbox/world`. An unknown path is 404 and a known path with another method is 405,
//! both with the error body.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post, put};

use super::error::ApiError;
use crate::app::App;
use crate::handlers::{
    accounts, collection::routes, dns, events, groups, introspect, network_children as nc,
    networks, peers, policies, posture_checks as pc, routes as legacy, setup_keys, tenants, tokens,
    users,
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
        .merge(msp())
        .fallback(|| async { ApiError::not_found("not found") })
        .method_not_allowed_fallback(|| async {
            ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .with_state(app)
}

/// Accounts, users, tokens, peers and the audit log.
fn people() -> Routes {
    Router::new()
        .route("/api/accounts", get(accounts::list_accounts))
        .route("/api/accounts/{id}", put(accounts::update_account))
        .route(
            "/api/users",
            get(users::list_users).post(users::create_user),
        )
        .route("/api/users/current", get(users::current_user))
        .route(
            "/api/users/{id}",
            put(users::update_user).delete(users::delete_user),
        )
        .route("/api/users/{id}/invite", post(users::resend_invite))
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

/// Networks with their resources and routers, routes, nameservers and DNS settings.
fn network() -> Routes {
    Router::new()
        .merge(routes::<networks::Networks>())
        .route("/api/networks/routers", get(nc::list_all_routers))
        .merge(routes::<nc::Resources>())
        .merge(routes::<nc::Routers>())
        .merge(routes::<legacy::Routes>())
        .merge(routes::<dns::Nameservers>())
        .route(
            "/api/dns/settings",
            get(dns::get_settings).put(dns::update_settings),
        )
}

/// MSP tenants.
fn msp() -> Routes {
    use tenants as t;
    Router::new()
        .route(
            "/api/integrations/msp/tenants",
            get(t::list_tenants).post(t::create_tenant),
        )
        .route(
            "/api/integrations/msp/tenants/{id}",
            put(t::update_tenant).delete(t::delete_tenant),
        )
        .route(
            "/api/integrations/msp/tenants/{id}/invite",
            post(t::invite_tenant),
        )
        .route(
            "/api/integrations/msp/tenants/{id}/dns",
            post(t::verify_dns),
        )
        .route(
            "/api/integrations/msp/tenants/{id}/unlink",
            post(t::unlink_tenant),
        )
        .route(
            "/api/integrations/msp/tenants/{id}/subscription",
            post(t::subscription),
        )
}
