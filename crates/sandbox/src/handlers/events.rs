//! `GET /api/events/audit`: the audit log of the account the request runs in, newest first,
//! at most `world::audit::AUDIT_CAP` events, no query parameters (as on NetBird: see `world::audit`).

use super::prelude::*;
use crate::world::audit::answer;

/// `GET /api/events/audit`.
pub async fn audit_events(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| json(&answer(w.account(&ctx.account_id)?)))
}
