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
//! Every object is in its API GET form (the views of `render`), in creation order; no secret
//! appears (setup keys are masked, tokens carry no hash).

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use super::model::{Account, World};
use super::network::DnsSettings;
use super::people::{Event, Tenant};
use super::render::{self, GroupView, NetworkView, PolicyView, SetupKeyView, UserView};
use super::settings::AccountSettings;

/// The whole world, as a serializable view.
#[derive(Debug, Serialize)]
pub struct WorldView<'a> {
    msp_account_id: &'a str,
    standalone: bool,
    accounts: IndexMap<&'a str, AccountDoc<'a>>,
    tenants: Vec<&'a Tenant>,
}

/// A view with the id of its owner added (`network_id`, `user_id`), which the API views
/// leave out because their URL says it.
#[derive(Debug, Serialize)]
struct Owned<'a, V> {
    #[serde(flatten)]
    view: V,
    #[serde(skip_serializing_if = "Option::is_none")]
    network_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct AccountDoc<'a> {
    id: &'a str,
    domain: &'a str,
    parent: Option<&'a str>,
    settings: &'a AccountSettings,
    dns_settings: &'a DnsSettings,
    groups: Vec<GroupView<'a>>,
    setup_keys: Vec<SetupKeyView<'a>>,
    policies: Vec<PolicyView<'a>>,
    posture_checks: Vec<render::WithId<'a, super::resources::PostureCheckSpec>>,
    networks: Vec<NetworkView<'a>>,
    network_resources: Vec<Owned<'a, render::NetworkResourceView<'a>>>,
    network_routers: Vec<Owned<'a, render::WithId<'a, super::network::RouterSpec>>>,
    routes: Vec<render::RouteView<'a>>,
    nameserver_groups: Vec<render::WithId<'a, super::network::NameserverGroupSpec>>,
    users: Vec<UserView<'a>>,
    tokens: Vec<Owned<'a, render::TokenView<'a>>>,
    events: &'a [Event],
    peers: Vec<&'a Value>,
}

/// The whole world as a view (serialize it directly, or through [`world`]).
pub fn view(world: &World) -> WorldView<'_> {
    WorldView {
        msp_account_id: &world.msp_account_id,
        standalone: world.standalone,
        accounts: world
            .accounts
            .values()
            .map(|a| (a.id.as_str(), account(a)))
            .collect(),
        tenants: world.tenants.values().collect(),
    }
}

/// The whole world as JSON.
pub fn world(world: &World) -> Value {
    render::value(&view(world))
}

fn account(a: &Account) -> AccountDoc<'_> {
    AccountDoc {
        id: &a.id,
        domain: &a.domain,
        parent: a.parent.as_deref(),
        settings: &a.settings,
        dns_settings: &a.dns_settings,
        groups: a.groups.values().map(|g| render::group(a, g)).collect(),
        setup_keys: a.setup_keys.values().map(render::setup_key).collect(),
        policies: a.policies.values().map(|p| render::policy(a, p)).collect(),
        posture_checks: a
            .posture_checks
            .values()
            .map(render::posture_check)
            .collect(),
        networks: a.networks.values().map(|n| render::network(a, n)).collect(),
        network_resources: a
            .network_resources
            .values()
            .map(|r| Owned {
                view: render::network_resource(a, r),
                network_id: Some(&r.network_id),
                user_id: None,
            })
            .collect(),
        network_routers: a
            .network_routers
            .values()
            .map(|r| Owned {
                view: render::network_router(r),
                network_id: Some(&r.network_id),
                user_id: None,
            })
            .collect(),
        routes: a.routes.values().map(render::route).collect(),
        nameserver_groups: a
            .nameserver_groups
            .values()
            .map(render::nameserver_group)
            .collect(),
        users: a.users.values().map(|u| render::user(u, None)).collect(),
        tokens: a
            .tokens
            .values()
            .map(|t| Owned {
                view: render::token(t),
                network_id: None,
                user_id: Some(&t.user_id),
            })
            .collect(),
        events: &a.events,
        peers: a.peers.values().collect(),
    }
}
