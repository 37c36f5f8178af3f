//! `/api/networks/{id}/resources` and `/api/networks/{id}/routers` (and the account-wide
//! `GET /api/networks/routers`): collections owned by a network, which must exist (404).
//!
//! A resource's `type` is derived from its address (host, subnet or domain), and a host is
//! stored as a prefix (`10.10.0.6` reads back as `10.10.0.6/32`, `/128` for IPv6), as
//! NetBird stores it. Its `groups` come back as `GroupMinimum` and it appears in each group's
//! `resources`. Resource names are unique across the whole account (422 `resource with name
//! <name> already exists`). A router names a `peer` or `peer_groups`, exactly one (400
//! otherwise, as NetBird answers).

use super::networks::network;
use super::prelude::*;
use crate::world::network::{
    InNetwork, NetworkResource, NetworkResourceSpec, NetworkRouter, ResourceExtra, RouterSpec,
};
use crate::world::resources::{Group, ResourceKind, ResourceRef};

/// `/api/networks/{id}/resources`.
pub struct Resources;

impl Collection for Resources {
    type Item = NetworkResource;
    type Create = NetworkResourceSpec;
    type Update = NetworkResourceSpec;
    type View<'a> = render::NetworkResourceView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/networks/{id}/resources",
        what: "network resource",
        codes: [
            "network.resource.create",
            "network.resource.update",
            "network.resource.delete",
        ],
        name: |r| &r.spec.name,
        view: |a, _, r| render::network_resource(a, r),
    };

    const OWNER_KEY: &str = "network_id";

    fn owner(a: &Account, _: &Ctx, id: &str) -> Result<(), ApiError> {
        network(a, id).map(|_| ())
    }
    fn owner_of(r: &NetworkResource) -> Option<&str> {
        Some(&r.extra.network_id)
    }
    /// `NetworkResource.EventMeta` (`networks/resources/types/resource.go`).
    fn meta_in(a: &Account, r: &NetworkResource, _: Verb) -> Vec<(&'static str, String)> {
        vec![
            ("name", r.spec.name.clone()),
            ("type", kind_text(r.extra.kind).to_owned()),
            ("network_name", network_name(a, &r.extra.network_id)),
            ("network_id", r.extra.network_id.clone()),
        ]
    }
    /// A create logs `network.resource.create`, then `resource.group.add` per group; a
    /// delete logs `resource.group.delete` per group, then `network.resource.delete`
    /// (`networks/resources/manager.go`).
    fn audit(a: &Account, id: &str, r: &NetworkResource, verb: Verb) -> Vec<Audit> {
        let own = (
            Self::code(r, verb).to_owned(),
            id.to_owned(),
            Self::meta_in(a, r, verb),
        );
        let groups = a.groups.values();
        let groups = groups.filter(|g| g.spec.resources.iter().any(|m| m.id == id));
        match verb {
            Verb::Delete => {
                let mut events: Vec<Audit> = groups
                    .map(|g| group_event("resource.group.delete", g, r))
                    .collect();
                events.push(own);
                events
            }
            _ => std::iter::once(own)
                .chain(groups.map(|g| group_event("resource.group.add", g, r)))
                .collect(),
        }
    }
    /// An update rebuilds the object from its body, as a create does; it logs the group
    /// changes (added, then removed), then `network.resource.update`.
    fn update(w: &mut World, at: &mut At, spec: Self::Update) -> Built<Self> {
        let (a, ids) = at.account(w)?;
        let id = at.id(ids);
        let before: Vec<String> = a
            .groups
            .values()
            .filter(|g| g.spec.resources.iter().any(|m| m.id == id))
            .map(|g| g.id.clone())
            .collect();
        let after = spec.groups.clone();
        let r = Self::create(w, at, spec)?;
        let a = w.account(&at.ctx.account_id)?;
        let event = |code: &str, g: &String| a.groups.get(g).map(|g| group_event(code, g, &r));
        let added = after.iter().filter(|g| !before.contains(g));
        let removed = before.iter().filter(|g| !after.contains(g));
        let mut events: Vec<Audit> = added
            .filter_map(|g| event("resource.group.add", g))
            .chain(removed.filter_map(|g| event("resource.group.delete", g)))
            .collect();
        events.push((
            "network.resource.update".to_owned(),
            id,
            Self::meta_in(a, &r, Verb::Update),
        ));
        at.code = Some("");
        at.events = events;
        Ok(r)
    }
    fn create(w: &mut World, at: &mut At, mut spec: Self::Create) -> Built<Self> {
        validate::non_empty("name", &spec.name)?;
        let kind = validate::address_kind(&spec.address)?;
        unique::<Self>(w, at, &spec.name, "resource")?;
        let (a, ids) = at.account(w)?;
        a.check_groups(&spec.groups)?;
        let id = at.id(ids);
        let groups = std::mem::take(&mut spec.groups);
        for g in a.groups.values_mut() {
            g.spec.resources.retain(|m| m.id != id);
            if groups.contains(&g.id) {
                let id = id.clone();
                g.spec.resources.push(ResourceRef { id, kind });
            }
        }
        spec.address = stored_address(kind, spec.address);
        let network_id = at.owner.unwrap_or_default().to_owned();
        let extra = ResourceExtra { network_id, kind };
        Ok(NetworkResource { id, spec, extra })
    }
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        let (a, _) = w.account_mut(account)?;
        for g in a.groups.values_mut() {
            g.spec.resources.retain(|r| r.id != id);
        }
        a.network_resources.shift_remove(id);
        Ok(())
    }
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

