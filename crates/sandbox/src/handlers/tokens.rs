//! `/api/users/{id}/tokens`: personal access tokens. The plain token (`nbp_` + 36
//! alphanumerics) appears only in the create answer; the sandbox keeps its SHA-256, and from
//! then on the token authenticates as that user. A user manages their own tokens; owners and
//! admins also manage service users' tokens; anything else is 403.

use super::prelude::*;
use crate::world::ids::hash_token;
use crate::world::people::Token;
use crate::world::time::Ts;

/// `PersonalAccessTokenRequest`.
#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    name: String,
    expires_in: i64,
}

/// `GET /api/users/{id}/tokens`.
pub async fn list_tokens(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(user): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        allowed(a, &ctx, &user)?;
        let mine = a.tokens.values().filter(|t| t.user_id == user);
        list(mine, render::token)
    })
}

/// `GET /api/users/{id}/tokens/{tid}`.
pub async fn get_token(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((user, id)): Path<(String, String)>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        allowed(a, &ctx, &user)?;
        token(a, &user, &id).and_then(|v| json(&render::token(v)))
    })
}

/// `POST /api/users/{id}/tokens`: answers `PersonalAccessTokenGenerated`.
pub async fn create_token(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(user): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: TokenRequest = parse(&body)?;
    validate::non_empty("name", &req.name)?;
    validate::in_range("expires_in", req.expires_in, 1, 365)?;
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        allowed(a, &ctx, &user)?;
        let plain = ids.pat();
        let now = Ts::now();
        let t = Token {
            id: ids.id(),
            user_id: user.clone(),
            name: req.name,
            expiration_date: now.plus_secs(req.expires_in * 86_400),
            created_by: ctx.user.id.clone(),
            created_at: now,
            last_used: None,
            hash: hash_token(&plain),
        };
        a.audit(
            &ctx.user,
            "personal.access.token.create",
            &user,
            &[("name", &t.name)],
        );
        let view = json(&serde_json::json!({
            "plain_token": plain,
            "personal_access_token": render::token(&t),
        }))?;
        w.add_token(&ctx.account_id, t)?;
        Ok(view)
    })
    .await
}

/// `DELETE /api/users/{id}/tokens/{tid}`.
pub async fn delete_token(
    State(app): AppState,
    Extension(ctx): Caller,
    Path((user, id)): Path<(String, String)>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        allowed(a, &ctx, &user)?;
        let name = token(a, &user, &id)?.name.clone();
        a.audit(
            &ctx.user,
            "personal.access.token.delete",
            &user,
            &[("name", &name)],
        );
        w.retain_tokens(&ctx.account_id, |t| t.id != id);
        empty()
    })
    .await
}

/// 404 for an unknown user; 403 unless the caller is the user, or an owner or admin acting
/// on a service user.
fn allowed(a: &Account, ctx: &Ctx, user: &str) -> Result<(), ApiError> {
    let target = a.users.get(user).ok_or_else(|| missing("user", user))?;
    let admin = matches!(ctx.role.as_str(), "owner" | "admin");
    if ctx.user.id == user || (admin && target.is_service_user) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "no permission to manage tokens of this user",
        ))
    }
}

fn token<'a>(a: &'a Account, user: &str, id: &str) -> Result<&'a Token, ApiError> {
    a.tokens
        .get(id)
        .filter(|t| t.user_id == user)
        .ok_or_else(|| missing("token", id))
}
