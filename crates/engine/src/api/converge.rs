//! Bringing one object to its desired state: find it, compare ([`inspect`], reads only, through
//! the session's [`Reads`]), then create, adopt or update ([`write`], writes only).
//!
//! Input: a step type, a rendered body, the API scope and what the state recorded. Output:
//! the [`Action`] taken and the object as the API returned it. The live planner inspects; the
//! executor writes what the plan decided and inspects only what the plan could not know (an
//! identity known after apply). A POST is never repeated blindly: the client settles an
//! unknown outcome by looking the object up by its identity.

use onboard_netbird::{ApiError, DnsVerification, Method, ResourceKind, Scope};
use serde_json::Value as Json;

use crate::api::cache::Api;
use crate::plan::Action;
use crate::playbook::resource::{Identity, StepType, Updatable};

/// One object to converge: what the playbook wants of it, and where.
pub struct Desired<'a> {
    pub ty: StepType,
    pub scope: &'a Scope,
    pub body: &'a Json,
    pub existing: bool,
    /// The id the state recorded, if any.
    pub known_id: Option<&'a str>,
    /// What a replacement may do.
    pub replace: Replace,
    /// What the state knows of the kind's write-only fields.
    pub write_only: WriteOnly<'a>,
}

/// What the state knows of an object's write-only fields ([`crate::playbook::write_only`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOnly<'a> {
    /// The state's salt ("" when it has none yet: then nothing is recorded either).
    pub salt: &'a str,
    /// The digests recorded at the last write of the object.
    pub recorded: Option<&'a std::collections::BTreeMap<String, String>>,
    /// The real values, when `body` shows them masked (a plan's body); None: `body` holds
    /// them.
    pub values: Option<&'a Json>,
}

/// `--allow-replace` and `--rotate-setup-keys`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replace {
    /// Replace (delete, then create) an object whose change the API cannot make in place.
    pub allowed: bool,
    /// Revoke every existing setup key of the playbook and create it anew.
    pub rotate_setup_keys: bool,
}

/// Why converging failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A rendered body NetBird would refuse; nothing was sent.
    #[error(transparent)]
    Refused(#[from] crate::playbook::rules::BodyRefused),
    /// An `existing` step whose object is not there.
    #[error("no existing {ty} matches {identity}")]
    NoMatch { ty: &'static str, identity: String },
    /// Fields that cannot change in place, without `--allow-replace`.
    #[error(
        "{} of the live {ty} differ and cannot be changed in place: it needs a replacement; \
         pass --allow-replace to delete and re-create it",
        .fields.join(", ")
    )]
    NeedsReplace {
        fields: Vec<String>,
        ty: &'static str,
    },
    /// The account settings read for a tenant came from another account.
    #[error(
        "the account settings read with ?account={tenant} belong to account {account}: the API \
         does not scope requests to the tenant, so nothing was written"
    )]
    NotScoped { tenant: String, account: String },
    /// NetBird could not verify a tenant's domain (501 "DNS Challenge Failed"): the TXT
    /// record at the domain does not hold the tenant's DNS challenge (yet).
    #[error(
        "NetBird could not verify the domain {} of tenant {tenant}: no TXT record at the domain \
         holds its DNS challenge (501 DNS Challenge Failed)",
        .domain.as_deref().unwrap_or("(not listed)")
    )]
    DnsNotVerified {
        tenant: String,
        /// `None` when the tenant list does not have it.
        domain: Option<String>,
        dns_challenge: String,
    },
    /// A raw request with a method it cannot send.
    #[error(
        "request method must be GET, POST, PUT or DELETE, found {}",
        .found.as_deref().unwrap_or("nothing")
    )]
    BadMethod { found: Option<String> },
}

/// A field that differs: `(field, live value, desired value)`.
pub type Change = (String, Json, Json);

