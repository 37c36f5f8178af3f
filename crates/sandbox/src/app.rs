//! The state every request shares: the world behind one mutex, the request log, the rate
//! limiter, the fault generator, the scripted faults and the optional data file.
//!
//! [`App::read`] and [`App::write`] run a closure under the world lock and keep the hold
//! short: no I/O happens under it. A write whose closure fails changes nothing (handlers
//! validate before they mutate) and saves nothing; a successful write is saved to the data
//! file, when there is one, before the response goes out.

use std::sync::{Mutex, MutexGuard};

use crate::http::error::ApiError;
use crate::http::faults::Faults;
use crate::http::hold::Holds;
use crate::http::ratelimit::RateLimiter;
use crate::http::scripted::Scripted;
use crate::log::RequestLog;
use crate::world::model::World;
use crate::world::persist::Persist;

/// Shared sandbox state.
#[derive(Debug)]
pub struct App {
    world: Mutex<World>,
    /// Every API request.
    pub log: RequestLog,
    /// Per-PAT buckets.
    pub limiter: RateLimiter,
    /// Fault generator.
    pub faults: Faults,
    /// The answer a test holds, if any.
    pub holds: Holds,
    /// Targeted faults a test scripted.
    pub scripted: Scripted,
    persist: Option<Persist>,
}

impl App {
    /// Shared state around a world.
    pub fn new(
        world: World,
        limiter: RateLimiter,
        faults: Faults,
        persist: Option<Persist>,
    ) -> App {
        App {
            world: Mutex::new(world),
            log: RequestLog::default(),
            limiter,
            faults,
            holds: Holds::default(),
            scripted: Scripted::default(),
            persist,
        }
    }

    /// The world, locked. Hold it briefly.
    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a read under the lock.
    pub fn read<T>(&self, f: impl FnOnce(&World) -> Result<T, ApiError>) -> Result<T, ApiError> {
        f(&self.lock())
    }

    /// Runs a write under the lock, then saves the world when a data file is configured.
    pub async fn write<T>(
        &self,
        f: impl FnOnce(&mut World) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (out, snapshot) = {
            let mut world = self.lock();
            let out = f(&mut world)?;
            let snapshot = self.persist.as_ref().map(|p| p.snapshot(&world));
            (out, snapshot)
        };
        if let (Some(persist), Some(snapshot)) = (&self.persist, snapshot) {
            let snapshot = snapshot.map_err(|e| ApiError::internal(e.to_string()))?;
            persist
                .save(snapshot)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        Ok(out)
    }
}
