//! Unit tests for the retry decision table and the backoff iterator.

use super::*;

use Decision::{OutcomeUnknown, Retry, Return};
use Method::{Delete, Get, Patch, Post, Put};
use RetryReason as R;

#[test]
fn decision_table() {
    let timeout_sent = Outcome::Timeout { sent: true };
    let timeout_unsent = Outcome::Timeout { sent: false };
    let reset_sent = Outcome::ConnectionReset { sent: true };
    let reset_unsent = Outcome::ConnectionReset { sent: false };
    #[rustfmt::skip]
    let table: &[(Method, Outcome, Decision)] = &[
        (Get, Outcome::Status(200), Return),
        (Get, Outcome::Status(404), Return),
        (Get, Outcome::Status(429), Retry(R::RateLimited)),
        (Get, Outcome::Status(500), Retry(R::ServerError)),
        (Get, Outcome::Status(503), Retry(R::ServerError)),
        (Get, Outcome::Status(501), Return),
        (Get, timeout_sent, Retry(R::Timeout)),
        (Get, reset_sent, Retry(R::ConnectionReset)),
        (Get, reset_unsent, Retry(R::NotSent)),
        (Put, Outcome::Status(502), Retry(R::ServerError)),
        (Put, timeout_sent, Retry(R::Timeout)),
        (Put, Outcome::Status(422), Return),
        (Delete, Outcome::Status(429), Retry(R::RateLimited)),
        (Delete, reset_sent, Retry(R::ConnectionReset)),
        (Delete, Outcome::Status(404), Return),
        (Post, Outcome::Status(200), Return),
        (Post, Outcome::Status(409), Return),
        (Post, Outcome::Status(422), Return),
        (Post, Outcome::Status(429), Retry(R::RateLimited)),
        (Post, Outcome::Status(500), OutcomeUnknown),
        (Post, Outcome::Status(504), OutcomeUnknown),
        (Post, Outcome::Status(501), Return),
        (Post, timeout_sent, OutcomeUnknown),
        (Post, reset_sent, OutcomeUnknown),
        (Post, timeout_unsent, Retry(R::NotSent)),
        (Post, reset_unsent, Retry(R::NotSent)),
        (Patch, reset_sent, OutcomeUnknown),
        (Patch, Outcome::Status(429), Retry(R::RateLimited)),
        (Get, Outcome::TlsRejected, Return),
        (Post, Outcome::TlsRejected, Return),
    ];
    for (method, outcome, want) in table {
        assert_eq!(decide(*method, outcome), *want, "{method} {outcome:?}");
    }
}

fn policy(max_retries: u32, jitter: f64) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        jitter,
        max_reposts: 2,
        deadline: None,
    }
}

#[test]
fn backoff_without_jitter_doubles_and_caps() {
    let delays: Vec<u128> = Backoff::with_seed(policy(7, 0.0), 1)
        .map(|d| d.as_millis())
        .collect();
    assert_eq!(delays, [100, 200, 400, 800, 1000, 1000, 1000]);
}

#[test]
fn backoff_is_bounded() {
    assert_eq!(Backoff::new(policy(0, 0.5)).count(), 0);
    assert_eq!(Backoff::new(policy(3, 0.5)).count(), 3);
    let mut b = Backoff::new(policy(2, 0.5));
    assert_eq!(b.size_hint(), (2, Some(2)));
    b.next();
    b.next();
    assert_eq!(b.next(), None);
    assert_eq!(b.next(), None);
    // Huge retry counts never overflow: the delay stays at the cap.
    let last = Backoff::with_seed(policy(100, 0.0), 1).last();
    assert_eq!(last, Some(Duration::from_secs(1)));
}

#[test]
fn jitter_stays_within_bounds_and_varies() {
    for seed in 0..50 {
        let delays: Vec<Duration> = Backoff::with_seed(policy(5, 0.5), seed).collect();
        let full = [100u64, 200, 400, 800, 1000];
        for (d, f) in delays.iter().zip(full) {
            assert!(*d <= Duration::from_millis(f), "{d:?} > {f}");
            assert!(*d >= Duration::from_millis(f / 2), "{d:?} < {f}/2");
        }
    }
    let a: Vec<Duration> = Backoff::with_seed(policy(5, 0.5), 1).collect();
    let b: Vec<Duration> = Backoff::with_seed(policy(5, 0.5), 2).collect();
    assert_ne!(a, b);
    let again: Vec<Duration> = Backoff::with_seed(policy(5, 0.5), 1).collect();
    assert_eq!(a, again, "a seed makes it deterministic");
}

#[test]
fn method_parsing() {
    assert_eq!(Method::parse("get"), Some(Get));
    assert_eq!(Method::parse("DELETE"), Some(Delete));
    assert_eq!(Method::parse("TRACE"), None);
    assert!(Get.is_idempotent() && Put.is_idempotent() && Delete.is_idempotent());
    assert!(!Post.is_idempotent() && !Patch.is_idempotent());
}

/// With a deadline, each attempt gets an equal share of the time left and a retry whose wait
/// would end after it is not made; without one, neither is limited.
#[test]
fn a_deadline_bounds_the_whole_call() {
    let with = RetryPolicy {
        deadline: Some(Duration::from_secs(10)),
        ..policy(1, 0.0)
    };
    let ms = Duration::from_millis;
    assert_eq!(with.attempt_limit(ms(0), 1), Some(ms(5_000)));
    assert_eq!(with.attempt_limit(ms(5_300), 0), Some(ms(4_700)));
    assert_eq!(with.attempt_limit(ms(12_000), 0), Some(Duration::ZERO));
    assert!(with.retry_fits(ms(5_000), ms(300)));
    assert!(!with.retry_fits(ms(9_800), ms(300)));
    let without = policy(6, 0.0);
    assert_eq!(without.attempt_limit(ms(0), 6), None);
    assert!(without.retry_fits(ms(3_600_000), ms(30_000)));
}
