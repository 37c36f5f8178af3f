//! `/api/integrations/edr/{intune,sentinelone,falcon,huntress,fleetdm}`: an account's EDR
//! integrations, one per vendor, on a path without an id.
//!
//! NetBird's EDR code is not open; what the sandbox does is read from the OpenAPI spec and
//! NetBird's Go REST client (`shared/management/client/rest/edr.go`: `Get`, `Create` (`POST`),
//! `Update` (`PUT`) and `Delete` of each vendor, all on the same path), and is documented in
//! docs/sandbox.md as the sandbox's reading:
//!
//! - `GET` answers 200 with the vendor's `EDR<Vendor>Response`, or 404
//!   `<vendor> integration not found` when the account has none.
//! - `POST` creates it: 200 with the answer; 409 `<vendor> integration already exists` when
//!   the account has one. `PUT` replaces it (404 when there is none). `DELETE` removes it:
//!   200 `{}`, but Falcon's 202 with no body, as the spec has them; 404 when there is none.
//! - A body that is not JSON: 400 `couldn't parse JSON request`. Checks, 422 each, in the
//!   order of the request's required fields: an empty required string `<field> is
//!   required`; `last_synced_interval must be at least 24`; `zta_score_threshold must be
//!   between 0 and 100`; a `match_attributes` value outside its enum `invalid
//!   network_status`; a negative FleetDM count `match_attributes counts must not be
//!   negative`; then every group must exist (404 `group not found: <id>`).
//! - The credentials (`secret`, `api_token`, `api_secret`, Falcon's `client_id`, Huntress's
//!   `api_key`) are never in an answer. The sandbox keeps their SHA-256 (`secrets_sha256`
//!   in its data file), never the values.
//! - The answer's `groups` are full `Group` objects; `id` is a number; `last_synced_at` is
//!   the creation time (the sandbox syncs nothing).
//! - Audit: NetBird's generic integration codes `integration.create`, `.update`, `.delete`
//!   (`activity/codes.go`, 52 to 54: "Integration created", ...), the only ones its spec lists
//!   for integrations; target the integration's id, meta `platform` (`falcon`, ...).

use std::marker::PhantomData;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::prelude::*;
use crate::validate::required;
use crate::world::item::Item;
use crate::world::render::GroupView;
use crate::world::time::Ts;

/// NetBird's generic integration codes (`activity/codes.go`, 52 to 54): a create, an update
/// and a delete.
const CODES: &[(&str, &str)] = &[
    ("integration.create", "Integration created"),
    ("integration.update", "Integration updated"),
    ("integration.delete", "Integration deleted"),
];

/// One EDR vendor: its path segment, its fields, its checks.
pub trait Vendor: Send + Sync + 'static {
    /// The path segment and the name in messages: `falcon`.
    const NAME: &'static str;
    /// Whether `DELETE` answers 202 with no body (Falcon) instead of 200 `{}`.
    const DELETE_ACCEPTED: bool = false;
    /// The vendor's own request fields (besides `groups` and `enabled`), as the server decodes
    /// them (absent values are zero).
    type Request: DeserializeOwned + Send + 'static;
    /// What is stored and answered of them.
    type Fields: Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static;
    /// Checks the request in the server's order; the stored fields and the secrets sent.
    fn accept(req: Self::Request) -> Result<(Self::Fields, Vec<String>), ApiError>;
}

/// A request: the vendor's fields, the groups and `enabled`.
#[derive(Debug, Deserialize)]
pub struct Request<R> {
    /// The groups the integration applies to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Defaults to true.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The vendor's fields.
    #[serde(flatten)]
    pub fields: R,
}

/// The stored form of an integration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored<F> {
    /// Group ids.
    pub groups: Vec<String>,
    /// Whether it is enabled.
    pub enabled: bool,
    /// The vendor's answered fields.
    #[serde(flatten)]
    pub fields: F,
}

/// What the server adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extra {
    /// The creator's user id.
    pub created_by: String,
    /// Creation.
    pub created_at: Ts,
    /// Last write.
    pub updated_at: Ts,
    /// Hex SHA-256 of each credential sent last, in the request's order.
    #[serde(default)]
    pub secrets_sha256: Vec<String>,
}

/// A stored integration of vendor `V`.
pub type Integration<V> = Item<Stored<<V as Vendor>::Fields>, Extra>;

/// The answer: `EDR<Vendor>Response`.
#[derive(Debug, Serialize)]
pub struct View<'a, F> {
    id: i64,
    account_id: &'a str,
    created_by: &'a str,
    created_at: String,
    updated_at: String,
    last_synced_at: String,
    groups: Vec<GroupView<'a>>,
    enabled: bool,
    #[serde(flatten)]
    fields: &'a F,
}

