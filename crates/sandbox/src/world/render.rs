//! Response views: every stored object in the form its GET endpoint answers, resolving ids
//! where the spec wants objects (a policy rule's `sources` and a network resource's `groups`
//! as `GroupMinimum`), computing counts, and masking secrets (a setup key shows only
//! `A6160****`; a token never shows its hash). `/__sandbox/world` uses the same views.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::model::Account;
use super::network::{NameserverGroup, Network, NetworkResource, NetworkRouter, Route};
use super::people::{Tenant, Token, User};
use super::resources::{Group, Policy, PolicyRule, PostureCheck, SetupKey};

/// `{"id": id}` followed by the fields of `spec`.
pub fn with_id(id: &str, spec: &impl Serialize) -> Value {
    let mut map = Map::new();
    map.insert("id".to_owned(), Value::String(id.to_owned()));
    if let Ok(Value::Object(fields)) = serde_json::to_value(spec) {
        map.extend(fields);
    }
    Value::Object(map)
}

/// Any serializable value as JSON (stored forms that equal their response form).
pub fn plain(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `GroupMinimum`.
pub fn group_minimum(group: &Group) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "peers_count": group.peers.len(),
        "resources_count": group.resources.len(),
        "issued": group.issued,
    })
}

/// `Group`.
pub fn group(account: &Account, group: &Group) -> Value {
    let peers: Vec<Value> = group
        .peers
        .iter()
        .map(|id| {
            let name = account
                .peers
                .get(id)
                .and_then(|p| p.get("name"))
                .cloned()
                .unwrap_or_else(|| Value::String(String::new()));
            json!({"id": id, "name": name})
        })
        .collect();
    let mut view = group_minimum(group);
    if let Value::Object(map) = &mut view {
        map.insert("peers".to_owned(), Value::Array(peers));
        map.insert("resources".to_owned(), plain(&group.resources));
    }
    view
}

fn group_minimums(account: &Account, ids: &[String]) -> Value {
    ids.iter()
        .filter_map(|id| account.groups.get(id))
        .map(group_minimum)
        .collect()
}

/// `SetupKey`, with the key masked.
pub fn setup_key(key: &SetupKey) -> Value {
    json!({
        "id": key.id,
        "key": key.masked_key,
        "name": key.name,
        "expires": key.expires,
        "type": key.kind,
        "valid": setup_key_state(key) == "valid",
        "revoked": key.revoked,
        "used_times": key.used_times,
        "last_used": key.last_used,
        "state": setup_key_state(key),
        "auto_groups": key.auto_groups,
        "updated_at": key.updated_at,
        "usage_limit": key.usage_limit,
        "ephemeral": key.ephemeral,
        "allow_extra_dns_labels": key.allow_extra_dns_labels,
    })
}

fn setup_key_state(key: &SetupKey) -> &'static str {
    if key.revoked {
        "revoked"
    } else if !key.expires.is_zero() && key.expires < super::time::Ts::now() {
        "expired"
    } else if key.usage_limit > 0 && key.used_times >= key.usage_limit {
        "overused"
    } else {
        "valid"
    }
}

/// `Policy`, with rule ends as `GroupMinimum` objects.
pub fn policy(account: &Account, policy: &Policy) -> Value {
    let rules: Vec<Value> = policy.rules.iter().map(|r| rule(account, r)).collect();
    let mut map = Map::new();
    map.insert("id".to_owned(), json!(policy.id));
    map.insert("name".to_owned(), json!(policy.name));
    if let Some(description) = &policy.description {
        map.insert("description".to_owned(), json!(description));
    }
    map.insert("enabled".to_owned(), json!(policy.enabled));
    map.insert(
        "source_posture_checks".to_owned(),
        json!(policy.source_posture_checks),
    );
    map.insert("rules".to_owned(), Value::Array(rules));
    Value::Object(map)
}

fn rule(account: &Account, rule: &PolicyRule) -> Value {
    let mut view = plain(rule);
    if let Value::Object(map) = &mut view {
        map.insert("sources".to_owned(), group_minimums(account, &rule.sources));
        map.insert(
            "destinations".to_owned(),
            group_minimums(account, &rule.destinations),
        );
    }
    view
}

/// `PostureCheck`.
pub fn posture_check(check: &PostureCheck) -> Value {
    with_id(&check.id, &check.spec)
}

