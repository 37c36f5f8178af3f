//! Successful answers: a view serialized straight to JSON bytes (under the world lock, so
//! views can borrow the world instead of copying it), sent with `application/json`.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;

/// A serialized JSON body.
#[derive(Debug)]
pub struct JsonBody(Vec<u8>);

/// What handlers answer.
pub type ApiResult = Result<JsonBody, ApiError>;

/// Serializes a view.
pub fn json(view: &impl Serialize) -> ApiResult {
    serde_json::to_vec(view)
        .map(JsonBody)
        .map_err(|e| ApiError::internal(format!("cannot serialize a response: {e}")))
}

impl IntoResponse for JsonBody {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
