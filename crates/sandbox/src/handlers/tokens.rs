//! `/api/users/{id}/tokens`: personal access tokens. The plain token (`nbp_` + 36
//! alphanumerics) appears only in the create answer; the sandbox keeps its SHA-256, and from
//! then on the token authenticates as that user. A user manages their own tokens; owners and
//! admins also manage service users' tokens; anything else is 403.

use super::prelude::*;
use crate::world::ids::hash_token;
use crate::world::people::{Token, TokenExtra, TokenSpec};
use crate::world::time::Ts;

/// `/api/users/{id}/tokens`: tokens are children of a user, and never change.
pub struct Tokens;

impl Collection for Tokens {
    type Item = Token;
    type Create = TokenSpec;
    type Update = serde::de::IgnoredAny;
    type View<'a> = Value;
    const SPEC: Spec<Self> = Spec {
        path: "/api/users/{id}/tokens",
        what: "token",
        codes: [
            "personal.access.token.create",
            "",
            "personal.access.token.delete",
        ],
        name: |t| &t.spec.name,
        view: |_, _, t| render::value(&render::token(t)),
    };
    const VERBS: &[Verb] = &[Verb::List, Verb::Get, Verb::Create, Verb::Delete];

    const OWNER_KEY: &str = "user_id";

    fn owner(a: &Account, ctx: &Ctx, user: &str) -> Result<(), ApiError> {
        allowed(a, ctx, user)
    }
    fn owner_of(t: &Token) -> Option<&str> {
        Some(&t.extra.user_id)
    }
    /// `PersonalAccessTokenGenerated`.
    fn view_once(_: &Account, _: &Ctx, t: &Token, plain: &str) -> Value {
        serde_json::json!({
            "plain_token": plain,
            "personal_access_token": render::token(t),
        })
    }
    /// `name`, `is_service_user` and `user_name` (the service user's name; empty for a
    /// regular user), as `user.go` logs them.
    fn meta_in(a: &Account, t: &Token, _: Verb) -> Vec<(&'static str, String)> {
        let user = a.users.get(&t.extra.user_id);
        let service = user.is_some_and(|u| u.spec.is_service_user);
        let user_name = user.filter(|_| service).map(|u| u.spec.name().to_owned());
        vec![
            ("name", t.spec.name.clone()),
            ("is_service_user", service.to_string()),
            ("user_name", user_name.unwrap_or_default()),
        ]
    }
    /// The audit event names the user.
    fn target<'a>(_: &'a str, t: &'a Token) -> &'a str {
        &t.extra.user_id
    }
    fn create(w: &mut World, at: &mut At, spec: TokenSpec) -> Built<Self> {
        validate::non_empty("name", &spec.name)?;
        validate::in_range("expires_in", spec.expires_in, 1, 365)?;
        let ids = &mut w.ids;
        let plain = ids.pat();
        let now = Ts::now();
        let id = at.id(ids);
        let extra = TokenExtra {
            user_id: at.owner.unwrap_or_default().to_owned(),
            expiration_date: now.plus_secs(spec.expires_in * 86_400),
            created_by: at.ctx.user.id.clone(),
            created_at: now,
            last_used: None,
            hash: hash_token(&plain),
        };
        at.once = Some(plain);
        Ok(Token { id, spec, extra })
    }
    /// Also indexes the token's hash, so it authenticates.
    fn store(w: &mut World, account: &str, _: String, t: Token) -> Result<(), ApiError> {
        w.add_token(account, t)
    }
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        w.retain_tokens(account, |t| t.id != id);
        Ok(())
    }
}

/// 404 for an unknown user; 403 unless the caller is the user, or an owner or admin acting
/// on a service user.
fn allowed(a: &Account, ctx: &Ctx, user: &str) -> Result<(), ApiError> {
    let target = a.users.get(user).ok_or_else(|| missing("user", user))?;
    let admin = matches!(ctx.role.as_str(), "owner" | "admin");
    if ctx.user.id == user || (admin && target.spec.is_service_user) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "no permission to manage tokens of this user",
        ))
    }
}
