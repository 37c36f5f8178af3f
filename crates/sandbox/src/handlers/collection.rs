//! The one generic collection: list, get, create, update and delete handlers, and their
//! routes, for every resource kept as a table (groups, setup keys, policies, posture checks,
//! peers, networks, network resources and routers, routes, nameserver groups, users, tokens,
//! MSP tenants), with extra actions on an item; and the [`Settings`] objects an account has
//! one of (the account itself, its DNS settings): `GET` answers one, `PUT` replaces it.
//!
//! A resource implements [`Collection`]: a [`Spec`] (its path, its noun, its audit codes, its
//! name and view), the methods it answers, its owner in the path for network children and
//! tokens, `check` (what it refuses before anything is looked up), `build` (its own checks
//! and the object a create or update stores), and what a delete must check and cascade. Its
//! table is found by the item type ([`Table`]). The handlers here do the rest the same way
//! for all: parse the body, find the owner and the object (404 `<what> not found: <id>`),
//! run the write under the world lock, store it, audit it and answer the view.

use axum::extract::FromRequestParts;
use axum::extract::RawPathParams;
use axum::extract::rejection::RawPathParamsRejection;
use axum::http::request::Parts;
use axum::routing::{MethodRouter, get, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::prelude::*;

/// What every collection states about itself.
pub struct Spec<C: Collection + ?Sized> {
    /// The collection path. The item path appends `/{id}` (`/{item}` under an owner, whose
    /// parameter comes first).
    pub path: &'static str,
    /// The noun of 404 messages.
    pub what: &'static str,
    /// The audit codes of a create, an update and a delete (empty: not audited).
    pub codes: [&'static str; 3],
    /// The name of an object: the audit event's `name`, and what `unique` compares.
    pub name: fn(&C::Item) -> &str,
    /// The view, for the caller.
    pub view: for<'a> fn(&'a Account, &'a Ctx, &'a C::Item) -> C::View<'a>,
}

/// A method of a collection; the first three index [`Spec::codes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `POST` on the collection path.
    Create,
    /// `PUT` on the item path.
    Update,
    /// `DELETE` on the item path.
    Delete,
    /// `GET` on the collection path.
    List,
    /// `GET` on the item path.
    Get,
}

/// Every method.
pub const ALL: &[Verb] = &[
    Verb::List,
    Verb::Get,
    Verb::Create,
    Verb::Update,
    Verb::Delete,
];

/// An extra action on an item (`POST <item path>/<name>`): the world, the caller, the item id
/// and the body, under the world lock.
pub type Action = fn(&mut World, &Ctx, &str, &[u8]) -> ApiResult;

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
/// what to audit and a secret the answer shows once.
#[derive(Debug)]
pub struct At<'a> {
    /// The caller.
    pub ctx: &'a Ctx,
    /// The owner named in the path (network children, tokens).
    pub owner: Option<&'a str>,
    id: Option<String>,
    /// The audit code, when `build` chooses it (empty: none); otherwise [`Collection::code`].
    pub code: Option<&'static str>,
    /// More audit events, `(code, target)`, without meta (as NetBird's setting changes).
    pub events: Vec<(String, String)>,
    /// A secret shown only in this answer.
    pub once: Option<String>,
}

impl At<'_> {
    /// The id of the object: the updated one's, or a new one from `ids`. Call it after the
    /// checks, so a refused create uses up no id.
    pub fn id(&mut self, ids: &mut IdGen) -> String {
        self.id.get_or_insert_with(|| ids.id()).clone()
    }

    /// Gives a new object an id of its own making (a tenant is its account's id).
    pub fn set_id(&mut self, id: String) {
        self.id = Some(id);
    }

    /// The id of the object an update changes (none for a create, until `id` hands one out).
    pub fn current(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The account the request runs in, and the id generator.
    pub fn account<'w>(
        &self,
        w: &'w mut World,
    ) -> Result<(&'w mut Account, &'w mut IdGen), ApiError> {
        w.account_mut(&self.ctx.account_id)
    }
}

