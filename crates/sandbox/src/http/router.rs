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
    accounts, dns, events, groups, introspect, network_children as nc, networks, peers, policies,
    posture_checks as pc, routes, setup_keys, tenants, tokens, users,
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
        .route(
            "/api/users/{id}/tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        )
        .route(
            "/api/users/{id}/tokens/{tid}",
            get(tokens::get_token).delete(tokens::delete_token),
        )
        .route("/api/peers", get(peers::list_peers))
        .route(
            "/api/peers/{id}",
            get(peers::get_peer)
                .put(peers::update_peer)
                .delete(peers::delete_peer),
        )
        .route("/api/events/audit", get(events::audit_events))
}

/// Setup keys, groups, policies and posture checks.
fn access() -> Routes {
    use setup_keys as keys;
    Router::new()
        .route(
            "/api/setup-keys",
            get(keys::list_keys).post(keys::create_key),
        )
        .route(
            "/api/setup-keys/{id}",
            get(keys::get_key)
                .put(keys::update_key)
                .delete(keys::delete_key),
        )
        .route(
            "/api/groups",
            get(groups::list_groups).post(groups::create_group),
        )
        .route(
            "/api/groups/{id}",
            get(groups::get_group)
                .put(groups::update_group)
                .delete(groups::delete_group),
        )
        .route(
            "/api/policies",
            get(policies::list_policies).post(policies::create_policy),
        )
        .route(
            "/api/policies/{id}",
            get(policies::get_policy)
                .put(policies::update_policy)
                .delete(policies::delete_policy),
        )
        .route(
            "/api/posture-checks",
            get(pc::list_checks).post(pc::create_check),
        )
        .route(
            "/api/posture-checks/{id}",
            get(pc::get_check)
                .put(pc::update_check)
                .delete(pc::delete_check),
        )
}

/// Networks with their resources and routers, routes, nameservers and DNS settings.
fn network() -> Routes {
    use networks as n;
    Router::new()
        .route(
            "/api/networks",
            get(n::list_networks).post(n::create_network),
        )
        .route("/api/networks/routers", get(nc::list_all_routers))
        .route(
            "/api/networks/{id}",
            get(n::get_network)
                .put(n::update_network)
                .delete(n::delete_network),
        )
        .route(
            "/api/networks/{id}/resources",
            get(nc::list_resources).post(nc::create_resource),
        )
        .route(
            "/api/networks/{id}/resources/{rid}",
            get(nc::get_resource)
                .put(nc::update_resource)
                .delete(nc::delete_resource),
        )
        .route(
            "/api/networks/{id}/routers",
            get(nc::list_routers).post(nc::create_router),
        )
        .route(
            "/api/networks/{id}/routers/{rid}",
            get(nc::get_router)
                .put(nc::update_router)
                .delete(nc::delete_router),
        )
        .route(
            "/api/routes",
            get(routes::list_routes).post(routes::create_route),
        )
        .route(
            "/api/routes/{id}",
            get(routes::get_route)
                .put(routes::update_route)
                .delete(routes::delete_route),
        )
        .route(
            "/api/dns/nameservers",
            get(dns::list_nameservers).post(dns::create_nameserver),
        )
        .route(
            "/api/dns/nameservers/{id}",
            get(dns::get_nameserver)
                .put(dns::update_nameserver)
                .delete(dns::delete_nameserver),
        )
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
