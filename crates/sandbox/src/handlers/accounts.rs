//! `/api/accounts`: `GET` answers a one-element array with the account the request really
//! ran in (after the `?account=` switch), which is how a client checks it landed in the
//! right tenant; `PUT /api/accounts/{id}` replaces the settings (`AccountRequest`), only for
//! that same account (403 otherwise). Each changed setting NetBird audits gets an event.

use super::prelude::*;
use crate::world::settings::{AccountSettings, Onboarding};

/// `AccountRequest`.
#[derive(Debug, Deserialize)]
pub struct AccountRequest {
    settings: AccountSettings,
    #[serde(default)]
    onboarding: Option<Onboarding>,
}

/// `GET /api/accounts`.
pub async fn list_accounts(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| json(&[render::account(w.account(&ctx.account_id)?)]))
}

/// `PUT /api/accounts/{id}`.
pub async fn update_account(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: AccountRequest = parse(&body)?;
    check(&req.settings)?;
    if id != ctx.account_id {
        return Err(ApiError::forbidden(
            "user is not allowed to update this account",
        ));
    }
    app.write(|w| {
        let (a, _) = w.account_mut(&id)?;
        let groups = req
            .settings
            .peer_expose_groups
            .iter()
            .chain(req.settings.ipv6_enabled_groups.iter().flatten())
            .chain(
                req.settings
                    .extra
                    .iter()
                    .flat_map(|e| &e.network_traffic_logs_groups),
            );
        a.check_groups(groups)?;
        let new = a.settings.merged(req.settings);
        let codes = changes(&a.settings, &new);
        a.settings = new;
        if let Some(onboarding) = req.onboarding {
            a.onboarding = onboarding;
        }
        for code in codes {
            a.audit(&ctx.user, code, &id, &[]);
        }
        json(&render::account(a))
    })
    .await
}

fn check(s: &AccountSettings) -> Result<(), ApiError> {
    if s.peer_login_expiration_enabled {
        validate::in_range(
            "settings.peer_login_expiration",
            s.peer_login_expiration,
            3600,
            i64::MAX,
        )?;
    }
    validate::in_range(
        "settings.peer_inactivity_expiration",
        s.peer_inactivity_expiration,
        0,
        i64::MAX,
    )?;
    for range in [&s.network_range, &s.network_range_v6]
        .into_iter()
        .flatten()
    {
        validate::cidr("settings.network_range", range)?;
    }
    if let Some(domain) = s.dns_domain.as_deref().filter(|d| !d.is_empty())
        && !validate::is_domain(domain)
    {
        return Err(ApiError::invalid(format!(
            "invalid field settings.dns_domain: {domain}"
        )));
    }
    Ok(())
}

/// The audit codes of the changes from `old` to `new`.
fn changes(old: &AccountSettings, new: &AccountSettings) -> Vec<&'static str> {
    let toggle = |was: bool, is: bool, on: &'static str, off: &'static str| match (was, is) {
        (false, true) => Some(on),
        (true, false) => Some(off),
        _ => None,
    };
    let flag = |v: Option<bool>| v.unwrap_or(false);
    let approval = |s: &AccountSettings| s.extra.as_ref().is_some_and(|e| e.peer_approval_enabled);
    let mut codes: Vec<Option<&'static str>> = vec![
        toggle(
            old.peer_login_expiration_enabled,
            new.peer_login_expiration_enabled,
            "account.setting.peer.login.expiration.enable",
            "account.setting.peer.login.expiration.disable",
        ),
        (old.peer_login_expiration != new.peer_login_expiration)
            .then_some("account.setting.peer.login.expiration.update"),
        toggle(
            old.peer_inactivity_expiration_enabled,
            new.peer_inactivity_expiration_enabled,
            "account.peer.inactivity.expiration.enable",
            "account.peer.inactivity.expiration.disable",
        ),
        (old.peer_inactivity_expiration != new.peer_inactivity_expiration)
            .then_some("account.peer.inactivity.expiration.update"),
        toggle(
            flag(old.groups_propagation_enabled),
            flag(new.groups_propagation_enabled),
            "account.setting.group.propagation.enable",
            "account.setting.group.propagation.disable",
        ),
        toggle(
            flag(old.routing_peer_dns_resolution_enabled),
            flag(new.routing_peer_dns_resolution_enabled),
            "account.setting.routing.peer.dns.resolution.enable",
            "account.setting.routing.peer.dns.resolution.disable",
        ),
        toggle(
            flag(old.lazy_connection_enabled),
            flag(new.lazy_connection_enabled),
            "account.setting.lazy.connection.enable",
            "account.setting.lazy.connection.disable",
        ),
        toggle(
            approval(old),
            approval(new),
            "account.setting.peer.approval.enable",
            "account.setting.peer.approval.disable",
        ),
        (old.dns_domain != new.dns_domain).then_some("account.dns.domain.update"),
        (old.network_range != new.network_range).then_some("account.network.range.update"),
        (old.auto_update_version != new.auto_update_version)
            .then_some("account.settings.auto.version.update"),
    ];
    codes.retain(Option::is_some);
    codes.into_iter().flatten().collect()
}
