//! Response views: every stored object in the form its GET endpoint answers, as borrowed
//! `Serialize` structs (serialized straight to the response, no intermediate JSON tree).
//! They resolve ids where the spec wants objects (a policy rule's `sources` and a network
//! resource's `groups` as `GroupMinimum`), compute counts, and mask secrets: a setup key shows
//! only `A6160****` (the create handler substitutes the plain key once), a token never shows
//! its hash. `/__sandbox/world` uses the same views.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use super::item::Item;
use super::model::Account;
use super::people::{Token, User};
use super::resources::{
    Action, Group, Policy, PortRange, Protocol, ResourceRef, RuleSpec, SetupKey, SetupKeyType,
};
use super::settings::{AccountSettings, Onboarding};
use super::time::Ts;

pub use super::render_net::{
    NetworkResourceView, NetworkView, RouteView, network, network_resource, route,
};

/// Any view as a JSON tree (for the world document).
pub fn value(view: &impl Serialize) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// `{"id": ..., <spec fields>}`.
#[derive(Debug, Serialize)]
pub struct WithId<'a, T> {
    /// The id.
    pub id: &'a str,
    /// The stored spec, flattened after it.
    #[serde(flatten)]
    pub spec: &'a T,
}

/// The view of a kind whose answer is its stored spec with the id first (posture checks,
/// network routers, nameserver groups: their request body is their response).
pub fn with_id<S, X>(item: &Item<S, X>) -> WithId<'_, S> {
    WithId {
        id: &item.id,
        spec: &item.spec,
    }
}

/// `GroupMinimum`.
#[derive(Debug, Serialize)]
pub struct GroupMinimum<'a> {
    id: &'a str,
    name: &'a str,
    peers_count: usize,
    resources_count: usize,
    issued: &'a str,
}

/// `GroupMinimum` of a group.
pub fn group_minimum(g: &Group) -> GroupMinimum<'_> {
    GroupMinimum {
        id: &g.id,
        name: &g.spec.name,
        peers_count: g.spec.peers.len(),
        resources_count: g.spec.resources.len(),
        issued: &g.extra.issued,
    }
}

fn group_minimums<'a>(a: &'a Account, ids: &'a [String]) -> Vec<GroupMinimum<'a>> {
    ids.iter()
        .filter_map(|id| a.groups.get(id))
        .map(group_minimum)
        .collect()
}

/// `PeerMinimum`.
#[derive(Debug, Serialize)]
pub struct PeerMinimum<'a> {
    id: &'a str,
    name: &'a str,
}

/// `Group`.
#[derive(Debug, Serialize)]
pub struct GroupView<'a> {
    id: &'a str,
    name: &'a str,
    peers_count: usize,
    resources_count: usize,
    issued: &'a str,
    peers: Vec<PeerMinimum<'a>>,
    resources: &'a [ResourceRef],
}

/// `Group`, with peer names looked up.
pub fn group<'a>(a: &'a Account, g: &'a Group) -> GroupView<'a> {
    let peers = g
        .spec
        .peers
        .iter()
        .map(|id| PeerMinimum {
            id,
            name: a
                .peers
                .get(id)
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .unwrap_or(""),
        })
        .collect();
    GroupView {
        id: &g.id,
        name: &g.spec.name,
        peers_count: g.spec.peers.len(),
        resources_count: g.spec.resources.len(),
        issued: &g.extra.issued,
        peers,
        resources: &g.spec.resources,
    }
}

/// `SetupKey` (masked) or, with `key` replaced, `SetupKeyClear`.
#[derive(Debug, Serialize)]
pub struct SetupKeyView<'a> {
    id: &'a str,
    /// The masked key; the create handler puts the plain key here once.
    pub key: &'a str,
    name: &'a str,
    expires: Ts,
    #[serde(rename = "type")]
    kind: SetupKeyType,
    valid: bool,
    revoked: bool,
    used_times: u64,
    last_used: Ts,
    state: &'static str,
    auto_groups: &'a [String],
    updated_at: Ts,
    usage_limit: u64,
    ephemeral: bool,
    allow_extra_dns_labels: bool,
}

/// `SetupKey`, masked.
pub fn setup_key(k: &SetupKey) -> SetupKeyView<'_> {
    let (spec, x) = (&k.spec, &k.extra);
    let usage_limit = spec.usage_limit.unsigned_abs();
    let state = if x.revoked {
        "revoked"
    } else if !x.expires.is_zero() && x.expires < Ts::now() {
        "expired"
    } else if usage_limit > 0 && x.used_times >= usage_limit {
        "overused"
    } else {
        "valid"
    };
    SetupKeyView {
        id: &k.id,
        key: &x.masked_key,
        name: &spec.name,
        expires: x.expires,
        kind: spec.kind,
        valid: state == "valid",
        revoked: x.revoked,
        used_times: x.used_times,
        last_used: x.last_used,
        state,
        auto_groups: &spec.auto_groups,
        updated_at: x.updated_at,
        usage_limit,
        ephemeral: spec.ephemeral,
        allow_extra_dns_labels: spec.allow_extra_dns_labels,
    }
}

