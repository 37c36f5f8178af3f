//! `/api/users`: `POST` invites a regular user (status `invited`, email required and unique
//! per account: 409) or creates a service user; the answer to inviting carries a `password`,
//! the only time it is shown. `GET /api/users/current` answers the caller. Roles must be
//! NetBird's (422 `unknown user role`); auto groups must exist (404). Nobody deletes or
//! blocks themselves (422). A `PUT` without `auto_groups` is 400, as NetBird answers.

use super::prelude::*;
use crate::world::people::User;
use crate::world::time::Ts;

/// `UserCreateRequest`.
#[derive(Debug, Deserialize)]
pub struct UserCreateRequest {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    role: String,
    auto_groups: Vec<String>,
    is_service_user: bool,
}

/// `UserRequest`. NetBird refuses a missing `auto_groups` with 400, not the 422 of other
/// missing fields, so it is optional here and checked by hand.
#[derive(Debug, Deserialize)]
pub struct UserRequest {
    role: String,
    #[serde(default)]
    auto_groups: Option<Vec<String>>,
    is_blocked: bool,
}

/// `GET /api/users[?service_user=true|false]`.
pub async fn list_users(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    let filter = match ctx.param("service_user") {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        let users = a
            .users
            .values()
            .filter(|u| filter.is_none_or(|s| u.is_service_user == s));
        list(users, |u| render::user(u, Some(&ctx.user.id)))
    })
}

/// `GET /api/users/current`.
pub async fn current_user(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.home_account_id)?;
        let u = a
            .users
            .get(&ctx.user.id)
            .ok_or_else(|| missing("user", &ctx.user.id))?;
        json(&render::user(u, Some(&ctx.user.id)))
    })
}

/// `POST /api/users`.
pub async fn create_user(State(app): AppState, Extension(ctx): Caller, body: Bytes) -> ApiResult {
    let req: UserCreateRequest = parse(&body)?;
    validate::role(&req.role)?;
    let email = req.email.unwrap_or_default();
    if !req.is_service_user && email.trim().is_empty() {
        return Err(ApiError::invalid("missing field: email"));
    }
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        a.check_groups(&req.auto_groups)?;
        let taken = !email.is_empty()
            && a.users
                .values()
                .any(|u| u.email.eq_ignore_ascii_case(&email));
        if taken {
            return Err(ApiError::conflict(format!(
                "user with email {email} already exists"
            )));
        }
        let user = User {
            id: ids.id(),
            name: req.name.unwrap_or_else(|| email.clone()),
            email,
            role: req.role,
            status: if req.is_service_user {
                "active"
            } else {
                "invited"
            }
            .to_owned(),
            auto_groups: req.auto_groups,
            is_service_user: req.is_service_user,
            is_blocked: false,
            pending_approval: false,
            issued: "api".to_owned(),
            last_login: Ts::zero(),
        };
        let password = (!user.is_service_user).then(|| ids.alnum(20));
        let mut view = render::user(&user, Some(&ctx.user.id));
        view.password = password.as_deref();
        let body = json(&view)?;
        let (code, meta) = match user.is_service_user {
            true => ("service.user.create", ("name", &user.name)),
            false => ("user.invite", ("email", &user.email)),
        };
        a.audit(&ctx.user, code, &user.id, &[(meta.0, meta.1.as_str())]);
        a.users.insert(user.id.clone(), user);
        Ok(body)
    })
    .await
}

/// `PUT /api/users/{id}`: audits role, block and auto-group changes.
pub async fn update_user(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: UserRequest = parse(&body)?;
    let Some(auto_groups) = req.auto_groups else {
        return Err(ApiError::bad_request("auto_groups field can't be absent"));
    };
    validate::role(&req.role)?;
    if req.is_blocked && id == ctx.user.id {
        return Err(ApiError::invalid("self blocking isn't allowed"));
    }
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        a.check_groups(&auto_groups)?;
        let u = a.users.get_mut(&id).ok_or_else(|| missing("user", &id))?;
        let mut codes = Vec::new();
        if u.role != req.role {
            codes.push("user.role.update");
        }
        if u.is_blocked != req.is_blocked {
            codes.push(if req.is_blocked {
                "user.block"
            } else {
                "user.unblock"
            });
        }
        if auto_groups.iter().any(|g| !u.auto_groups.contains(g)) {
            codes.push("user.group.add");
        }
        if u.auto_groups.iter().any(|g| !auto_groups.contains(g)) {
            codes.push("user.group.delete");
        }
        u.status = match (req.is_blocked, u.status.as_str()) {
            (true, _) => "blocked",
            (false, "blocked") => "active",
            (false, other) => other,
        }
        .to_owned();
        u.role = req.role;
        u.auto_groups = auto_groups;
        u.is_blocked = req.is_blocked;
        let view = json(&render::user(u, Some(&ctx.user.id)))?;
        for code in codes {
            a.audit(&ctx.user, code, &id, &[]);
        }
        Ok(view)
    })
    .await
}

/// `DELETE /api/users/{id}`: also deletes the user's tokens.
pub async fn delete_user(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    if id == ctx.user.id {
        return Err(ApiError::invalid("self deletion isn't allowed"));
    }
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let u = a.users.get(&id).ok_or_else(|| missing("user", &id))?;
        if u.role == "owner" {
            return Err(ApiError::forbidden("the account owner can't be deleted"));
        }
        let code = if u.is_service_user {
            "service.user.delete"
        } else {
            "user.delete"
        };
        let name = u.name.clone();
        a.users.shift_remove(&id);
        a.audit(&ctx.user, code, &id, &[("name", &name)]);
        w.retain_tokens(&ctx.account_id, |t| t.user_id != id);
        empty()
    })
    .await
}

/// `POST /api/users/{id}/invite`: resends an invitation (regular users only).
pub async fn resend_invite(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let u = a.users.get(&id).ok_or_else(|| missing("user", &id))?;
        if u.is_service_user {
            return Err(ApiError::invalid("can't invite a service user"));
        }
        let email = u.email.clone();
        a.audit(&ctx.user, "user.invite", &id, &[("email", &email)]);
        empty()
    })
    .await
}