fn view<'a, F>(a: &'a Account, item: &'a Item<Stored<F>, Extra>) -> View<'a, F> {
    View {
        id: item.id.parse().unwrap_or_default(),
        account_id: &a.id,
        created_by: &item.extra.created_by,
        created_at: item.extra.created_at.text(),
        updated_at: item.extra.updated_at.text(),
        last_synced_at: item.extra.created_at.text(),
        groups: item
            .spec
            .groups
            .iter()
            .filter_map(|g| a.groups.get(g))
            .map(|g| render::group(a, g))
            .collect(),
        enabled: item.spec.enabled,
        fields: &item.spec.fields,
    }
}

/// The integrations of vendor `V`: a table of at most one.
pub struct Edr<V>(PhantomData<V>);

/// Each vendor's [`Collection`]: the same for all, written once a vendor (a generic impl
/// would ask for its table while the `kinds!` list defines it).
macro_rules! collections {
    ($($vendor:ty),*) => {$(
        impl Collection for Edr<$vendor> {
            type Item = Integration<$vendor>;
            type Create = Request<<$vendor as Vendor>::Request>;
            type Update = Request<<$vendor as Vendor>::Request>;
            type View<'a> = View<'a, <$vendor as Vendor>::Fields>;
            const SPEC: Spec<Self> = Spec {
                path: "/api/integrations/edr",
                what: "integration",
                codes: ["", "", ""],
                name: |_| <$vendor as Vendor>::NAME,
                view: |a, _, i| view(a, i),
            };
            // Answered by `own_routes`, on the vendor's path.
            const VERBS: &'static [Verb] = &[];
            const TEXTS: &'static [(&'static str, &'static str)] = CODES;

            fn own_routes() -> axum::Router<Arc<App>> {
                routes::<$vendor>()
            }
        }
    )*};
}

collections!(Intune, SentinelOne, Falcon, Huntress, FleetDm);

/// `GET`, `POST`, `PUT` and `DELETE` on the vendor's path.
fn routes<V: Vendor>() -> axum::Router<Arc<App>>
where
    Integration<V>: Table,
{
    let path = format!("/api/integrations/edr/{}", V::NAME);
    axum::Router::new().route(
        &path,
        get(read::<V>)
            .post(write::<V, true>)
            .put(write::<V, false>)
            .delete(delete::<V>),
    )
}

fn not_found<V: Vendor>() -> ApiError {
    ApiError::not_found(format!("{} integration not found", V::NAME))
}

/// The account's integration of vendor `V`, if it has one.
fn current<'a, V: Vendor>(
    w: &'a World,
    account: &str,
) -> Result<Option<&'a Integration<V>>, ApiError>
where
    Integration<V>: Table,
{
    Ok(Integration::<V>::table(w, account)?.values().next())
}

async fn read<V: Vendor>(c: super::collection::Call) -> ApiResult
where
    Integration<V>: Table,
{
    c.app().read(|w| {
        let account = &c.ctx().account_id;
        let found = current::<V>(w, account)?.ok_or_else(not_found::<V>)?;
        json(&view(w.account(account)?, found))
    })
}

async fn write<V: Vendor, const NEW: bool>(c: super::collection::Call, body: Bytes) -> ApiResult
where
    Integration<V>: Table,
{
    let req: Request<V::Request> = parse(&body)?;
    let ctx = c.ctx().clone();
    c.app()
        .write(|w| {
            let account = &ctx.account_id;
            let (fields, secrets) = V::accept(req.fields)?;
            let old = current::<V>(w, account)?.cloned();
            let (a, ids) = w.account_mut(account)?;
            let (id, created_by, created_at, verb) = match (NEW, old) {
                (false, Some(o)) => {
                    a.check_groups(&req.groups)?;
                    (o.id, o.extra.created_by, o.extra.created_at, 1)
                }
                (true, None) => {
                    a.check_groups(&req.groups)?;
                    let id = ids.number().to_string();
                    (id, ctx.user.id.clone(), Ts::now(), 0)
                }
                (true, Some(_)) => {
                    return Err(ApiError::conflict(format!(
                        "{} integration already exists",
                        V::NAME
                    )));
                }
                (false, None) => return Err(not_found::<V>()),
            };
            let item = Integration::<V> {
                id: id.clone(),
                spec: Stored {
                    groups: req.groups,
                    enabled: req.enabled.unwrap_or(true),
                    fields,
                },
                extra: Extra {
                    created_by,
                    created_at,
                    updated_at: Ts::now(),
                    secrets_sha256: secrets
                        .iter()
                        .map(|s| crate::world::ids::hash_token(s))
                        .collect(),
                },
            };
            a.audit(ids, &ctx.user, CODES[verb].0, &id, &[("platform", V::NAME)]);
            let answer = json(&view(a, &item));
            let table = Integration::<V>::table_mut(w, account)?;
            table.clear();
            table.insert(id, item);
            answer
        })
        .await
}

