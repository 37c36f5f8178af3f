//! The one generic collection: list, get, create, update and delete handlers, and their
//! routes, for every resource that is a table of an account (groups, setup keys, policies,
//! posture checks, networks, network resources and routers, routes, nameserver groups).
//!
//! A resource implements [`Collection`]: where it lives (its paths, its table in the account,
//! its owner in the path for network children), its own rules (`create`, `update`, what a
//! delete must check and cascade) and its view. The handlers here do the rest the same way for
//! all: parse the body, find the owner and the object (404 `<what> not found: <id>`), run the
//! write under the world lock, audit it and answer the view.

use axum::extract::FromRequestParts;
use axum::extract::RawPathParams;
use axum::extract::rejection::RawPathParamsRejection;
use axum::http::request::Parts;
use axum::routing::{MethodRouter, get};
use indexmap::IndexMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::handlers::prelude::*;
use crate::world::ids::IdGen;

/// What a create or update did: the object's id, the audit code (none: nothing to audit)
/// and, for a create, a secret the answer shows once.
#[derive(Debug)]
pub struct Saved {
    /// The stored object's id.
    pub id: String,
    /// The audit code, if the write is audited.
    pub code: Option<&'static str>,
    /// A secret shown only in this answer.
    pub once: Option<String>,
}

impl Saved {
    /// An audited write.
    pub fn new(id: String, code: &'static str) -> Saved {
        Saved {
            id,
            code: Some(code),
            once: None,
        }
    }

    /// The id of a create (new, from `ids`) or an update (`id`), with its audit code of
    /// `[create, update]`. Call it after the checks, so a refused create uses up no id.
    pub fn id_and_code(
        ids: &mut IdGen,
        id: Option<&str>,
        codes: [&'static str; 2],
    ) -> (String, &'static str) {
        match id {
            Some(id) => (id.to_owned(), codes[1]),
            None => (ids.id(), codes[0]),
        }
    }
}

/// What `create` and `update` answer.
pub type SaveResult = Result<Saved, ApiError>;

/// A resource kept as a table of an account. See the module docs.
pub trait Collection: Send + Sync + 'static {
    /// The stored object.
    type Item: Send + Sync + 'static;
    /// The create request body.
    type Create: DeserializeOwned + Send + 'static;
    /// The update request body.
    type Update: DeserializeOwned + Send + 'static;
    /// The response view.
    type View<'a>: Serialize;

    /// The collection path and the item path (its last parameter is the item id; earlier
    /// ones name the owner, for network children).
    const PATHS: [&'static str; 2];
    /// The noun of 404 messages.
    const WHAT: &'static str;
    /// Whether `POST` creates (peers are never created through the API).
    const CREATES: bool = true;

    /// The table in the account.
    fn table(a: &Account) -> &IndexMap<String, Self::Item>;
    /// The owner named in the path: 404 unless it exists (network children only).
    fn owner(_a: &Account, _id: &str) -> Result<(), ApiError> {
        Ok(())
    }
    /// The owner an item belongs to (network children only).
    fn owner_of(_item: &Self::Item) -> Option<&str> {
        None
    }
    /// The items `GET` lists (before the owner filter); groups and peers filter by query.
    fn select<'a>(a: &'a Account, _ctx: &Ctx) -> Result<Vec<&'a Self::Item>, ApiError> {
        Ok(Self::table(a).values().collect())
    }
    /// The view.
    fn view<'a>(a: &'a Account, item: &'a Self::Item) -> Self::View<'a>;
    /// The view of a create answer that shows `secret` once.
    fn view_once<'a>(a: &'a Account, item: &'a Self::Item, _secret: &'a str) -> Self::View<'a> {
        Self::view(a, item)
    }
    /// The audit event's meta.
    fn meta(item: &Self::Item) -> Vec<(&'static str, String)>;
    /// Checks and stores a new object under `owner`.
    fn create(
        a: &mut Account,
        ids: &mut IdGen,
        owner: Option<&str>,
        req: Self::Create,
    ) -> SaveResult;
    /// Checks and stores a change to the existing object `id`.
    fn update(a: &mut Account, ids: &mut IdGen, id: &str, req: Self::Update) -> SaveResult;
    /// Refuses to delete `item` (while something else needs it).
    fn deletable(_w: &World, _a: &Account, _item: &Self::Item) -> Result<(), ApiError> {
        Ok(())
    }
    /// Removes `id`, and what goes with it; answers the delete's audit code.
    fn remove(a: &mut Account, id: &str) -> &'static str;
}

