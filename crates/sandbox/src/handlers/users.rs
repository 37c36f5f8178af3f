//! `/api/users`: `POST` invites a regular user (status `invited`, email required and unique
//! per account: 409) or creates a service user; the answer to inviting carries a `password`,
//! the only time it is shown. `GET /api/users/current` answers the caller. Roles must be
//! NetBird's (422 `unknown user role`); auto groups must exist (404). Nobody deletes or
//! blocks themselves (422). A `PUT` checks in NetBird's order: the user (404), the body's
//! types (400), `auto_groups` present (400 `auto_groups field can't be absent`), the role
//! (422 `invalid user role`), self blocking, the groups; absent `role` and `is_blocked` are
//! Go's zero values, as NetBird's decoder reads them.

use super::prelude::*;
use crate::world::item::Item;
use crate::world::people::{User, UserExtra, UserSpec};
use crate::world::time::Ts;

/// `UserRequest`, read as NetBird's Go decoder reads it: an absent (or `null`) field is its
/// zero value (`role` empty, `is_blocked` false, `auto_groups` absent), a wrong type is 400
/// `couldn't parse JSON request`. The fields are checked in [`UserRequest::read`], in the
/// handler's order.
#[derive(Debug, Deserialize)]
pub struct UserRequest {
    #[serde(default)]
    role: Option<serde_json::Value>,
    #[serde(default)]
    auto_groups: Option<serde_json::Value>,
    #[serde(default)]
    is_blocked: Option<serde_json::Value>,
}

/// A user update that passed the handler's own checks.
struct UserUpdate {
    role: String,
    auto_groups: Vec<String>,
    is_blocked: bool,
}

impl UserRequest {
    /// `updateUser` in NetBird's `users_handler.go`, after the user is found: the body's types
    /// (400), `auto_groups` present (400 `auto_groups field can't be absent`), the role known
    /// (422 `invalid user role`; case does not matter, the role is kept in lower case).
    fn read(&self) -> Result<UserUpdate, ApiError> {
        use serde_json::Value;
        let role = match &self.role {
            None => String::new(),
            Some(Value::String(r)) => r.to_lowercase(),
            Some(_) => return Err(ApiError::unparsable()),
        };
        let is_blocked = match &self.is_blocked {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ApiError::unparsable()),
        };
        let auto_groups = match &self.auto_groups {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(ApiError::unparsable)?,
            ),
            Some(_) => return Err(ApiError::unparsable()),
        };
        let Some(auto_groups) = auto_groups else {
            return Err(ApiError::bad_request("auto_groups field can't be absent"));
        };
        if validate::role(&role).is_err() {
            return Err(ApiError::invalid("invalid user role"));
        }
        Ok(UserUpdate {
            role,
            auto_groups,
            is_blocked,
        })
    }
}

/// `/api/users[?service_user=true|false]`: no `GET` of one user.
pub struct Users;

