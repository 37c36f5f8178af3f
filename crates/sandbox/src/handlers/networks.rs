//! `/api/networks` (the networks themselves; resources and routers are in
//! `network_children`). Names are not unique. Deleting a network deletes its resources
//! (taking them out of their groups) and routers, as NetBird does.

use super::prelude::*;
use crate::world::network::{Network, NetworkSpec};

/// `/api/networks`.
pub struct Networks;

impl Collection for Networks {
    type Item = Network;
    type Create = NetworkSpec;
    type Update = NetworkSpec;
    type View<'a> = render::NetworkView<'a>;
    const SPEC: Spec<Self> = Spec {
        paths: ["/api/networks", "/api/networks/{id}"],
        what: "network",
        codes: ["network.create", "network.update", "network.delete"],
        table: |a| &a.networks,
        table_mut: |a| &mut a.networks,
        name: |n| &n.spec.name,
        view: render::network,
    };

    fn build(_: &mut Account, ids: &mut IdGen, at: &mut At, req: Request<Self>) -> Built<Self> {
        let spec = req.body();
        validate::non_empty("name", &spec.name)?;
        let id = at.id(ids);
        Ok(Network { id, spec })
    }
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        let (a, _) = w.account_mut(account)?;
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
        a.networks.shift_remove(id);
        Ok(())
    }
}

/// The network `id`, or 404.
pub fn network<'a>(a: &'a Account, id: &str) -> Result<&'a Network, ApiError> {
    a.networks.get(id).ok_or_else(|| missing("network", id))
}
