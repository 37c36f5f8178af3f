//! `/api/routes` (legacy network routes). Checks (422): `network_id` 1..=40 characters,
//! `metric` 1..=9999, exactly one of `peer`/`peer_groups`, exactly one of `network`/`domains`
//! (at most 32 domains), a valid CIDR; unknown groups and peers are 404; the same prefix
//! twice on the same peer or peer group is 409. Descriptions are not unique.

use super::prelude::*;
use crate::world::network::{Route, RouteSpec};

/// `GET /api/routes`.
pub async fn list_routes(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| list(w.account(&ctx.account_id)?.routes.values(), render::route))
}

/// `GET /api/routes/{id}`.
pub async fn get_route(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        let r = a.routes.get(&id).ok_or_else(|| missing("route", &id))?;
        json(&render::route(r))
    })
}

/// `POST /api/routes`.
pub async fn create_route(State(app): AppState, Extension(ctx): Caller, body: Bytes) -> ApiResult {
    let spec: RouteSpec = parse(&body)?;
    save(&app, &ctx, None, spec).await
}

/// `PUT /api/routes/{id}`.
pub async fn update_route(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let spec: RouteSpec = parse(&body)?;
    save(&app, &ctx, Some(id), spec).await
}

/// `DELETE /api/routes/{id}`.
pub async fn delete_route(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let r = a
            .routes
            .shift_remove(&id)
            .ok_or_else(|| missing("route", &id))?;
        a.audit(
            &ctx.user,
            "route.delete",
            &id,
            &[("name", &r.spec.network_id)],
        );
        empty()
    })
    .await
}

async fn save(app: &App, ctx: &Ctx, id: Option<String>, spec: RouteSpec) -> ApiResult {
    let network_type = check(&spec)?;
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        if let Some(id) = &id
            && !a.routes.contains_key(id)
        {
            return Err(missing("route", id));
        }
        a.check_peers(spec.peer.iter())?;
        a.check_groups(&spec.groups)?;
        a.check_groups(spec.peer_groups.iter().flatten())?;
        a.check_groups(spec.access_control_groups.iter().flatten())?;
        if let Some(network) = &spec.network {
            let clash = a.routes.values().any(|r| {
                Some(&r.id) != id.as_ref()
                    && r.spec.network.as_ref() == Some(network)
                    && (r.spec.peer.is_some() && r.spec.peer == spec.peer
                        || r.spec
                            .peer_groups
                            .iter()
                            .flatten()
                            .any(|g| spec.peer_groups.iter().flatten().any(|h| h == g)))
            });
            if clash {
                return Err(ApiError::conflict(format!(
                    "route with prefix {network} already exists for the same peer or peer group"
                )));
            }
        }
        let code = if id.is_some() {
            "route.update"
        } else {
            "route.add"
        };
        let route = Route {
            id: id.unwrap_or_else(|| ids.id()),
            network_type,
            spec,
        };
        a.audit(
            &ctx.user,
            code,
            &route.id,
            &[("name", &route.spec.network_id)],
        );
        let view = json(&render::route(&route))?;
        a.routes.insert(route.id.clone(), route);
        Ok(view)
    })
    .await
}

/// Checks the fields that need no lookups; answers the `network_type`.
fn check(spec: &RouteSpec) -> Result<String, ApiError> {
    validate::length("network_id", &spec.network_id, 1, 40)?;
    validate::in_range("metric", spec.metric, 1, 9999)?;
    let groups_given = spec.peer_groups.as_ref().is_some_and(|g| !g.is_empty());
    if spec.peer.is_some() == groups_given {
        return Err(ApiError::invalid(
            "exactly one of peer or peer_groups should be provided",
        ));
    }
    let domains = spec.domains.as_deref().unwrap_or_default();
    match (&spec.network, domains.is_empty()) {
        (Some(_), false) => Err(ApiError::invalid(
            "network and domains are mutually exclusive",
        )),
        (None, true) => Err(ApiError::invalid(
            "either network or domains should be provided",
        )),
        (Some(network), true) => {
            let ip = validate::cidr("network", network)?;
            Ok(if ip.is_ipv4() { "IPv4" } else { "IPv6" }.to_owned())
        }
        (None, false) => {
            if domains.len() > 32 {
                return Err(ApiError::invalid(
                    "invalid field domains: at most 32 domains",
                ));
            }
            if let Some(bad) = domains.iter().find(|d| !validate::is_domain(d)) {
                return Err(ApiError::invalid(format!(
                    "invalid field domains: invalid domain {bad}"
                )));
            }
            Ok("Domain".to_owned())
        }
    }
}
