//! Bringing one object to its desired state: find it, compare, create, adopt or update.
//!
//! Input: a step type, a rendered body, the API scope and what the state recorded. Output:
//! the [`Action`] taken and the object as the API returned it. A POST is never repeated
//! blindly: the client settles an unknown outcome by looking the object up by its identity.

use onboard_netbird::{ApiError, Client, Method, ResourceKind, Scope};
use serde_json::Value as Json;

use crate::compare::matches;
use crate::plan::Action;
use crate::resource::{Identity, StepType, Updatable};

/// One object to converge.
pub struct Target<'a> {
    pub ty: StepType,
    pub scope: &'a Scope,
    pub body: &'a Json,
    pub existing: bool,
    /// The id the state recorded, if any.
    pub known_id: Option<&'a str>,
    /// What a replacement may do.
    pub replace: Replace,
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
    #[error("{0}")]
    Invalid(String),
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
pub async fn inspect(client: &Client, t: &Target<'_>) -> Result<Inspection, ConvergeError> {
    let Some(kind) = t.ty.resource_kind() else {
        // A raw request runs once; the state says whether it ran.
        let action = if t.known_id.is_some() {
            Action::NoChange
        } else {
            Action::Create
        };
        return Ok(Inspection {
            action,
            live: None,
            changes: Vec::new(),
        });
    };
    let live = if matches!(t.ty.spec().identity, Identity::Singleton) {
        Some(client.get_singleton(kind, t.scope).await?)
    } else {
        find(client, kind, t, parent_of(t)).await?
    };
    let Some(live) = live else {
        if t.existing {
            return Err(ConvergeError::Invalid(format!(
                "no existing {} matches {}",
                t.ty.name(),
                crate::plan::identity_value(t.ty, t.body).unwrap_or_default()
            )));
        }
        return Ok(Inspection {
            action: Action::Create,
            live: None,
            changes: Vec::new(),
        });
    };
    let desired = without_parent(t.ty, t.body);
    let changes = crate::compare::diff(&desired, &live);
    let action = match () {
        _ if t.existing => Action::Read,
        _ if t.ty == StepType::SetupKey && t.replace.rotate_setup_keys => Action::Replace,
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
pub async fn converge(client: &Client, t: &Target<'_>) -> Result<(Action, Json), ConvergeError> {
    let Some(kind) = t.ty.resource_kind() else {
        return request(client, t).await;
    };
    let found = inspect(client, t).await?;
    match (found.action, found.live) {
        (Action::Create, _) => {
            let lookup = identity_lookup(t.ty, t.body);
            let created = client
                .create_or_adopt(kind, t.scope, parent_of(t), t.body, lookup)
                .await?;
            let action = if created.is_adopted() {
                Action::Adopt
            } else {
                Action::Create
            };
            Ok((action, created.into_inner()))
        }
        (Action::Update, Some(live)) if is_singleton(t.ty) => {
            singleton(client, kind, t, live).await
        }
        (Action::Update, Some(live)) => update(client, kind, t, parent_of(t), live).await,
        (Action::Replace, Some(live)) if t.replace.allowed || t.replace.rotate_setup_keys => {
            replace(client, kind, t, &live).await
        }
        (Action::Replace, _) => {
            let fields: Vec<String> = found.changes.into_iter().map(|(f, _, _)| f).collect();
            Err(ConvergeError::Invalid(format!(
                "{} of the live {} differ and cannot be changed in place: it needs a replacement; \
                 pass --allow-replace to delete and re-create it",
                fields.join(", "),
                t.ty.name()
            )))
        }
        (action, live) => Ok((action, live.unwrap_or(Json::Null))),
    }
}

/// Delete (a setup key: revoke, since revoked keys stay listed) the live object, then create.
async fn replace(
    client: &Client,
    kind: ResourceKind,
    t: &Target<'_>,
    live: &Json,
) -> Result<(Action, Json), ConvergeError> {
    let id = live.get("id").and_then(Json::as_str).unwrap_or_default();
    let parent = parent_of(t);
    if t.ty == StepType::SetupKey {
        let groups = crate::compare::normalize(live.get("auto_groups").unwrap_or(&Json::Null));
        let revoke = serde_json::json!({"revoked": true, "auto_groups": groups});
        client.update(kind, t.scope, parent, id, &revoke).await?;
    } else {
        client.delete(kind, t.scope, parent, id).await?;
    }
    let created = client.create(kind, t.scope, parent, t.body).await?;
    Ok((Action::Replace, created))
}

fn is_singleton(ty: StepType) -> bool {
    matches!(ty.spec().identity, Identity::Singleton)
}

fn parent_of<'a>(t: &Target<'a>) -> Option<&'a str> {
    t.ty.spec()
        .parent()
        .and_then(|p| t.body.get(p))
        .and_then(Json::as_str)
}

