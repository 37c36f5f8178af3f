//! The one API error type. Every error the sandbox answers is rendered as NetBird renders
//! it: the status code and the body `{"message": "...", "code": N}`, with the message
//! lower-cased (as NetBird's `util.WriteError` does).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer: status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Message (lower-cased when rendered).
    pub message: String,
    /// A body other than `{"message", "code"}`, as JSON text: the 501 of a failed DNS
    /// challenge answers `DNSChallengeResponse`.
    pub body: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    code: u16,
}

impl ApiError {
    /// Any status with its own JSON body (`message` is for the sandbox's log only).
    pub fn with_body(status: StatusCode, message: &str, body: &impl Serialize) -> ApiError {
        match serde_json::to_string(body) {
            Ok(text) => ApiError {
                body: Some(text),
                ..ApiError::new(status, message)
            },
            Err(e) => ApiError::internal(format!("cannot serialize an error body: {e}")),
        }
    }

    /// Any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            body: None,
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 400 `couldn't parse JSON request`.
    pub fn unparsable() -> ApiError {
        ApiError::bad_request("couldn't parse JSON request")
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    /// 422 (NetBird's `InvalidArgument`).
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 429 `too many requests`.
    pub fn too_many_requests() -> ApiError {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too many requests")
    }

    /// 500; the message is logged, the client sees `internal server error`.
    pub fn internal(message: impl Into<String>) -> ApiError {
        let message = message.into();
        tracing::warn!(%message, "sandbox internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }

    /// The status's reason phrase as the message (for errors the router makes itself).
    pub fn from_status(status: StatusCode) -> ApiError {
        ApiError::new(status, status.canonical_reason().unwrap_or("error"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(body) = self.body {
            let mut response = (self.status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return response;
        }
        let message = self.message.to_lowercase();
        let body = ErrorBody {
            message: &message,
            code: self.status.as_u16(),
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_netbird_error_body() {
        let body = serde_json::to_string(&ErrorBody {
            message: "too many requests",
            code: 429,
        })
        .unwrap();
        assert_eq!(body, r#"{"message":"too many requests","code":429}"#);
    }
}
