//! `/api/integrations/{google,azure,okta-scim,scim}-idp`: an account's identity-provider sync
//! integrations (Google Workspace, Azure AD, Okta over SCIM, a SCIM provider), each a
//! collection with numeric ids.
//!
//! NetBird's code for them is not open (NetBird Cloud); what the sandbox does is read from
//! the OpenAPI spec and is documented in docs/sandbox.md as the sandbox's reading:
//!
//! - `POST` takes `Create<Kind>IntegrationRequest` and answers 200 with the integration;
//!   `PUT` takes `Update<Kind>IntegrationRequest`, where every field is optional (an absent
//!   one is kept) and `enabled` may be set (Okta's takes only `enabled` and the filters); `DELETE` answers 200 `{}`; an unknown id 404
//!   `integration not found: <id>`. Several integrations of a kind may exist in an account.
//! - A body that is not JSON: 400 `couldn't parse JSON request`. Checks, 422 each, in the
//!   order of the create request's required fields: an empty required string `<field> is
//!   required` (on `PUT`, a field sent empty); `sync_interval must be at least 300`; an
//!   Azure `host` other than `microsoft.com` or `microsoft.us`: `invalid host`.
//! - Google's `service_account_key` and Azure's `client_secret` are never in an answer; the
//!   sandbox keeps their SHA-256 (`secret_sha256` in its data file). Okta's
//!   `connection_name` is never answered either (no answer schema has it); the data file
//!   keeps it. A SCIM (or Okta SCIM) integration's
//!   `auth_token` (`nbs_` and 40 letters or digits) is in full in the create's answer only;
//!   every other answer has its first seven characters and stars. The sandbox keeps the
//!   masked form and its SHA-256.
//! - `sync_interval` defaults to 300, `enabled` to true, the prefix lists to `[]`;
//!   `last_synced_at` is the creation time (the sandbox syncs nothing).
//! - Audit: NetBird's generic integration codes `integration.create`, `.update`, `.delete`
//!   (`activity/codes.go`, 52 to 54), target the integration's id, meta `platform`
//!   (`google-idp`, `azure-idp`, `okta-scim-idp`, `scim-idp`).

use serde::Serialize;

use super::prelude::*;
use crate::world::item::Item;
use crate::world::time::Ts;

/// NetBird's generic integration codes: a create, an update and a delete.
const CODES: [&str; 3] = [
    "integration.create",
    "integration.update",
    "integration.delete",
];

/// What every sync integration stores besides its own fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Common {
    /// Whether it syncs.
    pub enabled: bool,
    /// Groups whose names start with one of these are synced.
    pub group_prefixes: Vec<String>,
    /// Users of groups whose names start with one of these are synced.
    pub user_group_prefixes: Vec<String>,
    /// The embedded IdP's connector, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<String>,
}

/// `IntegrationSyncFilters` and `IntegrationEnabled`, as a request has them.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    group_prefixes: Option<Vec<String>>,
    #[serde(default)]
    user_group_prefixes: Option<Vec<String>>,
    #[serde(default)]
    connector_id: Option<String>,
}

impl Filters {
    /// The stored filters: these over `old` (a create: over the defaults).
    fn over(self, old: Option<&Common>) -> Common {
        Common {
            enabled: self.enabled.or(old.map(|o| o.enabled)).unwrap_or(true),
            group_prefixes: self
                .group_prefixes
                .or_else(|| old.map(|o| o.group_prefixes.clone()))
                .unwrap_or_default(),
            user_group_prefixes: self
                .user_group_prefixes
                .or_else(|| old.map(|o| o.user_group_prefixes.clone()))
                .unwrap_or_default(),
            connector_id: self
                .connector_id
                .or_else(|| old.and_then(|o| o.connector_id.clone())),
        }
    }
}

/// What the server adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extra {
    /// Creation, and the last sync's time.
    pub created_at: Ts,
    /// Hex SHA-256 of the credential (Google, Azure) or token (SCIM) last set.
    #[serde(default)]
    pub secret_sha256: String,
    /// A SCIM integration's token as answered after the create: masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_token: Option<String>,
    /// An Okta SCIM integration's connection name, which no answer has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_name: Option<String>,
}

/// The answer: `id` a number, the stored fields, `last_synced_at`.
#[derive(Debug, Serialize)]
pub struct View<'a, S> {
    id: i64,
    #[serde(flatten)]
    spec: &'a S,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_token: Option<&'a str>,
    last_synced_at: String,
}