/// A resource kept as a table. See the module docs.
pub trait Collection: Send + Sync + 'static {
    /// The stored object.
    type Item: Table + Send + Sync + 'static;
    /// The create request body.
    type Create: DeserializeOwned + Send + 'static;
    /// The update request body.
    type Update: DeserializeOwned + Send + 'static;
    /// The response view.
    type View<'a>: Serialize;
    /// Path, noun, audit codes, name and view.
    const SPEC: Spec<Self>;
    /// The methods it answers (peers are never created, tokens never change).
    const VERBS: &'static [Verb] = ALL;
    /// Extra actions on an item: `POST <item path>/<name>`.
    const ACTIONS: &'static [(&'static str, Action)] = &[];

    /// Checks a request before the owner or the object is looked up (`None`: a delete).
    fn check(_w: &World, _at: &At, _req: Option<&Request<Self>>) -> Result<(), ApiError> {
        Ok(())
    }
    /// Checks a request and builds the object it stores (its id from `at.id`).
    fn build(w: &mut World, at: &mut At, req: Request<Self>) -> Built<Self>;

    /// The owner named in the path: 404 unless it exists, 403 if the caller may not use it.
    fn owner(_a: &Account, _ctx: &Ctx, _id: &str) -> Result<(), ApiError> {
        Ok(())
    }
    /// The owner an item belongs to.
    fn owner_of(_item: &Self::Item) -> Option<&str> {
        None
    }
    /// The items `GET` lists (before the owner filter); some filter by query.
    fn select<'a>(w: &'a World, ctx: &Ctx) -> Result<Vec<&'a Self::Item>, ApiError> {
        Ok(Self::Item::table(w, &ctx.account_id)?.values().collect())
    }
    /// The view of a create answer that shows `secret` once.
    fn view_once<'a>(
        a: &'a Account,
        c: &'a Ctx,
        item: &'a Self::Item,
        _: &'a str,
    ) -> Self::View<'a> {
        (Self::SPEC.view)(a, c, item)
    }
    /// The audit code of a create, an update or a delete of `item`.
    fn code(_item: &Self::Item, verb: Verb) -> &'static str {
        Self::SPEC.codes[verb as usize]
    }
    /// The audit event's meta.
    fn meta(item: &Self::Item, _verb: Verb) -> Vec<(&'static str, String)> {
        vec![("name", (Self::SPEC.name)(item).to_owned())]
    }
    /// The audit event's target: the object itself, or its owner.
    fn target<'a>(id: &'a str, _item: &'a Self::Item) -> &'a str {
        id
    }
    /// Stores a built object in the account `account`.
    fn store(w: &mut World, account: &str, id: String, item: Self::Item) -> Result<(), ApiError> {
        Self::Item::table_mut(w, account)?.insert(id, item);
        Ok(())
    }
    /// Refuses to delete `item` (while something else needs it).
    fn deletable(_w: &World, _a: &Account, _item: &Self::Item) -> Result<(), ApiError> {
        Ok(())
    }
    /// Removes `id` from the account `account`, and what goes with it.
    fn remove(w: &mut World, account: &str, id: &str) -> Result<(), ApiError> {
        Self::Item::table_mut(w, account)?.shift_remove(id);
        Ok(())
    }
}

/// The request `build` checks.
pub type Request<C> = Req<<C as Collection>::Create, <C as Collection>::Update>;

/// What `build` answers.
pub type Built<C> = Result<<C as Collection>::Item, ApiError>;

