//! The HTTP side: the per-request pipeline (faults, auth, rate limit, request log), the
//! router, API errors and request-body parsing. Declarations only; see each module.

pub mod auth;
pub mod body;
pub mod error;
pub mod faults;
pub mod hold;
pub mod pipeline;
pub mod query;
pub mod ratelimit;
pub mod reply;
pub mod router;
pub mod scripted;
