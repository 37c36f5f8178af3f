//! Injected faults, drawn from one seeded generator so that a run with the same seed and the
//! same request order sees the same faults. Each API request draws, in this order, its extra
//! jitter, whether it fails (500 before anything is done) and whether its response is dropped
//! (the request is done, then the connection is closed without an answer).

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fate {
    /// Wait this long before answering.
    pub delay: Duration,
    /// Answer 500 without doing anything.
    pub fail: bool,
    /// Do the request, then close the connection without a response.
    pub drop: bool,
}

/// The fault configuration and its generator.
#[derive(Debug)]
pub struct Faults {
    latency_ms: u64,
    jitter_ms: u64,
    fail_rate: f64,
    drop_rate: f64,
    rng: Mutex<StdRng>,
}

impl Faults {
    /// Faults with the given rates, seeded with `seed`.
    pub fn new(
        latency_ms: u64,
        jitter_ms: u64,
        fail_rate: f64,
        drop_rate: f64,
        seed: u64,
    ) -> Faults {
        Faults {
            latency_ms,
            jitter_ms,
            fail_rate,
            drop_rate,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Draws the fate of the next request.
    pub fn draw(&self) -> Fate {
        let random = self.jitter_ms > 0 || self.fail_rate > 0.0 || self.drop_rate > 0.0;
        if !random {
            return Fate {
                delay: Duration::from_millis(self.latency_ms),
                ..Fate::default()
            };
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let jitter = if self.jitter_ms > 0 {
            rng.random_range(0..=self.jitter_ms)
        } else {
            0
        };
        let fail = rng.random::<f64>() < self.fail_rate;
        let drop = rng.random::<f64>() < self.drop_rate;
        Fate {
            delay: Duration::from_millis(self.latency_ms.saturating_add(jitter)),
            fail,
            drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_fates() {
        let a = Faults::new(1, 5, 0.3, 0.3, 42);
        let b = Faults::new(1, 5, 0.3, 0.3, 42);
        let fa: Vec<Fate> = (0..50).map(|_| a.draw()).collect();
        let fb: Vec<Fate> = (0..50).map(|_| b.draw()).collect();
        assert_eq!(fa, fb);
        assert!(fa.iter().any(|f| f.fail) && fa.iter().any(|f| !f.fail));
        assert!(fa.iter().all(|f| f.delay >= Duration::from_millis(1)));
    }

    #[test]
    fn certain_rates_always_hit() {
        let f = Faults::new(0, 0, 1.0, 0.0, 1);
        assert!((0..20).all(|_| f.draw().fail));
        let f = Faults::new(0, 0, 0.0, 0.0, 1);
        assert_eq!(f.draw(), Fate::default());
    }
}
