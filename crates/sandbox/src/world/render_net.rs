//! Response views of network objects: networks (with their routers, resources, routing
//! peer count and the policies that reach them), network resources (type and groups),
//! routers, routes and nameserver groups. Re-exported by `render`.

use serde::Serialize;

use super::model::Account;
use super::network::{Network, NetworkResource, NetworkRouter, Route};
use super::render::{GroupMinimum, group_minimum};
use super::resources::{ResourceKind, RuleSpec};

/// `Network`.
#[derive(Debug, Serialize)]
pub struct NetworkView<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    routers: Vec<&'a str>,
    routing_peers_count: usize,
    resources: Vec<&'a str>,
    policies: Vec<&'a str>,
}

/// `Network`, with its routers, resources, routing peer count and the policies that reach
/// its resources.
pub fn network<'a>(a: &'a Account, n: &'a Network) -> NetworkView<'a> {
    let resources: Vec<&str> = a
        .network_resources
        .values()
        .filter(|r| r.extra.network_id == n.id)
        .map(|r| r.id.as_str())
        .collect();
    let routers: Vec<&NetworkRouter> = a
        .network_routers
        .values()
        .filter(|r| r.extra.network_id == n.id)
        .collect();
    let routing_peers_count = routers
        .iter()
        .map(|r| match (&r.spec.peer, &r.spec.peer_groups) {
            (Some(_), _) => 1,
            (None, Some(groups)) => groups
                .iter()
                .filter_map(|g| a.groups.get(g))
                .map(|g| g.spec.peers.len())
                .sum(),
            (None, None) => 0,
        })
        .sum();
    let policies = a
        .policies
        .values()
        // NetBird lists only enabled policies, through an enabled rule.
        .filter(|p| p.spec.enabled)
        .filter(|p| {
            p.spec
                .rules
                .iter()
                .any(|r| r.enabled && reaches(a, r, &resources))
        })
        .map(|p| p.id.as_str())
        .collect();
    NetworkView {
        id: &n.id,
        name: &n.spec.name,
        description: n.spec.description.as_deref(),
        routers: routers.iter().map(|r| r.id.as_str()).collect(),
        routing_peers_count,
        resources,
        policies,
    }
}

fn reaches(a: &Account, r: &RuleSpec, resources: &[&str]) -> bool {
    let direct = r
        .destination_resource
        .as_ref()
        .is_some_and(|d| resources.contains(&d.id.as_str()));
    direct
        || r.destinations.iter().any(|g| {
            a.groups.get(g).is_some_and(|g| {
                g.spec
                    .resources
                    .iter()
                    .any(|m| resources.contains(&m.id.as_str()))
            })
        })
}

/// `NetworkResource`.
#[derive(Debug, Serialize)]
pub struct NetworkResourceView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: ResourceKind,
    groups: Vec<GroupMinimum<'a>>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    address: &'a str,
    enabled: bool,
}

/// `NetworkResource`, with `groups` as `GroupMinimum` objects.
pub fn network_resource<'a>(a: &'a Account, r: &'a NetworkResource) -> NetworkResourceView<'a> {
    NetworkResourceView {
        id: &r.id,
        kind: r.extra.kind,
        groups: a
            .groups
            .values()
            .filter(|g| g.spec.resources.iter().any(|m| m.id == r.id))
            .map(group_minimum)
            .collect(),
        name: &r.spec.name,
        description: r.spec.description.as_deref(),
        address: &r.spec.address,
        enabled: r.spec.enabled,
    }
}

/// `Route`.
#[derive(Debug, Serialize)]
pub struct RouteView<'a> {
    id: &'a str,
    network_type: &'a str,
    #[serde(flatten)]
    spec: &'a super::network::RouteSpec,
}

/// `Route`.
pub fn route(r: &Route) -> RouteView<'_> {
    RouteView {
        id: &r.id,
        network_type: &r.extra.network_type,
        spec: &r.spec,
    }
}
