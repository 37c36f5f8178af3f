//! `GET /api/events/audit`: the whole audit log of the account the request runs in, oldest
//! first, unpaginated (as on NetBird).

use super::prelude::*;

/// `GET /api/events/audit`.
pub async fn audit_events(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| list(w.account(&ctx.account_id)?.events.iter(), |e| e))
}
