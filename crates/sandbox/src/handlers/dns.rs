//! `/api/dns/nameservers` and the `/api/dns/settings` singleton.
//!
//! Nameserver group names are unique per account (422) and 1..=40 characters; a group has
//! 1..=3 nameservers (valid IPs, ports 1..=65535) and at least one distribution group; it is
//! `primary` exactly when it has no match domains. The DNS settings answer a single object
//! (the spec wraps the GET schema in `items`; NetBird does not).

use super::prelude::*;
use crate::world::network::{DnsSettings, NameserverGroup, NameserverGroupSpec};

/// `GET /api/dns/nameservers`.
pub async fn list_nameservers(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        list(a.nameserver_groups.values(), render::nameserver_group)
    })
}

/// `GET /api/dns/nameservers/{id}`.
pub async fn get_nameserver(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        let g = a
            .nameserver_groups
            .get(&id)
            .ok_or_else(|| missing("nameserver group", &id))?;
        json(&render::nameserver_group(g))
    })
}

/// `POST /api/dns/nameservers`.
pub async fn create_nameserver(
    State(app): AppState,
    Extension(ctx): Caller,
    body: Bytes,
) -> ApiResult {
    let spec: NameserverGroupSpec = parse(&body)?;
    save(&app, &ctx, None, spec).await
}

/// `PUT /api/dns/nameservers/{id}`.
pub async fn update_nameserver(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let spec: NameserverGroupSpec = parse(&body)?;
    save(&app, &ctx, Some(id), spec).await
}

/// `DELETE /api/dns/nameservers/{id}`.
pub async fn delete_nameserver(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let g = a
            .nameserver_groups
            .shift_remove(&id)
            .ok_or_else(|| missing("nameserver group", &id))?;
        a.audit(
            &ctx.user,
            "nameserver.group.delete",
            &id,
            &[("name", &g.spec.name)],
        );
        empty()
    })
    .await
}

async fn save(app: &App, ctx: &Ctx, id: Option<String>, spec: NameserverGroupSpec) -> ApiResult {
    check(&spec)?;
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        if let Some(id) = &id
            && !a.nameserver_groups.contains_key(id)
        {
            return Err(missing("nameserver group", id));
        }
        let taken = a
            .nameserver_groups
            .values()
            .any(|g| g.spec.name == spec.name && Some(&g.id) != id.as_ref());
        if taken {
            return Err(ApiError::invalid(format!(
                "nameserver group with name {} already exists",
                spec.name
            )));
        }
        a.check_groups(&spec.groups)?;
        let code = if id.is_some() {
            "nameserver.group.update"
        } else {
            "nameserver.group.add"
        };
        let g = NameserverGroup {
            id: id.unwrap_or_else(|| ids.id()),
            spec,
        };
        a.audit(&ctx.user, code, &g.id, &[("name", &g.spec.name)]);
        let view = json(&render::nameserver_group(&g))?;
        a.nameserver_groups.insert(g.id.clone(), g);
        Ok(view)
    })
    .await
}

fn check(spec: &NameserverGroupSpec) -> Result<(), ApiError> {
    validate::length("name", &spec.name, 1, 40)?;
    if !(1..=3).contains(&spec.nameservers.len()) {
        return Err(ApiError::invalid(
            "invalid field nameservers: between 1 and 3 nameservers",
        ));
    }
    for ns in &spec.nameservers {
        if ns.ip.parse::<std::net::IpAddr>().is_err() {
            return Err(ApiError::invalid(format!(
                "invalid field nameservers.ip: {}",
                ns.ip
            )));
        }
        validate::in_range("nameservers.port", ns.port, 1, 65_535)?;
    }
    if spec.groups.is_empty() {
        return Err(ApiError::invalid(
            "nameserver group should contain at least one distribution group",
        ));
    }
    match (spec.primary, spec.domains.is_empty()) {
        (true, false) => Err(ApiError::invalid(
            "a primary nameserver group cannot have match domains",
        )),
        (false, true) => Err(ApiError::invalid(
            "a nameserver group needs match domains unless it is primary",
        )),
        _ => match spec.domains.iter().find(|d| !validate::is_domain(d)) {
            Some(bad) => Err(ApiError::invalid(format!(
                "invalid field domains: invalid domain {bad}"
            ))),
            None => Ok(()),
        },
    }
}

/// `GET /api/dns/settings`.
pub async fn get_settings(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| json(&w.account(&ctx.account_id)?.dns_settings))
}

/// `PUT /api/dns/settings`: one audit event per group added to or removed from the list.
pub async fn update_settings(
    State(app): AppState,
    Extension(ctx): Caller,
    body: Bytes,
) -> ApiResult {
    let req: DnsSettings = parse(&body)?;
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        a.check_groups(&req.disabled_management_groups)?;
        let old = std::mem::replace(&mut a.dns_settings, req.clone());
        let new = &req.disabled_management_groups;
        for g in new
            .iter()
            .filter(|g| !old.disabled_management_groups.contains(g))
        {
            a.audit(
                &ctx.user,
                "dns.setting.disabled.management.group.add",
                g,
                &[],
            );
        }
        for g in old
            .disabled_management_groups
            .iter()
            .filter(|g| !new.contains(g))
        {
            a.audit(
                &ctx.user,
                "dns.setting.disabled.management.group.delete",
                g,
                &[],
            );
        }
        json(&a.dns_settings)
    })
    .await
}
