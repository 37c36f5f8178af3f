//! One module per API resource: request types, checks, the change to the world, the audit
//! event and the response view. Resources kept as a table implement
//! [`collection::Collection`], the account and its DNS settings [`collection::Settings`], and
//! share their handlers and routes. Declarations only; see each module.

pub mod accounts;
pub mod collection;
pub mod dns;
pub mod events;
pub mod groups;
pub mod introspect;
pub mod network_children;
pub mod networks;
pub mod peers;
pub mod policies;
pub mod posture_checks;
pub mod prelude;
pub mod routes;
pub mod setup_keys;
pub mod tenants;
pub mod tokens;
pub mod users;
