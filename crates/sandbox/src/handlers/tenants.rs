//! `/api/integrations/msp/tenants`: MSP tenants, which are child accounts of the MSP
//! account. Only a request running in the MSP account of a non-standalone sandbox may use
//! them (403 otherwise). Creating answers 200 with `status: pending`; a domain used by any
//! account is 409; tenant groups must be groups of the MSP account (404) with a NetBird role
//! (422). `dns` verifies the domain (status `active`) once its TXT record holds the tenant's
//! `dns_challenge` (`POST /__sandbox/dns/txt` publishes one), else answers 501; `invite` marks
//! an existing account as invited, `unlink` turns a tenant into a standalone account, `DELETE` removes the tenant
//! account with everything in it.

use super::collection::Action;
use super::prelude::*;
use crate::world::bootstrap::new_account;
use crate::world::item::Item;
use crate::world::people::{Tenant, TenantExtra, TenantGroup, TenantSpec};
use crate::world::time::Ts;

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

/// `/api/integrations/msp/tenants`: no `GET` of one tenant; four actions.
pub struct Tenants;

impl Collection for Tenants {
    type Item = Tenant;
    type Create = TenantSpec;
    type Update = UpdateTenantRequest;
    type View<'a> = &'a Tenant;
    const SPEC: Spec<Self> = Spec {
        path: "/api/integrations/msp/tenants",
        what: "tenant",
        codes: ["account.create", "", "account.delete"],
        name: |t| &t.spec.name,
        view: |_, _, t| t,
    };
    const VERBS: &[Verb] = &[Verb::List, Verb::Create, Verb::Update, Verb::Delete];
    const ACTIONS: &[(&str, Action)] = &[
        ("invite", invite),
        ("dns", verify_dns),
        ("unlink", unlink),
        ("subscription", subscription),
    ];

    fn meta(t: &Tenant, _: Verb) -> Vec<(&'static str, String)> {
        vec![
            ("name", t.spec.name.clone()),
            ("domain", t.spec.domain.clone()),
        ]
    }
    /// The body's own checks, then the MSP account (403), then its groups (404).
    fn check_create(w: &World, at: &At, req: &TenantSpec) -> Result<(), ApiError> {
        validate::non_empty("name", &req.name)?;
        let message = format!("invalid field domain: {}", req.domain);
        ensure(validate::is_domain(&req.domain), message)?;
        check_groups(w, at, &req.groups)
    }
    fn check_update(w: &World, at: &At, req: &UpdateTenantRequest) -> Result<(), ApiError> {
        validate::non_empty("name", &req.name)?;
        check_groups(w, at, &req.groups)
    }
    fn create(w: &mut World, at: &mut At, spec: TenantSpec) -> Built<Self> {
        create_tenant(w, at, spec)
    }
    /// Changes the name and the groups.
    fn update(w: &mut World, at: &mut At, req: UpdateTenantRequest) -> Built<Self> {
        let mut t = stored::<Self>(w, at)?;
        (t.spec.name, t.spec.groups) = (req.name, req.groups);
        t.extra.updated_at = Ts::now();
        Ok(t)
    }
    /// Removes the tenant account with everything in it.
    fn remove(w: &mut World, _: &str, id: &str) -> Result<(), ApiError> {
        w.tenants.shift_remove(id);
        w.remove_account(id);
        Ok(())
    }
}

/// After the body's own checks: the MSP account (403), then the groups (404, a bad role 422).
fn check_groups(w: &World, at: &At, groups: &[TenantGroup]) -> Result<(), ApiError> {
    w.msp(&at.ctx.account_id)?;
    let root = w.account(&w.msp_account_id)?;
    groups.iter().try_for_each(|g| {
        root.group(&g.id)?;
        validate::role(&g.role)
    })
}

/// A new account and its tenant record, `pending`; a domain any account has is 409.
fn create_tenant(w: &mut World, at: &mut At, spec: TenantSpec) -> Built<Tenants> {
    let domain = &spec.domain;
    if w.accounts
        .values()
        .any(|a| a.domain.eq_ignore_ascii_case(domain))
    {
        return Err(ApiError::conflict(format!(
            "an account with domain {domain} already exists"
        )));
    }
    let parent = Some(w.msp_account_id.clone());
    let account = new_account(&mut w.ids, domain, &at.ctx.user.id, parent);
    at.set_id(account.id.clone());
    let tenant = new_tenant(w, &account.id, spec, "pending");
    w.accounts.insert(account.id.clone(), account);
    Ok(tenant)
}

