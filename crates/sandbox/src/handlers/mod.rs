//! One module per API resource: request types, checks, the change to the world, the audit
//! event and the response view. Resources kept as a table implement
//! [`collection::Collection`], the account and its DNS settings [`collection::Settings`], and
//! share their handlers and routes. The [`kinds!`] list below registers every collection
//! once: the account's tables, the routes and the world document all come from it.

pub mod accounts;
pub mod collection;
pub mod dns;
pub mod dns_zones;
pub mod edr;
pub mod event_streaming;
pub mod events;
pub mod groups;
pub mod identity_providers;
pub mod idp_sync;
pub mod introspect;
pub mod invites;
pub mod network_children;
pub mod networks;
pub mod notifications;
pub mod peers;
pub mod policies;
pub mod posture_checks;
pub mod prelude;
pub mod routes;
pub mod setup_keys;
pub mod tenants;
pub mod tokens;
pub mod users;

use std::sync::Arc;

use serde_json::Value;

use crate::app::App;
use crate::world::model::Account;
use collection::Collection;

/// Registers every collection, once. `table: module::Kind` keeps the kind's objects in
/// `Account::<table>` (a field of [`Tables`], which also gives them a `Table` impl, their
/// place in the data file and in `/__sandbox/world`, in list order); the kinds after `;`
/// keep their table elsewhere (their `Table` impl is in their module). Every kind gets its
/// routes from `collection::routes`.
macro_rules! kinds {
    ($($table:ident: $kind:ty),* ; $($other:ty),* $(,)?) => {
        /// Every table of an account, one per kind of the list.
        #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
        pub struct Tables {
            $(
                #[doc = concat!("The objects of `", stringify!($kind), "`.")]
                #[serde(default)]
                pub $table: indexmap::IndexMap<String, <$kind as Collection>::Item>,
            )*
        }

        $(
            impl crate::world::model::Table for <$kind as Collection>::Item {
                fn table<'a>(
                    w: &'a crate::world::model::World,
                    id: &str,
                ) -> Result<&'a indexmap::IndexMap<String, Self>, crate::http::error::ApiError> {
                    Ok(&w.account(id)?.$table)
                }
                fn table_mut<'a>(
                    w: &'a mut crate::world::model::World,
                    id: &str,
                ) -> Result<&'a mut indexmap::IndexMap<String, Self>, crate::http::error::ApiError>
                {
                    Ok(&mut w.account_mut(id)?.0.$table)
                }
            }
        )*

        /// The routes of every kind.
        pub fn routes() -> axum::Router<Arc<App>> {
            axum::Router::new()
                $(.merge(collection::routes::<$kind>()))*
                $(.merge(collection::routes::<$other>()))*
        }

        /// The text a kind of the list names for an activity code it logs.
        pub fn activity_text(code: &str) -> Option<&'static str> {
            [$(<$kind as Collection>::TEXTS),* $(, <$other as Collection>::TEXTS)*]
                .into_iter()
                .flatten()
                .find(|(c, _)| *c == code)
                .map(|(_, text)| *text)
        }

        /// Every table of `a` in its world-document form, in list order.
        pub fn docs(a: &Account) -> Vec<(&'static str, Vec<Value>)> {
            vec![$((stringify!($table), a.$table.values().map(|i| collection::doc::<$kind>(a, i)).collect())),*]
        }
    };
}

kinds! {
    groups: groups::Groups,
    setup_keys: setup_keys::SetupKeys,
    policies: policies::Policies,
    posture_checks: posture_checks::PostureChecks,
    networks: networks::Networks,
    network_resources: network_children::Resources,
    network_routers: network_children::Routers,
    routes: routes::Routes,
    nameserver_groups: dns::Nameservers,
    dns_zones: dns_zones::Zones,
    dns_records: dns_zones::Records,
    identity_providers: identity_providers::Providers,
    edr_intune: edr::Edr<edr::Intune>,
    edr_sentinelone: edr::Edr<edr::SentinelOne>,
    edr_falcon: edr::Edr<edr::Falcon>,
    edr_huntress: edr::Edr<edr::Huntress>,
    edr_fleetdm: edr::Edr<edr::FleetDm>,
    user_invites: invites::Invites,
    notification_channels: notifications::Channels,
    google_idp: idp_sync::Google,
    azure_idp: idp_sync::Azure,
    okta_scim_idp: idp_sync::Okta,
    scim_idp: idp_sync::Scim,
    event_streaming: event_streaming::Streams,
    users: users::Users,
    tokens: tokens::Tokens,
    peers: peers::Peers;
    tenants::Tenants,
}