/// The path parameters, in order (none on a top-level collection path).
#[derive(Debug)]
pub struct Ids(Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Ids, ApiError> {
        match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => Ok(Ids(params.iter().map(|(_, v)| v.to_owned()).collect())),
            Err(RawPathParamsRejection::MissingPathParams(_)) => Ok(Ids(Vec::new())),
            Err(_) => Err(ApiError::bad_request("invalid path parameter")),
        }
    }
}

/// The routes of `C`: list and create on the collection path, get, update and delete on
/// the item path.
pub fn routes<C: Collection>() -> axum::Router<Arc<App>> {
    let mut all: MethodRouter<Arc<App>> = get(list_items::<C>);
    if C::CREATES {
        all = all.post(create::<C>);
    }
    let one = get(read::<C>).put(update::<C>).delete(delete::<C>);
    axum::Router::new()
        .route(C::PATHS[0], all)
        .route(C::PATHS[1], one)
}

/// Checks the owner in `ids` (all of them: a collection path has no item id).
fn owner<'a, C: Collection>(a: &Account, ids: &'a [String]) -> Result<Option<&'a str>, ApiError> {
    let owner = ids.last().map(String::as_str);
    if let Some(o) = owner {
        C::owner(a, o)?;
    }
    Ok(owner)
}

/// The item the path names (its owner checked), or 404.
fn item<'a, C: Collection>(a: &'a Account, ids: &[String]) -> Result<&'a C::Item, ApiError> {
    let Some((id, rest)) = ids.split_last() else {
        return Err(ApiError::not_found("not found"));
    };
    let owner = owner::<C>(a, rest)?;
    C::table(a)
        .get(id)
        .filter(|i| owner.is_none() || C::owner_of(i) == owner)
        .ok_or_else(|| missing(C::WHAT, id))
}

async fn list_items<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        let owner = owner::<C>(a, &ids)?;
        let items = C::select(a, &ctx)?;
        let mine = items
            .into_iter()
            .filter(|i| owner.is_none() || C::owner_of(i) == owner);
        list(mine, |i| C::view(a, i))
    })
}

async fn read<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        json(&C::view(a, item::<C>(a, &ids)?))
    })
}

async fn create<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
    body: Bytes,
) -> ApiResult {
    let req: C::Create = parse(&body)?;
    app.write(|w| {
        let (a, ids_gen) = w.account_mut(&ctx.account_id)?;
        let owner = owner::<C>(a, &ids)?;
        let saved = C::create(a, ids_gen, owner, req)?;
        answer::<C>(a, &ctx, saved)
    })
    .await
}

async fn update<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
    body: Bytes,
) -> ApiResult {
    let req: C::Update = parse(&body)?;
    app.write(|w| {
        let (a, ids_gen) = w.account_mut(&ctx.account_id)?;
        item::<C>(a, &ids)?;
        let id = ids.last().map(String::as_str).unwrap_or_default();
        let saved = C::update(a, ids_gen, id, req)?;
        answer::<C>(a, &ctx, saved)
    })
    .await
}

/// Audits a write and answers the stored object's view.
fn answer<C: Collection>(a: &mut Account, ctx: &Ctx, saved: Saved) -> ApiResult {
    let stored = C::table(a)
        .get(&saved.id)
        .ok_or_else(|| ApiError::internal(format!("{} {} was not stored", C::WHAT, saved.id)))?;
    let meta = C::meta(stored);
    let view = match &saved.once {
        Some(secret) => json(&C::view_once(a, stored, secret))?,
        None => json(&C::view(a, stored))?,
    };
    if let Some(code) = saved.code {
        audit(a, ctx, code, &saved.id, &meta);
    }
    Ok(view)
}

fn audit(a: &mut Account, ctx: &Ctx, code: &str, id: &str, meta: &[(&'static str, String)]) {
    let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (*k, v.as_str())).collect();
    a.audit(&ctx.user, code, id, &meta);
}

async fn delete<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
) -> ApiResult {
    app.write(|w| {
        let a = w.account(&ctx.account_id)?;
        let found = item::<C>(a, &ids)?;
        C::deletable(w, a, found)?;
        let meta = C::meta(found);
        let id = ids.last().map(String::as_str).unwrap_or_default();
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let code = C::remove(a, id);
        audit(a, &ctx, code, id, &meta);
        empty()
    })
    .await
}

/// 422 `<what> with name <name> already exists` when another item than `id` has `name`.
pub fn unique<'a, T: 'a>(
    items: impl IntoIterator<Item = (&'a String, &'a T)>,
    name_of: impl Fn(&T) -> &str,
    id: Option<&str>,
    name: &str,
    what: &str,
) -> Result<(), ApiError> {
    let taken = items
        .into_iter()
        .any(|(k, t)| name_of(t) == name && Some(k.as_str()) != id);
    if taken {
        return Err(ApiError::invalid(format!(
            "{what} with name {name} already exists"
        )));
    }
    Ok(())
}
