//! onboard-sandbox: a local, in-memory NetBird Cloud management API.
//!
//! The sandbox answers the REST endpoints that onboarding touches (MSP tenants, groups, setup
//! keys, policies, posture checks, networks with resources and routers, routes, nameserver
//! groups, DNS and account settings, users, tokens, peers, audit events) with the request and
//! response shapes of NetBird's OpenAPI spec and the server behaviour recorded in
//! `shared/netbird/api-notes.md`: status codes, uniqueness rules, reference checks, secrets
//! shown once, the `?account=` tenant switch, the per-PAT rate limit and the audit log.
//!
//! On top of that it is made for testing: injected latency, failures and dropped connections
//! (seeded), persistence to a JSON file, and two unauthenticated introspection endpoints,
//! `GET /__sandbox/log` and `GET /__sandbox/world`, also readable in process through
//! [`SandboxHandle`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), onboard_sandbox::SandboxError> {
//! use onboard_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("{} {}", sandbox.url(), sandbox.token());
//! let world = sandbox.world(); // the same JSON as GET /__sandbox/world
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Module map: [`config`] (plain-data configuration), `server` (accept loop, handle),
//! `app` (shared state), `http` (pipeline: faults, auth, rate limit, errors, routing),
//! `handlers` (one module per API resource), `world` (the data model, ids, audit,
//! persistence, the world view), `validate` (shared request checks).

mod app;
pub mod config;
mod error;
mod handlers;
mod http;
mod log;
mod server;
mod validate;
mod world;

pub use config::{RateLimit, SandboxConfig};
pub use error::SandboxError;
pub use http::hold::Hold;
pub use http::scripted::Fault;
pub use log::LogEntry;
pub use server::{Sandbox, SandboxHandle, serve_until_ctrl_c};
