//! onboard-netbird: a typed client for the NetBird management REST API.
//!
//! It knows nothing about playbooks. It provides:
//! - [`Client`]: auth (`Authorization: Token <pat>`), one [`RateLimiter`] per
//!   PAT shared by every clone, a cap on requests in flight, retries as data
//!   ([`decide`], [`Backoff`]), typed errors ([`ApiError`]) and events for a
//!   run journal ([`ClientEvent`]).
//! - [`ResourceKind`] and its static [`KindSpec`] catalogue (paths, request
//!   fields, response fields, secrets, unique names), with [`check_request`]
//!   to validate a body against the OpenAPI spec before anything is sent, and
//!   [`response_secrets`]: what of the answer to a raw call of any path is secret.
//! - Typed MSP tenant and account models ([`models`]).
//!
//! Public signatures use no reqwest types.

mod accounts;
mod adopt;
mod attempt;
mod budget;
mod calls;
mod catalog;
mod check;
mod client;
mod config;
mod cross;
mod error;
mod events;
mod formats;
mod gate;
mod kind;
mod limiter;
pub mod models;
mod printable;
mod retry;
mod scope;
mod spec;
mod tenants;
mod token;

pub use adopt::{Created, by_field};
pub use budget::{
    BudgetError, BudgetFuture, SharedBudget, interval as budget_interval, slot as budget_slot,
};
pub use catalog::{
    RAW_RESPONSE_SECRETS, ResponseSecrets, USER_ROLES, looks_secret, response_secrets,
};
pub use check::{
    FieldIssue, Problem, check_object, check_request, check_request_with, check_update,
};
pub use client::{Client, USER_AGENT};
pub use config::{ClientConfig, DEFAULT_BASE_URL, RateLimit};
pub use error::{ApiError, ConfigError, TransportKind};
pub use events::{ClientEvent, Observer};
pub use formats::matches as matches_format;
pub use gate::{GateFuture, GateRefusal, Reservation, Slot, WriteGate};
pub use kind::ResourceKind;
pub use limiter::RateLimiter;
pub use models::{
    Account, CreateTenantRequest, DnsChallengeResponse, DnsVerification, TenantGroup,
    TenantResponse, TenantStatus, UpdateTenantRequest, User, UserStatus,
};
pub use printable::{escape_controls, escape_controls_json, is_unsafe_char};
pub use retry::{Backoff, Decision, Method, Outcome, RetryPolicy, RetryReason, decide};
pub use scope::Scope;
pub use spec::{FieldSpec, FieldType, Format, Identity, KindSpec, Lit, ObjectSpec, UpdateBody};
pub use token::Token;
