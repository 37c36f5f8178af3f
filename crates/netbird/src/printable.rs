//! Text from outside (API error messages, request ids, user-supplied URLs) made safe to
//! print: terminal control characters (C0, DEL, C1, and the bidi overrides that reorder what
//! a terminal shows) are written as `\u{..}` escapes, so a server or a file cannot move the
//! cursor, recolour or hide text in an operator's terminal. Tab and newline stay as they are.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character written as `\u{1b}`; borrowed when there is none.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// JSON text (serde_json's output) with every unsafe character written as a JSON escape
/// (`\u001b`): a parser reads the same document, a terminal sees nothing raw. In JSON text
/// such characters can only sit inside strings, where the escape means the same character.
pub fn escape_controls_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe_char) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_plain_text_is_kept() {
        assert_eq!(
            escape_controls("bad \u{1b}[31mred\u{7}\r\u{9b}x\u{202e}"),
            "bad \\u{1b}[31mred\\u{7}\\u{d}\\u{9b}x\\u{202e}"
        );
        assert!(matches!(escape_controls("line\n\tok é"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_values_and_shows_no_control_character() {
        let value = serde_json::json!({"name": "a\u{1b}[2J\u{7f}\u{9b}1m\u{202e}z\n"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = escape_controls_json(&text);
        assert!(!safe.chars().any(is_unsafe_char), "{safe:?}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
        assert!(matches!(
            escape_controls_json("{\"a\": 1}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn api_error_messages_and_request_ids_from_the_server_are_escaped() {
        let err = crate::error::ApiError::Status {
            method: crate::retry::Method::Post,
            path: "/api/groups".into(),
            status: 422,
            message: "name \u{1b}]0;pwned\u{7} invalid".into(),
            code: Some(422),
            request_id: Some("id\u{1b}[2J".into()),
        };
        let text = err.to_string();
        assert!(!text.chars().any(is_unsafe_char), "{text:?}");
        assert!(
            text.contains("name \\u{1b}]0;pwned\\u{7} invalid"),
            "{text}"
        );
        assert!(text.contains("request id id\\u{1b}[2J"), "{text}");
    }
}
