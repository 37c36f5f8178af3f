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
    const PATHS: [&'static str; 2] = ["/api/networks", "/api/networks/{id}"];
    const WHAT: &'static str = "network";

    fn table(a: &Account) -> &IndexMap<String, Network> {
        &a.networks
    }
    fn view<'a>(a: &'a Account, n: &'a Network) -> Self::View<'a> {
        render::network(a, n)
    }
    fn meta(n: &Network) -> Vec<(&'static str, String)> {
        vec![("name", n.spec.name.clone())]
    }
    fn create(a: &mut Account, ids: &mut IdGen, _: Option<&str>, spec: Self::Create) -> SaveResult {
        save(a, ids, None, spec)
    }
    fn update(a: &mut Account, ids: &mut IdGen, id: &str, spec: Self::Update) -> SaveResult {
        save(a, ids, Some(id), spec)
    }
    fn remove(a: &mut Account, id: &str) -> &'static str {
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
        "network.delete"
    }
}

fn save(a: &mut Account, ids: &mut IdGen, id: Option<&str>, spec: NetworkSpec) -> SaveResult {
    validate::non_empty("name", &spec.name)?;
    let (id, code) = Saved::id_and_code(ids, id, ["network.create", "network.update"]);
    a.networks.insert(
        id.clone(),
        Network {
            id: id.clone(),
            spec,
        },
    );
    Ok(Saved::new(id, code))
}

/// The network `id`, or 404.
pub fn network<'a>(a: &'a Account, id: &str) -> Result<&'a Network, ApiError> {
    a.networks.get(id).ok_or_else(|| missing("network", id))
}
