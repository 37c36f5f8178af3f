//! The personal access token (PAT).
//!
//! [`Token`] wraps the secret so that it cannot leak by accident: `Debug` and
//! `Display` print `(sensitive)`, it is not `Serialize`, and the only way to read
//! it is [`Token::expose`], which the client calls once per request to build the
//! `Authorization: Token <pat>` header. Errors, events and logs never carry it.

use std::fmt;

/// A NetBird personal access token. Printing it prints `(sensitive)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a PAT. Surrounding whitespace (a trailing newline from a token file) is trimmed.
    pub fn new(secret: impl Into<String>) -> Self {
        let secret: String = secret.into();
        Token(secret.trim().to_owned())
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the token is empty (after trimming).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive)")
    }
}

impl From<String> for Token {
    fn from(s: String) -> Self {
        Token::new(s)
    }
}

impl From<&str> for Token {
    fn from(s: &str) -> Self {
        Token::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_secret() {
        let t = Token::new("nbp_secret123\n");
        assert_eq!(format!("{t}"), "(sensitive)");
        assert!(!format!("{t:?}").contains("nbp_"));
        assert_eq!(t.expose(), "nbp_secret123");
    }
}
