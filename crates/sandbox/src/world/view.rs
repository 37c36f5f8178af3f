//! The `/__sandbox/world` document (also [`crate::SandboxHandle::world`]):
//!
//! ```text
//! {"msp_account_id": "...", "standalone": false,
//!  "accounts": {"<id>": {"id", "domain", "parent", "settings", "dns_settings", "groups",
//!     "setup_keys", "policies", "posture_checks", "networks", "network_resources" (+network_id),
//!     "network_routers" (+network_id), "routes", "nameserver_groups", "users",
//!     "tokens" (+user_id), "events", "peers"}},
//!  "tenants": [TenantResponse...]}
//! ```
//!
//! Every object is in its API GET form, in creation order; no secret appears (setup keys are
//! masked, tokens carry no hash).

use serde_json::{Map, Value, json};

use super::model::{Account, World};
use super::render;

/// The whole world.
pub fn world(world: &World) -> Value {
    let accounts: Map<String, Value> = world
        .accounts
        .values()
        .map(|a| (a.id.clone(), account(a)))
        .collect();
    let tenants: Vec<Value> = world.tenants.values().map(render::tenant).collect();
    json!({
        "msp_account_id": world.msp_account_id,
        "standalone": world.standalone,
        "accounts": accounts,
        "tenants": tenants,
    })
}

fn with_field(mut view: Value, key: &str, value: &str) -> Value {
    if let Value::Object(map) = &mut view {
        map.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    view
}

fn account(a: &Account) -> Value {
    let list = |items: Vec<Value>| Value::Array(items);
    json!({
        "id": a.id,
        "domain": a.domain,
        "parent": a.parent,
        "settings": a.settings,
        "dns_settings": a.dns_settings,
        "groups": list(a.groups.values().map(|g| render::group(a, g)).collect()),
        "setup_keys": list(a.setup_keys.values().map(render::setup_key).collect()),
        "policies": list(a.policies.values().map(|p| render::policy(a, p)).collect()),
        "posture_checks": list(a.posture_checks.values().map(render::posture_check).collect()),
        "networks": list(a.networks.values().map(|n| render::network(a, n)).collect()),
        "network_resources": list(
            a.network_resources
                .values()
                .map(|r| with_field(render::network_resource(a, r), "network_id", &r.network_id))
                .collect()
        ),
        "network_routers": list(
            a.network_routers
                .values()
                .map(|r| with_field(render::network_router(r), "network_id", &r.network_id))
                .collect()
        ),
        "routes": list(a.routes.values().map(render::route).collect()),
        "nameserver_groups": list(a.nameserver_groups.values().map(render::nameserver_group).collect()),
        "users": list(a.users.values().map(|u| render::user(u, None)).collect()),
        "tokens": list(
            a.tokens
                .values()
                .map(|t| with_field(render::token(t), "user_id", &t.user_id))
                .collect()
        ),
        "events": list(a.events.iter().map(render::plain).collect()),
        "peers": list(a.peers.values().cloned().collect()),
    })
}