impl Collection for Users {
    type Item = User;
    type Create = UserSpec;
    type Update = UserRequest;
    type View<'a> = render::UserView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/users",
        what: "user",
        codes: ["user.invite", "", "user.delete"],
        name: |u| u.spec.name(),
        view: |_, ctx, u| render::user(u, ctx.map(|c| c.user.id.as_str())),
    };
    const VERBS: &[Verb] = &[Verb::List, Verb::Create, Verb::Update, Verb::Delete];
    const ACTIONS: &[(&str, super::collection::Action)] = &[("invite", resend_invite)];

    fn select<'a>(w: &'a World, ctx: &Ctx) -> Result<Vec<&'a User>, ApiError> {
        let filter = match ctx.param("service_user") {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        };
        let users = w.account(&ctx.account_id)?.users.values();
        Ok(users
            .filter(|u| filter.is_none_or(|s| u.spec.is_service_user == s))
            .collect())
    }
    fn view_once<'a>(_: &Account, ctx: &Ctx, u: &'a User, password: &'a str) -> Self::View<'a> {
        let mut view = render::user(u, Some(&ctx.user.id));
        view.password = Some(password);
        view
    }
    /// A service user's create and delete have codes of their own.
    fn code(u: &User, verb: Verb) -> &'static str {
        match (verb, u.spec.is_service_user) {
            (Verb::Create, true) => "service.user.create",
            (Verb::Delete, true) => "service.user.delete",
            (verb, _) => Self::SPEC.codes[verb as usize],
        }
    }
    /// As `user.go` logs them: an invitation has no meta (the log adds the target user's
    /// `email` and `username` when read), a service user's create and delete its `name`, a
    /// deleted user's event `issued` (with `email` and `username`, which NetBird keeps in its
    /// deleted-users table and joins back when read; `created_at` is not kept here).
    fn meta(u: &User, verb: Verb) -> Vec<(&'static str, String)> {
        match (verb, u.spec.is_service_user) {
            (_, true) => vec![("name", u.spec.name().to_owned())],
            (Verb::Delete, false) => vec![
                ("email", u.spec.email().to_owned()),
                ("issued", u.extra.issued.clone()),
                ("username", u.spec.name().to_owned()),
            ],
            _ => vec![],
        }
    }
    /// Nobody deletes or blocks themselves; roles and auto groups first.
    fn check_delete(_: &World, at: &At) -> Result<(), ApiError> {
        ensure(!me(at), "self deletion isn't allowed")
    }
    fn check_create(_: &World, _: &At, req: &UserSpec) -> Result<(), ApiError> {
        validate::role(&req.role)?;
        let email = req.email.as_deref().unwrap_or_default();
        let given = req.is_service_user || !email.trim().is_empty();
        ensure(given, "missing field: email")
    }
    /// NetBird's order: the user (404), the body ([`UserRequest::read`]), then `SaveUser`'s
    /// checks: self blocking, the groups.
    fn check_update(w: &World, at: &At, req: &UserRequest) -> Result<(), ApiError> {
        stored::<Self>(w, at)?;
        let req = req.read()?;
        ensure(!(req.is_blocked && me(at)), "self blocking isn't allowed")?;
        w.account(&at.ctx.account_id)?
            .check_groups(&req.auto_groups)
    }
    fn create(w: &mut World, at: &mut At, spec: UserSpec) -> Built<Self> {
        invite(w, at, spec)
    }
    /// Sets the role, the auto groups and blocking; audits each kind of change.
    fn update(w: &mut World, at: &mut At, req: UserRequest) -> Built<Self> {
        let mut u = stored::<Self>(w, at)?;
        let id = u.id.clone();
        let req = req.read()?;
        let groups = req.auto_groups;
        let a = w.account(&at.ctx.account_id)?;
        // NetBird's order (`prepareUserUpdateEvents` in `user.go`): block or unblock, role
        // (with the new role), then one event per added group and per removed group.
        let service = u.spec.is_service_user.to_string();
        let user_name = match u.spec.is_service_user {
            true => u.spec.name().to_owned(),
            false => String::new(),
        };
        let group_event = |code: &str, g: &String| -> Audit {
            let name = a.groups.get(g).map(|g| g.spec.name.clone());
            let meta = vec![
                ("group", name.unwrap_or_default()),
                ("group_id", g.clone()),
                ("is_service_user", service.clone()),
                ("user_name", user_name.clone()),
            ];
            (code.to_owned(), id.clone(), meta)
        };
        let mut events: Vec<Audit> = Vec::new();
        if u.extra.is_blocked != req.is_blocked {
            let code = if req.is_blocked {
                "user.block"
            } else {
                "user.unblock"
            };
            events.push((code.to_owned(), id.clone(), vec![]));
        }
        if u.spec.role != req.role {
            let meta = vec![("role", req.role.clone())];
            events.push(("user.role.update".to_owned(), id.clone(), meta));
        }
        let added = groups.iter().filter(|g| !u.spec.auto_groups.contains(g));
        events.extend(added.map(|g| group_event("user.group.add", g)));
        let removed = u.spec.auto_groups.iter().filter(|g| !groups.contains(g));
        events.extend(removed.map(|g| group_event("user.group.delete", g)));
        at.events = events;
        u.extra.status = match (req.is_blocked, u.extra.status.as_str()) {
            (true, _) => "blocked",
            (false, "blocked") => "active",
            (false, other) => other,
        }
        .to_owned();
        u.spec.role = req.role;
        u.spec.auto_groups = groups;
        u.extra.is_blocked = req.is_blocked;
        Ok(u)
    }
    fn deletable(_: &World, _: &Account, u: &User) -> Result<(), ApiError> {
        match u.spec.role == "owner" {
            true => Err(ApiError::forbidden("the account owner can't be deleted")),
            false => Ok(()),
        }
    }
    /// Also deletes the user's tokens.
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        w.account_mut(account)?.0.users.shift_remove(id);
        w.retain_tokens(account, |t| t.extra.user_id != id);
        Ok(())
    }
}

/// Whether the request is about the caller.
fn me(at: &At) -> bool {
    at.current() == Some(at.ctx.user.id.as_str())
}

/// Invites a regular user (the answer shows the password once) or creates a service user.
fn invite(w: &mut World, at: &mut At, mut spec: UserSpec) -> Built<Users> {
    let (a, ids) = at.account(w)?;
    a.check_groups(&spec.auto_groups)?;
    let email = spec.email.take().unwrap_or_default();
    let taken = !email.is_empty()
        && a.users
            .values()
            .any(|u| u.spec.email().eq_ignore_ascii_case(&email));
    if taken {
        return Err(ApiError::conflict(format!(
            "user with email {email} already exists"
        )));
    }
    let service = spec.is_service_user;
    spec.name = Some(spec.name.take().unwrap_or_else(|| email.clone()));
    spec.email = Some(email);
    let extra = UserExtra {
        status: if service { "active" } else { "invited" }.to_owned(),
        is_blocked: false,
        pending_approval: false,
        issued: "api".to_owned(),
        last_login: Ts::zero(),
    };
    let user = Item {
        id: at.id(ids),
        spec,
        extra,
    };
    at.once = (!service).then(|| ids.alnum(20));
    Ok(user)
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

/// `POST /api/users/{id}/invite`: resends an invitation (regular users only).
fn resend_invite(w: &mut World, ctx: &Ctx, id: &str, _: &[u8]) -> ApiResult {
    let (a, ids) = w.account_mut(&ctx.account_id)?;
    let u = a.users.get(id).ok_or_else(|| missing("user", id))?;
    ensure(!u.spec.is_service_user, "can't invite a service user")?;
    a.audit(ids, &ctx.user, "user.invite", id, &[]);
    empty()
}