/// The answer of `item`; a SCIM integration's `auth_token` in full (the create's) or masked.
fn view<'a, S>(item: &'a Item<S, Extra>, token: Option<&'a str>) -> View<'a, S> {
    View {
        id: item.id.parse().unwrap_or_default(),
        spec: &item.spec,
        auth_token: token.or(item.extra.masked_token.as_deref()),
        last_synced_at: item.extra.created_at.text(),
    }
}

/// 422 `<field> is required` for a required string a create leaves absent or empty.
fn required(field: &str, value: Option<&String>) -> Result<(), ApiError> {
    validate::required(field, value.map_or("", String::as_str))
}

/// 422 `<field> is required` for a string a `PUT` sends empty.
fn not_emptied(field: &str, value: Option<&String>) -> Result<(), ApiError> {
    value.map_or(Ok(()), |v| validate::required(field, v))
}

/// 422 unless the interval is at least five minutes.
fn interval(seconds: Option<i64>) -> Result<(), ApiError> {
    ensure(
        seconds.is_none_or(|s| s >= 300),
        "sync_interval must be at least 300",
    )
}

/// A new integration's numeric id, after the checks.
fn new_id(w: &mut World, at: &mut At) -> String {
    let id = w.ids.number().to_string();
    at.set_id(id);
    at.id(&mut w.ids)
}

/// The audit meta of kind `C`: `platform`, its path's last segment (`google-idp`).
fn platform<C: Collection>() -> Vec<(&'static str, String)> {
    let name = C::SPEC.path.rsplit('/').next().unwrap_or_default();
    vec![("platform", name.to_owned())]
}

/// What the server adds to a new integration whose credential is `secret`.
fn extra(secret: &str) -> Extra {
    Extra {
        created_at: Ts::now(),
        secret_sha256: crate::world::ids::hash_token(secret),
        masked_token: None,
        connection_name: None,
    }
}

/// What the server adds to a new SCIM (or Okta SCIM) integration: a new token, kept masked
/// and hashed, and shown in full in the create's answer only. Call it before [`new_id`]
/// (the token is drawn first).
fn minted(w: &mut World, at: &mut At) -> Extra {
    let token = format!("nbs_{}", w.ids.alnum(40));
    let extra = Extra {
        masked_token: Some(mask(&token)),
        ..extra(&token)
    };
    at.once = Some(token);
    extra
}

// Google Workspace.

/// `CreateGoogleIntegrationRequest` and `UpdateGoogleIntegrationRequest`.
#[derive(Debug, Deserialize)]
pub struct GoogleRequest {
    #[serde(default)]
    service_account_key: Option<String>,
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    sync_interval: Option<i64>,
    #[serde(flatten)]
    filters: Filters,
}

/// What is stored and answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoogleSpec {
    #[serde(flatten)]
    common: Common,
    customer_id: String,
    sync_interval: i64,
}

/// A stored Google integration.
pub type GoogleItem = Item<GoogleSpec, Extra>;

/// `/api/integrations/google-idp`.
pub struct Google;

impl Collection for Google {
    type Item = GoogleItem;
    type Create = GoogleRequest;
    type Update = GoogleRequest;
    type View<'a> = View<'a, GoogleSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/integrations/google-idp",
        what: "integration",
        codes: CODES,
        name: |i| &i.spec.customer_id,
        view: |_, _, i| view(i, None),
    };

    fn check_create(_: &World, _: &At, r: &GoogleRequest) -> Result<(), ApiError> {
        required("service_account_key", r.service_account_key.as_ref())?;
        required("customer_id", r.customer_id.as_ref())?;
        interval(r.sync_interval)
    }
    fn check_update(_: &World, _: &At, r: &GoogleRequest) -> Result<(), ApiError> {
        not_emptied("service_account_key", r.service_account_key.as_ref())?;
        not_emptied("customer_id", r.customer_id.as_ref())?;
        interval(r.sync_interval)
    }
    fn create(w: &mut World, at: &mut At, r: GoogleRequest) -> Built<Self> {
        let id = new_id(w, at);
        Ok(Item {
            id,
            spec: GoogleSpec {
                common: r.filters.over(None),
                customer_id: r.customer_id.unwrap_or_default(),
                sync_interval: r.sync_interval.unwrap_or(300),
            },
            extra: extra(&r.service_account_key.unwrap_or_default()),
        })
    }
    fn update(w: &mut World, at: &mut At, r: GoogleRequest) -> Built<Self> {
        let mut old = stored::<Self>(w, at)?;
        old.spec.common = r.filters.over(Some(&old.spec.common));
        if let Some(c) = r.customer_id {
            old.spec.customer_id = c;
        }
        if let Some(s) = r.sync_interval {
            old.spec.sync_interval = s;
        }
        if let Some(k) = r.service_account_key {
            old.extra.secret_sha256 = crate::world::ids::hash_token(&k);
        }
        Ok(old)
    }
    fn meta(_: &GoogleItem, _: Verb) -> Vec<(&'static str, String)> {
        platform::<Self>()
    }
}

