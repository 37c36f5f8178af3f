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
    expires_in: Option<i64>,
    auto_groups: Option<Vec<String>>,
    usage_limit: Option<i64>,
    ephemeral: Option<bool>,
    allow_extra_dns_labels: Option<bool>,
}

/// `SetupKeyRequest`.
#[derive(Debug, Deserialize)]
pub struct SetupKeyRequest {
    revoked: bool,
    auto_groups: Vec<String>,
}

/// `/api/setup-keys`: create answers `SetupKeyClear`, the only time the key is shown.
pub struct SetupKeys;

impl Collection for SetupKeys {
    type Item = SetupKey;
    type Create = CreateSetupKeyRequest;
    type Update = SetupKeyRequest;
    type View<'a> = render::SetupKeyView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/setup-keys",
        what: "setup key",
        codes: ["setupkey.add", "setupkey.update", "setupkey.delete"],
        name: |k| &k.name,
        view: |_, _, k| render::setup_key(k),
    };

    fn view_once<'a>(_: &'a Account, _: &Ctx, k: &'a SetupKey, plain: &'a str) -> Self::View<'a> {
        let mut view = render::setup_key(k);
        view.key = plain;
        view
    }
    fn meta(k: &SetupKey, _: Verb) -> Vec<(&'static str, String)> {
        let kind = match k.kind {
            SetupKeyType::OneOff => "one-off",
            SetupKeyType::Reusable => "reusable",
        };
        vec![("name", k.name.clone()), ("type", kind.to_owned())]
    }
    fn build(w: &mut World, at: &mut At, req: Request<Self>) -> Built<Self> {
        let req = match req {
            Req::New(req) => return create(w, at, req),
            Req::Change(req) => req,
        };
        let mut k = stored::<Self>(w, at)?;
        let a = w.account(&at.ctx.account_id)?;
        ensure(
            !k.revoked || req.revoked,
            "can't un-revoke a revoked setup key",
        )?;
        check_auto_groups(a, &req.auto_groups)?;
        if req.revoked && !k.revoked {
            at.code = Some("setupkey.revoke");
        }
        k.revoked = req.revoked;
        k.auto_groups = req.auto_groups;
        k.updated_at = Ts::now();
        Ok(k)
    }
}

fn create(w: &mut World, at: &mut At, req: CreateSetupKeyRequest) -> Built<SetupKeys> {
    let (a, ids) = at.account(w)?;
    validate::non_empty("name", &req.name)?;
    let expires_in = req.expires_in.unwrap_or(0);
    if expires_in != 0 {
        validate::in_range("expires_in", expires_in, 86_400, 31_536_000)?;
    }
    let usage_limit = req.usage_limit.unwrap_or(0);
    validate::in_range("usage_limit", usage_limit, 0, i64::MAX)?;
    let one_off = req.kind == SetupKeyType::OneOff;
    let message = "invalid field usage_limit: a one-off key can be used only once";
    ensure(!one_off || usage_limit <= 1, message)?;
    let auto_groups = req.auto_groups.unwrap_or_default();
    check_auto_groups(a, &auto_groups)?;
    let plain = ids.setup_key();
    let now = Ts::now();
    let key = SetupKey {
        id: at.id(ids),
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
        usage_limit: if one_off {
            1
        } else {
            usage_limit.unsigned_abs()
        },
        ephemeral: req.ephemeral.unwrap_or(false),
        allow_extra_dns_labels: req.allow_extra_dns_labels.unwrap_or(false),
    };
    at.once = Some(plain);
    Ok(key)
}

fn check_auto_groups(a: &Account, groups: &[String]) -> Result<(), ApiError> {
    a.check_groups(groups)?;
    let all = groups.iter().any(|g| a.all_group_id() == Some(g));
    ensure(!all, "can't add 'All' group to the setup key")
}
