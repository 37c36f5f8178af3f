//! The one generic collection: list, get, create, update and delete handlers, and their
//! routes, for every resource that is a table of an account (groups, setup keys, policies,
//! posture checks, peers, networks, network resources and routers, routes, nameserver
//! groups).
//!
//! A resource implements [`Collection`]: a [`Spec`] (its paths, its noun, its audit codes),
//! its table in the account, its owner in the path for network children, `build` (its own
//! checks and the object a create or update stores), what a delete must check and cascade,
//! and its view. The handlers here do the rest the same way for all: parse the body, find the
//! owner and the object (404 `<what> not found: <id>`), run the write under the world lock,
//! store it, audit it and answer the view.

use axum::extract::FromRequestParts;
use axum::extract::RawPathParams;
use axum::extract::rejection::RawPathParamsRejection;
use axum::http::request::Parts;
use axum::routing::{MethodRouter, get};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::prelude::*;

/// What every collection states about itself.
pub struct Spec<C: Collection + ?Sized> {
    /// The collection path and the item path (its last parameter is the item id; earlier
    /// ones name the owner, for network children).
    pub paths: [&'static str; 2],
    /// The noun of 404 messages.
    pub what: &'static str,
    /// The audit codes of a create, an update and a delete.
    pub codes: [&'static str; 3],
    /// The table in the account.
    pub table: fn(&Account) -> &IndexMap<String, C::Item>,
    /// The table in the account, to change it.
    pub table_mut: fn(&mut Account) -> &mut IndexMap<String, C::Item>,
    /// The name of an object: the audit event's `name`, and what `unique` compares.
    pub name: fn(&C::Item) -> &str,
    /// The view.
    pub view: for<'a> fn(&'a Account, &'a C::Item) -> C::View<'a>,
}

impl<C: Collection + ?Sized> std::fmt::Debug for Spec<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec").field("paths", &self.paths).finish()
    }
}

/// A create (`New`) or an update (`Change`) request.
#[derive(Debug)]
pub enum Req<C, U> {
    /// `POST` on the collection path.
    New(C),
    /// `PUT` on the item path.
    Change(U),
}

impl<T> Req<T, T> {
    /// The body, where create and update take the same one.
    pub fn body(self) -> T {
        match self {
            Req::New(t) | Req::Change(t) => t,
        }
    }
}

/// Where a write goes and what it did: the caller, the owner in the path, the object's id,
/// the audit code (none: nothing to audit) and a secret the answer shows once.
#[derive(Debug)]
pub struct At<'a> {
    /// The caller.
    pub ctx: &'a Ctx,
    /// The owner named in the path (network children, tokens).
    pub owner: Option<&'a str>,
    id: Option<String>,
    /// The audit code; `build` may change it.
    pub code: Option<&'static str>,
    /// A secret shown only in this answer.
    pub once: Option<String>,
}

impl At<'_> {
    /// The id of the object: the updated one's, or a new one from `ids`. Call it after the
    /// checks, so a refused create uses up no id.
    pub fn id(&mut self, ids: &mut IdGen) -> String {
        self.id.get_or_insert_with(|| ids.id()).clone()
    }

    /// The id of the object an update changes (none for a create, until `id` hands one out).
    pub fn current(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

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
    /// Paths, noun, audit codes, table, name and view.
    const SPEC: Spec<Self>;
    /// Whether `POST` creates (peers are never created through the API).
    const CREATES: bool = true;
    /// Whether `PUT` updates (tokens never change).
    const UPDATES: bool = true;

    /// Checks a request and builds the object it stores (its id from `at.id`).
    fn build(a: &mut Account, ids: &mut IdGen, at: &mut At, req: Request<Self>) -> Built<Self>;

    /// The owner named in the path: 404 unless it exists, 403 if the caller may not use it.
    fn owner(_a: &Account, _ctx: &Ctx, _id: &str) -> Result<(), ApiError> {
        Ok(())
    }
    /// The owner an item belongs to.
    fn owner_of(_item: &Self::Item) -> Option<&str> {
        None
    }
    /// The items `GET` lists (before the owner filter); groups and peers filter by query.
    fn select<'a>(a: &'a Account, _ctx: &Ctx) -> Result<Vec<&'a Self::Item>, ApiError> {
        Ok((Self::SPEC.table)(a).values().collect())
    }
    /// The view of a create answer that shows `secret` once.
    fn view_once<'a>(a: &'a Account, item: &'a Self::Item, _secret: &'a str) -> Self::View<'a> {
        (Self::SPEC.view)(a, item)
    }
    /// The audit event's meta.
    fn meta(item: &Self::Item) -> Vec<(&'static str, String)> {
        vec![("name", (Self::SPEC.name)(item).to_owned())]
    }
    /// The audit event's target: the object itself, or its owner.
    fn target<'a>(id: &'a str, _item: &'a Self::Item) -> &'a str {
        id
    }
    /// Stores a built object in the account `account`.
    fn store(w: &mut World, account: &str, id: String, item: Self::Item) -> Result<(), ApiError> {
        (Self::SPEC.table_mut)(w.account_mut(account)?.0).insert(id, item);
        Ok(())
    }
    /// Refuses to delete `item` (while something else needs it).
    fn deletable(_w: &World, _a: &Account, _item: &Self::Item) -> Result<(), ApiError> {
        Ok(())
    }
    /// Removes `id` from the account `account`, and what goes with it.
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        (Self::SPEC.table_mut)(w.account_mut(account)?.0).shift_remove(id);
        Ok(())
    }
}

