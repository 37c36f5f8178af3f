//! Request bodies: JSON into typed request structs, with NetBird's answers for bad input.
//!
//! - not JSON, trailing garbage, or not a JSON object: 400 `couldn't parse JSON request`;
//! - a missing required field: 422 `missing field: <path>` (e.g. `missing field: name`,
//!   `missing field: rules[0].action`);
//! - a wrong type or a value outside an enum: 422 `invalid field <path>: <what was expected>`.
//!
//! Unknown fields are ignored, as NetBird's decoder ignores them.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::error::ApiError;

/// Parses `bytes` as the request type `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::unparsable());
    }
    // Syntax first (the whole input, trailing garbage included), then the fields.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|_| ApiError::unparsable())?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        field_error(&path, e.into_inner())
    })?;
    de.end().map_err(|_| ApiError::unparsable())?;
    Ok(value)
}

fn field_error(path: &str, err: serde_json::Error) -> ApiError {
    if err.classify() != Category::Data {
        return ApiError::unparsable();
    }
    let text = err.to_string();
    let text = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    let prefix = if path == "." || path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    };
    if let Some(rest) = text.strip_prefix("missing field `") {
        let field = rest.trim_end_matches('`');
        return ApiError::invalid(format!("missing field: {prefix}{field}"));
    }
    let shown = if prefix.is_empty() { "body" } else { path };
    ApiError::invalid(format!("invalid field {shown}: {}", text.replace('`', "'")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Rule {
        action: String,
        port: u16,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Req {
        name: String,
        rules: Vec<Rule>,
    }

    fn err(body: &str) -> ApiError {
        parse::<Req>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn malformed_json_is_400() {
        for body in [
            "",
            "nope",
            "{",
            "[1]",
            "5",
            "{\"name\":\"a\",\"rules\":[]} x",
            "{}a",
        ] {
            assert_eq!(err(body), ApiError::unparsable(), "{body}");
        }
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(err("{}").message, "missing field: name");
        let e = err(r#"{"name":"a","rules":[{"port":1}]}"#);
        assert_eq!(e.message, "missing field: rules[0].action");
        assert_eq!(e.status.as_u16(), 422);
    }

    #[test]
    fn wrong_types_are_named() {
        let e = err(r#"{"name":"a","rules":[{"action":"x","port":"80"}]}"#);
        assert!(
            e.message.starts_with("invalid field rules[0].port:"),
            "{}",
            e.message
        );
        assert_eq!(e.status.as_u16(), 422);
    }

    #[test]
    fn valid_body_parses() {
        let r: Req =
            parse(br#" {"name":"a","rules":[{"action":"x","port":80}],"extra":1}"#).unwrap();
        assert_eq!(r.rules.len(), 1);
    }
}