/// Whether every change is to a field the API updates in place.
fn fits_in_place(ty: StepType, changes: &[Change]) -> bool {
    match ty.spec().updatable {
        Updatable::All => true,
        Updatable::Nothing => false,
        Updatable::Only(fields) => changes.iter().all(|(f, _, _)| fields.contains(&f.as_str())),
    }
}

async fn find(
    client: &Client,
    kind: ResourceKind,
    t: &Target<'_>,
    parent: Option<&str>,
) -> Result<Option<Json>, ApiError> {
    if let Some(id) = t.known_id {
        match client.get(kind, t.scope, parent, id).await {
            Ok(v) => return Ok(Some(v)),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    if kind == ResourceKind::Group
        && let Some(name) = t.body.get("name").and_then(Json::as_str)
    {
        return client.find_group_by_name(t.scope, name).await;
    }
    let list = client.list(kind, t.scope, parent).await?;
    Ok(identity_lookup(t.ty, t.body)(&list))
}

/// A matcher for objects with the same identity key as `body`.
pub fn identity_lookup(ty: StepType, body: &Json) -> impl Fn(&[Json]) -> Option<Json> + use<> {
    let sets: Vec<&'static [&'static str]> = match ty.spec().identity {
        Identity::Fields(f) => vec![f],
        Identity::AnyOf(sets) => sets.to_vec(),
        Identity::Singleton | Identity::None => Vec::new(),
    };
    let parent = ty.spec().parent();
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
            wanted
                .iter()
                .all(|(f, v)| o.get(f).is_some_and(|lv| same_identity(v, lv)))
        };
        // A rotated setup key stays listed, revoked: the live one is the key in use.
        let revoked = |o: &&Json| o.get("revoked") == Some(&Json::Bool(true));
        let mut matching = items.iter().filter(same);
        let first = matching.clone().find(|o| !revoked(o));
        first.or_else(|| matching.next()).cloned()
    }
}

fn same_identity(want: &Json, live: &Json) -> bool {
    match (want.as_str(), live.as_str()) {
        (Some(a), Some(b)) if a.contains('@') => a.eq_ignore_ascii_case(b),
        _ => matches(want, live),
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
    client: &Client,
    kind: ResourceKind,
    t: &Target<'_>,
    parent: Option<&str>,
    live: Json,
) -> Result<(Action, Json), ConvergeError> {
    let id = live
        .get("id")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let body = match t.ty.spec().updatable {
        Updatable::Only(fields) => update_body(t.ty, fields, t.body, &live),
        Updatable::All | Updatable::Nothing => t.body.clone(),
    };
    let updated = client.update(kind, t.scope, parent, &id, &body).await?;
    Ok((Action::Update, updated))
}

/// The PUT body for types that change only some fields: desired where given, else live.
fn update_body(ty: StepType, fields: &[&str], desired: &Json, live: &Json) -> Json {
    let mut body = serde_json::Map::new();
    for f in fields {
        let v = desired.get(*f).cloned().or_else(|| {
            live.get(*f).map(|lv| match (ty, *f) {
                // A group's resources go back as the `{id, type}` objects the API answered.
                (StepType::Group, "resources") => lv.clone(),
                _ => crate::compare::normalize(lv),
            })
        });
        if let Some(v) = v {
            body.insert((*f).to_owned(), v);
        }
    }
    if ty == StepType::User {
        body.entry("is_blocked").or_insert(Json::Bool(false));
    }
    if ty == StepType::SetupKey {
        body.entry("revoked").or_insert(Json::Bool(false));
    }
    Json::Object(body)
}

/// Account and DNS settings: only the fields given change; the rest is sent back as read.
async fn singleton(
    client: &Client,
    kind: ResourceKind,
    t: &Target<'_>,
    live: Json,
) -> Result<(Action, Json), ConvergeError> {
    let mut merged = live;
    if let (Some(m), Some(d)) = (merged.as_object_mut(), t.body.as_object()) {
        for (k, v) in d {
            m.insert(k.clone(), v.clone());
        }
    }
    let written = client.put_singleton(kind, t.scope, &merged).await?;
    Ok((Action::Update, written))
}

async fn request(client: &Client, t: &Target<'_>) -> Result<(Action, Json), ConvergeError> {
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
            return Err(ConvergeError::Invalid(format!(
                "request method must be GET, POST, PUT or DELETE, found {}",
                other.unwrap_or("nothing")
            )));
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
