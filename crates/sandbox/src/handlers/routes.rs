//! `/api/routes` (legacy network routes). Checks (422): `network_id` 1..=40 characters,
//! `metric` 1..=9999, exactly one of `peer`/`peer_groups`, exactly one of `network`/`domains`
//! (at most 32 domains), a valid CIDR; unknown groups and peers are 404; the same prefix
//! twice on the same peer or peer group is 409. Descriptions are not unique.

use super::prelude::*;
use crate::world::network::{Route, RouteSpec, RouteType};

/// `/api/routes`.
pub struct Routes;

impl Collection for Routes {
    type Item = Route;
    type Create = RouteSpec;
    type Update = RouteSpec;
    type View<'a> = render::RouteView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/routes",
        what: "route",
        codes: ["route.add", "route.update", "route.delete"],
        name: |r| &r.spec.network_id,
        view: |_, _, r| render::route(r),
    };

    /// `Route.EventMeta` (`route/route.go`): a domain route's prefix is Go's zero prefix.
    fn meta(r: &Route, _: Verb) -> Vec<(&'static str, String)> {
        let range = r.spec.network.clone();
        vec![
            ("name", r.spec.network_id.clone()),
            (
                "network_range",
                range.unwrap_or_else(|| "invalid Prefix".to_owned()),
            ),
            (
                "domains",
                r.spec
                    .domains
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("peer_id", r.spec.peer.clone().unwrap_or_default()),
            ("peer_groups", go_list(r.spec.peer_groups.as_ref())),
        ]
    }
    /// An update rebuilds the object from its body, as a create does.
    fn update(w: &mut World, at: &mut At, spec: Self::Update) -> Built<Self> {
        Self::create(w, at, spec)
    }
    fn create(w: &mut World, at: &mut At, spec: Self::Create) -> Built<Self> {
        let network_type = check(&spec)?;
        let (a, ids) = at.account(w)?;
        a.check_peers(spec.peer.iter())?;
        a.check_groups(&spec.groups)?;
        a.check_groups(spec.peer_groups.iter().flatten())?;
        a.check_groups(spec.access_control_groups.iter().flatten())?;
        if let Some(network) = &spec.network {
            let same_router = |r: &RouteSpec| {
                r.peer.is_some() && r.peer == spec.peer
                    || r.peer_groups
                        .iter()
                        .flatten()
                        .any(|g| spec.peer_groups.iter().flatten().any(|h| h == g))
            };
            let clash = a.routes.values().any(|r| {
                Some(r.id.as_str()) != at.current()
                    && r.spec.network.as_ref() == Some(network)
                    && same_router(&r.spec)
            });
            if clash {
                return Err(ApiError::conflict(format!(
                    "route with prefix {network} already exists for the same peer or peer group"
                )));
            }
        }
        let id = at.id(ids);
        Ok(Route {
            id,
            spec,
            extra: RouteType { network_type },
        })
    }
}

/// Checks the fields that need no lookups; answers the `network_type`.
fn check(spec: &RouteSpec) -> Result<String, ApiError> {
    validate::length("network_id", &spec.network_id, 1, 40)?;
    validate::in_range("metric", spec.metric, 1, 9999)?;
    let groups_given = spec.peer_groups.as_ref().is_some_and(|g| !g.is_empty());
    let message = "exactly one of peer or peer_groups should be provided";
    ensure(spec.peer.is_some() != groups_given, message)?;
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
            ensure(
                domains.len() <= 32,
                "invalid field domains: at most 32 domains",
            )?;
            if let Some(bad) = domains.iter().find(|d| !validate::is_domain(d)) {
                return Err(ApiError::invalid(format!(
                    "invalid field domains: invalid domain {bad}"
                )));
            }
            Ok("Domain".to_owned())
        }
    }
}