/// `/api/networks/{id}/routers`.
pub struct Routers;

impl Collection for Routers {
    type Item = NetworkRouter;
    type Create = RouterSpec;
    type Update = RouterSpec;
    type View<'a> = render::WithId<'a, RouterSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/networks/{id}/routers",
        what: "network router",
        codes: [
            "network.router.create",
            "network.router.update",
            "network.router.delete",
        ],
        name: |r| &r.extra.network_id,
        view: |_, _, r| render::with_id(r),
    };

    /// `NetworkRouter.EventMeta` (`networks/routers/types/router.go`).
    fn meta_in(a: &Account, r: &NetworkRouter, _: Verb) -> Vec<(&'static str, String)> {
        vec![
            ("network_name", network_name(a, &r.extra.network_id)),
            ("network_id", r.extra.network_id.clone()),
            ("peer", r.spec.peer.clone().unwrap_or_default()),
            ("peer_groups", go_list(r.spec.peer_groups.as_ref())),
        ]
    }
    const OWNER_KEY: &str = "network_id";

    fn owner(a: &Account, _: &Ctx, id: &str) -> Result<(), ApiError> {
        network(a, id).map(|_| ())
    }
    fn owner_of(r: &NetworkRouter) -> Option<&str> {
        Some(&r.extra.network_id)
    }
    /// An update rebuilds the object from its body, as a create does.
    fn update(w: &mut World, at: &mut At, spec: Self::Update) -> Built<Self> {
        Self::create(w, at, spec)
    }
    fn create(w: &mut World, at: &mut At, spec: Self::Create) -> Built<Self> {
        validate::in_range("metric", spec.metric, 1, 9999)?;
        let groups_given = spec.peer_groups.as_ref().is_some_and(|g| !g.is_empty());
        // NetBird answers these two with 400, not 422 (api-notes §7).
        match (spec.peer.is_some(), groups_given) {
            (true, true) => Err(ApiError::bad_request(
                "only one of peer or peer_groups should be provided",
            )),
            (false, false) => Err(ApiError::bad_request(
                "either peer or peer_groups should be provided",
            )),
            _ => Ok(()),
        }?;
        let (a, ids) = at.account(w)?;
        a.check_peers(spec.peer.iter())?;
        a.check_groups(spec.peer_groups.iter().flatten())?;
        let network_id = at.owner.unwrap_or_default().to_owned();
        Ok(NetworkRouter {
            id: at.id(ids),
            spec,
            extra: InNetwork { network_id },
        })
    }
}

/// `GET /api/networks/routers`: every router of the account.
pub async fn list_all_routers(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        list(
            w.account(&ctx.account_id)?.network_routers.values(),
            render::with_id,
        )
    })
}

/// The name of network `id` in `a` (empty when unknown).
fn network_name(a: &Account, id: &str) -> String {
    a.networks
        .get(id)
        .map(|n| n.spec.name.clone())
        .unwrap_or_default()
}

/// A resource's type as NetBird writes it.
fn kind_text(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Host => "host",
        ResourceKind::Subnet => "subnet",
        ResourceKind::Domain => "domain",
        ResourceKind::Peer => "peer",
    }
}

/// `resource.group.add` or `.delete` on group `g` (`eventMetaResource` in `groups/manager.go`).
fn group_event(code: &str, g: &Group, r: &NetworkResource) -> Audit {
    let meta = vec![
        ("name", g.spec.name.clone()),
        ("id", g.id.clone()),
        ("resource_name", r.spec.name.clone()),
        ("resource_id", r.id.clone()),
        ("resource_type", kind_text(r.extra.kind).to_owned()),
    ];
    (code.to_owned(), g.id.clone(), meta)
}