async fn delete<V: Vendor>(c: super::collection::Call) -> Result<Response, ApiError>
where
    Integration<V>: Table,
{
    let ctx = c.ctx().clone();
    c.app()
        .write(|w| {
            let table = Integration::<V>::table_mut(w, &ctx.account_id)?;
            let Some((id, _)) = table.pop() else {
                return Err(not_found::<V>());
            };
            let (a, ids) = w.account_mut(&ctx.account_id)?;
            a.audit(ids, &ctx.user, CODES[2].0, &id, &[("platform", V::NAME)]);
            Ok(())
        })
        .await?;
    if V::DELETE_ACCEPTED {
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    Ok(empty()?.into_response())
}

/// 422 unless `hours` is at least a day.
fn interval(hours: i64) -> Result<(), ApiError> {
    ensure(hours >= 24, "last_synced_interval must be at least 24")
}

/// Intune.
pub struct Intune;

/// `EDRIntuneRequest`'s own fields.
#[derive(Debug, Deserialize)]
pub struct IntuneRequest {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    last_synced_interval: i64,
}

/// What is answered of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntuneFields {
    client_id: String,
    tenant_id: String,
    last_synced_interval: i64,
}

impl Vendor for Intune {
    const NAME: &'static str = "intune";
    type Request = IntuneRequest;
    type Fields = IntuneFields;
    fn accept(r: IntuneRequest) -> Result<(IntuneFields, Vec<String>), ApiError> {
        required("client_id", &r.client_id)?;
        required("tenant_id", &r.tenant_id)?;
        required("secret", &r.secret)?;
        interval(r.last_synced_interval)?;
        let fields = IntuneFields {
            client_id: r.client_id,
            tenant_id: r.tenant_id,
            last_synced_interval: r.last_synced_interval,
        };
        Ok((fields, vec![r.secret]))
    }
}

/// SentinelOne.
pub struct SentinelOne;

/// `SentinelOneMatchAttributes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SentinelOneMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active_threats: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encrypted_applications: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firewall_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    infected: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_up_to_date: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operational_state: Option<String>,
}

/// `EDRSentinelOneRequest`'s own fields.
#[derive(Debug, Deserialize)]
pub struct SentinelOneRequest {
    #[serde(default)]
    api_token: String,
    #[serde(default)]
    api_url: String,
    #[serde(default)]
    last_synced_interval: i64,
    #[serde(default)]
    match_attributes: SentinelOneMatch,
}

/// What is answered of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentinelOneFields {
    api_url: String,
    last_synced_interval: i64,
    match_attributes: SentinelOneMatch,
}

impl Vendor for SentinelOne {
    const NAME: &'static str = "sentinelone";
    type Request = SentinelOneRequest;
    type Fields = SentinelOneFields;
    fn accept(r: SentinelOneRequest) -> Result<(SentinelOneFields, Vec<String>), ApiError> {
        required("api_token", &r.api_token)?;
        required("api_url", &r.api_url)?;
        interval(r.last_synced_interval)?;
        let status = r.match_attributes.network_status.as_deref();
        ensure(
            status.is_none_or(|s| ["connected", "disconnected", "quarantined"].contains(&s)),
            "invalid network_status",
        )?;
        let fields = SentinelOneFields {
            api_url: r.api_url,
            last_synced_interval: r.last_synced_interval,
            match_attributes: r.match_attributes,
        };
        Ok((fields, vec![r.api_token]))
    }
}

/// CrowdStrike Falcon.
pub struct Falcon;

/// `EDRFalconRequest`'s own fields.
#[derive(Debug, Deserialize)]
pub struct FalconRequest {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    cloud_id: String,
    #[serde(default)]
    zta_score_threshold: i64,
}

/// What is answered of them (not the client id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FalconFields {
    cloud_id: String,
    zta_score_threshold: i64,
}