/// `Network`, with its routers, resources, routing peer count and the policies that reach
/// its resources.
pub fn network(account: &Account, network: &Network) -> Value {
    let resources: Vec<&String> = account
        .network_resources
        .values()
        .filter(|r| r.network_id == network.id)
        .map(|r| &r.id)
        .collect();
    let routers: Vec<&NetworkRouter> = account
        .network_routers
        .values()
        .filter(|r| r.network_id == network.id)
        .collect();
    let routing_peers: usize = routers
        .iter()
        .map(|r| match (&r.spec.peer, &r.spec.peer_groups) {
            (Some(_), _) => 1,
            (None, Some(groups)) => groups
                .iter()
                .filter_map(|g| account.groups.get(g))
                .map(|g| g.peers.len())
                .sum(),
            (None, None) => 0,
        })
        .sum();
    let policies: Vec<&String> = account
        .policies
        .values()
        .filter(|p| p.rules.iter().any(|r| reaches(account, r, &resources)))
        .map(|p| &p.id)
        .collect();
    let mut view = with_id(&network.id, &network.spec);
    if let Value::Object(map) = &mut view {
        let router_ids: Vec<&String> = routers.iter().map(|r| &r.id).collect();
        map.insert("routers".to_owned(), json!(router_ids));
        map.insert("routing_peers_count".to_owned(), json!(routing_peers));
        map.insert("resources".to_owned(), json!(resources));
        map.insert("policies".to_owned(), json!(policies));
    }
    view
}

fn reaches(account: &Account, rule: &PolicyRule, resources: &[&String]) -> bool {
    let direct = rule
        .destination_resource
        .as_ref()
        .is_some_and(|r| resources.contains(&&r.id));
    direct
        || rule.destinations.iter().any(|g| {
            account
                .groups
                .get(g)
                .is_some_and(|g| g.resources.iter().any(|r| resources.contains(&&r.id)))
        })
}

/// `NetworkResource`, with `groups` as `GroupMinimum` objects.
pub fn network_resource(account: &Account, resource: &NetworkResource) -> Value {
    let groups: Vec<Value> = account
        .groups
        .values()
        .filter(|g| g.resources.iter().any(|r| r.id == resource.id))
        .map(group_minimum)
        .collect();
    let mut map = Map::new();
    map.insert("id".to_owned(), json!(resource.id));
    map.insert("type".to_owned(), json!(resource.kind));
    map.insert("groups".to_owned(), Value::Array(groups));
    map.insert("name".to_owned(), json!(resource.name));
    if let Some(description) = &resource.description {
        map.insert("description".to_owned(), json!(description));
    }
    map.insert("address".to_owned(), json!(resource.address));
    map.insert("enabled".to_owned(), json!(resource.enabled));
    Value::Object(map)
}

/// `NetworkRouter`.
pub fn network_router(router: &NetworkRouter) -> Value {
    with_id(&router.id, &router.spec)
}

/// `Route`.
pub fn route(route: &Route) -> Value {
    let mut view = with_id(&route.id, &route.spec);
    if let Value::Object(map) = &mut view {
        map.insert("network_type".to_owned(), json!(route.network_type));
    }
    view
}

/// `NameserverGroup`.
pub fn nameserver_group(group: &NameserverGroup) -> Value {
    with_id(&group.id, &group.spec)
}

/// `User`; `current` is the caller's user id.
pub fn user(user: &User, current: Option<&str>) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "status": user.status,
        "last_login": user.last_login,
        "auto_groups": user.auto_groups,
        "is_current": current == Some(user.id.as_str()),
        "is_service_user": user.is_service_user,
        "is_blocked": user.is_blocked,
        "pending_approval": user.pending_approval,
        "issued": user.issued,
    })
}

/// `PersonalAccessToken` (never the hash).
pub fn token(token: &Token) -> Value {
    let mut view = json!({
        "id": token.id,
        "name": token.name,
        "expiration_date": token.expiration_date,
        "created_by": token.created_by,
        "created_at": token.created_at,
    });
    if let (Value::Object(map), Some(last_used)) = (&mut view, token.last_used) {
        map.insert("last_used".to_owned(), json!(last_used));
    }
    view
}

/// `Account`.
pub fn account(account: &Account) -> Value {
    json!({
        "id": account.id,
        "settings": account.settings,
        "domain": account.domain,
        "domain_category": account.domain_category,
        "created_at": account.created_at,
        "created_by": account.created_by,
        "onboarding": account.onboarding,
    })
}

/// `TenantResponse`.
pub fn tenant(tenant: &Tenant) -> Value {
    plain(tenant)
}
