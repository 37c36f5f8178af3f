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
    onboarding: Option<Onboarding>,
}

/// `/api/accounts`: the account the request runs in.
pub struct Accounts;

impl Settings for Accounts {
    type Body = AccountRequest;
    type View<'a> = render::AccountView<'a>;
    const PATHS: [&'static str; 2] = ["/api/accounts", "/api/accounts/{id}"];
    const LISTED: bool = true;

    fn view(a: &Account) -> render::AccountView<'_> {
        render::account(a)
    }
    fn apply(a: &mut Account, ctx: &Ctx, id: Option<&str>, req: AccountRequest) -> Events {
        check(&req.settings)?;
        if id != Some(ctx.account_id.as_str()) {
            let message = "user is not allowed to update this account";
            return Err(ApiError::forbidden(message));
        }
        let s = &req.settings;
        let extra = s.extra.iter().flat_map(|e| &e.network_traffic_logs_groups);
        let ipv6 = s.ipv6_enabled_groups.iter().flatten();
        a.check_groups(s.peer_expose_groups.iter().chain(ipv6).chain(extra))?;
        let new = a.settings.merged(req.settings);
        let codes = changes(&a.settings, &new);
        a.settings = new;
        if let Some(onboarding) = req.onboarding {
            a.onboarding = onboarding;
        }
        Ok(codes.into_iter().map(|c| (c, a.id.clone())).collect())
    }
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
    let domain = s.dns_domain.as_deref().unwrap_or_default();
    let message = format!("invalid field settings.dns_domain: {domain}");
    ensure(domain.is_empty() || validate::is_domain(domain), message)
}

/// What reads one audited setting.
type Setting = fn(&AccountSettings) -> Value;

/// The audited settings, in NetBird's order: a flag's code gets `.enable` or `.disable`.
const AUDITED: [(&str, Setting); 11] = [
    ("account.setting.peer.login.expiration", |s| {
        s.peer_login_expiration_enabled.into()
    }),
    ("account.setting.peer.login.expiration.update", |s| {
        s.peer_login_expiration.into()
    }),
    ("account.peer.inactivity.expiration", |s| {
        s.peer_inactivity_expiration_enabled.into()
    }),
    ("account.peer.inactivity.expiration.update", |s| {
        s.peer_inactivity_expiration.into()
    }),
    ("account.setting.group.propagation", |s| {
        s.groups_propagation_enabled.unwrap_or(false).into()
    }),
    ("account.setting.routing.peer.dns.resolution", |s| {
        s.routing_peer_dns_resolution_enabled
            .unwrap_or(false)
            .into()
    }),
    ("account.setting.lazy.connection", |s| {
        s.lazy_connection_enabled.unwrap_or(false).into()
    }),
    ("account.setting.peer.approval", |s| {
        s.extra
            .as_ref()
            .is_some_and(|e| e.peer_approval_enabled)
            .into()
    }),
    ("account.dns.domain.update", |s| s.dns_domain.clone().into()),
    ("account.network.range.update", |s| {
        s.network_range.clone().into()
    }),
    ("account.settings.auto.version.update", |s| {
        s.auto_update_version.clone().into()
    }),
];

/// The audit codes of the changes from `old` to `new`.
fn changes(old: &AccountSettings, new: &AccountSettings) -> Vec<String> {
    let changed = AUDITED.iter().filter(|(_, get)| get(old) != get(new));
    let code = |(code, get): &(&str, Setting)| match get(new) {
        Value::Bool(true) => format!("{code}.enable"),
        Value::Bool(false) => format!("{code}.disable"),
        _ => (*code).to_owned(),
    };
    changed.map(code).collect()
}
