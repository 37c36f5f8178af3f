//! The per-PAT token bucket. Each token (by id) has a bucket of `burst` that refills
//! continuously at `per_minute / 60` per second; a request takes one or is refused. The
//! bucket is per PAT, not per tenant: `?account=` does not change it. Requests whose
//! `User-Agent` contains `terraform` are exempt, as on NetBird (PR #5080).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::config::RateLimit;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets for every PAT that has been used.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter; `None` lets everything through.
    pub fn new(limit: Option<RateLimit>) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the bucket of `token_id`; false when it is empty.
    pub fn admit(&self, token_id: &str, user_agent: Option<&str>) -> bool {
        let Some(limit) = self.limit else {
            return true;
        };
        if user_agent.is_some_and(|ua| ua.to_ascii_lowercase().contains("terraform")) {
            return true;
        }
        let now = Instant::now();
        let burst = f64::from(limit.burst);
        let per_sec = f64::from(limit.per_minute) / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(token_id.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refused_then_unlimited_when_off() {
        let rl = RateLimiter::new(Some(RateLimit {
            per_minute: 0,
            burst: 3,
        }));
        assert!((0..3).all(|_| rl.admit("t", None)));
        assert!(!rl.admit("t", None));
        assert!(rl.admit("other", None), "buckets are per token");
        assert!(rl.admit("t", Some("Terraform-Provider/1.0")));
        let off = RateLimiter::new(None);
        assert!((0..10_000).all(|_| off.admit("t", None)));
    }
}
