//! `/api/posture-checks`. Names are unique per account (422 `posture checks with name <name>
//! already exists`); a check needs at least one check (422); one still used by a policy
//! cannot be deleted (412).

use super::prelude::*;
use crate::world::resources::{Checks, PostureCheck, PostureCheckSpec};

/// `GET /api/posture-checks`.
pub async fn list_checks(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        list(a.posture_checks.values(), render::posture_check)
    })
}

/// `GET /api/posture-checks/{id}`.
pub async fn get_check(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        let c = a
            .posture_checks
            .get(&id)
            .ok_or_else(|| missing("posture checks", &id))?;
        json(&render::posture_check(c))
    })
}

/// `POST /api/posture-checks`.
pub async fn create_check(State(app): AppState, Extension(ctx): Caller, body: Bytes) -> ApiResult {
    let spec: PostureCheckSpec = parse(&body)?;
    save(&app, &ctx, None, spec).await
}

/// `PUT /api/posture-checks/{id}`.
pub async fn update_check(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let spec: PostureCheckSpec = parse(&body)?;
    save(&app, &ctx, Some(id), spec).await
}

/// `DELETE /api/posture-checks/{id}`.
pub async fn delete_check(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let name = a
            .posture_checks
            .get(&id)
            .ok_or_else(|| missing("posture checks", &id))?
            .spec
            .name
            .clone();
        if let Some(p) = a
            .policies
            .values()
            .find(|p| p.source_posture_checks.contains(&id))
        {
            return Err(ApiError::new(
                axum::http::StatusCode::PRECONDITION_FAILED,
                format!("posture checks have been linked to policy: {}", p.name),
            ));
        }
        a.posture_checks.shift_remove(&id);
        a.audit(&ctx.user, "posture.check.delete", &id, &[("name", &name)]);
        empty()
    })
    .await
}

async fn save(app: &App, ctx: &Ctx, id: Option<String>, spec: PostureCheckSpec) -> ApiResult {
    validate::non_empty("name", &spec.name)?;
    check_checks(&spec.checks)?;
    app.write(|w| {
        let (a, ids) = w.account_mut(&ctx.account_id)?;
        if let Some(id) = &id
            && !a.posture_checks.contains_key(id)
        {
            return Err(missing("posture checks", id));
        }
        let taken = a
            .posture_checks
            .values()
            .any(|c| c.spec.name == spec.name && Some(&c.id) != id.as_ref());
        if taken {
            return Err(ApiError::invalid(format!(
                "posture checks with name {} already exists",
                spec.name
            )));
        }
        let code = if id.is_some() {
            "posture.check.update"
        } else {
            "posture.check.create"
        };
        let check = PostureCheck {
            id: id.unwrap_or_else(|| ids.id()),
            spec,
        };
        a.audit(&ctx.user, code, &check.id, &[("name", &check.spec.name)]);
        let view = json(&render::posture_check(&check))?;
        a.posture_checks.insert(check.id.clone(), check);
        Ok(view)
    })
    .await
}

fn check_checks(c: &Checks) -> Result<(), ApiError> {
    let any = c.nb_version_check.is_some()
        || c.os_version_check.is_some()
        || c.geo_location_check.is_some()
        || c.peer_network_range_check.is_some()
        || c.process_check.is_some();
    if !any {
        return Err(ApiError::invalid("posture checks shouldn't be empty"));
    }
    if let Some(v) = &c.nb_version_check {
        validate::non_empty("checks.nb_version_check.min_version", &v.min_version)?;
    }
    if let Some(geo) = &c.geo_location_check {
        if geo.locations.is_empty() {
            return Err(ApiError::invalid(
                "geo location check should have locations",
            ));
        }
        for l in &geo.locations {
            let ok = l.country_code.len() == 2
                && l.country_code.bytes().all(|b| b.is_ascii_alphabetic());
            if !ok {
                return Err(ApiError::invalid(format!(
                    "invalid field checks.geo_location_check.locations.country_code: {}",
                    l.country_code
                )));
            }
        }
    }
    if let Some(range) = &c.peer_network_range_check {
        if range.ranges.is_empty() {
            return Err(ApiError::invalid(
                "peer network range check should have ranges",
            ));
        }
        for r in &range.ranges {
            validate::cidr("checks.peer_network_range_check.ranges", r)?;
        }
    }
    if let Some(p) = &c.process_check {
        let empty = |p: &crate::world::resources::Process| {
            p.linux_path.is_none() && p.mac_path.is_none() && p.windows_path.is_none()
        };
        if p.processes.is_empty() || p.processes.iter().any(empty) {
            return Err(ApiError::invalid(
                "process check should have at least one path per process",
            ));
        }
    }
    Ok(())
}