impl Vendor for Falcon {
    const NAME: &'static str = "falcon";
    const DELETE_ACCEPTED: bool = true;
    type Request = FalconRequest;
    type Fields = FalconFields;
    fn accept(r: FalconRequest) -> Result<(FalconFields, Vec<String>), ApiError> {
        required("client_id", &r.client_id)?;
        required("secret", &r.secret)?;
        required("cloud_id", &r.cloud_id)?;
        ensure(
            (0..=100).contains(&r.zta_score_threshold),
            "zta_score_threshold must be between 0 and 100",
        )?;
        let fields = FalconFields {
            cloud_id: r.cloud_id,
            zta_score_threshold: r.zta_score_threshold,
        };
        Ok((fields, vec![r.client_id, r.secret]))
    }
}

/// Huntress.
pub struct Huntress;

/// `HuntressMatchAttributes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HuntressMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    defender_policy_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    defender_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    defender_substatus: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    firewall_status: Option<String>,
}

/// `EDRHuntressRequest`'s own fields.
#[derive(Debug, Deserialize)]
pub struct HuntressRequest {
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    api_secret: String,
    #[serde(default)]
    last_synced_interval: i64,
    #[serde(default)]
    match_attributes: HuntressMatch,
}

/// What is answered of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HuntressFields {
    last_synced_interval: i64,
    match_attributes: HuntressMatch,
}

impl Vendor for Huntress {
    const NAME: &'static str = "huntress";
    type Request = HuntressRequest;
    type Fields = HuntressFields;
    fn accept(r: HuntressRequest) -> Result<(HuntressFields, Vec<String>), ApiError> {
        required("api_key", &r.api_key)?;
        required("api_secret", &r.api_secret)?;
        interval(r.last_synced_interval)?;
        let fields = HuntressFields {
            last_synced_interval: r.last_synced_interval,
            match_attributes: r.match_attributes,
        };
        Ok((fields, vec![r.api_key, r.api_secret]))
    }
}

/// FleetDM.
pub struct FleetDm;

/// `FleetDMMatchAttributes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetDmMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disk_encryption_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failing_policies_count_max: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vulnerable_software_count_max: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_online: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    required_policies: Option<Vec<i64>>,
}

/// `EDRFleetDMRequest`'s own fields.
#[derive(Debug, Deserialize)]
pub struct FleetDmRequest {
    #[serde(default)]
    api_url: String,
    #[serde(default)]
    api_token: String,
    #[serde(default)]
    last_synced_interval: i64,
    #[serde(default)]
    match_attributes: FleetDmMatch,
}

/// What is answered of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetDmFields {
    api_url: String,
    last_synced_interval: i64,
    match_attributes: FleetDmMatch,
}

impl Vendor for FleetDm {
    const NAME: &'static str = "fleetdm";
    type Request = FleetDmRequest;
    type Fields = FleetDmFields;
    fn accept(r: FleetDmRequest) -> Result<(FleetDmFields, Vec<String>), ApiError> {
        required("api_url", &r.api_url)?;
        required("api_token", &r.api_token)?;
        interval(r.last_synced_interval)?;
        let m = &r.match_attributes;
        let counts = [
            m.failing_policies_count_max,
            m.vulnerable_software_count_max,
        ];
        ensure(
            counts.iter().flatten().all(|n| *n >= 0),
            "match_attributes counts must not be negative",
        )?;
        let fields = FleetDmFields {
            api_url: r.api_url,
            last_synced_interval: r.last_synced_interval,
            match_attributes: r.match_attributes,
        };
        Ok((fields, vec![r.api_token]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T>(r: Result<T, ApiError>) -> String {
        r.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn falcon_checks_in_order() {
        let req = |c: &str, s: &str, cloud: &str, zta: i64| FalconRequest {
            client_id: c.into(),
            secret: s.into(),
            cloud_id: cloud.into(),
            zta_score_threshold: zta,
        };
        assert_eq!(
            message(Falcon::accept(req("", "", "", 0))),
            "client_id is required"
        );
        assert_eq!(
            message(Falcon::accept(req("c", "", "", 0))),
            "secret is required"
        );
        assert_eq!(
            message(Falcon::accept(req("c", "s", "", 0))),
            "cloud_id is required"
        );
        assert_eq!(
            message(Falcon::accept(req("c", "s", "us-1", 101))),
            "zta_score_threshold must be between 0 and 100"
        );
        let (fields, secrets) = Falcon::accept(req("c", "s", "us-1", 75)).unwrap_or_else(|e| {
            panic!("{}", e.message);
        });
        assert_eq!(secrets, ["c", "s"]);
        let answered = serde_json::to_value(&fields).unwrap_or_default();
        assert!(answered.get("client_id").is_none() && answered.get("secret").is_none());
    }
}