/// What [`inspect`] found, without writing anything.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub action: Action,
    /// The live object, when one exists.
    pub live: Option<Json>,
    /// For an update or a replacement: what differs.
    pub changes: Vec<Change>,
}

/// Look the object up and decide what to do, reading only.
pub async fn inspect(api: &Api<'_>, t: &Desired<'_>) -> Result<Inspection, ConvergeError> {
    let spec = t.ty.spec();
    let kind = match t.ty.resource_kind() {
        Some(kind) if !spec.runs_once() => kind,
        // A raw request runs once, an action once for its tenant; the state says whether it
        // ran.
        _ => {
            let action = if spec.ran(t.known_id.map(Some), t.body) {
                Action::NoChange
            } else {
                Action::Create
            };
            return Ok(Inspection {
                action,
                live: None,
                changes: Vec::new(),
            });
        }
    };
    let live = if matches!(t.ty.spec().identity, Identity::Singleton) {
        // None: a singleton the account may have none of (an EDR integration) is absent.
        api.reads.singleton(api.client, kind, t.scope).await?
    } else {
        find(api, kind, t, parent_of(t)).await?
    };
    let Some(live) = live else {
        if t.existing {
            return Err(ConvergeError::NoMatch {
                ty: t.ty.name(),
                identity: crate::plan::identity_value(t.ty, t.body).unwrap_or_default(),
            });
        }
        return Ok(Inspection {
            action: Action::Create,
            live: None,
            changes: Vec::new(),
        });
    };
    // A write-only field is never returned: compared through the digest of what was sent.
    let desired = crate::playbook::write_only::strip(t.ty, &without_parent(t.ty, t.body));
    let mut changes = crate::api::compare::diff(&desired, &live);
    let w = t.write_only;
    changes.extend(crate::playbook::write_only::changes(
        t.ty,
        w.values.unwrap_or(t.body),
        w.salt,
        w.recorded,
    ));
    let revoked = revoked_by_hand(t.ty, &desired, &live);
    if revoked {
        changes.push(("revoked".into(), Json::Bool(true), Json::Bool(false)));
    }
    let action = match () {
        _ if t.existing => Action::Read,
        _ if t.ty == StepType::SETUP_KEY && t.replace.rotate_setup_keys => Action::Replace,
        // NetBird cannot un-revoke a key (422): a key the playbook wants is made anew.
        _ if revoked => Action::Replace,
        _ if changes.is_empty() && (t.known_id.is_some() || is_singleton(t.ty)) => Action::NoChange,
        _ if changes.is_empty() => Action::Adopt,
        _ if fits_in_place(t.ty, &changes) => Action::Update,
        _ => Action::Replace,
    };
    Ok(Inspection {
        action,
        live: Some(live),
        changes,
    })
}

/// Find, compare and write; returns the action and the object.
pub async fn converge(api: &Api<'_>, t: &Desired<'_>) -> Result<(Action, Json), ConvergeError> {
    let found = inspect(api, t).await?;
    write(api, t, found).await
}

