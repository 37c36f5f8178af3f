//! The `/__sandbox/world` document (also [`crate::SandboxHandle::world`]):
//!
//! ```text
//! {"msp_account_id": "...", "standalone": false,
//!  "accounts": {"<id>": {"id", "domain", "parent", "settings", "dns_settings", "groups",
//!     "setup_keys", "policies", "posture_checks", "networks", "network_resources" (+network_id),
//!     "network_routers" (+network_id), "routes", "nameserver_groups", "users",
//!     "tokens" (+user_id), "events", "peers"}},
//!  "tenants": [TenantResponse...],
//!  "txt_records": {"<name>": ["<value>"...]}}   (only once one is published)
//! ```
//!
//! Every object is in its API GET form (the views of `render`), in creation order; no secret
//! appears (setup keys are masked, tokens carry no hash).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::model::{Account, World};
use super::people::Tenant;
use super::render;
use crate::handlers;

/// The whole world, as a serializable view.
#[derive(Debug, Serialize)]
pub struct WorldView<'a> {
    msp_account_id: &'a str,
    standalone: bool,
    accounts: IndexMap<&'a str, AccountDoc<'a>>,
    tenants: Vec<&'a Tenant>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    txt_records: &'a BTreeMap<String, Vec<String>>,
}

/// One account: its own fields, then every table of `handlers::kinds!` in list order, each
/// object in its API view plus its owner's id (`network_id`, `user_id`) where the API's URL
/// says it; the audit log sits before `peers`, where it always was.
#[derive(Debug)]
struct AccountDoc<'a>(&'a Account);

impl Serialize for AccountDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("id", &a.id)?;
        map.serialize_entry("domain", &a.domain)?;
        map.serialize_entry("parent", &a.parent)?;
        map.serialize_entry("settings", &a.settings)?;
        map.serialize_entry("dns_settings", &a.dns_settings)?;
        let mut events = Some(&a.events);
        for (table, docs) in handlers::docs(a) {
            if table == "peers"
                && let Some(events) = events.take()
            {
                map.serialize_entry("events", events)?;
            }
            map.serialize_entry(table, &docs)?;
        }
        if let Some(events) = events {
            map.serialize_entry("events", events)?;
        }
        map.end()
    }
}

/// The whole world as a view (serialize it directly, or through [`world`]).
pub fn view(world: &World) -> WorldView<'_> {
    WorldView {
        msp_account_id: &world.msp_account_id,
        standalone: world.standalone,
        accounts: world
            .accounts
            .values()
            .map(|a| (a.id.as_str(), AccountDoc(a)))
            .collect(),
        tenants: world.tenants.values().collect(),
        txt_records: &world.txt_records,
    }
}

/// The whole world as JSON.
pub fn world(world: &World) -> Value {
    render::value(&view(world))
}
