//! A rate budget shared with other runners of the same PAT.
//!
//! NetBird's token bucket is per PAT, across every tenant and every process that uses the PAT.
//! One client's [`RateLimiter`](crate::RateLimiter) keeps that client under it, but two runners
//! (two CI jobs) with one PAT each spend the whole budget and meet 429s. A [`SharedBudget`],
//! attached with [`Client::share_budget`](crate::Client::share_budget), is the bucket they
//! share: somewhere both reach (the engine keeps it in its PostgreSQL state database; this
//! crate knows nothing about where).
//!
//! Every request still takes its token from the local limiter first (it paces this runner and
//! is drained after a 429); then it takes one from the shared bucket. Tokens come from the
//! shared bucket in small batches: one [`SharedBudget::take`] asks for what the tasks waiting
//! right now want (at most [`MAX_BATCH`], or more when one request needs more at once), and
//! they are spent locally. A batch is taken only for demand already waiting, so tokens are
//! held for the time of a few requests, never banked: a token taken from the shared bucket is
//! spent at once, as the server's bucket will see it. Tokens left unspent (a waiter was
//! cancelled) are dropped after [`HOLD`], never spent late. When the shared bucket is empty,
//! the runner waits as long as the budget says the missing tokens take to refill, then asks
//! again (waiters are served in order).
//!
//! If the shared budget fails (its database is gone), the client says so once in its log and
//! goes on with the local limiter alone: a lost state database fails the run's next save anyway.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;

/// The most tokens one [`SharedBudget::take`] asks for, unless one request needs more at once
/// (a scope proof with the writes it covers).
pub const MAX_BATCH: u32 = 10;

/// Tokens taken from the shared bucket and not spent within this time are dropped.
pub const HOLD: Duration = Duration::from_secs(1);

/// What one [`SharedBudget::take`] gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Tokens taken (at most the number asked for; 0 when the bucket is empty).
    pub granted: u32,
    /// When fewer than asked were granted: how long until the rest have refilled.
    pub wait: Duration,
}

/// Why a shared budget could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BudgetError(pub String);

/// What [`SharedBudget::take`] answers.
pub type BudgetFuture<'a> = Pin<Box<dyn Future<Output = Result<Grant, BudgetError>> + Send + 'a>>;

/// A token bucket shared by every runner of one PAT.
pub trait SharedBudget: Send + Sync + fmt::Debug {
    /// Take up to `want` tokens from a bucket shaped as `rate` (refilled at `per_minute`,
    /// holding at most `burst`; the first taker finds it full). Grants what is there, whole
    /// tokens only, and says how long the rest take to refill.
    fn take(&self, want: u32, rate: RateLimit) -> BudgetFuture<'_>;
}

/// The client's side of a shared budget: the tokens taken and not yet spent.
pub(crate) struct SharedPool {
    budget: Arc<dyn SharedBudget>,
    rate: RateLimit,
    held: tokio::sync::Mutex<Held>,
    /// Tokens wanted by the tasks in [`SharedPool::acquire`] right now.
    demand: AtomicU32,
    /// The budget failed once: the local limiter alone from then on.
    failed: AtomicBool,
}

struct Held {
    tokens: u32,
    at: Instant,
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
            held: tokio::sync::Mutex::new(Held {
                tokens: 0,
                at: Instant::now(),
            }),
            demand: AtomicU32::new(0),
            failed: AtomicBool::new(false),
        }
    }

    /// Takes `n` tokens of the shared budget, waiting until they are there. Returns how long
    /// it waited.
    pub(crate) async fn acquire(&self, n: u32) -> Duration {
        let n = n.max(1);
        if self.failed.load(Ordering::Relaxed) {
            return Duration::ZERO;
        }
        let start = Instant::now();
        let _demand = Demand::new(&self.demand, n);
        let mut held = self.held.lock().await;
        if held.at.elapsed() > HOLD {
            held.tokens = 0;
        }
        loop {
            if held.tokens >= n {
                held.tokens -= n;
                return start.elapsed();
            }
            let missing = n - held.tokens;
            let waiting = self
                .demand
                .load(Ordering::Relaxed)
                .saturating_sub(held.tokens);
            let want = waiting.clamp(missing, MAX_BATCH.max(missing));
            match self.budget.take(want, self.rate).await {
                Ok(grant) => {
                    if grant.granted > 0 {
                        held.tokens += grant.granted.min(want);
                        held.at = Instant::now();
                    }
                    if held.tokens < n {
                        tokio::time::sleep(grant.wait.max(Duration::from_millis(1))).await;
                    }
                }
                Err(e) => {
                    self.failed.store(true, Ordering::Relaxed);
                    tracing::warn!(
                        error = %e,
                        "the shared rate budget failed: going on with this runner's own limit"
                    );
                    return start.elapsed();
                }
            }
        }
    }

    /// The server said 429: tokens held are not spent.
    pub(crate) fn drain(&self) {
        if let Ok(mut held) = self.held.try_lock() {
            held.tokens = 0;
        }
    }
}