/// Carry out what an inspection (the plan's, or a fresh one) decided; returns the action and
/// the object. Every object written is recorded in `reads`, so later lookups see it.
pub async fn write(
    api: &Api<'_>,
    t: &Desired<'_>,
    found: Inspection,
) -> Result<(Action, Json), ConvergeError> {
    let (client, reads) = (api.client, api.reads);
    let Some(kind) = t.ty.resource_kind() else {
        return match found.action {
            Action::NoChange => Ok((Action::NoChange, Json::Null)),
            _ => request(client, t).await,
        };
    };
    if kind.spec().msp_action {
        return match found.action {
            Action::NoChange => Ok((Action::NoChange, Json::Null)),
            _ => msp_action(api, kind, t).await,
        };
    }
    let parent = parent_of(t);
    let (action, object) = match (found.action, found.live) {
        (Action::Create, _) if is_singleton(t.ty) => {
            // A singleton the account has none of: `POST` on its path.
            crate::playbook::rules::check_body(t.ty, t.body)?;
            let created = client.create_singleton(kind, t.scope, t.body).await?;
            let action = if created.is_adopted() {
                Action::Adopt
            } else {
                Action::Create
            };
            (action, created.into_inner())
        }
        (Action::Create, _) => {
            // Ids known only now are checked for shape before the request is sent.
            crate::playbook::rules::check_body(t.ty, t.body)?;
            let lookup = identity_lookup(t.ty, t.body);
            let created = client
                .create_or_adopt(kind, t.scope, parent, t.body, lookup)
                .await?;
            let action = if created.is_adopted() {
                Action::Adopt
            } else {
                Action::Create
            };
            (action, created.into_inner())
        }
        (Action::Update, Some(live)) if is_singleton(t.ty) => singleton(api, kind, t, live).await?,
        (Action::Update, Some(live)) => update(api, kind, t, parent, live).await?,
        (Action::Replace, Some(live)) if t.replace.allowed || t.replace.rotate_setup_keys => {
            replace(api, kind, t, &live).await?
        }
        (Action::Replace, _) => {
            let fields: Vec<String> = found.changes.into_iter().map(|(f, _, _)| f).collect();
            return Err(ConvergeError::NeedsReplace {
                fields,
                ty: t.ty.name(),
            });
        }
        (action, live) => return Ok((action, live.unwrap_or(Json::Null))),
    };
    let created = matches!(action, Action::Create | Action::Replace);
    reads.written(kind, t.scope, parent, &object, created).await;
    Ok((action, object))
}

/// Delete the live object, then create it anew.
async fn replace(
    api: &Api<'_>,
    kind: ResourceKind,
    t: &Desired<'_>,
    live: &Json,
) -> Result<(Action, Json), ConvergeError> {
    let (client, reads) = (api.client, api.reads);
    // Checked before the delete: a body NetBird would refuse must not cost the live object.
    crate::playbook::rules::check_body(t.ty, t.body)?;
    let id = live.get("id").and_then(Json::as_str).unwrap_or_default();
    let parent = parent_of(t);
    // A rotated setup key is deleted, not revoked: a revoked key stays listed and keeps its
    // `auto_groups` linked, so those groups could never be deleted (`destroy` would fail).
    client.delete(kind, t.scope, parent, id).await?;
    reads.deleted(kind, t.scope, parent, id).await;
    let created = client.create(kind, t.scope, parent, t.body).await?;
    Ok((Action::Replace, created))
}

/// A setup key revoked live (by hand, or by a rotation that never finished) that the
/// playbook wants usable: drift that only a replacement repairs.
fn revoked_by_hand(ty: StepType, desired: &Json, live: &Json) -> bool {
    let revoked = |v: &Json| v.get("revoked") == Some(&Json::Bool(true));
    ty == StepType::SETUP_KEY && revoked(live) && !revoked(desired)
}

fn is_singleton(ty: StepType) -> bool {
    matches!(ty.spec().identity, Identity::Singleton)
}

fn parent_of<'a>(t: &Desired<'a>) -> Option<&'a str> {
    t.ty.spec()
        .parent()
        .and_then(|p| t.body.get(p))
        .and_then(Json::as_str)
}

/// Whether every change is to a field the API updates in place.
fn fits_in_place(ty: StepType, changes: &[Change]) -> bool {
    match &ty.spec().updatable {
        Updatable::All => true,
        Updatable::Nothing => false,
        Updatable::Only(fields) => changes
            .iter()
            .all(|(f, _, _)| fields.contains(&crate::api::compare::top_field(f))),
    }
}

