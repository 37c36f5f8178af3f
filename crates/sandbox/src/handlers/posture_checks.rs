//! `/api/posture-checks`. Names are unique per account (422 `posture checks with name <name>
//! already exists`); a check needs at least one check (422); one still used by a policy
//! cannot be deleted (412).

use super::prelude::*;
use crate::world::resources::{Checks, PostureCheck, PostureCheckSpec};

/// `/api/posture-checks`.
pub struct PostureChecks;

impl Collection for PostureChecks {
    type Item = PostureCheck;
    type Create = PostureCheckSpec;
    type Update = PostureCheckSpec;
    type View<'a> = render::WithId<'a, PostureCheckSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/posture-checks",
        what: "posture checks",
        codes: [
            "posture.check.create",
            "posture.check.update",
            "posture.check.delete",
        ],
        name: |c| &c.spec.name,
        view: |_, _, c| render::with_id(c),
    };

    /// An update rebuilds the object from its body, as a create does.
    fn update(w: &mut World, at: &mut At, spec: Self::Update) -> Built<Self> {
        Self::create(w, at, spec)
    }
    fn create(w: &mut World, at: &mut At, spec: Self::Create) -> Built<Self> {
        validate::non_empty("name", &spec.name)?;
        check_checks(&spec.checks)?;
        unique::<Self>(w, at, &spec.name, "posture checks")?;
        let id = at.id(&mut w.ids);
        Ok(PostureCheck {
            id,
            spec,
            extra: Default::default(),
        })
    }
    fn deletable(_: &World, a: &Account, c: &PostureCheck) -> Result<(), ApiError> {
        match a
            .policies
            .values()
            .find(|p| p.spec.source_posture_checks.contains(&c.id))
        {
            Some(p) => Err(ApiError::new(
                axum::http::StatusCode::PRECONDITION_FAILED,
                format!("posture checks have been linked to policy: {}", p.spec.name),
            )),
            None => Ok(()),
        }
    }
}

fn check_checks(c: &Checks) -> Result<(), ApiError> {
    let any = c.nb_version_check.is_some()
        || c.os_version_check.is_some()
        || c.geo_location_check.is_some()
        || c.peer_network_range_check.is_some()
        || c.process_check.is_some();
    ensure(any, "posture checks shouldn't be empty")?;
    if let Some(v) = &c.nb_version_check {
        validate::non_empty("checks.nb_version_check.min_version", &v.min_version)?;
    }
    if let Some(geo) = &c.geo_location_check {
        let message = "geo location check should have locations";
        ensure(!geo.locations.is_empty(), message)?;
        for l in &geo.locations {
            let ok = l.country_code.len() == 2
                && l.country_code.bytes().all(|b| b.is_ascii_alphabetic());
            let field = "checks.geo_location_check.locations.country_code";
            ensure(ok, format!("invalid field {field}: {}", l.country_code))?;
        }
    }
    if let Some(range) = &c.peer_network_range_check {
        let message = "peer network range check should have ranges";
        ensure(!range.ranges.is_empty(), message)?;
        for r in &range.ranges {
            validate::cidr("checks.peer_network_range_check.ranges", r)?;
        }
    }
    if let Some(p) = &c.process_check {
        let empty = |p: &crate::world::resources::Process| {
            p.linux_path.is_none() && p.mac_path.is_none() && p.windows_path.is_none()
        };
        let message = "process check should have at least one path per process";
        ensure(
            !p.processes.is_empty() && !p.processes.iter().any(empty),
            message,
        )?;
    }
    Ok(())
}
