//! What every handler module imports: extractors, the shared state, the caller context,
//! errors, body parsing and the world types and views.

pub use std::sync::Arc;

pub use axum::Json;
pub use axum::body::Bytes;
pub use axum::extract::{Extension, Path, State};
pub use serde::Deserialize;
pub use serde_json::{Value, json};

pub use crate::app::App;
pub use crate::http::auth::Ctx;
pub use crate::http::body::parse;
pub use crate::http::error::{ApiError, ApiResult};
pub(crate) use crate::validate;
pub use crate::world::model::{Account, World};
pub use crate::world::render;

/// The state extractor every handler takes.
pub type AppState = State<Arc<App>>;

/// The caller-context extractor every API handler takes.
pub type Caller = Extension<Ctx>;

/// A list of views.
pub fn list<'a, T: 'a>(
    items: impl IntoIterator<Item = &'a T>,
    view: impl Fn(&T) -> Value,
) -> Value {
    Value::Array(items.into_iter().map(view).collect())
}

/// DELETE's answer: `{}`.
pub fn empty() -> Value {
    json!({})
}

/// 404 `<what> not found: <id>`.
pub fn missing(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("{what} not found: {id}"))
}
