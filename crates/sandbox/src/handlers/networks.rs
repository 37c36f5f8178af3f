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
        path: "/api/networks",
        what: "network",
        codes: ["network.create", "network.update", "network.delete"],
        name: |n| &n.spec.name,
        view: |a, _, n| render::network(a, n),
    };

    /// An update rebuilds the object from its body, as a create does.
    fn update(w: &mut World, at: &mut At, spec: Self::Update) -> Built<Self> {
        Self::create(w, at, spec)
    }
    fn create(w: &mut World, at: &mut At, spec: Self::Create) -> Built<Self> {
        validate::non_empty("name", &spec.name)?;
        let id = at.id(&mut w.ids);
        Ok(Network {
            id,
            spec,
            extra: Default::default(),
        })
    }
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        let (a, _) = w.account_mut(account)?;
        let resources: Vec<String> = a
            .network_resources
            .values()
            .filter(|r| r.extra.network_id == id)
            .map(|r| r.id.clone())
            .collect();
        for g in a.groups.values_mut() {
            g.spec.resources.retain(|r| !resources.contains(&r.id));
        }
        a.network_resources.retain(|_, r| r.extra.network_id != id);
        a.network_routers.retain(|_, r| r.extra.network_id != id);
        a.networks.shift_remove(id);
        Ok(())
    }
}

/// The network `id`, or 404.
pub fn network<'a>(a: &'a Account, id: &str) -> Result<&'a Network, ApiError> {
    a.networks.get(id).ok_or_else(|| missing("network", id))
}