/// `POST .../{id}/invite`: invites an existing account (a tenant, or a former one).
fn invite(w: &mut World, ctx: &Ctx, id: &str, _: &[u8]) -> ApiResult {
    w.msp(&ctx.account_id)?;
    let now = Ts::now();
    if !w.tenants.contains_key(id) {
        let root = w.msp_account_id.clone();
        let a = w
            .accounts
            .get_mut(id)
            .filter(|a| a.id != root && a.parent.is_none());
        let a = a.ok_or_else(|| missing("tenant", id))?;
        a.parent = Some(root);
        let (name, domain) = (a.domain.clone(), a.domain.clone());
        let groups = Vec::new();
        let spec = TenantSpec {
            name,
            domain,
            groups,
        };
        let tenant = new_tenant(w, id, spec, "existing");
        w.tenants.insert(id.to_owned(), tenant);
    }
    let t = tenant_mut(w, ctx, id)?;
    t.extra.status = "invited".to_owned();
    t.extra.invited_at = Some(now);
    t.extra.updated_at = now;
    json(t)
}

/// `POST .../{id}/dns`: verifies the tenant's domain, as NetBird does, by looking for a TXT
/// record at the domain whose value is the tenant's `dns_challenge`. The sandbox's public DNS
/// is the world's `txt_records` (`POST /__sandbox/dns/txt`): found, the tenant is `active`
/// (200, no body); not found, 501 with `DNSChallengeResponse` and nothing changes.
fn verify_dns(w: &mut World, ctx: &Ctx, id: &str, _: &[u8]) -> ApiResult {
    let t = tenant_mut(w, ctx, id)?;
    let (domain, challenge) = (txt_name(&t.spec.domain), t.extra.dns_challenge.clone());
    let published = w
        .txt_records
        .get(&domain)
        .is_some_and(|values| values.contains(&challenge));
    if !published {
        #[derive(serde::Serialize)]
        struct DnsChallengeResponse<'a> {
            dns_challenge: &'a str,
        }
        let body = DnsChallengeResponse {
            dns_challenge: &challenge,
        };
        let status = axum::http::StatusCode::NOT_IMPLEMENTED;
        return Err(ApiError::with_body(status, "dns challenge failed", &body));
    }
    let t = tenant_mut(w, ctx, id)?;
    let now = Ts::now();
    t.extra.status = "active".to_owned();
    t.extra.activated_at = Some(now);
    t.extra.updated_at = now;
    empty()
}

/// A DNS name as the sandbox's public DNS keys it: lower case, no trailing dot.
pub fn txt_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `POST .../{id}/unlink`: the tenant becomes a standalone account.
fn unlink(w: &mut World, ctx: &Ctx, id: &str, body: &[u8]) -> ApiResult {
    let req: UnlinkRequest = parse(body)?;
    validate::non_empty("owner", &req.owner)?;
    w.msp(&ctx.account_id)?;
    w.tenants
        .shift_remove(id)
        .ok_or_else(|| missing("tenant", id))?;
    if let Some(a) = w.accounts.get_mut(id) {
        a.parent = None;
        a.created_by = req.owner;
    }
    empty()
}

/// `POST .../{id}/subscription`: accepted and ignored.
fn subscription(w: &mut World, ctx: &Ctx, id: &str, body: &[u8]) -> ApiResult {
    let req: SubscriptionRequest = parse(body)?;
    validate::non_empty("priceID", &req.price_id)?;
    tenant_mut(w, ctx, id).and_then(|_| empty())
}

/// A new tenant record.
fn new_tenant(w: &mut World, id: &str, spec: TenantSpec, status: &str) -> Tenant {
    let now = Ts::now();
    let extra = TenantExtra {
        activated_at: None,
        dns_challenge: w.ids.alnum(42),
        created_at: now,
        updated_at: now,
        invited_at: None,
        status: status.to_owned(),
    };
    let id = id.to_owned();
    Item { id, spec, extra }
}

/// The tenant `id` (404), after the MSP check (403).
fn tenant_mut<'a>(w: &'a mut World, ctx: &Ctx, id: &str) -> Result<&'a mut Tenant, ApiError> {
    Tenant::table_mut(w, &ctx.account_id)?
        .get_mut(id)
        .ok_or_else(|| missing("tenant", id))
}