// Azure AD.

/// `CreateAzureIntegrationRequest` and `UpdateAzureIntegrationRequest` (which has no `host`).
#[derive(Debug, Deserialize)]
pub struct AzureRequest {
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    sync_interval: Option<i64>,
    #[serde(default)]
    host: Option<String>,
    #[serde(flatten)]
    filters: Filters,
}

/// What is stored and answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AzureSpec {
    #[serde(flatten)]
    common: Common,
    client_id: String,
    tenant_id: String,
    sync_interval: i64,
    host: String,
}

/// A stored Azure integration.
pub type AzureItem = Item<AzureSpec, Extra>;

/// `/api/integrations/azure-idp`.
pub struct Azure;

impl Collection for Azure {
    type Item = AzureItem;
    type Create = AzureRequest;
    type Update = AzureRequest;
    type View<'a> = View<'a, AzureSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/integrations/azure-idp",
        what: "integration",
        codes: CODES,
        name: |i| &i.spec.tenant_id,
        view: |_, _, i| view(i, None),
    };

    fn check_create(_: &World, _: &At, r: &AzureRequest) -> Result<(), ApiError> {
        required("client_secret", r.client_secret.as_ref())?;
        required("client_id", r.client_id.as_ref())?;
        required("tenant_id", r.tenant_id.as_ref())?;
        required("host", r.host.as_ref())?;
        interval(r.sync_interval)?;
        ensure(
            matches!(r.host.as_deref(), Some("microsoft.com" | "microsoft.us")),
            "invalid host",
        )
    }
    fn check_update(_: &World, _: &At, r: &AzureRequest) -> Result<(), ApiError> {
        not_emptied("client_secret", r.client_secret.as_ref())?;
        not_emptied("client_id", r.client_id.as_ref())?;
        not_emptied("tenant_id", r.tenant_id.as_ref())?;
        interval(r.sync_interval)
    }
    fn create(w: &mut World, at: &mut At, r: AzureRequest) -> Built<Self> {
        let id = new_id(w, at);
        Ok(Item {
            id,
            spec: AzureSpec {
                common: r.filters.over(None),
                client_id: r.client_id.unwrap_or_default(),
                tenant_id: r.tenant_id.unwrap_or_default(),
                sync_interval: r.sync_interval.unwrap_or(300),
                host: r.host.unwrap_or_default(),
            },
            extra: extra(&r.client_secret.unwrap_or_default()),
        })
    }
    fn update(w: &mut World, at: &mut At, r: AzureRequest) -> Built<Self> {
        // The update request has no `host`: one sent is ignored, as an unknown field is.
        let mut old = stored::<Self>(w, at)?;
        old.spec.common = r.filters.over(Some(&old.spec.common));
        if let Some(c) = r.client_id {
            old.spec.client_id = c;
        }
        if let Some(t) = r.tenant_id {
            old.spec.tenant_id = t;
        }
        if let Some(s) = r.sync_interval {
            old.spec.sync_interval = s;
        }
        if let Some(k) = r.client_secret {
            old.extra.secret_sha256 = crate::world::ids::hash_token(&k);
        }
        Ok(old)
    }
    fn meta(_: &AzureItem, _: Verb) -> Vec<(&'static str, String)> {
        platform::<Self>()
    }
}

// SCIM.

/// `CreateScimIntegrationRequest` and `UpdateScimIntegrationRequest` (which has no
/// `provider`).
#[derive(Debug, Deserialize)]
pub struct ScimRequest {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(flatten)]
    filters: Filters,
}

/// What is stored and answered (the token, masked, is kept with the server's additions).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScimSpec {
    #[serde(flatten)]
    common: Common,
    prefix: String,
    provider: String,
}