/// By the id the state recorded, else by identity key; both from the collection's one list.
async fn find(
    api: &Api<'_>,
    kind: ResourceKind,
    t: &Desired<'_>,
    parent: Option<&str>,
) -> Result<Option<Json>, ApiError> {
    if let Some(id) = t.known_id
        && let Some(live) = api
            .reads
            .by_id(api.client, kind, t.scope, parent, id)
            .await?
    {
        return Ok(Some(live));
    }
    api.reads
        .with_list(
            api.client,
            kind,
            t.scope,
            parent,
            identity_lookup(t.ty, t.body),
        )
        .await
}

/// A matcher for objects with the same identity key as `body`.
pub fn identity_lookup(ty: StepType, body: &Json) -> impl Fn(&[Json]) -> Option<Json> + use<> {
    let sets: Vec<&'static [&'static str]> = match ty.spec().identity {
        Identity::Fields(f) => vec![f],
        Identity::AnyOf(sets) => sets.to_vec(),
        Identity::Singleton | Identity::None => Vec::new(),
    };
    let parent = ty.spec().parent();
    // A write-only value is never returned (or returned masked): it identifies nothing.
    let body = &crate::playbook::write_only::strip(ty, body);
    let wanted: Option<Vec<(&'static str, Json)>> = sets
        .into_iter()
        .find(|set| set.iter().all(|f| body.get(f).is_some()))
        .map(|set| {
            set.iter()
                .filter(|f| Some(**f) != parent)
                .map(|f| (*f, body[*f].clone()))
                .collect()
        });
    move |items: &[Json]| {
        let wanted = wanted.as_ref()?;
        let same = |o: &&Json| {
            wanted.iter().all(|(f, v)| {
                o.get(f)
                    .is_some_and(|lv| crate::api::compare::matches_field(f, v, lv))
            })
        };
        // A rotated setup key stays listed, revoked: the live one is the key in use.
        let revoked = |o: &&Json| o.get("revoked") == Some(&Json::Bool(true));
        let mut matching = items.iter().filter(same);
        let first = matching.clone().find(|o| !revoked(o));
        first.or_else(|| matching.next()).cloned()
    }
}

fn without_parent(ty: StepType, body: &Json) -> Json {
    let mut b = body.clone();
    if let (Some(p), Some(obj)) = (ty.spec().parent(), b.as_object_mut()) {
        obj.remove(p);
    }
    b
}

async fn update(
    api: &Api<'_>,
    kind: ResourceKind,
    t: &Desired<'_>,
    parent: Option<&str>,
    live: Json,
) -> Result<(Action, Json), ConvergeError> {
    let id = live
        .get("id")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let body = match &t.ty.spec().updatable {
        Updatable::Only(fields) => update_body(t.ty, fields, t.body, &live),
        Updatable::All | Updatable::Nothing => t.body.clone(),
    };
    crate::playbook::rules::check_update_body(t.ty, &body)?;
    let updated = api.client.update(kind, t.scope, parent, &id, &body).await?;
    Ok((Action::Update, updated))
}

/// The PUT body for types that change only some fields: desired where given, else live.
fn update_body(ty: StepType, fields: &[&str], desired: &Json, live: &Json) -> Json {
    let mut body = serde_json::Map::new();
    for f in fields {
        let v = desired.get(*f).cloned().or_else(|| {
            live.get(*f).map(|lv| match (ty, *f) {
                // A group's resources go back as the `{id, type}` objects the API answered.
                (StepType::GROUP, "resources") => lv.clone(),
                _ => crate::api::compare::normalize(lv),
            })
        });
        if let Some(v) = v {
            body.insert((*f).to_owned(), v);
        }
    }
    if ty == StepType::USER {
        body.entry("is_blocked").or_insert(Json::Bool(false));
    }
    if ty == StepType::SETUP_KEY {
        body.entry("revoked").or_insert(Json::Bool(false));
    }
    // An identity provider's PUT is its create body: the `type` it cannot change goes along.
    if ty == StepType::Resource(onboard_netbird::ResourceKind::IdentityProvider)
        && let Some(kind) = desired.get("type").or_else(|| live.get("type"))
    {
        body.insert("type".to_owned(), kind.clone());
    }
    Json::Object(body)
}

