//! Authentication and the account a request runs in.
//!
//! `Authorization: Token <pat>` or `Bearer nbp_...` names a PAT; its SHA-256 finds the token,
//! which must not be expired, and its user, who must not be blocked. Anything else is 401.
//!
//! `?account=<id>` switches the request into that account only when it appears exactly once,
//! names a tenant (child account) of the caller's own account, and the caller is not a
//! service user. Otherwise the request silently runs in the caller's own account, as on
//! NetBird. The result is a [`Ctx`], which handlers receive as a request extension.

use axum::http::HeaderValue;

use super::error::ApiError;
use super::query;
use crate::world::audit::Initiator;
use crate::world::ids::hash_token;
use crate::world::model::World;
use crate::world::time::Ts;

/// Who is asking, and where the request runs.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The account the request runs in.
    pub account_id: String,
    /// The caller's own account.
    pub home_account_id: String,
    /// The caller, as the audit log records them (`external` when the accounts differ).
    pub user: Initiator,
    /// The caller's role.
    pub role: String,
    /// The PAT used (its id), for the rate limiter.
    pub token_id: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
}

impl Ctx {
    /// The value of query parameter `key` (its first occurrence, as Go's `Query().Get`).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Resolves the caller and the effective account; updates the token's `last_used`.
pub fn authenticate(
    world: &mut World,
    header: Option<&HeaderValue>,
    query: Vec<(String, String)>,
) -> Result<Ctx, ApiError> {
    let header = header
        .and_then(|h| h.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("no valid authentication provided"))?;
    let pat = pat_of(header).ok_or_else(|| ApiError::unauthorized("invalid token"))?;
    let token_ref = world
        .tokens
        .get(&hash_token(pat))
        .cloned()
        .ok_or_else(|| ApiError::unauthorized("invalid token"))?;
    let (account, _) = world.account_mut(&token_ref.account_id)?;
    let token = account
        .tokens
        .get_mut(&token_ref.token_id)
        .ok_or_else(|| ApiError::unauthorized("invalid token"))?;
    let now = Ts::now();
    if token.extra.expiration_date < now {
        return Err(ApiError::unauthorized("token expired"));
    }
    token.extra.last_used = Some(now);
    let user_id = token.extra.user_id.clone();
    let user = account
        .users
        .get(&user_id)
        .ok_or_else(|| ApiError::unauthorized("invalid token"))?;
    if user.extra.is_blocked {
        return Err(ApiError::forbidden("user is blocked"));
    }
    let (name, email) = (user.spec.name().to_owned(), user.spec.email().to_owned());
    let (role, is_service_user) = (user.spec.role.clone(), user.spec.is_service_user);
    let home = account.id.clone();
    let target = query::single(&query, "account")
        .filter(|_| !is_service_user)
        .filter(|id| world_child(world, &home, id))
        .map(str::to_owned)
        .unwrap_or_else(|| home.clone());
    Ok(Ctx {
        user: Initiator {
            id: user_id,
            name,
            email,
            external: target != home,
        },
        role,
        account_id: target,
        home_account_id: home,
        token_id: token_ref.token_id,
        query,
    })
}

fn world_child(world: &World, parent: &str, child: &str) -> bool {
    world
        .accounts
        .get(child)
        .is_some_and(|a| a.parent.as_deref() == Some(parent))
}

/// The PAT in an `Authorization` header value.
fn pat_of(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    if token.is_empty() {
        return None;
    }
    if scheme.eq_ignore_ascii_case("token")
        || (scheme.eq_ignore_ascii_case("bearer") && token.starts_with("nbp_"))
    {
        Some(token)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::pat_of;

    #[test]
    fn header_forms() {
        assert_eq!(pat_of("Token nbp_x"), Some("nbp_x"));
        assert_eq!(pat_of("token abc"), Some("abc"));
        assert_eq!(pat_of("Bearer nbp_x"), Some("nbp_x"));
        assert_eq!(pat_of("Bearer eyJhbGciOi"), None);
        assert_eq!(pat_of("Basic abc"), None);
        assert_eq!(pat_of("Token"), None);
        assert_eq!(pat_of("Token "), None);
    }
}
