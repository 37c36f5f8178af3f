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
        path: "/api/dns/nameservers",
        what: "nameserver group",
        codes: [
            "nameserver.group.add",
            "nameserver.group.update",
            "nameserver.group.delete",
        ],
        name: |g| &g.spec.name,
        view: |_, _, g| render::with_id(g),
    };

    /// An update rebuilds the object from its body, as a create does.
    fn update(w: &mut World, at: &mut At, spec: Self::Update) -> Built<Self> {
        Self::create(w, at, spec)
    }
    fn create(w: &mut World, at: &mut At, spec: Self::Create) -> Built<Self> {
        check(&spec)?;
        unique::<Self>(w, at, &spec.name, "nameserver group")?;
        let (a, ids) = at.account(w)?;
        a.check_groups(&spec.groups)?;
        let id = at.id(ids);
        Ok(NameserverGroup {
            id,
            spec,
            extra: Default::default(),
        })
    }
}

fn check(spec: &NameserverGroupSpec) -> Result<(), ApiError> {
    validate::length("name", &spec.name, 1, 40)?;
    let message = "invalid field nameservers: between 1 and 3 nameservers";
    ensure((1..=3).contains(&spec.nameservers.len()), message)?;
    for ns in &spec.nameservers {
        let ip = ns.ip.parse::<std::net::IpAddr>();
        ensure(
            ip.is_ok(),
            format!("invalid field nameservers.ip: {}", ns.ip),
        )?;
        validate::in_range("nameservers.port", ns.port, 1, 65_535)?;
    }
    let message = "nameserver group should contain at least one distribution group";
    ensure(!spec.groups.is_empty(), message)?;
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

/// `/api/dns/settings`: `PUT` audits each group added to or removed from the list.
pub struct Dns;

impl Settings for Dns {
    type Body = DnsSettings;
    type View<'a> = &'a DnsSettings;
    const PATHS: [&'static str; 2] = ["/api/dns/settings"; 2];

    fn view(a: &Account) -> &DnsSettings {
        &a.dns_settings
    }
    fn apply(a: &mut Account, _: &Ctx, _: Option<&str>, req: DnsSettings) -> Events {
        a.check_groups(&req.disabled_management_groups)?;
        let old = std::mem::replace(&mut a.dns_settings, req);
        let new = &a.dns_settings.disabled_management_groups;
        let old = &old.disabled_management_groups;
        // Target the account, meta the group (`dns.go`): added ones, then removed ones.
        let added = new.iter().filter(|g| !old.contains(g)).map(|g| ("add", g));
        let gone = old
            .iter()
            .filter(|g| !new.contains(g))
            .map(|g| ("delete", g));
        let event = |(verb, g): (&str, &String)| -> Audit {
            let name = a.groups.get(g).map(|g| g.spec.name.clone());
            let meta = vec![("group", name.unwrap_or_default()), ("group_id", g.clone())];
            let code = format!("dns.setting.disabled.management.group.{verb}");
            (code, a.id.clone(), meta)
        };
        Ok(added.chain(gone).map(event).collect())
    }
}