/// Account and DNS settings: only the fields given change; the rest is sent back as read. A
/// singleton that may be absent (an EDR integration) is replaced by the desired body whole.
async fn singleton(
    api: &Api<'_>,
    kind: ResourceKind,
    t: &Desired<'_>,
    live: Json,
) -> Result<(Action, Json), ConvergeError> {
    let client = api.client;
    if kind.spec().may_be_absent {
        crate::playbook::rules::check_update_body(t.ty, t.body)?;
        let written = client.put_singleton(kind, t.scope, t.body).await?;
        return Ok((Action::Update, written));
    }
    let mut merged = live;
    if let (Some(m), Some(d)) = (merged.as_object_mut(), t.body.as_object()) {
        for (k, v) in d {
            m.insert(k.clone(), v.clone());
        }
    }
    let written = match kind {
        ResourceKind::AccountSettings => {
            // The account read for the settings is the one this PUT goes to: it must be the
            // tenant the step means, not the account a refused `?account=` fell back to.
            let account = api.reads.account(client, t.scope).await?;
            if let Some(tenant) = t.scope.account()
                && account.id != tenant
            {
                return Err(ConvergeError::NotScoped {
                    tenant: tenant.to_owned(),
                    account: account.id.clone(),
                });
            }
            client
                .put_account_settings(t.scope, &account.id, &merged)
                .await?
        }
        _ => client.put_singleton(kind, t.scope, &merged).await?,
    };
    Ok((Action::Update, written))
}

/// Runs an action on a tenant (the DNS verification): `POST` with no body, in the MSP
/// account. What is recorded is the tenant it ran on (NetBird's 200 has no body).
async fn msp_action(
    api: &Api<'_>,
    kind: ResourceKind,
    t: &Desired<'_>,
) -> Result<(Action, Json), ConvergeError> {
    let tenant = parent_of(t).unwrap_or_default().to_owned();
    if kind != ResourceKind::TenantDnsVerification {
        let what = format!("{kind}: an action onboard cannot run");
        return Err(ConvergeError::Api(ApiError::Usage(what)));
    }
    match api.client.verify_tenant_dns(&tenant).await? {
        DnsVerification::Verified => {
            let done = serde_json::json!({"id": tenant, "tenant_id": tenant, "verified": true});
            Ok((Action::Create, done))
        }
        DnsVerification::Failed { dns_challenge } => {
            let domain = tenant_domain(api, &tenant).await;
            Err(ConvergeError::DnsNotVerified {
                tenant,
                domain,
                dns_challenge,
            })
        }
    }
}

/// The domain of an MSP tenant, for the message of a failed verification: from the session's
/// tenant list (read by the plan, updated by a tenant this run created), else listed again.
async fn tenant_domain(api: &Api<'_>, tenant: &str) -> Option<String> {
    let find = |list: Vec<onboard_netbird::TenantResponse>| {
        list.into_iter().find(|t| t.id == tenant).map(|t| t.domain)
    };
    if let Some(d) = api.reads.tenants(api.client).await.ok().and_then(find) {
        return Some(d);
    }
    api.client.list_tenants().await.ok().and_then(find)
}

async fn request(
    client: &onboard_netbird::Client,
    t: &Desired<'_>,
) -> Result<(Action, Json), ConvergeError> {
    let method = match t
        .body
        .get("method")
        .and_then(Json::as_str)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("GET") => Method::Get,
        Some("POST") => Method::Post,
        Some("PUT") => Method::Put,
        Some("DELETE") => Method::Delete,
        other => {
            return Err(ConvergeError::BadMethod {
                found: other.map(str::to_owned),
            });
        }
    };
    let path = t
        .body
        .get("path")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let reply = client
        .raw(method, path, t.scope, t.body.get("body"))
        .await?;
    Ok((Action::Create, reply))
}
