//! `/api/setup-keys`. The plain key appears only in the POST answer (`SetupKeyClear`);
//! every later read shows the masked key (`A6160****`), which is all the sandbox stores.
//!
//! Create tolerates a missing `auto_groups`, `usage_limit` or `expires_in` (as NetBird's
//! handler does); `expires_in` 0 means no expiry; an unknown group is 404, the `All` group
//! 422; a `one-off` key has a usage limit of 1. Only `revoked` and `auto_groups` change
//! afterwards, and a revoked key stays revoked (422).

use super::prelude::*;
use crate::world::ids::mask_setup_key;
use crate::world::resources::{SetupKey, SetupKeyType};
use crate::world::time::Ts;

/// `CreateSetupKeyRequest`.
#[derive(Debug, Deserialize)]
pub struct CreateSetupKeyRequest {
    name: String,
    #[serde(rename = "type")]
    kind: SetupKeyType,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    auto_groups: Option<Vec<String>>,
    #[serde(default)]
    usage_limit: Option<i64>,
    #[serde(default)]
    ephemeral: Option<bool>,
    #[serde(default)]
    allow_extra_dns_labels: Option<bool>,
}

/// `SetupKeyRequest`.
#[derive(Debug, Deserialize)]
pub struct SetupKeyRequest {
    revoked: bool,
    auto_groups: Vec<String>,
}

/// `GET /api/setup-keys`.
pub async fn list_keys(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        list(
            w.account(&ctx.account_id)?.setup_keys.values(),
            render::setup_key,
        )
    })
}

/// `GET /api/setup-keys/{id}`.
pub async fn get_key(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.read(|w| key(w.account(&ctx.account_id)?, &id).and_then(|v| json(&render::setup_key(v))))
}

/// `POST /api/setup-keys`: answers `SetupKeyClear`, the only time the key is shown.
pub async fn create_key(State(app): AppState, Extension(ctx): Caller, body: Bytes) -> ApiResult {
    let req: CreateSetupKeyRequest = parse(&body)?;
    validate::non_empty("name", &req.name)?;
    let expires_in = req.expires_in.unwrap_or(0);
    if expires_in != 0 {
        validate::in_range("expires_in", expires_in, 86_400, 31_536_000)?;
    }
    let usage_limit = req.usage_limit.unwrap_or(0);
    validate::in_range("usage_limit", usage_limit, 0, i64::MAX)?;
    if req.kind == SetupKeyType::OneOff && usage_limit > 1 {
        return Err(ApiError::invalid(
            "invalid field usage_limit: a one-off key can be used only once",
        ));
    }
    let auto_groups = req.auto_groups.unwrap_or_default();
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        check_auto_groups(a, &auto_groups)?;
        let plain = ids.setup_key();
        let now = Ts::now();
        let key = SetupKey {
            id: ids.id(),
            name: req.name,
            masked_key: mask_setup_key(&plain),
            kind: req.kind,
            expires: if expires_in == 0 {
                Ts::zero()
            } else {
                now.plus_secs(expires_in)
            },
            revoked: false,
            used_times: 0,
            last_used: Ts::zero(),
            auto_groups,
            updated_at: now,
            usage_limit: if req.kind == SetupKeyType::OneOff {
                1
            } else {
                usage_limit.unsigned_abs()
            },
            ephemeral: req.ephemeral.unwrap_or(false),
            allow_extra_dns_labels: req.allow_extra_dns_labels.unwrap_or(false),
        };
        let kind = if req.kind == SetupKeyType::OneOff {
            "one-off"
        } else {
            "reusable"
        };
        a.audit(
            &ctx.user,
            "setupkey.add",
            &key.id,
            &[("name", &key.name), ("type", kind)],
        );
        let mut view = render::setup_key(&key);
        view.key = &plain;
        let body = json(&view)?;
        a.setup_keys.insert(key.id.clone(), key);
        Ok(body)
    })
    .await
}

/// `PUT /api/setup-keys/{id}`.
pub async fn update_key(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: SetupKeyRequest = parse(&body)?;
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let was_revoked = key(a, &id)?.revoked;
        if was_revoked && !req.revoked {
            return Err(ApiError::invalid("can't un-revoke a revoked setup key"));
        }
        check_auto_groups(a, &req.auto_groups)?;
        let code = if req.revoked && !was_revoked {
            "setupkey.revoke"
        } else {
            "setupkey.update"
        };
        let k = a
            .setup_keys
            .get_mut(&id)
            .ok_or_else(|| missing("setup key", &id))?;
        k.revoked = req.revoked;
        k.auto_groups = req.auto_groups;
        k.updated_at = Ts::now();
        let (view, name) = (json(&render::setup_key(k))?, k.name.clone());
        a.audit(&ctx.user, code, &id, &[("name", &name)]);
        Ok(view)
    })
    .await
}

/// `DELETE /api/setup-keys/{id}`.
pub async fn delete_key(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let k = a
            .setup_keys
            .shift_remove(&id)
            .ok_or_else(|| missing("setup key", &id))?;
        a.audit(&ctx.user, "setupkey.delete", &id, &[("name", &k.name)]);
        empty()
    })
    .await
}

fn key<'a>(a: &'a Account, id: &str) -> Result<&'a SetupKey, ApiError> {
    a.setup_keys.get(id).ok_or_else(|| missing("setup key", id))
}

fn check_auto_groups(a: &Account, groups: &[String]) -> Result<(), ApiError> {
    a.check_groups(groups)?;
    if groups.iter().any(|g| a.all_group_id() == Some(g)) {
        return Err(ApiError::invalid("can't add 'All' group to the setup key"));
    }
    Ok(())
}
