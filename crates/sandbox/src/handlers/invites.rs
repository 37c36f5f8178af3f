//! `/api/users/invites`: invite links for users of an account on NetBird's embedded IdP,
//! checked as NetBird's server checks them. The link's token is in the create's (and a
//! regeneration's) answer only.
//!
//! What NetBird's server does (netbirdio/netbird, `management/server/user.go`
//! `CreateUserInvite`, `ListUserInvites`, `RegenerateUserInvite`, `DeleteUserInvite`;
//! handler `management/server/http/handlers/users/invites_handler.go`; token
//! `management/server/types/user_invite.go`):
//!
//! - A body that is not JSON: 400 `couldn't parse JSON request`. `POST` takes
//!   `UserInviteCreateRequest` (`email`, `name`, `role`, `auto_groups`, `expires_in`) and
//!   answers 200 `UserInvite` (`id`, `email`, `name`, `role`, `auto_groups` (`[]` when
//!   absent), `expires_at`, `created_at`, `expired`, and `invite_token`, the plain token,
//!   only here). `GET` lists the account's pending invites, without tokens. There is no
//!   `PUT`: an invite is not changed, only regenerated or deleted. `DELETE` answers `{}`.
//! - Create, in order: local users disabled (the account's `local_auth_disabled`, read-only
//!   in the API: the sandbox's accounts have it off unless its data file says otherwise): 412
//!   `local user creation is disabled - use an external identity provider`; then
//!   `validateUserInvite`, 422 each: `name can't be empty`, `email can't be empty`, `can't
//!   invite a user with owner role` (any other role text is taken as it is, and the groups are
//!   not checked); a user of the account with that email (any case): 409 `user with this
//!   email already exists`; an invite for it (any case): 409 `invite already exists for this
//!   email`; `expires_in` absent or not positive is 72 hours (259200 s), under an hour 422
//!   `invite expiration must be at least 1 hour`.
//! - `POST /api/users/invites/{id}/regenerate` (body `{expires_in}`, optional; same default
//!   and minimum) replaces the token and the expiry and answers `UserInviteRegenerateResponse`
//!   (`invite_token`, `invite_expires_at`).
//! - An unknown id (delete, regenerate): 404 `user invite not found`.
//! - Audit (`management/server/activity/codes.go`, 104, 106, 107):
//!   `user.invite.link.create`, `user.invite.link.regenerate`, `user.invite.link.delete`
//!   ("User invite link created", "regenerated", "deleted"), target the invite, meta `email`.
//!
//! NetBird answers 412 `invite links are only available with embedded identity provider` to
//! every call when its IdP is not the embedded one; the sandbox always has the embedded IdP.
//! A token is `nbi_` and 36 characters (NetBird: 30 random base62 characters and a 6-character
//! checksum); the sandbox keeps its SHA-256 (`token_sha256` in the world document), never the
//! token, and does not serve the unauthenticated pages of an invite
//! (`GET /api/users/invites/{token}`, `POST .../{token}/accept`).

use serde::Serialize;

use super::collection::Action;
use super::prelude::*;
use crate::world::ids::hash_token;
use crate::world::item::{Item, nullable};
use crate::world::time::Ts;

/// NetBird's default lifetime of an invite link: 72 hours.
const DEFAULT_EXPIRY: i64 = 259_200;
/// The shortest lifetime NetBird takes: an hour.
const MIN_EXPIRY: i64 = 3_600;

/// `UserInviteCreateRequest`, as Go decodes it (absent strings are empty).
#[derive(Debug, Clone, Deserialize)]
pub struct InviteRequest {
    /// The user's email.
    #[serde(default)]
    pub email: String,
    /// The user's name.
    #[serde(default)]
    pub name: String,
    /// The role the user gets.
    #[serde(default)]
    pub role: String,
    /// Groups given to the user's peers.
    #[serde(default, deserialize_with = "nullable")]
    pub auto_groups: Vec<String>,
    /// Seconds until the link expires.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// The stored form: the user the invite makes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InviteSpec {
    /// The user's email.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// The role the user gets.
    pub role: String,
    /// Groups given to the user's peers.
    pub auto_groups: Vec<String>,
}

/// What the server adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InviteExtra {
    /// When the link expires.
    pub expires_at: Ts,
    /// When the invite was made.
    pub created_at: Ts,
    /// Hex SHA-256 of the current token.
    pub token_sha256: String,
}

/// A stored invite.
pub type Invite = Item<InviteSpec, InviteExtra>;

/// `UserInvite`.
#[derive(Debug, Serialize)]
pub struct InviteView<'a> {
    id: &'a str,
    #[serde(flatten)]
    spec: &'a InviteSpec,
    expires_at: Ts,
    created_at: Ts,
    expired: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    invite_token: Option<&'a str>,
    /// Only in the world document.
    #[serde(skip_serializing_if = "Option::is_none")]
    token_sha256: Option<&'a str>,
}

fn view(i: &Invite) -> InviteView<'_> {
    InviteView {
        id: &i.id,
        spec: &i.spec,
        expires_at: i.extra.expires_at,
        created_at: i.extra.created_at,
        expired: Ts::now() > i.extra.expires_at,
        invite_token: None,
        token_sha256: None,
    }
}

/// `/api/users/invites`.
pub struct Invites;

