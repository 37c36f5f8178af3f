//! Sandbox configuration: plain data with public fields and a [`Default`] that mirrors
//! NetBird Cloud (rate limit 120 requests per minute, burst 1200) on `127.0.0.1:0`.
//!
//! [`SandboxConfig::validate`] rejects values that make no sense (probabilities outside
//! `0..=1`); [`crate::Sandbox::start`] calls it.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::error::SandboxError;

/// A token bucket per PAT: `per_minute` tokens are added continuously (at `per_minute / 60`
/// per second) up to `burst`; every authenticated request takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Refill rate, requests per minute.
    pub per_minute: u32,
    /// Bucket capacity; a fresh token starts with a full bucket.
    pub burst: u32,
}

impl Default for RateLimit {
    /// NetBird Cloud's documented limit: 120 requests per minute with a burst of 1200.
    fn default() -> Self {
        RateLimit {
            per_minute: 120,
            burst: 1200,
        }
    }
}

/// Everything [`crate::Sandbox::start`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConfig {
    /// Address to listen on; port 0 picks a free port (see [`crate::SandboxHandle::url`]).
    pub listen: SocketAddr,
    /// The MSP owner's PAT. `None` generates one (`nbp_` + 36 alphanumerics).
    pub token: Option<String>,
    /// Start a plain (non-MSP) account: the MSP endpoints then answer 403.
    pub standalone: bool,
    /// Per-PAT rate limit; `None` turns it off.
    pub rate_limit: Option<RateLimit>,
    /// Fixed delay added to every API response, in milliseconds.
    pub latency_ms: u64,
    /// Random extra delay, uniform in `0..=jitter_ms`, added to every API response.
    pub jitter_ms: u64,
    /// Probability of answering 500 `internal server error` before doing anything.
    pub fail_rate: f64,
    /// Probability of doing the request, then closing the connection without a response.
    pub drop_rate: f64,
    /// Seed for the fault decisions (and the generated ids); `None` picks one at random.
    pub seed: Option<u64>,
    /// JSON file to load the world from at start (when it exists) and to save after every
    /// write (atomically).
    pub data: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: None,
            standalone: false,
            rate_limit: Some(RateLimit::default()),
            latency_ms: 0,
            jitter_ms: 0,
            fail_rate: 0.0,
            drop_rate: 0.0,
            seed: None,
            data: None,
        }
    }
}

impl SandboxConfig {
    /// Checks the values that cannot be expressed in the types.
    pub fn validate(&self) -> Result<(), SandboxError> {
        for (name, p) in [("fail_rate", self.fail_rate), ("drop_rate", self.drop_rate)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(SandboxError::Config(format!(
                    "{name} must be between 0 and 1, got {p}"
                )));
            }
        }
        if let Some(token) = &self.token
            && (token.is_empty() || token.chars().any(char::is_whitespace))
        {
            return Err(SandboxError::Config(
                "token must be non-empty and contain no whitespace".to_owned(),
            ));
        }
        Ok(())
    }
}
