//! What every handler module imports: extractors, the shared state, the caller context,
//! errors, body parsing and the world types and views.

pub use std::sync::Arc;

pub use axum::body::Bytes;
pub use axum::extract::{Extension, State};
pub use serde::Deserialize;
pub use serde_json::Value;

pub use super::collection::{
    At, Audit, Built, Collection, Events, Settings, Spec, Verb, stored, unique,
};
pub use crate::world::ids::IdGen;

pub use crate::app::App;
pub use crate::http::auth::Ctx;
pub use crate::http::body::parse;
pub use crate::http::error::ApiError;
pub use crate::http::reply::{ApiResult, json};
pub(crate) use crate::validate::{self, ensure};
pub use crate::world::model::{Account, Table, World};
pub use crate::world::render;

/// The state extractor every handler takes.
pub type AppState = State<Arc<App>>;

/// The caller-context extractor every API handler takes.
pub type Caller = Extension<Arc<Ctx>>;

/// A list of views, serialized.
pub fn list<'a, T: 'a, V: serde::Serialize>(
    items: impl IntoIterator<Item = &'a T>,
    view: impl Fn(&'a T) -> V,
) -> ApiResult {
    json(&items.into_iter().map(view).collect::<Vec<V>>())
}

/// DELETE's answer: `{}`.
pub fn empty() -> ApiResult {
    json(&serde_json::Map::new())
}

/// 404 `<what> not found: <id>`.
pub fn missing(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("{what} not found: {id}"))
}

/// A string list as NetBird's audit meta prints it (`%v` of a JSON round trip): `[a b]`,
/// `<nil>` when absent.
pub fn go_list(list: Option<&Vec<String>>) -> String {
    match list {
        Some(items) => format!("[{}]", items.join(" ")),
        None => "<nil>".to_owned(),
    }
}
