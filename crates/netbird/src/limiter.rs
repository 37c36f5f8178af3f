//! The client-side token bucket for one PAT.
//!
//! NetBird limits each PAT with a token bucket (Cloud: 120 a minute, burst
//! 1200) and answers 429 when it is empty, without `Retry-After`. The client
//! keeps its own bucket with the same shape so it rarely hits that wall, and one
//! bucket is shared by every clone of the client and every task.
//!
//! Invariants: the bucket holds at most `burst` tokens and refills continuously
//! at `per_minute / 60` tokens a second. [`RateLimiter::acquire`] takes a token,
//! waiting when there is none; waiters are served in the order they asked
//! (each reserves the next token to arrive, so the balance may go negative).
//! [`RateLimiter::drain`] empties the bucket after a 429: every task then
//! waits for refill instead of hammering a server that is already refusing.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;

/// A token bucket; share it behind an `Arc`.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// May be negative: tokens already promised to waiting tasks.
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// A full bucket. `per_minute` and `burst` of 0 are treated as 1.
    pub fn new(rate: RateLimit) -> Self {
        RateLimiter {
            per_second: f64::from(rate.per_minute.max(1)) / 60.0,
            burst: f64::from(rate.burst.max(1)),
            bucket: Mutex::new(Bucket {
                tokens: f64::from(rate.burst.max(1)),
                last: Instant::now(),
            }),
        }
    }

    /// Takes one token, waiting until it is there. Returns how long it waited.
    /// Cancel-safe: a waiter that is dropped gives its reserved token back.
    pub async fn acquire(&self) -> Duration {
        self.acquire_many(1).await
    }

    /// Takes `n` tokens at once, waiting until the last of them is there, so that the calls
    /// they pay for can be sent back to back. Returns how long it waited. Cancel-safe: a
    /// waiter that is dropped gives its reserved tokens back.
    pub async fn acquire_many(&self, n: u32) -> Duration {
        let n = f64::from(n.max(1));
        let wait = self.reserve(n);
        if wait.is_zero() {
            return wait;
        }
        let mut guard = Refund {
            limiter: self,
            tokens: n,
            armed: true,
        };
        tokio::time::sleep(wait).await;
        guard.armed = false;
        wait
    }

    /// Empties the bucket (the server said 429). Tokens already promised to
    /// waiters stay promised; nothing new is available until refill.
    pub fn drain(&self) {
        let mut b = self.lock();
        self.refill(&mut b);
        if b.tokens > 0.0 {
            b.tokens = 0.0;
        }
    }

    /// Tokens available right now (negative when tasks are waiting).
    pub fn available(&self) -> f64 {
        let mut b = self.lock();
        self.refill(&mut b);
        b.tokens
    }

    /// Takes `n` tokens now, possibly on credit; returns the wait until the last exists.
    fn reserve(&self, n: f64) -> Duration {
        let mut b = self.lock();
        self.refill(&mut b);
        b.tokens -= n;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.tokens / self.per_second)
        }
    }

    fn refill(&self, b: &mut Bucket) {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        b.last = now;
    }

    fn lock(&self) -> MutexGuard<'_, Bucket> {
        // The bucket is two numbers; a panic elsewhere cannot leave it invalid.
        self.bucket.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Gives reserved tokens back when a waiting `acquire` is cancelled.
struct Refund<'a> {
    limiter: &'a RateLimiter,
    tokens: f64,
    armed: bool,
}

impl Drop for Refund<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut b = self.limiter.lock();
            b.tokens = (b.tokens + self.tokens).min(self.limiter.burst);
        }
    }
}

#[cfg(test)]
#[path = "limiter_tests.rs"]
mod tests;