/// `PolicyRule`: rule ends as `GroupMinimum`.
#[derive(Debug, Serialize)]
pub struct RuleView<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    enabled: bool,
    action: Action,
    bidirectional: bool,
    protocol: Protocol,
    #[serde(skip_serializing_if = "Option::is_none")]
    ports: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port_ranges: Option<&'a [PortRange]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorized_groups: Option<&'a IndexMap<String, Vec<String>>>,
    sources: Vec<GroupMinimum<'a>>,
    destinations: Vec<GroupMinimum<'a>>,
    #[serde(rename = "sourceResource", skip_serializing_if = "Option::is_none")]
    source_resource: Option<&'a ResourceRef>,
    #[serde(
        rename = "destinationResource",
        skip_serializing_if = "Option::is_none"
    )]
    destination_resource: Option<&'a ResourceRef>,
}

fn rule<'a>(a: &'a Account, r: &'a RuleSpec) -> RuleView<'a> {
    RuleView {
        id: r.id.as_deref().unwrap_or_default(),
        name: &r.name,
        description: r.description.as_deref(),
        enabled: r.enabled,
        action: r.action,
        bidirectional: r.bidirectional,
        protocol: r.protocol,
        ports: r.ports.as_deref(),
        port_ranges: r.port_ranges.as_deref(),
        authorized_groups: r.authorized_groups.as_ref(),
        sources: group_minimums(a, &r.sources),
        destinations: group_minimums(a, &r.destinations),
        source_resource: r.source_resource.as_ref(),
        destination_resource: r.destination_resource.as_ref(),
    }
}

/// `Policy`.
#[derive(Debug, Serialize)]
pub struct PolicyView<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    enabled: bool,
    source_posture_checks: &'a [String],
    rules: Vec<RuleView<'a>>,
}

/// `Policy`.
pub fn policy<'a>(a: &'a Account, p: &'a Policy) -> PolicyView<'a> {
    PolicyView {
        id: &p.id,
        name: &p.spec.name,
        description: p.spec.description.as_deref(),
        enabled: p.spec.enabled,
        source_posture_checks: &p.spec.source_posture_checks,
        rules: p.spec.rules.iter().map(|r| rule(a, r)).collect(),
    }
}

/// `User`; `password` only in the answer that created the user.
#[derive(Debug, Serialize)]
pub struct UserView<'a> {
    id: &'a str,
    email: &'a str,
    name: &'a str,
    role: &'a str,
    status: &'a str,
    last_login: Ts,
    auto_groups: &'a [String],
    is_current: bool,
    is_service_user: bool,
    is_blocked: bool,
    pending_approval: bool,
    issued: &'a str,
    /// Set by the create handler only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'a str>,
}

/// `User`; `current` is the caller's user id.
pub fn user<'a>(u: &'a User, current: Option<&str>) -> UserView<'a> {
    UserView {
        id: &u.id,
        email: u.spec.email(),
        name: u.spec.name(),
        role: &u.spec.role,
        status: &u.extra.status,
        last_login: u.extra.last_login,
        auto_groups: &u.spec.auto_groups,
        is_current: current == Some(u.id.as_str()),
        is_service_user: u.spec.is_service_user,
        is_blocked: u.extra.is_blocked,
        pending_approval: u.extra.pending_approval,
        issued: &u.extra.issued,
        password: None,
    }
}

/// `PersonalAccessToken` (never the hash).
#[derive(Debug, Serialize)]
pub struct TokenView<'a> {
    id: &'a str,
    name: &'a str,
    expiration_date: Ts,
    created_by: &'a str,
    created_at: Ts,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used: Option<Ts>,
}

/// `PersonalAccessToken`.
pub fn token(t: &Token) -> TokenView<'_> {
    TokenView {
        id: &t.id,
        name: &t.spec.name,
        expiration_date: t.extra.expiration_date,
        created_by: &t.extra.created_by,
        created_at: t.extra.created_at,
        last_used: t.extra.last_used,
    }
}

/// `Account`.
#[derive(Debug, Serialize)]
pub struct AccountView<'a> {
    id: &'a str,
    settings: &'a AccountSettings,
    domain: &'a str,
    domain_category: &'a str,
    created_at: Ts,
    created_by: &'a str,
    onboarding: &'a Onboarding,
}

/// `Account`.
pub fn account(a: &Account) -> AccountView<'_> {
    AccountView {
        id: &a.id,
        settings: &a.settings,
        domain: &a.domain,
        domain_category: &a.domain_category,
        created_at: a.created_at,
        created_by: &a.created_by,
        onboarding: &a.onboarding,
    }
}