/// A stored SCIM integration.
pub type ScimItem = Item<ScimSpec, Extra>;

/// `/api/integrations/scim-idp`.
pub struct Scim;

impl Collection for Scim {
    type Item = ScimItem;
    type Create = ScimRequest;
    type Update = ScimRequest;
    type View<'a> = View<'a, ScimSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/integrations/scim-idp",
        what: "integration",
        codes: CODES,
        name: |i| &i.spec.provider,
        view: |_, _, i| view(i, None),
    };

    fn check_create(_: &World, _: &At, r: &ScimRequest) -> Result<(), ApiError> {
        required("prefix", r.prefix.as_ref())?;
        required("provider", r.provider.as_ref())
    }
    fn check_update(_: &World, _: &At, r: &ScimRequest) -> Result<(), ApiError> {
        not_emptied("prefix", r.prefix.as_ref())
    }
    fn create(w: &mut World, at: &mut At, r: ScimRequest) -> Built<Self> {
        let extra = minted(w, at);
        Ok(Item {
            id: new_id(w, at),
            spec: ScimSpec {
                common: r.filters.over(None),
                prefix: r.prefix.unwrap_or_default(),
                provider: r.provider.unwrap_or_default(),
            },
            extra,
        })
    }
    fn update(w: &mut World, at: &mut At, r: ScimRequest) -> Built<Self> {
        // The update request has no `provider`: one sent is ignored.
        let mut old = stored::<Self>(w, at)?;
        old.spec.common = r.filters.over(Some(&old.spec.common));
        if let Some(p) = r.prefix {
            old.spec.prefix = p;
        }
        Ok(old)
    }
    fn view_once<'a>(_: &'a Account, _: &Ctx, i: &'a ScimItem, token: &'a str) -> Self::View<'a> {
        view(i, Some(token))
    }
    fn meta(_: &ScimItem, _: Verb) -> Vec<(&'static str, String)> {
        platform::<Self>()
    }
}

// Okta SCIM.

/// `CreateOktaScimIntegrationRequest` and `UpdateOktaScimIntegrationRequest` (which has no
/// `connection_name`).
#[derive(Debug, Deserialize)]
pub struct OktaRequest {
    #[serde(default)]
    connection_name: Option<String>,
    #[serde(flatten)]
    filters: Filters,
}

/// What is stored and answered: the filters only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OktaSpec {
    #[serde(flatten)]
    common: Common,
}

/// A stored Okta SCIM integration.
pub type OktaItem = Item<OktaSpec, Extra>;

/// `/api/integrations/okta-scim-idp`.
pub struct Okta;

impl Collection for Okta {
    type Item = OktaItem;
    type Create = OktaRequest;
    type Update = OktaRequest;
    type View<'a> = View<'a, OktaSpec>;
    const SPEC: Spec<Self> = Spec {
        path: "/api/integrations/okta-scim-idp",
        what: "integration",
        codes: CODES,
        name: |i| i.extra.connection_name.as_deref().unwrap_or_default(),
        view: |_, _, i| view(i, None),
    };

    fn check_create(_: &World, _: &At, r: &OktaRequest) -> Result<(), ApiError> {
        required("connection_name", r.connection_name.as_ref())
    }
    fn create(w: &mut World, at: &mut At, r: OktaRequest) -> Built<Self> {
        let extra = minted(w, at);
        Ok(Item {
            id: new_id(w, at),
            spec: OktaSpec {
                common: r.filters.over(None),
            },
            extra: Extra {
                connection_name: r.connection_name,
                ..extra
            },
        })
    }
    fn update(w: &mut World, at: &mut At, r: OktaRequest) -> Built<Self> {
        // The update request has no `connection_name`: one sent is ignored.
        let mut old = stored::<Self>(w, at)?;
        old.spec.common = r.filters.over(Some(&old.spec.common));
        Ok(old)
    }
    fn view_once<'a>(_: &'a Account, _: &Ctx, i: &'a OktaItem, token: &'a str) -> Self::View<'a> {
        view(i, Some(token))
    }
    fn meta(_: &OktaItem, _: Verb) -> Vec<(&'static str, String)> {
        platform::<Self>()
    }
}

/// The token as answers after the create's show it: its first seven characters and stars.
fn mask(token: &str) -> String {
    let head: String = token.chars().take(7).collect();
    format!(
        "{head}{}",
        "*".repeat(token.chars().count().saturating_sub(7))
    )
}
