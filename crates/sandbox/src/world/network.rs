//! Stored network objects: networks with their resources and routers, legacy routes,
//! nameserver groups and the DNS settings singleton.
//!
//! The `*Spec` types are the request bodies (`NetworkRequest`, `NetworkResourceRequest`,
//! `NetworkRouterRequest`, `RouteRequest`, `NameserverGroupRequest`) and also the stored
//! spec of an [`Item`], next to the server-assigned fields; responses are the spec fields
//! with the id first.

use serde::{Deserialize, Serialize};

use super::item::Item;
use super::resources::ResourceKind;

/// `NetworkRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkSpec {
    /// Name (not unique).
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A stored network; its routers and resources are stored beside it with a `network_id`.
pub type Network = Item<NetworkSpec>;

/// `NetworkResourceRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkResourceSpec {
    /// Unique name across the whole account.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Address; a host is stored as a prefix (`10.10.0.6/32`), as NetBird stores it.
    pub address: String,
    /// Enabled.
    pub enabled: bool,
    /// Group ids. Moved into the groups' `resources` (the one truth) when stored, so a stored
    /// resource's list is empty.
    pub groups: Vec<String>,
}

/// What the server adds to a network resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceExtra {
    /// The network it belongs to.
    pub network_id: String,
    /// `host`, `subnet` or `domain`, derived from the address.
    #[serde(rename = "type")]
    pub kind: ResourceKind,
}

/// A stored network resource; its groups live in `Group::resources`.
pub type NetworkResource = Item<NetworkResourceSpec, ResourceExtra>;

/// The network a router belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InNetwork {
    /// Network id.
    pub network_id: String,
}

/// `NetworkRouterRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouterSpec {
    /// Routing peer id (exclusive with `peer_groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Routing peer group ids (exclusive with `peer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_groups: Option<Vec<String>>,
    /// 1..=9999.
    pub metric: i64,
    /// Masquerade.
    pub masquerade: bool,
    /// Enabled.
    pub enabled: bool,
}

/// A stored network router.
pub type NetworkRouter = Item<RouterSpec, InNetwork>;

/// `RouteRequest` (the spec also lists `id` as required; the server assigns it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteSpec {
    /// Description.
    pub description: String,
    /// HA group identifier, 1..=40 characters.
    pub network_id: String,
    /// Enabled.
    pub enabled: bool,
    /// Routing peer (exclusive with `peer_groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// Routing peer groups (exclusive with `peer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_groups: Option<Vec<String>>,
    /// CIDR (exclusive with `domains`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Domains (exclusive with `network`), at most 32.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
    /// 1..=9999.
    pub metric: i64,
    /// Masquerade.
    pub masquerade: bool,
    /// Distribution group ids.
    pub groups: Vec<String>,
    /// Keep the route when a domain stops resolving.
    pub keep_route: bool,
    /// Access control group ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_groups: Option<Vec<String>>,
    /// Skip auto-apply for exit nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_auto_apply: Option<bool>,
}

/// What the server adds to a route.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteType {
    /// `IPv4`, `IPv6` or `Domain`.
    pub network_type: String,
}

/// A stored route.
pub type Route = Item<RouteSpec, RouteType>;

/// Nameserver protocol: only `udp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NsType {
    /// UDP.
    Udp,
}

/// One nameserver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nameserver {
    /// IP address.
    pub ip: String,
    /// Protocol.
    pub ns_type: NsType,
    /// Port.
    pub port: i64,
}

/// `NameserverGroupRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NameserverGroupSpec {
    /// Unique name, 1..=40 characters.
    pub name: String,
    /// Description.
    pub description: String,
    /// 1..=3 nameservers.
    pub nameservers: Vec<Nameserver>,
    /// Enabled.
    pub enabled: bool,
    /// Distribution group ids.
    pub groups: Vec<String>,
    /// Resolves all domains (only when `domains` is empty).
    pub primary: bool,
    /// Match domains.
    pub domains: Vec<String>,
    /// Use the match domains as search domains.
    pub search_domains_enabled: bool,
}

/// A stored nameserver group.
pub type NameserverGroup = Item<NameserverGroupSpec>;

/// `DNSSettings`: the request, the response and the stored form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DnsSettings {
    /// Group ids whose DNS management is disabled.
    pub disabled_management_groups: Vec<String>,
}