/// 422 `<noun> with name <name> already exists` when another object of `C` has `name`.
pub fn unique<C: Collection>(w: &World, at: &At, name: &str, noun: &str) -> Result<(), ApiError> {
    let taken = C::Item::table(w, &at.ctx.account_id)?
        .iter()
        .any(|(k, t)| (C::SPEC.name)(t) == name && Some(k.as_str()) != at.current());
    ensure(!taken, format!("{noun} with name {name} already exists"))
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

/// The routes of `C`: list and create on the collection path; get, update and delete on the
/// item path; its actions below the item path.
pub fn routes<C: Collection>() -> axum::Router<Arc<App>> {
    let on = |verb| C::VERBS.contains(&verb);
    let (mut all, mut one) = (MethodRouter::new(), MethodRouter::new());
    if on(Verb::List) {
        all = all.get(list_items::<C>);
    }
    if on(Verb::Create) {
        all = all.post(write::<C, true>);
    }
    if on(Verb::Get) {
        one = one.get(read::<C>);
    }
    if on(Verb::Update) {
        one = one.put(write::<C, false>);
    }
    if on(Verb::Delete) {
        one = one.delete(delete::<C>);
    }
    let path = C::SPEC.path;
    let item = format!(
        "{path}/{}",
        if path.contains('{') { "{item}" } else { "{id}" }
    );
    let mut router = axum::Router::new().route(path, all).route(&item, one);
    for (name, action) in C::ACTIONS {
        router = router.route(&format!("{item}/{name}"), post(act(*action)));
    }
    router
}

fn act(action: Action) -> MethodRouter<Arc<App>> {
    post(
        move |State(app): AppState, Extension(ctx): Caller, Ids(ids): Ids, body: Bytes| {
            let id = ids.last().cloned().unwrap_or_default();
            async move { app.write(|w| action(w, &ctx, &id, &body)).await }
        },
    )
}

/// Checks the owner in `ids` (all of them: a collection path has no item id).
fn owner<'a, C: Collection>(
    w: &World,
    ctx: &Ctx,
    ids: &'a [String],
) -> Result<Option<&'a str>, ApiError> {
    let owner = ids.last().map(String::as_str);
    if let Some(o) = owner {
        C::owner(w.account(&ctx.account_id)?, ctx, o)?;
    }
    Ok(owner)
}

/// The item the path names (its owner checked), or 404.
fn item<'a, C: Collection>(
    w: &'a World,
    ctx: &Ctx,
    ids: &[String],
) -> Result<&'a C::Item, ApiError> {
    let Some((id, rest)) = ids.split_last() else {
        return Err(ApiError::not_found("not found"));
    };
    let owner = owner::<C>(w, ctx, rest)?;
    C::Item::table(w, &ctx.account_id)?
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
        let owner = owner::<C>(w, &ctx, &ids)?;
        let items = C::select(w, &ctx)?.into_iter();
        list(
            items.filter(|i| owner.is_none() || C::owner_of(i) == owner),
            |i| (C::SPEC.view)(a, &ctx, i),
        )
    })
}

async fn read<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
) -> ApiResult {
    app.read(|w| {
        json(&(C::SPEC.view)(
            w.account(&ctx.account_id)?,
            &ctx,
            item::<C>(w, &ctx, &ids)?,
        ))
    })
}

/// `POST` (`NEW`) or `PUT`: builds, stores and audits the object and answers its view.
async fn write<C: Collection, const NEW: bool>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
    body: Bytes,
) -> ApiResult {
    let (req, verb) = match NEW {
        true => (Req::New(parse(&body)?), Verb::Create),
        false => (Req::Change(parse(&body)?), Verb::Update),
    };
    app.write(|w| {
        let (last, rest) = ids.split_last().unzip();
        let mut at = At {
            ctx: &ctx,
            owner: if NEW {
                ids.last()
            } else {
                rest.and_then(<[_]>::last)
            }
            .map(String::as_str),
            id: last.filter(|_| !NEW).cloned(),
            code: None,
            events: Vec::new(),
            once: None,
        };
        C::check(w, &at, Some(&req))?;
        match NEW {
            true => owner::<C>(w, &ctx, &ids).map(|_| ())?,
            false => item::<C>(w, &ctx, &ids).map(|_| ())?,
        }
        let built = C::build(w, &mut at, req)?;
        let id = at.id(&mut w.ids);
        C::store(w, &ctx.account_id, id.clone(), built)?;
        let stored = C::Item::table(w, &ctx.account_id)?
            .get(&id)
            .ok_or_else(|| ApiError::internal(format!("{} {id} was not stored", C::SPEC.what)))?;
        let code = at.code.unwrap_or_else(|| C::code(stored, verb));
        let (meta, target) = (C::meta(stored, verb), C::target(&id, stored).to_owned());
        let a = w.account(&ctx.account_id)?;
        let view = match &at.once {
            Some(secret) => json(&C::view_once(a, &ctx, stored, secret))?,
            None => json(&(C::SPEC.view)(a, &ctx, stored))?,
        };
        let (a, _) = w.account_mut(&ctx.account_id)?;
        audit(a, &ctx, code, &target, &meta);
        for (code, target) in &at.events {
            audit(a, &ctx, code, target, &[]);
        }
        Ok(view)
    })
    .await
}

