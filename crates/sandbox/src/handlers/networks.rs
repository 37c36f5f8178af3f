//! `/api/networks` (the networks themselves; resources and routers are in
//! `network_children`). Names are not unique. Deleting a network deletes its resources
//! (taking them out of their groups) and routers, as NetBird does.

use super::prelude::*;
use crate::world::network::{Network, NetworkSpec};

/// `GET /api/networks`.
pub async fn list_networks(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        list(a.networks.values(), |n| render::network(a, n))
    })
}

/// `GET /api/networks/{id}`.
pub async fn get_network(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        json(&render::network(a, network(a, &id)?))
    })
}

/// `POST /api/networks`.
pub async fn create_network(
    State(app): AppState,
    Extension(ctx): Caller,
    body: Bytes,
) -> ApiResult {
    let spec: NetworkSpec = parse(&body)?;
    validate::non_empty("name", &spec.name)?;
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        let n = Network { id: ids.id(), spec };
        a.audit(
            &ctx.user,
            "network.create",
            &n.id,
            &[("name", &n.spec.name)],
        );
        let view = json(&render::network(a, &n))?;
        a.networks.insert(n.id.clone(), n);
        Ok(view)
    })
    .await
}

/// `PUT /api/networks/{id}`.
pub async fn update_network(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let spec: NetworkSpec = parse(&body)?;
    validate::non_empty("name", &spec.name)?;
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        network(a, &id)?;
        a.audit(&ctx.user, "network.update", &id, &[("name", &spec.name)]);
        let n = Network {
            id: id.clone(),
            spec,
        };
        a.networks.insert(id.clone(), n);
        json(&render::network(a, network(a, &id)?))
    })
    .await
}

/// `DELETE /api/networks/{id}`.
pub async fn delete_network(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let name = network(a, &id)?.spec.name.clone();
        let resources: Vec<String> = a
            .network_resources
            .values()
            .filter(|r| r.network_id == id)
            .map(|r| r.id.clone())
            .collect();
        for g in a.groups.values_mut() {
            g.resources.retain(|r| !resources.contains(&r.id));
        }
        a.network_resources.retain(|_, r| r.network_id != id);
        a.network_routers.retain(|_, r| r.network_id != id);
        a.networks.shift_remove(&id);
        a.audit(&ctx.user, "network.delete", &id, &[("name", &name)]);
        empty()
    })
    .await
}

/// The network `id`, or 404.
pub fn network<'a>(a: &'a Account, id: &str) -> Result<&'a Network, ApiError> {
    a.networks.get(id).ok_or_else(|| missing("network", id))
}
