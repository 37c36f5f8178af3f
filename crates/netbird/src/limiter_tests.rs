//! Token bucket tests on tokio's paused clock: no real sleeping.

use std::sync::Arc;

use super::*;

fn limiter(per_minute: u32, burst: u32) -> RateLimiter {
    RateLimiter::new(RateLimit { per_minute, burst })
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

#[tokio::test(start_paused = true)]
async fn burst_then_refill_at_the_configured_rate() {
    let l = limiter(120, 5); // one token every 500 ms
    let start = Instant::now();
    for _ in 0..5 {
        assert_eq!(l.acquire().await, Duration::ZERO);
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "the burst is free");
    for i in 1..=4u32 {
        l.acquire().await;
        let at = ms(start.elapsed());
        let want = u128::from(i) * 500;
        assert!((want..want + 2).contains(&at), "token {i} at {at} ms");
    }
}

#[tokio::test(start_paused = true)]
async fn refills_up_to_burst_only() {
    let l = limiter(60, 3);
    for _ in 0..3 {
        l.acquire().await;
    }
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!((l.available() - 3.0).abs() < 1e-9, "capped at burst");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!((l.available() - 3.0).abs() < 1e-9);
    l.acquire().await;
    assert!((l.available() - 2.0).abs() < 1e-9);
}

#[tokio::test(start_paused = true)]
async fn drain_on_429_makes_everyone_wait_for_refill() {
    let l = limiter(120, 1200);
    assert!(l.available() > 1000.0);
    l.drain();
    assert!(l.available().abs() < 1e-9);
    let start = Instant::now();
    l.acquire().await;
    let at = ms(start.elapsed());
    assert!((500..502).contains(&at), "waited {at} ms for refill");
}

#[tokio::test(start_paused = true)]
async fn shared_across_clones_and_tasks_in_order() {
    let l = Arc::new(limiter(600, 2)); // one token every 100 ms
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let l = Arc::clone(&l);
        tasks.push(tokio::spawn(async move {
            l.acquire().await;
            start.elapsed()
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.push(ms(t.await.unwrap()));
    }
    times.sort_unstable();
    let want = [0u128, 0, 100, 200, 300, 400];
    for (got, want) in times.iter().zip(want) {
        assert!((want..want + 2).contains(got), "{times:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_waiter_gives_its_token_back() {
    let l = limiter(60, 1);
    l.acquire().await;
    let waiting = tokio::time::timeout(Duration::from_millis(10), l.acquire()).await;
    assert!(waiting.is_err(), "no token yet");
    // Without the refund, the next token would come 2 s after the start.
    let start = Instant::now();
    l.acquire().await;
    let at = ms(start.elapsed());
    assert!((980..1000).contains(&at), "waited {at} ms");
}

#[tokio::test(start_paused = true)]
async fn many_tokens_are_taken_together_when_the_last_is_there() {
    let l = limiter(12, 1); // one token every 5 s
    let start = Instant::now();
    // A proof and its write: two tokens, both there at once after 5 s, none wasted.
    assert_eq!(ms(l.acquire_many(2).await), 5000);
    assert_eq!(ms(start.elapsed()), 5000);
    assert!(l.available().abs() < 1e-9);
    // Cancelled while waiting: the tokens are given back.
    let waiting = l.acquire_many(3);
    assert!(
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .is_err()
    );
    assert!(l.available() > 0.0, "the reservation was refunded");
}
