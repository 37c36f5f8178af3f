//! `/api/setup-keys`. The plain key appears only in the POST answer (`SetupKeyClear`);
//! every later read shows the masked key (`A6160****`), which is all the sandbox stores.
//!
//! Create tolerates a missing `auto_groups`, `usage_limit` or `expires_in` (as NetBird's
//! handler does); `expires_in` 0 means no expiry; an unknown group is 404, the `All` group
//! 422; a `one-off` key has a usage limit of 1. Only `revoked` and `auto_groups` change
//! afterwards, and a revoked key stays revoked (422).

use super::prelude::*;
use crate::world::ids::mask_setup_key;
use crate::world::resources::{SetupKey, SetupKeyExtra, SetupKeySpec, SetupKeyType};
use crate::world::time::Ts;

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
    type Create = SetupKeySpec;
    type Update = SetupKeyRequest;
    type View<'a> = render::SetupKeyView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/setup-keys",
        what: "setup key",
        codes: ["setupkey.add", "", "setupkey.delete"],
        name: |k| &k.spec.name,
        view: |_, _, k| render::setup_key(k),
    };

    fn view_once<'a>(_: &'a Account, _: &Ctx, k: &'a SetupKey, plain: &'a str) -> Self::View<'a> {
        let mut view = render::setup_key(k);
        view.key = plain;
        view
    }
    fn meta(k: &SetupKey, _: Verb) -> Vec<(&'static str, String)> {
        let kind = match k.spec.kind {
            SetupKeyType::OneOff => "one-off",
            SetupKeyType::Reusable => "reusable",
        };
        vec![
            ("name", k.spec.name.clone()),
            ("type", kind.to_owned()),
            ("key", k.extra.masked_key.clone()),
        ]
    }
    fn create(w: &mut World, at: &mut At, spec: SetupKeySpec) -> Built<Self> {
        new_key(w, at, spec)
    }
    /// Only `revoked` and `auto_groups` change. NetBird logs no `setupkey.update` here
    /// (`SaveSetupKey` in `setupkey.go`): a revocation logs `setupkey.revoke`, then each
    /// removed and each added auto group logs `setupkey.group.delete` / `.add`.
    fn update(w: &mut World, at: &mut At, req: SetupKeyRequest) -> Built<Self> {
        let mut k = stored::<Self>(w, at)?;
        let a = w.account(&at.ctx.account_id)?;
        ensure(
            !k.extra.revoked || req.revoked,
            "can't un-revoke a revoked setup key",
        )?;
        check_auto_groups(a, &req.auto_groups)?;
        at.code = Some(match req.revoked && !k.extra.revoked {
            true => "setupkey.revoke",
            false => "",
        });
        let event = |code: &str, g: &String| -> Audit {
            let name = a.groups.get(g).map(|g| g.spec.name.clone());
            let meta = vec![
                ("group", name.unwrap_or_default()),
                ("group_id", g.clone()),
                ("setupkey", k.spec.name.clone()),
            ];
            (code.to_owned(), k.id.clone(), meta)
        };
        let old = &k.spec.auto_groups;
        let removed = old.iter().filter(|g| !req.auto_groups.contains(g));
        let added = req.auto_groups.iter().filter(|g| !old.contains(g));
        at.events = removed
            .map(|g| event("setupkey.group.delete", g))
            .chain(added.map(|g| event("setupkey.group.add", g)))
            .collect();
        k.extra.revoked = req.revoked;
        k.spec.auto_groups = req.auto_groups;
        k.extra.updated_at = Ts::now();
        Ok(k)
    }
}

fn new_key(w: &mut World, at: &mut At, mut spec: SetupKeySpec) -> Built<SetupKeys> {
    let (a, ids) = at.account(w)?;
    validate::non_empty("name", &spec.name)?;
    if spec.expires_in != 0 {
        validate::in_range("expires_in", spec.expires_in, 86_400, 31_536_000)?;
    }
    validate::in_range("usage_limit", spec.usage_limit, 0, i64::MAX)?;
    let one_off = spec.kind == SetupKeyType::OneOff;
    let message = "invalid field usage_limit: a one-off key can be used only once";
    ensure(!one_off || spec.usage_limit <= 1, message)?;
    check_auto_groups(a, &spec.auto_groups)?;
    if one_off {
        spec.usage_limit = 1;
    }
    let plain = ids.setup_key();
    let now = Ts::now();
    let extra = SetupKeyExtra {
        masked_key: mask_setup_key(&plain),
        expires: match spec.expires_in {
            0 => Ts::zero(),
            secs => now.plus_secs(secs),
        },
        revoked: false,
        used_times: 0,
        last_used: Ts::zero(),
        updated_at: now,
    };
    at.once = Some(plain);
    let id = at.id(ids);
    Ok(SetupKey { id, spec, extra })
}

fn check_auto_groups(a: &Account, groups: &[String]) -> Result<(), ApiError> {
    a.check_groups(groups)?;
    let all = groups.iter().any(|g| a.all_group_id() == Some(g));
    ensure(!all, "can't add 'All' group to the setup key")
}
