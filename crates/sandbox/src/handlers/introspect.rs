//! `GET /__sandbox/log` and `GET /__sandbox/world`: the request log and the whole world, for
//! tests and benchmarks. No auth, no rate limit, no faults, and they are not logged.

use super::prelude::*;
use crate::world::view;

/// `GET /__sandbox/log`.
pub async fn log(State(app): AppState) -> ApiResult {
    json(&app.log.snapshot())
}

/// `GET /__sandbox/world`.
pub async fn world(State(app): AppState) -> ApiResult {
    json(&view::view(&app.lock()))
}
