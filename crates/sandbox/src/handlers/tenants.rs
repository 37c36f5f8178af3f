//! `/api/integrations/msp/tenants`: MSP tenants, which are child accounts of the MSP
//! account. Only a request running in the MSP account of a non-standalone sandbox may use
//! them (403 otherwise). Creating answers 200 with `status: pending`; a domain used by any
//! account is 409; tenant groups must be groups of the MSP account (404) with a NetBird role
//! (422). `dns` verifies the domain (status `active`), `invite` marks an existing account as
//! invited, `unlink` turns a tenant into a standalone account, `DELETE` removes the tenant
//! account with everything in it.

use super::prelude::*;
use crate::world::bootstrap::new_account;
use crate::world::people::{Tenant, TenantGroup};
use crate::world::time::Ts;

/// `CreateTenantRequest`.
#[derive(Debug, Deserialize)]
pub struct CreateTenantRequest {
    name: String,
    domain: String,
    groups: Vec<TenantGroup>,
}

/// `UpdateTenantRequest` (the domain cannot change).
#[derive(Debug, Deserialize)]
pub struct UpdateTenantRequest {
    name: String,
    groups: Vec<TenantGroup>,
}

/// The unlink body.
#[derive(Debug, Deserialize)]
pub struct UnlinkRequest {
    owner: String,
}

/// The subscription body.
#[derive(Debug, Deserialize)]
pub struct SubscriptionRequest {
    #[serde(rename = "priceID")]
    price_id: String,
}

/// `GET /api/integrations/msp/tenants`.
pub async fn list_tenants(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        msp(w, &ctx)?;
        list(w.tenants.values(), |t| t)
    })
}

/// `POST /api/integrations/msp/tenants`.
pub async fn create_tenant(State(app): AppState, Extension(ctx): Caller, body: Bytes) -> ApiResult {
    let req: CreateTenantRequest = parse(&body)?;
    validate::non_empty("name", &req.name)?;
    if !validate::is_domain(&req.domain) {
        return Err(ApiError::invalid(format!(
            "invalid field domain: {}",
            req.domain
        )));
    }
    app.write(|w| {
        msp(w, &ctx)?;
        check_groups(w, &req.groups)?;
        if w.accounts
            .values()
            .any(|a| a.domain.eq_ignore_ascii_case(&req.domain))
        {
            return Err(ApiError::conflict(format!(
                "an account with domain {} already exists",
                req.domain
            )));
        }
        let account = new_account(
            &mut w.ids,
            &req.domain,
            &ctx.user.id,
            Some(w.msp_account_id.clone()),
        );
        let tenant = Tenant {
            groups: req.groups,
            ..new_tenant(w, &account.id, req.name, req.domain, "pending")
        };
        let view = json(&tenant)?;
        let meta = [
            ("name", tenant.name.as_str()),
            ("domain", tenant.domain.as_str()),
        ];
        let (root, _) = w.account_mut(&ctx.account_id)?;
        root.audit(&ctx.user, "account.create", &tenant.id, &meta);
        w.accounts.insert(account.id.clone(), account);
        w.tenants.insert(tenant.id.clone(), tenant);
        Ok(view)
    })
    .await
}

/// `PUT /api/integrations/msp/tenants/{id}`.
pub async fn update_tenant(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: UpdateTenantRequest = parse(&body)?;
    validate::non_empty("name", &req.name)?;
    app.write(|w| {
        msp(w, &ctx)?;
        check_groups(w, &req.groups)?;
        let t = tenant_mut(w, &ctx, &id)?;
        t.name = req.name;
        t.groups = req.groups;
        t.updated_at = Ts::now();
        json(t)
    })
    .await
}

