//! A rate budget shared with other runners of the same PAT.
//!
//! NetBird's token bucket is per PAT, across every tenant and every process that uses the PAT.
//! One client's [`RateLimiter`](crate::RateLimiter) keeps that client under it, but two runners
//! (two CI jobs) with one PAT each spend the whole budget and meet 429s. A [`SharedBudget`],
//! attached with [`Client::share_budget`](crate::Client::share_budget), is the bucket they
//! share: somewhere both reach (the engine keeps it in its PostgreSQL state database; this
//! crate knows nothing about where).
//!
//! **Time slots, not tokens.** The shared bucket is one instant, the time at which it will be
//! full again (GCRA's "theoretical arrival time"): `n` tokens cost `n` emission intervals
//! (`60 s / per_minute` each), and a bucket of `burst` tokens lets a request go as soon as that
//! instant is at most `burst` intervals ahead. [`SharedBudget::reserve`] moves the instant on by
//! the cost, atomically, and answers how long the caller waits before its slot: the same
//! reservation on credit as the local limiter makes, shared. Nothing is held between calls, no
//! batch is taken, no lock is kept while anyone sleeps; a runner that dies leaves nothing
//! behind but a reservation that expires with time.
//!
//! Every request reserves its tokens from the local limiter and from the shared budget at once
//! and waits for the later of the two. A reservation whose request is cancelled is not given
//! back to the shared bucket (its slot passes unused: a little less than the budget is spent,
//! never more).
//!
//! If the shared budget fails (its database is gone), the client says so once in its log and
//! goes on with the local limiter alone: a lost state database fails the run's next save anyway.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::config::RateLimit;

/// Why a shared budget could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BudgetError(pub String);

/// What [`SharedBudget::reserve`] answers: how long to wait before spending the tokens.
pub type BudgetFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Duration, BudgetError>> + Send + 'a>>;

/// A token bucket shared by every runner of one PAT, kept as the instant it is full again.
pub trait SharedBudget: Send + Sync + fmt::Debug {
    /// Reserves `n` tokens of a bucket shaped as `rate` (refilled at `per_minute`, holding at
    /// most `burst`; a bucket never used is full), in one atomic step: with `T = 60 s /
    /// per_minute` and `full` the instant the bucket is full again, `full = max(full, now) + n
    /// × T`, and the answer is `max(0, full − burst × T − now)`, the wait before the tokens
    /// exist. [`slot`] computes it.
    fn reserve(&self, n: u32, rate: RateLimit) -> BudgetFuture<'_>;
}

/// One reservation of `n` tokens of a bucket shaped as `rate`, in seconds: `full` (when the
/// bucket is full again, `None` for a bucket never used) and `now` on one clock. Returns the
/// new `full` and the wait. What every [`SharedBudget`] computes, here for implementations and
/// tests that keep the instant in memory.
pub fn slot(full: Option<f64>, now: f64, n: u32, rate: RateLimit) -> (f64, Duration) {
    let interval = interval(rate);
    let full = full.map_or(now, |f| f.max(now)) + f64::from(n) * interval;
    let wait = (full - f64::from(rate.burst.max(1)) * interval - now).max(0.0);
    (full, Duration::from_secs_f64(wait))
}

/// The emission interval of `rate`, in seconds: how long one token takes to refill.
pub fn interval(rate: RateLimit) -> f64 {
    60.0 / f64::from(rate.per_minute.max(1))
}

/// The client's side of a shared budget.
pub(crate) struct SharedPool {
    budget: Arc<dyn SharedBudget>,
    rate: RateLimit,
    /// The budget failed once: the local limiter alone from then on.
    failed: AtomicBool,
}

