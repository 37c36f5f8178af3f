//! `/api/dns/nameservers` and the `/api/dns/settings` singleton.
//!
//! Nameserver group names are unique per account (422) and 1..=40 characters; a group has
//! 1..=3 nameservers (valid IPs, ports 1..=65535) and at least one distribution group; it is
//! `primary` exactly when it has no match domains. The DNS settings answer a single object
//! (the spec wraps the GET schema in `items`; NetBird does not).

use super::prelude::*;
use crate::world::network::{DnsSettings, NameserverGroup, NameserverGroupSpec};

/// `/api/dns/nameservers`.
pub struct Nameservers;

impl Collection for Nameservers {
    type Item = NameserverGroup;
    type Create = NameserverGroupSpec;
    type Update = NameserverGroupSpec;
    type View<'a> = render::WithId<'a, NameserverGroupSpec>;
    const SPEC: Spec<Self> = Spec {
        paths: ["/api/dns/nameservers", "/api/dns/nameservers/{id}"],
        what: "nameserver group",
        codes: [
            "nameserver.group.add",
            "nameserver.group.update",
            "nameserver.group.delete",
        ],
        table: |a| &a.nameserver_groups,
        table_mut: |a| &mut a.nameserver_groups,
        name: |g| &g.spec.name,
        view: |_, g| render::nameserver_group(g),
    };

    fn build(a: &mut Account, ids: &mut IdGen, at: &mut At, req: Request<Self>) -> Built<Self> {
        let spec = req.body();
        check(&spec)?;
        unique::<Self>(a, at, &spec.name, "nameserver group")?;
        a.check_groups(&spec.groups)?;
        let id = at.id(ids);
        Ok(NameserverGroup { id, spec })
    }
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
        let old = std::mem::replace(&mut a.dns_settings, req);
        let new = &a.dns_settings.disabled_management_groups;
        let old = &old.disabled_management_groups;
        let added = new.iter().filter(|g| !old.contains(g)).map(|g| ("add", g));
        let gone = old.iter().filter(|g| !new.contains(g));
        let changes: Vec<(&str, String)> = added
            .chain(gone.map(|g| ("delete", g)))
            .map(|(verb, g)| (verb, g.clone()))
            .collect();
        for (verb, g) in changes {
            let code = format!("dns.setting.disabled.management.group.{verb}");
            a.audit(&ctx.user, &code, &g, &[]);
        }
        json(&a.dns_settings)
    })
    .await
}
