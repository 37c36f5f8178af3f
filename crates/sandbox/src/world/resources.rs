//! Stored access-control objects: groups, setup keys, policies and posture checks.
//!
//! Where a request body and the stored object have the same fields (posture checks), the
//! request type is the stored type, so serde names the offending field in a 422. References
//! to other objects are kept as ids; the response views in `handlers` resolve them.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::item::{Item, nullable};
use super::time::Ts;

/// What a group member or a policy end is: a network resource type, or a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    /// A single address (`1.1.1.1`, `1.1.1.1/32`).
    Host,
    /// A CIDR range.
    Subnet,
    /// A domain or wildcard domain.
    Domain,
    /// A peer.
    Peer,
}

/// `Resource {id, type}` as groups and policies reference them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The resource (or peer) id.
    pub id: String,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: ResourceKind,
}

/// `GroupRequest`: peers and network resources, by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupSpec {
    /// Unique (per account) name.
    pub name: String,
    /// Peer ids.
    #[serde(default, deserialize_with = "nullable")]
    pub peers: Vec<String>,
    /// Network resources (and peers) in the group; the source of truth for a network
    /// resource's `groups`.
    #[serde(default, deserialize_with = "nullable")]
    pub resources: Vec<ResourceRef>,
}

/// What the server adds to a group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issued {
    /// `api`, `integration` or `jwt`.
    pub issued: String,
}

/// A stored group.
pub type Group = Item<GroupSpec, Issued>;

/// A group made through the API (or at start): `issued: api`.
pub fn api_group(id: String, spec: GroupSpec) -> Group {
    let issued = "api".to_owned();
    Item {
        id,
        spec,
        extra: Issued { issued },
    }
}

/// `one-off` or `reusable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetupKeyType {
    /// Usable once.
    OneOff,
    /// Usable up to `usage_limit` times (0: unlimited).
    Reusable,
}

/// `CreateSetupKeyRequest`, stored as given (a one-off key's usage limit set to 1). A
/// missing `expires_in`, `auto_groups`, `usage_limit`, `ephemeral` or
/// `allow_extra_dns_labels` is tolerated, as NetBird's handler does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupKeySpec {
    /// Name (not unique).
    pub name: String,
    /// Key type.
    #[serde(rename = "type")]
    pub kind: SetupKeyType,
    /// Seconds until expiry; 0: never.
    #[serde(default, deserialize_with = "nullable")]
    pub expires_in: i64,
    /// Group ids given to enrolled peers.
    #[serde(default, deserialize_with = "nullable")]
    pub auto_groups: Vec<String>,
    /// 0: unlimited.
    #[serde(default, deserialize_with = "nullable")]
    pub usage_limit: i64,
    /// Enrolled peers are ephemeral.
    #[serde(default, deserialize_with = "nullable")]
    pub ephemeral: bool,
    /// Enrolled peers may add extra DNS labels.
    #[serde(default, deserialize_with = "nullable")]
    pub allow_extra_dns_labels: bool,
}

/// What the server adds to a setup key. Only the masked key is ever stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupKeyExtra {
    /// The masked key, `A6160****`.
    pub masked_key: String,
    /// Expiry; Go's zero time when the key never expires.
    pub expires: Ts,
    /// Revoked (cannot be undone).
    pub revoked: bool,
    /// How often a peer enrolled with it (always 0 here: nobody enrolls).
    pub used_times: u64,
    /// Last use; zero time when never used.
    pub last_used: Ts,
    /// Last change.
    pub updated_at: Ts,
}

/// A stored setup key.
pub type SetupKey = Item<SetupKeySpec, SetupKeyExtra>;

/// A policy rule's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Allow.
    Accept,
    /// Deny.
    Drop,
}

/// A policy rule's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Any protocol.
    All,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// NetBird SSH.
    NetbirdSsh,
}

/// `{start, end}`; validated to 1..=65535 by the policy handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub start: i64,
    /// Last port.
    pub end: i64,
}

/// `PolicyRuleUpdate`, stored with its id; `sources`/`destinations` are group ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleSpec {
    /// Rule id: the request may name the rule it keeps; the stored rule always has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Enabled.
    pub enabled: bool,
    /// accept or drop.
    pub action: Action,
    /// Both directions.
    pub bidirectional: bool,
    /// Protocol.
    pub protocol: Protocol,
    /// Ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<String>>,
    /// Port ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_ranges: Option<Vec<PortRange>>,
    /// Group id to local users (netbird-ssh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_groups: Option<IndexMap<String, Vec<String>>>,
    /// Source group ids.
    #[serde(default, deserialize_with = "nullable")]
    pub sources: Vec<String>,
    /// Destination group ids.
    #[serde(default, deserialize_with = "nullable")]
    pub destinations: Vec<String>,
    /// Source resource.
    #[serde(
        default,
        rename = "sourceResource",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_resource: Option<ResourceRef>,
    /// Destination resource.
    #[serde(
        default,
        rename = "destinationResource",
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_resource: Option<ResourceRef>,
}

/// `PolicyUpdate` / `PolicyCreate` (identical).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicySpec {
    /// Name (not unique).
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Enabled.
    pub enabled: bool,
    /// Posture check ids.
    #[serde(default, deserialize_with = "nullable")]
    pub source_posture_checks: Vec<String>,
    /// Rules (NetBird keeps only the first one; see the policies handler).
    pub rules: Vec<RuleSpec>,
}

/// A stored policy.
pub type Policy = Item<PolicySpec>;

/// `{min_version}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinVersion {
    /// Minimum version.
    pub min_version: String,
}

/// `{min_kernel_version}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MinKernelVersion {
    /// Minimum kernel version.
    pub min_kernel_version: String,
}

/// Per-OS minimum versions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OsVersionCheck {
    /// Android.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android: Option<MinVersion>,
    /// macOS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub darwin: Option<MinVersion>,
    /// iOS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ios: Option<MinVersion>,
    /// Linux kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux: Option<MinKernelVersion>,
    /// Windows kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<MinKernelVersion>,
}

/// `allow` or `deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckAction {
    /// Allow on match.
    Allow,
    /// Deny on match.
    Deny,
}

/// A country (and optionally a city).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_name: Option<String>,
}

/// Geo-location check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeoLocationCheck {
    /// Locations.
    pub locations: Vec<Location>,
    /// Action.
    pub action: CheckAction,
}

/// Peer network range check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerNetworkRangeCheck {
    /// CIDRs.
    pub ranges: Vec<String>,
    /// Action.
    pub action: CheckAction,
}

/// A process to look for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Process {
    /// Linux path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_path: Option<String>,
    /// macOS path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_path: Option<String>,
    /// Windows path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_path: Option<String>,
}

/// Process check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessCheck {
    /// Processes.
    pub processes: Vec<Process>,
}

/// The `Checks` object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Checks {
    /// NetBird version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nb_version_check: Option<MinVersion>,
    /// OS versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version_check: Option<OsVersionCheck>,
    /// Geo location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo_location_check: Option<GeoLocationCheck>,
    /// Network ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_network_range_check: Option<PeerNetworkRangeCheck>,
    /// Processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_check: Option<ProcessCheck>,
}

/// `PostureCheckUpdate`, which is also the stored form (plus the id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostureCheckSpec {
    /// Unique (per account) name.
    pub name: String,
    /// Description (required in requests).
    pub description: String,
    /// The checks.
    #[serde(default)]
    pub checks: Checks,
}

/// A stored posture check.
pub type PostureCheck = Item<PostureCheckSpec>;