impl fmt::Debug for SharedPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedPool")
            .field("budget", &self.budget)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl SharedPool {
    pub(crate) fn new(budget: Arc<dyn SharedBudget>, rate: RateLimit) -> Self {
        SharedPool {
            budget,
            rate,
            failed: AtomicBool::new(false),
        }
    }

    /// Reserves `n` tokens of the shared budget and waits for their slot. Returns how long it
    /// waited for the slot (the reservation's round trip not counted).
    pub(crate) async fn acquire(&self, n: u32) -> Duration {
        if self.failed.load(Ordering::Relaxed) {
            return Duration::ZERO;
        }
        match self.budget.reserve(n.max(1), self.rate).await {
            Ok(wait) => {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                wait
            }
            Err(e) => {
                if !self.failed.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        error = %e,
                        "the shared rate budget failed: going on with this runner's own limit"
                    );
                }
                Duration::ZERO
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::time::Instant;

    /// A shared bucket in memory on tokio's (paused) clock, recording every reservation.
    #[derive(Debug)]
    pub(crate) struct Memory {
        start: Instant,
        full: Mutex<Option<f64>>,
        pub(crate) calls: Mutex<Vec<(u32, Duration)>>,
    }

    impl Memory {
        pub(crate) fn new() -> Arc<Memory> {
            Arc::new(Memory {
                start: Instant::now(),
                full: Mutex::new(None),
                calls: Mutex::new(Vec::new()),
            })
        }
    }

    impl SharedBudget for Memory {
        fn reserve(&self, n: u32, rate: RateLimit) -> BudgetFuture<'_> {
            Box::pin(async move {
                // A round trip to the database: other tasks run meanwhile.
                tokio::task::yield_now().await;
                let now = self.start.elapsed().as_secs_f64();
                let mut full = self.full.lock().unwrap();
                let (next, wait) = slot(*full, now, n, rate);
                *full = Some(next);
                self.calls.lock().unwrap().push((n, wait));
                Ok(wait)
            })
        }
    }

    const RATE: RateLimit = RateLimit {
        per_minute: 60,
        burst: 5,
    };

    #[test]
    fn a_slot_is_the_wait_until_the_tokens_exist() {
        // A new bucket is full: 5 tokens at once, the sixth a second later.
        let (full, wait) = slot(None, 100.0, 5, RATE);
        assert_eq!((full, wait), (105.0, Duration::ZERO));
        let (full, wait) = slot(Some(full), 100.0, 1, RATE);
        assert_eq!((full, wait), (106.0, Duration::from_secs(1)));
        // Long unused: full again, never more than full.
        let (full, wait) = slot(Some(full), 1000.0, 5, RATE);
        assert_eq!((full, wait), (1005.0, Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn two_runners_on_one_budget_together_keep_its_rate() {
        // Two clients' pools on one bucket (5, one a second), 10 requests each at once.
        let mem = Memory::new();
        let (a, b) = (
            Arc::new(SharedPool::new(mem.clone(), RATE)),
            Arc::new(SharedPool::new(mem.clone(), RATE)),
        );
        let start = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let pool = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    pool.acquire(1).await;
                    start.elapsed()
                })
            })
            .collect();
        let mut sent = Vec::new();
        for t in tasks {
            sent.push(t.await.unwrap());
        }
        sent.sort();
        // The burst at once, then one a second: in every window of k seconds, at most 5 + k.
        for (i, at) in sent.iter().enumerate() {
            let allowed = 5.0 + at.as_secs_f64();
            assert!((i + 1) as f64 <= allowed + 1e-9, "request {i} at {at:?}");
        }
        assert_eq!(mem.calls.lock().unwrap().len(), 20, "one reservation each");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_budget_falls_back_to_the_local_limiter() {
        #[derive(Debug)]
        struct Down;
        impl SharedBudget for Down {
            fn reserve(&self, _: u32, _: RateLimit) -> BudgetFuture<'_> {
                Box::pin(async { Err(BudgetError("gone".into())) })
            }
        }
        let pool = SharedPool::new(Arc::new(Down), RATE);
        assert_eq!(pool.acquire(1).await, Duration::ZERO);
        assert_eq!(pool.acquire(1).await, Duration::ZERO);
    }
}