/// The request `build` checks.
pub type Request<C> = Req<<C as Collection>::Create, <C as Collection>::Update>;

/// What `build` answers.
pub type Built<C> = Result<<C as Collection>::Item, ApiError>;

/// 422 `<noun> with name <name> already exists` when another object of `C` has `name`.
pub fn unique<C: Collection>(a: &Account, at: &At, name: &str, noun: &str) -> Result<(), ApiError> {
    let taken = (C::SPEC.table)(a)
        .iter()
        .any(|(k, t)| (C::SPEC.name)(t) == name && Some(k.as_str()) != at.current());
    if taken {
        return Err(ApiError::invalid(format!(
            "{noun} with name {name} already exists"
        )));
    }
    Ok(())
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
        all = all.post(write::<C, true>);
    }
    let mut one: MethodRouter<Arc<App>> = get(read::<C>).delete(delete::<C>);
    if C::UPDATES {
        one = one.put(write::<C, false>);
    }
    let [many, item] = C::SPEC.paths;
    axum::Router::new().route(many, all).route(item, one)
}

/// Checks the owner in `ids` (all of them: a collection path has no item id).
fn owner<'a, C: Collection>(
    a: &Account,
    ctx: &Ctx,
    ids: &'a [String],
) -> Result<Option<&'a str>, ApiError> {
    let owner = ids.last().map(String::as_str);
    if let Some(o) = owner {
        C::owner(a, ctx, o)?;
    }
    Ok(owner)
}

/// The item the path names (its owner checked), or 404.
fn item<'a, C: Collection>(
    a: &'a Account,
    ctx: &Ctx,
    ids: &[String],
) -> Result<&'a C::Item, ApiError> {
    let Some((id, rest)) = ids.split_last() else {
        return Err(ApiError::not_found("not found"));
    };
    let owner = owner::<C>(a, ctx, rest)?;
    (C::SPEC.table)(a)
        .get(id)
        .filter(|i| owner.is_none() || C::owner_of(i) == owner)
        .ok_or_else(|| missing(C::SPEC.what, id))
}

async fn list_items<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        let owner = owner::<C>(a, &ctx, &ids)?;
        let items = C::select(a, &ctx)?.into_iter();
        list(
            items.filter(|i| owner.is_none() || C::owner_of(i) == owner),
            |i| (C::SPEC.view)(a, i),
        )
    })
}

async fn read<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
) -> ApiResult {
    app.read(|w| {
        let a = w.account(&ctx.account_id)?;
        json(&(C::SPEC.view)(a, item::<C>(a, &ctx, &ids)?))
    })
}

/// `POST` (`NEW`) or `PUT`: builds, stores and audits the object and answers its view.
async fn write<C: Collection, const NEW: bool>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
    body: Bytes,
) -> ApiResult {
    let req = match NEW {
        true => Req::New(parse(&body)?),
        false => Req::Change(parse(&body)?),
    };
    app.write(|w| {
        let (a, ids_gen) = w.account_mut(&ctx.account_id)?;
        let (owner, id) = match NEW {
            true => (owner::<C>(a, &ctx, &ids)?, None),
            false => {
                item::<C>(a, &ctx, &ids)?;
                let (id, rest) = ids.split_last().unzip();
                (rest.and_then(|r| r.last()).map(String::as_str), id.cloned())
            }
        };
        let code = Some(C::SPEC.codes[usize::from(!NEW)]);
        let mut at = At {
            ctx: &ctx,
            owner,
            id,
            code,
            once: None,
        };
        let built = C::build(a, ids_gen, &mut at, req)?;
        let id = at.id(ids_gen);
        C::store(w, &ctx.account_id, id.clone(), built)?;
        let (a, _) = w.account_mut(&ctx.account_id)?;
        let stored = (C::SPEC.table)(a)
            .get(&id)
            .ok_or_else(|| ApiError::internal(format!("{} {id} was not stored", C::SPEC.what)))?;
        let (meta, target) = (C::meta(stored), C::target(&id, stored).to_owned());
        let view = match &at.once {
            Some(secret) => json(&C::view_once(a, stored, secret))?,
            None => json(&(C::SPEC.view)(a, stored))?,
        };
        if let Some(code) = at.code {
            audit(a, &ctx, code, &target, &meta);
        }
        Ok(view)
    })
    .await
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
        let found = item::<C>(a, &ctx, &ids)?;
        C::deletable(w, a, found)?;
        let meta = C::meta(found);
        let id = ids.last().map(String::as_str).unwrap_or_default();
        let target = C::target(id, found).to_owned();
        C::remove(w, &ctx.account_id, id)?;
        let (a, _) = w.account_mut(&ctx.account_id)?;
        audit(a, &ctx, C::SPEC.codes[2], &target, &meta);
        empty()
    })
    .await
}