impl Collection for Invites {
    type Item = Invite;
    type Create = InviteRequest;
    type Update = serde::de::IgnoredAny;
    type View<'a> = InviteView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/users/invites",
        what: "user invite",
        codes: ["user.invite.link.create", "", "user.invite.link.delete"],
        name: |i| &i.spec.email,
        view: |_, ctx, i| InviteView {
            token_sha256: ctx.is_none().then_some(i.extra.token_sha256.as_str()),
            ..view(i)
        },
    };
    const VERBS: &[Verb] = &[Verb::List, Verb::Create, Verb::Delete];
    const ACTIONS: &[(&str, Action)] = &[("regenerate", regenerate)];
    const TEXTS: &[(&str, &str)] = &[
        ("user.invite.link.create", "User invite link created"),
        (
            "user.invite.link.regenerate",
            "User invite link regenerated",
        ),
        ("user.invite.link.delete", "User invite link deleted"),
    ];

    fn view_once<'a>(_: &Account, _: &Ctx, i: &'a Invite, token: &'a str) -> InviteView<'a> {
        InviteView {
            invite_token: Some(token),
            ..view(i)
        }
    }
    /// NetBird's 404 names no id.
    fn check_delete(w: &World, at: &At) -> Result<(), ApiError> {
        let id = at.current().unwrap_or_default();
        match w.account(&at.ctx.account_id)?.user_invites.contains_key(id) {
            true => Ok(()),
            false => Err(ApiError::not_found("user invite not found")),
        }
    }
    fn meta(i: &Invite, _: Verb) -> Vec<(&'static str, String)> {
        vec![("email", i.spec.email.clone())]
    }
    fn create(w: &mut World, at: &mut At, req: InviteRequest) -> Built<Self> {
        let (a, ids) = at.account(w)?;
        let local_off = a.settings.local_auth_disabled.unwrap_or(false);
        if local_off {
            return Err(ApiError::new(
                axum::http::StatusCode::PRECONDITION_FAILED,
                "local user creation is disabled - use an external identity provider",
            ));
        }
        ensure(!req.name.is_empty(), "name can't be empty")?;
        ensure(!req.email.is_empty(), "email can't be empty")?;
        ensure(
            !req.role.eq_ignore_ascii_case("owner"),
            "can't invite a user with owner role",
        )?;
        let same = |email: &str| email.to_lowercase() == req.email.to_lowercase();
        if a.users.values().any(|u| same(u.spec.email())) {
            return Err(ApiError::conflict("user with this email already exists"));
        }
        if a.user_invites.values().any(|i| same(&i.spec.email)) {
            return Err(ApiError::conflict("invite already exists for this email"));
        }
        let expires_in = lifetime(req.expires_in)?;
        let token = new_token(ids);
        let now = Ts::now();
        let extra = InviteExtra {
            expires_at: now.plus_secs(expires_in),
            created_at: now,
            token_sha256: hash_token(&token),
        };
        let spec = InviteSpec {
            email: req.email,
            name: req.name,
            role: req.role,
            auto_groups: req.auto_groups,
        };
        at.once = Some(token);
        let id = at.id(ids);
        Ok(Invite { id, spec, extra })
    }
}

/// `expires_in` as NetBird reads it: absent or not positive is the default, under an hour 422.
fn lifetime(expires_in: Option<i64>) -> Result<i64, ApiError> {
    let secs = expires_in.filter(|s| *s > 0).unwrap_or(DEFAULT_EXPIRY);
    ensure(
        secs >= MIN_EXPIRY,
        "invite expiration must be at least 1 hour",
    )?;
    Ok(secs)
}

/// A new token: `nbi_` and 36 alphanumerics.
fn new_token(ids: &mut IdGen) -> String {
    format!("nbi_{}", ids.alnum(36))
}

/// `UserInviteRegenerateRequest`.
#[derive(Debug, Default, Deserialize)]
struct RegenerateRequest {
    #[serde(default)]
    expires_in: Option<i64>,
}

/// `POST /api/users/invites/{id}/regenerate`: a new token and expiry (an empty body is the
/// defaults).
fn regenerate(w: &mut World, ctx: &Ctx, id: &str, body: &[u8]) -> ApiResult {
    let req: RegenerateRequest = match body.iter().all(u8::is_ascii_whitespace) {
        true => RegenerateRequest::default(),
        false => parse(body)?,
    };
    let (a, ids) = w.account_mut(&ctx.account_id)?;
    if !a.user_invites.contains_key(id) {
        return Err(ApiError::not_found("user invite not found"));
    }
    let expires_in = lifetime(req.expires_in)?;
    let token = new_token(ids);
    let expires_at = Ts::now().plus_secs(expires_in);
    let email = match a.user_invites.get_mut(id) {
        Some(i) => {
            i.extra.expires_at = expires_at;
            i.extra.token_sha256 = hash_token(&token);
            i.spec.email.clone()
        }
        None => return Err(ApiError::not_found("user invite not found")),
    };
    let meta = [("email", email.as_str())];
    a.audit(ids, &ctx.user, "user.invite.link.regenerate", id, &meta);
    json(&serde_json::json!({
        "invite_token": token,
        "invite_expires_at": expires_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<i64, ApiError>) -> String {
        r.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn lifetime_defaults_to_72_hours_and_takes_no_less_than_an_hour() {
        assert_eq!(lifetime(None).ok(), Some(259_200));
        assert_eq!(lifetime(Some(0)).ok(), Some(259_200));
        assert_eq!(lifetime(Some(-5)).ok(), Some(259_200));
        assert_eq!(lifetime(Some(3_600)).ok(), Some(3_600));
        assert_eq!(
            message(lifetime(Some(3_599))),
            "invite expiration must be at least 1 hour"
        );
    }
}