/// Counts a task's tokens in the demand while it waits.
struct Demand<'a> {
    demand: &'a AtomicU32,
    n: u32,
}

impl<'a> Demand<'a> {
    fn new(demand: &'a AtomicU32, n: u32) -> Self {
        demand.fetch_add(n, Ordering::Relaxed);
        Demand { demand, n }
    }
}

impl Drop for Demand<'_> {
    fn drop(&mut self) {
        self.demand.fetch_sub(self.n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A shared bucket in memory, refilled by tokio's (paused) clock, recording every take.
    #[derive(Debug)]
    struct Memory {
        bucket: Mutex<(f64, Instant)>,
        takes: Mutex<Vec<(u32, u32)>>,
    }

    impl Memory {
        fn new(tokens: f64) -> Arc<Memory> {
            Arc::new(Memory {
                bucket: Mutex::new((tokens, Instant::now())),
                takes: Mutex::new(Vec::new()),
            })
        }
    }

    impl SharedBudget for Memory {
        fn take(&self, want: u32, rate: RateLimit) -> BudgetFuture<'_> {
            Box::pin(async move {
                let per_sec = f64::from(rate.per_minute) / 60.0;
                let mut b = self.bucket.lock().unwrap();
                let now = Instant::now();
                let avail = (b.0 + now.duration_since(b.1).as_secs_f64() * per_sec)
                    .min(f64::from(rate.burst));
                let granted = (avail.floor().max(0.0) as u32).min(want);
                *b = (avail - f64::from(granted), now);
                let wait =
                    Duration::from_secs_f64((f64::from(want - granted) - b.0).max(0.0) / per_sec);
                self.takes.lock().unwrap().push((want, granted));
                Ok(Grant { granted, wait })
            })
        }
    }

    const RATE: RateLimit = RateLimit {
        per_minute: 60,
        burst: 5,
    };

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_serves_at_once_and_an_empty_one_at_its_rate() {
        let mem = Memory::new(5.0);
        let pool = SharedPool::new(mem.clone(), RATE);
        for _ in 0..5 {
            assert_eq!(pool.acquire(1).await, Duration::ZERO);
        }
        // Empty: one a second.
        let waited = pool.acquire(1).await;
        assert!(waited >= Duration::from_millis(999), "{waited:?}");
        let waited = pool.acquire(3).await;
        assert!(waited >= Duration::from_millis(2999), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_are_served_by_batches_and_never_take_more_than_they_spend() {
        let mem = Memory::new(0.0);
        let pool = Arc::new(SharedPool::new(
            mem.clone(),
            RateLimit {
                per_minute: 600,
                burst: 50,
            },
        ));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move { pool.acquire(1).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let takes = mem.takes.lock().unwrap().clone();
        let granted: u32 = takes.iter().map(|t| t.1).sum();
        assert_eq!(granted, 20, "{takes:?}");
        assert!(takes.iter().all(|t| t.0 <= MAX_BATCH), "{takes:?}");
        assert!(takes.len() < 20, "batched: {takes:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_budget_falls_back_to_the_local_limiter() {
        #[derive(Debug)]
        struct Down;
        impl SharedBudget for Down {
            fn take(&self, _: u32, _: RateLimit) -> BudgetFuture<'_> {
                Box::pin(async { Err(BudgetError("gone".into())) })
            }
        }
        let pool = SharedPool::new(Arc::new(Down), RATE);
        assert_eq!(pool.acquire(1).await, Duration::ZERO);
        assert_eq!(pool.acquire(1).await, Duration::ZERO);
    }
}
