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

/// The router, with the shared state applied.
pub fn build(app: Arc<App>) -> Router {
    let tenant = "/api/integrations/msp/tenants";
    Router::new()
        .route("/__sandbox/log", get(introspect::log))
        .route("/__sandbox/world", get(introspect::world))
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
        .route(
            "/api/setup-keys",
            get(setup_keys::list_keys).post(setup_keys::create_key),
        )
        .route(
            "/api/setup-keys/{id}",
            get(setup_keys::get_key)
                .put(setup_keys::update_key)
                .delete(setup_keys::delete_key),
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
        .route(
            "/api/networks",
            get(networks::list_networks).post(networks::create_network),
        )
        .route("/api/networks/routers", get(nc::list_all_routers))
        .route(
            "/api/networks/{id}",
            get(networks::get_network)
                .put(networks::update_network)
                .delete(networks::delete_network),
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
        .route("/api/events/audit", get(events::audit_events))
        .route(
            tenant,
            get(tenants::list_tenants).post(tenants::create_tenant),
        )
        .route(
            &format!("{tenant}/{{id}}"),
            put(tenants::update_tenant).delete(tenants::delete_tenant),
        )
        .route(
            &format!("{tenant}/{{id}}/invite"),
            post(tenants::invite_tenant),
        )
        .route(&format!("{tenant}/{{id}}/dns"), post(tenants::verify_dns))
        .route(
            &format!("{tenant}/{{id}}/unlink"),
            post(tenants::unlink_tenant),
        )
        .route(
            &format!("{tenant}/{{id}}/subscription"),
            post(tenants::subscription),
        )
        .fallback(|| async { ApiError::not_found("not found") })
        .method_not_allowed_fallback(|| async {
            ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .with_state(app)
}
