//! `/api/networks/{id}/resources` and `/api/networks/{id}/routers` (and the account-wide
//! `GET /api/networks/routers`).
//!
//! A resource's `type` is derived from its address (host, subnet or domain); its `groups`
//! come back as `GroupMinimum` and it appears in each group's `resources`. Resource names
//! are unique across the whole account (422 `resource with name <name> already exists`).
//! A router names a `peer` or `peer_groups`, exactly one (422 otherwise).

use super::networks::network;
use super::prelude::*;
use crate::world::network::{NetworkResource, NetworkRouter, RouterSpec};
use crate::world::resources::{ResourceKind, ResourceRef};

/// `NetworkResourceRequest`.
#[derive(Debug, Deserialize)]
pub struct ResourceRequest {
    name: String,
    #[serde(default)]
    description: Option<String>,
    address: String,
    enabled: bool,
    groups: Vec<String>,
}

/// `GET /api/networks/{id}/resources`.
pub async fn list_resources(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(net): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        network(a, &net)?;
        let mine = a.network_resources.values().filter(|r| r.network_id == net);
        list(mine, |r| render::network_resource(a, r))
    })
}

/// `GET /api/networks/{id}/resources/{rid}`.
pub async fn get_resource(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((net, id)): Path<(String, String)>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        json(&render::network_resource(a, resource(a, &net, &id)?))
    })
}

/// `POST /api/networks/{id}/resources`.
pub async fn create_resource(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(net): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: ResourceRequest = parse(&body)?;
    save_resource(&app, &ctx, net, None, req).await
}

/// `PUT /api/networks/{id}/resources/{rid}`.
pub async fn update_resource(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((net, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let req: ResourceRequest = parse(&body)?;
    save_resource(&app, &ctx, net, Some(id), req).await
}

/// `DELETE /api/networks/{id}/resources/{rid}`.
pub async fn delete_resource(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((net, id)): Path<(String, String)>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let name = resource(a, &net, &id)?.name.clone();
        for g in a.groups.values_mut() {
            g.resources.retain(|r| r.id != id);
        }
        a.network_resources.shift_remove(&id);
        a.audit(
            &ctx.user,
            "network.resource.delete",
            &id,
            &[("name", &name)],
        );
        empty()
    })
    .await
}

async fn save_resource(
    app: &App,
    ctx: &Ctx,
    net: String,
    id: Option<String>,
    req: ResourceRequest,
) -> ApiResult {
    validate::non_empty("name", &req.name)?;
    let kind = validate::address_kind(&req.address)?;
    let address = stored_address(kind, req.address);
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        network(a, &net)?;
        if let Some(id) = &id {
            resource(a, &net, id)?;
        }
        let taken = a
            .network_resources
            .values()
            .any(|r| r.name == req.name && Some(&r.id) != id.as_ref());
        if taken {
            return Err(ApiError::invalid(format!(
                "resource with name {} already exists",
                req.name
            )));
        }
        a.check_groups(&req.groups)?;
        let code = if id.is_some() {
            "network.resource.update"
        } else {
            "network.resource.create"
        };
        let r = NetworkResource {
            id: id.unwrap_or_else(|| ids.id()),
            network_id: net,
            name: req.name,
            description: req.description,
            address,
            kind,
            enabled: req.enabled,
        };
        for g in a.groups.values_mut() {
            g.resources.retain(|m| m.id != r.id);
            if req.groups.contains(&g.id) {
                g.resources.push(ResourceRef {
                    id: r.id.clone(),
                    kind,
                });
            }
        }
        a.audit(&ctx.user, code, &r.id, &[("name", &r.name)]);
        let view = json(&render::network_resource(a, &r))?;
        a.network_resources.insert(r.id.clone(), r);
        Ok(view)
    })
    .await
}

/// NetBird stores a host as a prefix: `10.10.0.6` becomes `10.10.0.6/32` (`/128` for IPv6).
fn stored_address(kind: ResourceKind, address: String) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(ip) if kind == ResourceKind::Host => {
            format!("{address}/{}", if ip.is_ipv4() { 32 } else { 128 })
        }
        _ => address,
    }
}

fn resource<'a>(a: &'a Account, net: &str, id: &str) -> Result<&'a NetworkResource, ApiError> {
    network(a, net)?;
    a.network_resources
        .get(id)
        .filter(|r| r.network_id == net)
        .ok_or_else(|| missing("network resource", id))
}

/// `GET /api/networks/routers`: every router of the account.
pub async fn list_all_routers(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        list(
            w.account(&ctx.account_id)?.network_routers.values(),
            render::network_router,
        )
    })
}

/// `GET /api/networks/{id}/routers`.
pub async fn list_routers(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(net): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        network(a, &net)?;
        let mine = a.network_routers.values().filter(|r| r.network_id == net);
        list(mine, render::network_router)
    })
}

/// `GET /api/networks/{id}/routers/{rid}`.
pub async fn get_router(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((net, id)): Path<(String, String)>,
) -> ApiResult {
    app.read(|w| {
        router(w.account(&ctx.account_id)?, &net, &id)
            .and_then(|v| json(&render::network_router(v)))
    })
}

/// `POST /api/networks/{id}/routers`.
pub async fn create_router(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(net): Path<String>,
    body: Bytes,
) -> ApiResult {
    let spec: RouterSpec = parse(&body)?;
    save_router(&app, &ctx, net, None, spec).await
}

/// `PUT /api/networks/{id}/routers/{rid}`.
pub async fn update_router(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((net, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let spec: RouterSpec = parse(&body)?;
    save_router(&app, &ctx, net, Some(id), spec).await
}

/// `DELETE /api/networks/{id}/routers/{rid}`.
pub async fn delete_router(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((net, id)): Path<(String, String)>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        router(a, &net, &id)?;
        a.network_routers.shift_remove(&id);
        a.audit(
            &ctx.user,
            "network.router.delete",
            &id,
            &[("network_id", &net)],
        );
        empty()
    })
    .await
}

async fn save_router(
    app: &App,
    ctx: &Ctx,
    net: String,
    id: Option<String>,
    spec: RouterSpec,
) -> ApiResult {
    validate::in_range("metric", spec.metric, 1, 9999)?;
    let groups_given = spec.peer_groups.as_ref().is_some_and(|g| !g.is_empty());
    match (spec.peer.is_some(), groups_given) {
        // NetBird answers these two with 400, not 422 (api-notes §7).
        (true, true) => {
            return Err(ApiError::bad_request(
                "only one of peer or peer_groups should be provided",
            ));
        }
        (false, false) => {
            return Err(ApiError::bad_request(
                "either peer or peer_groups should be provided",
            ));
        }
        _ => {}
    }
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        network(a, &net)?;
        if let Some(id) = &id {
            router(a, &net, id)?;
        }
        a.check_peers(spec.peer.iter())?;
        a.check_groups(spec.peer_groups.iter().flatten())?;
        let code = if id.is_some() {
            "network.router.update"
        } else {
            "network.router.create"
        };
        let r = NetworkRouter {
            id: id.unwrap_or_else(|| ids.id()),
            network_id: net,
            spec,
        };
        a.audit(&ctx.user, code, &r.id, &[("network_id", &r.network_id)]);
        let view = json(&render::network_router(&r))?;
        a.network_routers.insert(r.id.clone(), r);
        Ok(view)
    })
    .await
}

fn router<'a>(a: &'a Account, net: &str, id: &str) -> Result<&'a NetworkRouter, ApiError> {
    network(a, net)?;
    a.network_routers
        .get(id)
        .filter(|r| r.network_id == net)
        .ok_or_else(|| missing("network router", id))
}
