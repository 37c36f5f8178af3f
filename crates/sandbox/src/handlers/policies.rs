//! `/api/policies`. Requests name groups by id (`sources`, `destinations`); responses answer
//! them as `GroupMinimum` objects. Names are not unique.
//!
//! Checks (422 unless noted): a name, at least one rule, sources or a source resource,
//! exactly one (likewise destinations; neither is 422 as in NetBird), no ports with protocol `all` or `icmp`, ports and
//! ranges within 1..=65535 and not both, `authorized_groups` for every source group with
//! protocol `netbird-ssh`, known posture checks; unknown groups, resources and peers are 404.
//! Unknown groups and posture checks are a deliberate strictness: NetBird drops them
//! silently (docs/sandbox.md).
//!
//! Like NetBird (netbird#3583), a policy keeps only its first rule.

use super::prelude::*;
use crate::world::item::Item;
use crate::world::resources::{Policy, PolicySpec, Protocol, RuleSpec};

/// `/api/policies`.
pub struct Policies;

impl Collection for Policies {
    type Item = Policy;
    type Create = PolicySpec;
    type Update = PolicySpec;
    type View<'a> = render::PolicyView<'a>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/policies",
        what: "policy",
        codes: ["policy.add", "policy.update", "policy.delete"],
        name: |p| &p.spec.name,
        view: |a, _, p| render::policy(a, p),
    };

    /// An update rebuilds the object from its body, as a create does.
    fn update(w: &mut World, at: &mut At, spec: Self::Update) -> Built<Self> {
        Self::create(w, at, spec)
    }
    fn create(w: &mut World, at: &mut At, mut spec: Self::Create) -> Built<Self> {
        let (a, ids) = at.account(w)?;
        validate::non_empty("name", &spec.name)?;
        ensure(
            !spec.rules.is_empty(),
            "policy should have at least one rule",
        )?;
        spec.rules.iter().try_for_each(check_rule_shape)?;
        let checks = &spec.source_posture_checks;
        if let Some(bad) = checks.iter().find(|c| !a.posture_checks.contains_key(*c)) {
            return Err(ApiError::invalid(format!(
                "invalid posture check id: {bad}"
            )));
        }
        // NetBird keeps only the first rule of a policy (netbird#3583).
        spec.rules.truncate(1);
        if let Some(first) = spec.rules.first_mut() {
            check_rule_refs(a, first)?;
            let old = at.current().and_then(|id| a.policies.get(id));
            let kept = |rid: &String| {
                old.is_some_and(|p| p.spec.rules.iter().any(|r| r.id.as_ref() == Some(rid)))
            };
            first.id = Some(first.id.take().filter(kept).unwrap_or_else(|| ids.id()));
        }
        let id = at.id(ids);
        let extra = Default::default();
        Ok(Item { id, spec, extra })
    }
}

fn check_rule_shape(r: &RuleSpec) -> Result<(), ApiError> {
    let given = |v: &Vec<String>| !v.is_empty();
    let ends = [
        ("sources", given(&r.sources), &r.source_resource, "source"),
        (
            "destinations",
            given(&r.destinations),
            &r.destination_resource,
            "destination",
        ),
    ];
    for (field, groups, resource, end) in ends {
        match (groups, resource.is_some()) {
            (true, true) => Err(format!(
                "specify either {field} or {end} resources, not both"
            )),
            (false, false) => Err(format!(
                "policy rule should have {field} or a {end} resource"
            )),
            _ => Ok(()),
        }
        .map_err(ApiError::invalid)?;
    }
    if r.protocol == Protocol::NetbirdSsh {
        let authorized = r.authorized_groups.as_ref();
        if let Some(g) = r
            .sources
            .iter()
            .find(|g| !authorized.is_some_and(|m| m.contains_key(*g)))
        {
            return Err(ApiError::invalid(format!(
                "invalid field authorized_groups: protocol netbird-ssh needs local users for source group {g}"
            )));
        }
    }
    let ports = r.ports.as_deref().unwrap_or_default();
    let ranges = r.port_ranges.as_deref().unwrap_or_default();
    let no_ports = matches!(r.protocol, Protocol::All | Protocol::Icmp);
    ensure(
        !no_ports || ports.is_empty() && ranges.is_empty(),
        "invalid field ports: ports are not allowed with protocol all or icmp",
    )?;
    let message = "specify either ports or port_ranges, not both";
    ensure(ports.is_empty() || ranges.is_empty(), message)?;
    for port in ports {
        let n: i64 = port
            .parse()
            .map_err(|_| ApiError::invalid(format!("invalid field ports: invalid port {port}")))?;
        validate::in_range("ports", n, 1, 65_535)?;
    }
    for range in ranges {
        validate::in_range("port_ranges.start", range.start, 1, 65_535)?;
        validate::in_range("port_ranges.end", range.end, range.start, 65_535)?;
    }
    Ok(())
}

fn check_rule_refs(a: &Account, r: &RuleSpec) -> Result<(), ApiError> {
    for ids in [&r.sources, &r.destinations] {
        a.check_groups(ids)?;
    }
    if let Some(map) = &r.authorized_groups {
        a.check_groups(map.keys())?;
    }
    a.check_resources(
        [&r.source_resource, &r.destination_resource]
            .into_iter()
            .flatten(),
    )
}