/// Records an event, unless `code` is empty.
fn audit(a: &mut Account, ctx: &Ctx, code: &str, id: &str, meta: &[(&'static str, String)]) {
    let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if !code.is_empty() {
        a.audit(&ctx.user, code, id, &meta);
    }
}

async fn delete<C: Collection>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
) -> ApiResult {
    app.write(|w| {
        let id = ids.last().map(String::as_str).unwrap_or_default();
        let at = At {
            ctx: &ctx,
            owner: None,
            id: Some(id.to_owned()),
            code: None,
            events: Vec::new(),
            once: None,
        };
        C::check(w, &at, None)?;
        let found = item::<C>(w, &ctx, &ids)?;
        C::deletable(w, w.account(&ctx.account_id)?, found)?;
        let (meta, code) = (C::meta(found, Verb::Delete), C::code(found, Verb::Delete));
        let target = C::target(id, found).to_owned();
        C::remove(w, &ctx.account_id, id)?;
        audit(
            w.account_mut(&ctx.account_id)?.0,
            &ctx,
            code,
            &target,
            &meta,
        );
        empty()
    })
    .await
}

/// An object each account has one of. See the module docs.
pub trait Settings: Send + Sync + 'static {
    /// The `PUT` body.
    type Body: DeserializeOwned + Send + 'static;
    /// The view.
    type View<'a>: Serialize;
    /// The `GET` path and the `PUT` path.
    const PATHS: [&'static str; 2];
    /// Whether `GET` answers a one-element array (as `/api/accounts` does).
    const LISTED: bool = false;

    /// The view of the object in `a`.
    fn view(a: &Account) -> Self::View<'_>;
    /// Checks a request (`id`: the one the `PUT` path names) and applies it to `a`; answers
    /// the audit events, `(code, target)`.
    fn apply(a: &mut Account, ctx: &Ctx, id: Option<&str>, req: Self::Body) -> Events;
}

/// What [`Settings::apply`] answers.
pub type Events = Result<Vec<(String, String)>, ApiError>;

/// The routes of `S`.
pub fn settings<S: Settings>() -> axum::Router<Arc<App>> {
    let [read, write] = S::PATHS;
    axum::Router::new()
        .route(read, get(get_settings::<S>))
        .route(write, put(put_settings::<S>))
}

async fn get_settings<S: Settings>(State(app): AppState, Extension(ctx): Caller) -> ApiResult {
    app.read(|w| {
        let view = S::view(w.account(&ctx.account_id)?);
        if S::LISTED {
            json(&[view])
        } else {
            json(&view)
        }
    })
}

async fn put_settings<S: Settings>(
    State(app): AppState,
    Extension(ctx): Caller,
    Ids(ids): Ids,
    body: Bytes,
) -> ApiResult {
    let req = parse(&body)?;
    app.write(|w| {
        let (a, _) = w.account_mut(&ctx.account_id)?;
        for (code, target) in S::apply(a, &ctx, ids.last().map(String::as_str), req)? {
            audit(a, &ctx, &code, &target, &[]);
        }
        json(&S::view(a))
    })
    .await
}
