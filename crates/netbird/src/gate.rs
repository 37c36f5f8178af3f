//! The gate every write inside another account passes before it is sent.
//!
//! NetBird runs a request whose `?account=` it does not honour (a tenant unlinked meanwhile,
//! a service user's PAT) in the caller's own account, silently. A [`WriteGate`], attached with
//! [`Client::with_write_gate`], is asked before every attempt of a request that is not a `GET`
//! and carries `?account=` (the first and every retry): the engine's gate proves the scoping
//! there first. A refusal comes back as [`ApiError::Refused`](crate::ApiError::Refused), and
//! nothing is sent. Reads are never gated, so a gate may read through the client it is given.
//!
//! **No wait between a proof and its writes.** A gate answers with a [`Slot`]: the write's
//! in-flight slot and rate token, taken together with the proof's by [`Client::reserve`]
//! before the proof was sent. The client sends the write on it at once, so nothing (the rate
//! limit, the in-flight cap) can hold a write back after its proof answered.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

use crate::Client;

/// What a gate answers: the slot to send the write on, or why it refused.
pub type GateFuture<'a> = Pin<Box<dyn Future<Output = Result<Slot, GateRefusal>> + Send + 'a>>;

/// Why a gate refused a write: the gate's own error, kept as the source.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct GateRefusal(Arc<dyn Error + Send + Sync>);

impl GateRefusal {
    /// A refusal for `reason` (a typed error, or a message).
    pub fn new(reason: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        GateRefusal(Arc::from(reason.into()))
    }

    /// The gate's own error.
    pub fn reason(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }
}

/// Two refusals are equal when they say the same.
impl PartialEq for GateRefusal {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

/// Asked before every attempt of a write inside another account.
pub trait WriteGate: Send + Sync {
    /// May a write go to `account` now? `client` is the caller's (its reads are not gated);
    /// `attempt` counts from 1 (a retry is 2 or more). `Ok(slot)` says that a proof was the
    /// last call sent before this write, and holds the write's in-flight slot and rate token:
    /// the write is sent at once.
    fn before_write<'a>(
        &'a self,
        client: &'a Client,
        account: &'a str,
        attempt: u32,
    ) -> GateFuture<'a>;
}

/// One write's in-flight slot with its rate token already taken (see [`Reservation`]).
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

/// In-flight slots and rate tokens for a scope proof and the writes it covers, taken together
/// by [`Client::reserve`]: one slot and one token for each write, plus one token for the proof
/// (which is sent on the first write's slot, before any write).
#[derive(Debug)]
pub struct Reservation {
    permits: OwnedSemaphorePermit,
}

impl Reservation {
    pub(crate) fn new(permits: OwnedSemaphorePermit) -> Self {
        Reservation { permits }
    }

    /// One write's slot; `None` once every slot is handed out.
    pub fn take(&mut self) -> Option<Slot> {
        if self.permits.num_permits() == 0 {
            return None;
        }
        self.permits.split(1).map(|p| Slot { _permit: p })
    }
}
