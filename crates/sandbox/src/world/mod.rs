//! The in-memory world: accounts (the MSP account and its tenants) with every resource, the
//! tenant records, ids and secrets, the audit log, persistence and the `/__sandbox/world`
//! view. Declarations only; see each module.

pub mod audit;
pub mod bootstrap;
pub mod ids;
pub mod item;
pub mod model;
pub mod network;
pub mod people;
pub mod persist;
pub mod render;
pub mod render_net;
pub mod resources;
pub mod settings;
pub mod time;
pub mod view;
