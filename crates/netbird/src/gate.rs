//! The gate every write inside another account passes before it is sent.
//!
//! NetBird runs a request whose `?account=` it does not honour (a tenant unlinked meanwhile,
//! a service user's PAT) in the caller's own account, silently. A [`WriteGate`], attached with
//! [`Client::with_write_gate`], is asked before every request that is not a `GET` and carries
//! `?account=`: the engine's gate proves the scoping there first. A refusal comes back as
//! [`ApiError::Refused`](crate::ApiError::Refused), and nothing is sent. A retry of a write
//! that passed is sent only while the gate is still open. Reads are never gated, so a gate
//! may read through the client it is given.

use std::future::Future;
use std::pin::Pin;

use crate::Client;

/// What a gate answers: `Err(reason)` refuses the write.
pub type GateFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Asked before every write inside another account.
pub trait WriteGate: Send + Sync {
    /// May a write go to `account` now? `client` is the caller's (its reads are not gated).
    fn before_write<'a>(&'a self, client: &'a Client, account: &'a str) -> GateFuture<'a>;

    /// Whether a write that passed may still be sent again (a retry) to `account`.
    fn is_open(&self, account: &str) -> bool;
}
