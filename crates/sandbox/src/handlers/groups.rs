//! `/api/groups`: groups of peers and network resources.
//!
//! Names are unique per account (409 `group with name <name> already exists`); the `All`
//! group cannot be updated or deleted (422); a group still referenced elsewhere cannot be
//! deleted (400 `group has been linked to <kind>: <name>`). `GET ?name=` answers a
//! one-element array or 404.

use super::prelude::*;
use crate::world::resources::{Group, GroupSpec, api_group};

/// `/api/groups[?name=]`.
pub struct Groups;

impl Collection for Groups {
    type Item = Group;
    type Create = GroupSpec;
    type Update = GroupSpec;
    type View<'a> = render::GroupView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/groups",
        what: "group",
        codes: ["group.add", "group.update", "group.delete"],
        name: |g| &g.spec.name,
        view: |a, _, g| render::group(a, g),
    };

    /// `?name=` answers a one-element list, or 404.
    fn select<'a>(w: &'a World, ctx: &Ctx) -> Result<Vec<&'a Group>, ApiError> {
        let a = w.account(&ctx.account_id)?;
        match ctx.param("name") {
            Some(name) => {
                let id = a
                    .group_id_by_name(name)
                    .ok_or_else(|| missing("group", name))?;
                Ok(vec![a.group(id)?])
            }
            None => Ok(a.groups.values().collect()),
        }
    }
    /// As a create, except for the `All` group. NetBird logs `group.update` only for a
    /// rename, with `old_name` and `new_name` (`prepareGroupEvents` in `group.go`).
    fn update(w: &mut World, at: &mut At, spec: GroupSpec) -> Built<Self> {
        let (a, ids) = at.account(w)?;
        let old = a.group(&at.id(ids))?.spec.name.clone();
        ensure(old != "All", "updating the 'All' group is not allowed")?;
        if old == spec.name {
            at.code = Some("");
        } else {
            at.meta = Some(vec![("old_name", old), ("new_name", spec.name.clone())]);
        }
        Self::create(w, at, spec)
    }
    fn create(w: &mut World, at: &mut At, spec: GroupSpec) -> Built<Self> {
        let (a, ids) = at.account(w)?;
        let id = at.id(ids);
        validate::non_empty("name", &spec.name)?;
        if let Some(other) = a.group_id_by_name(&spec.name)
            && *other != id
        {
            return Err(ApiError::conflict(format!(
                "group with name {} already exists",
                spec.name
            )));
        }
        a.check_peers(&spec.peers)?;
        a.check_resources(&spec.resources)?;
        Ok(api_group(id, spec))
    }
    fn store(w: &mut World, account: &str, _: String, g: Group) -> Result<(), ApiError> {
        w.account_mut(account)?.0.put_group(g);
        Ok(())
    }
    fn deletable(w: &World, a: &Account, g: &Group) -> Result<(), ApiError> {
        ensure(
            g.spec.name != "All",
            "deleting the 'All' group is not allowed",
        )?;
        match link_of(w, a, &g.id) {
            Some((kind, by)) => Err(ApiError::bad_request(format!(
                "group has been linked to {kind}: {by}"
            ))),
            None => Ok(()),
        }
    }
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        w.account_mut(account)?.0.remove_group(id);
        Ok(())
    }
}

/// The first object that still references group `id`: its kind and name.
fn link_of(w: &World, a: &Account, id: &str) -> Option<(&'static str, String)> {
    let id = &id.to_owned();
    let has = |ids: &Option<Vec<String>>| ids.as_ref().is_some_and(|v| v.contains(id));
    if let Some(k) = a
        .setup_keys
        .values()
        .find(|k| k.spec.auto_groups.contains(id))
    {
        return Some(("setup key", k.spec.name.clone()));
    }
    if let Some(u) = a.users.values().find(|u| u.spec.auto_groups.contains(id)) {
        return Some(("user", u.spec.name().to_owned()));
    }
    let in_rule = |r: &crate::world::resources::RuleSpec| {
        r.sources.contains(id)
            || r.destinations.contains(id)
            || r.authorized_groups
                .as_ref()
                .is_some_and(|m| m.contains_key(id))
    };
    if let Some(p) = a
        .policies
        .values()
        .find(|p| p.spec.rules.iter().any(in_rule))
    {
        return Some(("policy", p.spec.name.clone()));
    }
    if let Some(r) = a.routes.values().find(|r| {
        r.spec.groups.contains(id) || has(&r.spec.peer_groups) || has(&r.spec.access_control_groups)
    }) {
        return Some(("route", r.spec.network_id.clone()));
    }
    if let Some(n) = a
        .nameserver_groups
        .values()
        .find(|n| n.spec.groups.contains(id))
    {
        return Some(("name server groups", n.spec.name.clone()));
    }
    if a.dns_settings.disabled_management_groups.contains(id) {
        return Some(("disabled dns management groups", id.clone()));
    }
    if let Some(r) = a
        .network_routers
        .values()
        .find(|r| has(&r.spec.peer_groups))
    {
        return Some(("network router", r.id.clone()));
    }
    if let Some(r) = a.groups.get(id).and_then(|g| g.spec.resources.first()) {
        return Some(("network resource", r.id.clone()));
    }
    if let Some(t) = w
        .tenants
        .values()
        .find(|t| t.spec.groups.iter().any(|g| &g.id == id))
    {
        return Some(("tenant", t.spec.name.clone()));
    }
    None
}
