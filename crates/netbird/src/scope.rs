//! Which account a call runs in.
//!
//! [`Scope::Own`] sends no `account` parameter: the call runs in the PAT's own
//! account (for an MSP, the MSP account). [`Scope::Account`] adds
//! `?account=<id>` to every call, which NetBird honours for a valid child
//! (tenant) account and silently ignores otherwise: prove the scoping with
//! [`crate::Client::effective_account`] before the first write.

use std::fmt;

/// The account a call runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The PAT's own account; no `account` query parameter.
    Own,
    /// A tenant account: `?account=<id>` on every call.
    Account(String),
}

impl Scope {
    /// The `account` query value, if any.
    pub fn account(&self) -> Option<&str> {
        match self {
            Scope::Own => None,
            Scope::Account(id) => Some(id),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Own => f.write_str("own account"),
            Scope::Account(id) => write!(f, "account {id}"),
        }
    }
}