/// `DELETE /api/integrations/msp/tenants/{id}`.
pub async fn delete_tenant(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        msp(w, &ctx)?;
        let t = w
            .tenants
            .shift_remove(&id)
            .ok_or_else(|| missing("tenant", &id))?;
        w.remove_account(&id);
        let (root, _) = w.account_mut(&ctx.account_id)?;
        root.audit(
            &ctx.user,
            "account.delete",
            &id,
            &[("name", &t.name), ("domain", &t.domain)],
        );
        empty()
    })
    .await
}

/// `POST .../{id}/invite`: invites an existing account (a tenant, or a former one).
pub async fn invite_tenant(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        msp(w, &ctx)?;
        let now = Ts::now();
        if !w.tenants.contains_key(&id) {
            let root = w.msp_account_id.clone();
            let a = w
                .accounts
                .get_mut(&id)
                .filter(|a| a.id != root && a.parent.is_none());
            let a = a.ok_or_else(|| missing("tenant", &id))?;
            a.parent = Some(root);
            let domain = a.domain.clone();
            let tenant = new_tenant(w, &id, domain.clone(), domain, "existing");
            w.tenants.insert(id.clone(), tenant);
        }
        let t = tenant_mut(w, &ctx, &id)?;
        t.status = "invited".to_owned();
        t.invited_at = Some(now);
        t.updated_at = now;
        json(t)
    })
    .await
}

/// `POST .../{id}/dns`: the DNS challenge always verifies in the sandbox.
pub async fn verify_dns(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult {
    app.write(|w| {
        let t = tenant_mut(w, &ctx, &id)?;
        let now = Ts::now();
        t.status = "active".to_owned();
        t.activated_at = Some(now);
        t.updated_at = now;
        empty()
    })
    .await
}

/// `POST .../{id}/unlink`: the tenant becomes a standalone account.
pub async fn unlink_tenant(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: UnlinkRequest = parse(&body)?;
    validate::non_empty("owner", &req.owner)?;
    app.write(|w| {
        msp(w, &ctx)?;
        w.tenants
            .shift_remove(&id)
            .ok_or_else(|| missing("tenant", &id))?;
        if let Some(a) = w.accounts.get_mut(&id) {
            a.parent = None;
            a.created_by = req.owner;
        }
        empty()
    })
    .await
}

/// `POST .../{id}/subscription`: accepted and ignored.
pub async fn subscription(
    State(app): AppState,
    Extension(ctx): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let req: SubscriptionRequest = parse(&body)?;
    validate::non_empty("priceID", &req.price_id)?;
    app.read(|w| {
        msp(w, &ctx)?;
        w.tenants.get(&id).ok_or_else(|| missing("tenant", &id))?;
        empty()
    })
}

/// A new tenant record, with no groups yet.
fn new_tenant(w: &mut World, id: &str, name: String, domain: String, status: &str) -> Tenant {
    let now = Ts::now();
    Tenant {
        id: id.to_owned(),
        name,
        domain,
        groups: Vec::new(),
        activated_at: None,
        dns_challenge: w.ids.alnum(42),
        created_at: now,
        updated_at: now,
        invited_at: None,
        status: status.to_owned(),
    }
}

/// The tenant `id` (404), after the MSP check (403).
fn tenant_mut<'a>(w: &'a mut World, ctx: &Ctx, id: &str) -> Result<&'a mut Tenant, ApiError> {
    msp(w, ctx)?;
    w.tenants.get_mut(id).ok_or_else(|| missing("tenant", id))
}

/// 403 unless the request runs in the MSP account of an MSP sandbox.
fn msp(w: &World, ctx: &Ctx) -> Result<(), ApiError> {
    if w.standalone || ctx.account_id != w.msp_account_id {
        return Err(ApiError::forbidden(
            "msp features are not enabled for this account",
        ));
    }
    Ok(())
}

fn check_groups(w: &World, groups: &[TenantGroup]) -> Result<(), ApiError> {
    let root = w.account(&w.msp_account_id)?;
    for g in groups {
        root.group(&g.id)?;
        validate::role(&g.role)?;
    }
    Ok(())
}
