//! The one generic collection: list, get, create, update and delete handlers, and their
//! routes, for every resource kept as a table (groups, setup keys, policies, posture checks,
//! peers, networks, network resources and routers, routes, nameserver groups, users, tokens,
//! MSP tenants), with extra actions on an item; and the [`Settings`] objects an account has
//! one of (the account itself, its DNS settings): `GET` answers one, `PUT` replaces it.
//!
//! A resource implements [`Collection`]: a [`Spec`] (its path, its noun, its audit codes, its
//! name and view), the methods it answers, its owner in the path for network children and
//! tokens, `check_*` (what it refuses before anything is looked up), `create` and `update`
//! (its own checks and the object a create or an update stores), and what a delete must
//! check and cascade. Its
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
    /// The view, for the caller (none: the world document).
    pub view: for<'a> fn(&'a Account, Option<&'a Ctx>, &'a C::Item) -> C::View<'a>,
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

/// An audit event to record: `(code, target, meta)`; an empty code records nothing.
pub type Audit = (String, String, Vec<(&'static str, String)>);

/// An extra action on an item (`POST <item path>/<name>`): the world, the caller, the item id
/// and the body, under the world lock.
pub type Action = fn(&mut World, &Ctx, &str, &[u8]) -> ApiResult;

/// Where a write goes and what it did: the caller, the owner in the path, the object's id,
/// what to audit and a secret the answer shows once.
#[derive(Debug)]
pub struct At<'a> {
    /// The caller.
    pub ctx: &'a Ctx,
    /// The owner named in the path (network children, tokens).
    pub owner: Option<&'a str>,
    id: Option<String>,
    /// The audit code, when `create` or `update` chooses it (empty: none); otherwise [`Collection::code`].
    pub code: Option<&'static str>,
    /// The first event's meta, when `create` or `update` chooses it; otherwise
    /// [`Collection::meta`].
    pub meta: Option<Vec<(&'static str, String)>>,
    /// More audit events after the first, `(code, target, meta)`.
    pub events: Vec<Audit>,
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
    /// The key under which the world document adds the owner's id (`network_id`,
    /// `user_id`); empty: none.
    const OWNER_KEY: &'static str = "";
    /// `(activity code, text)`: what NetBird's audit log shows for the codes only this kind
    /// logs (the shared codes are in `world::audit::activity_text`).
    const TEXTS: &'static [(&'static str, &'static str)] = &[];

    /// Checks a create before the owner is looked up.
    fn check_create(_w: &World, _at: &At, _body: &Self::Create) -> Result<(), ApiError> {
        Ok(())
    }
    /// Checks an update before the object is looked up.
    fn check_update(_w: &World, _at: &At, _body: &Self::Update) -> Result<(), ApiError> {
        Ok(())
    }
    /// Checks a delete before the object is looked up.
    fn check_delete(_w: &World, _at: &At) -> Result<(), ApiError> {
        Ok(())
    }
    /// Checks a create and builds the object it stores (its id from `at.id`, after the
    /// checks). Only called when `VERBS` has `Create`.
    fn create(_w: &mut World, _at: &mut At, _body: Self::Create) -> Built<Self> {
        Err(ApiError::from_status(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
        ))
    }
    /// Checks an update of the object `at.current()` names ([`stored`] copies it) and builds
    /// what replaces it; a kind whose create and update take the same body rebuilds it with
    /// `Self::create`. Only called when `VERBS` has `Update`.
    fn update(_w: &mut World, _at: &mut At, _body: Self::Update) -> Built<Self> {
        Err(ApiError::from_status(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
        ))
    }

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
        (Self::SPEC.view)(a, Some(c), item)
    }
    /// The audit code of a create, an update or a delete of `item`.
    fn code(_item: &Self::Item, verb: Verb) -> &'static str {
        Self::SPEC.codes[verb as usize]
    }
    /// The audit event's meta.
    fn meta(item: &Self::Item, _verb: Verb) -> Vec<(&'static str, String)> {
        vec![("name", (Self::SPEC.name)(item).to_owned())]
    }
    /// The audit event's meta, when it needs the account (names of owners, users).
    fn meta_in(_a: &Account, item: &Self::Item, verb: Verb) -> Vec<(&'static str, String)> {
        Self::meta(item, verb)
    }
    /// The events a create, an update or a delete of `item` (id `id`) records: by default
    /// one, [`Collection::code`] on [`Collection::target`] with [`Collection::meta_in`].
    fn audit(a: &Account, id: &str, item: &Self::Item, verb: Verb) -> Vec<Audit> {
        let target = Self::target(id, item).to_owned();
        vec![(
            Self::code(item, verb).to_owned(),
            target,
            Self::meta_in(a, item, verb),
        )]
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
    /// Routes a kind answers in its own way (an EDR integration, one per account, on a path
    /// without an id), merged with those of its `VERBS`.
    fn own_routes() -> axum::Router<Arc<App>> {
        axum::Router::new()
    }
}

/// What `create` and `update` answer.
pub type Built<C> = Result<<C as Collection>::Item, ApiError>;

/// 422 `<noun> with name <name> already exists` when another object of `C` has `name`.
pub fn unique<C: Collection>(w: &World, at: &At, name: &str, noun: &str) -> Result<(), ApiError> {
    let taken = C::Item::table(w, &at.ctx.account_id)?
        .iter()
        .any(|(k, t)| (C::SPEC.name)(t) == name && Some(k.as_str()) != at.current());
    ensure(!taken, format!("{noun} with name {name} already exists"))
}

/// A copy of the object an update changes, or 404.
pub fn stored<C: Collection>(w: &World, at: &At) -> Built<C>
where
    C::Item: Clone,
{
    let id = at.current().unwrap_or_default();
    let found = C::Item::table(w, &at.ctx.account_id)?.get(id).cloned();
    found.ok_or_else(|| missing(C::SPEC.what, id))
}

/// What every handler here takes: the shared state, the caller and the path parameters, in
/// order (none on a top-level collection path).
pub struct Call {
    app: Arc<App>,
    ctx: Arc<Ctx>,
    ids: Vec<String>,
}

impl FromRequestParts<Arc<App>> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Call, ApiError> {
        let ids = match RawPathParams::from_request_parts(parts, app).await {
            Ok(params) => params.iter().map(|(_, v)| v.to_owned()).collect(),
            Err(RawPathParamsRejection::MissingPathParams(_)) => Vec::new(),
            Err(_) => return Err(ApiError::bad_request("invalid path parameter")),
        };
        let ctx = parts.extensions.get::<Arc<Ctx>>().cloned();
        let ctx = ctx.ok_or_else(|| ApiError::internal("no caller"))?;
        Ok(Call {
            app: app.clone(),
            ctx,
            ids,
        })
    }
}

impl Call {
    /// The shared state.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// The caller.
    pub fn ctx(&self) -> &Arc<Ctx> {
        &self.ctx
    }

    /// The item id: the last path parameter.
    fn id(&self) -> &str {
        self.ids.last().map(String::as_str).unwrap_or_default()
    }

    /// Where a write goes: the owner and the id from the path (a create has no id).
    fn at(&self, new: bool) -> At<'_> {
        let (id, rest) = self.ids.split_last().unzip();
        let owner = if new {
            self.ids.last()
        } else {
            rest.and_then(<[_]>::last)
        };
        let (owner, id) = (owner.map(String::as_str), id.filter(|_| !new).cloned());
        let (code, events, once) = (None, Vec::new(), None);
        At {
            ctx: &self.ctx,
            owner,
            id,
            code,
            meta: None,
            events,
            once,
        }
    }
}

/// The routes of `C`: list and create on the collection path; get, update and delete on the
/// item path; its actions below the item path.
pub fn routes<C: Collection>() -> axum::Router<Arc<App>> {
    let (mut all, mut one) = (MethodRouter::new(), MethodRouter::new());
    for verb in C::VERBS {
        match verb {
            Verb::List => all = all.get(list_items::<C>),
            Verb::Create => all = all.post(write::<C, true>),
            Verb::Get => one = one.get(read::<C>),
            Verb::Update => one = one.put(write::<C, false>),
            Verb::Delete => one = one.delete(delete::<C>),
        }
    }
    let path = C::SPEC.path;
    let param = if path.contains('{') { "item" } else { "id" };
    let item = format!("{path}/{{{param}}}");
    let mut router = C::own_routes();
    let on = |verbs: &[Verb]| C::VERBS.iter().any(|v| verbs.contains(v));
    if on(&[Verb::List, Verb::Create]) {
        router = router.route(path, all);
    }
    if on(&[Verb::Get, Verb::Update, Verb::Delete]) || !C::ACTIONS.is_empty() {
        router = router.route(&item, one);
    }
    for (name, action) in C::ACTIONS {
        let act = move |c: Call, body: Bytes| async move {
            c.app.write(|w| action(w, &c.ctx, c.id(), &body)).await
        };
        router = router.route(&format!("{item}/{name}"), post(act));
    }
    router
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
fn item<'a, C: Collection>(w: &'a World, c: &Call) -> Result<&'a C::Item, ApiError> {
    let (ctx, rest) = (&c.ctx, c.ids.split_last().map_or(&[][..], |(_, r)| r));
    let owner = owner::<C>(w, ctx, rest)?;
    C::Item::table(w, &ctx.account_id)?
        .get(c.id())
        .filter(|i| owner.is_none() || C::owner_of(i) == owner)
        .ok_or_else(|| missing(C::SPEC.what, c.id()))
}

async fn list_items<C: Collection>(c: Call) -> ApiResult {
    c.app.read(|w| {
        let a = w.account(&c.ctx.account_id)?;
        let owner = owner::<C>(w, &c.ctx, &c.ids)?;
        let items = C::select(w, &c.ctx)?.into_iter();
        let items = items.filter(|i| owner.is_none() || C::owner_of(i) == owner);
        list(items, |i| (C::SPEC.view)(a, Some(&c.ctx), i))
    })
}

async fn read<C: Collection>(c: Call) -> ApiResult {
    c.app.read(|w| {
        let (a, item) = (w.account(&c.ctx.account_id)?, item::<C>(w, &c)?);
        json(&(C::SPEC.view)(a, Some(&c.ctx), item))
    })
}

/// `POST` (`NEW`) or `PUT`: builds, stores and audits the object and answers its view.
async fn write<C: Collection, const NEW: bool>(c: Call, body: Bytes) -> ApiResult {
    if NEW {
        let body: C::Create = parse(&body)?;
        c.app
            .write(|w| {
                let mut at = c.at(true);
                C::check_create(w, &at, &body)?;
                owner::<C>(w, &c.ctx, &c.ids)?;
                let built = C::create(w, &mut at, body)?;
                keep::<C>(w, &c, at, built, Verb::Create)
            })
            .await
    } else {
        let body: C::Update = parse(&body)?;
        c.app
            .write(|w| {
                let mut at = c.at(false);
                C::check_update(w, &at, &body)?;
                item::<C>(w, &c)?;
                let built = C::update(w, &mut at, body)?;
                keep::<C>(w, &c, at, built, Verb::Update)
            })
            .await
    }
}

/// Stores a built object, audits it and answers its view.
fn keep<C: Collection>(
    w: &mut World,
    c: &Call,
    mut at: At,
    built: C::Item,
    verb: Verb,
) -> ApiResult {
    let account = &c.ctx.account_id;
    let id = at.id(&mut w.ids);
    C::store(w, account, id.clone(), built)?;
    let stored = C::Item::table(w, account)?.get(&id);
    let stored = stored.ok_or_else(|| ApiError::internal(format!("{id} was not stored")))?;
    let a = w.account(account)?;
    let view = match &at.once {
        Some(secret) => json(&C::view_once(a, &c.ctx, stored, secret))?,
        None => json(&(C::SPEC.view)(a, Some(&c.ctx), stored))?,
    };
    let mut first = C::audit(a, &id, stored, verb);
    if let Some(code) = at.code {
        first.truncate(1);
        first.iter_mut().for_each(|e| e.0 = code.to_owned());
    }
    if let (Some(meta), Some(e)) = (at.meta.take(), first.first_mut()) {
        e.2 = meta;
    }
    let events = first.into_iter().chain(at.events);
    let (a, ids) = w.account_mut(account)?;
    audit(a, ids, &c.ctx, events);
    Ok(view)
}

/// `item` in the world document: its view, plus its owner's id under [`Collection::OWNER_KEY`].
pub fn doc<C: Collection>(a: &Account, item: &C::Item) -> Value {
    let mut doc = render::value(&(C::SPEC.view)(a, None, item));
    if let (Value::Object(map), Some(owner)) = (&mut doc, C::owner_of(item))
        && !C::OWNER_KEY.is_empty()
    {
        map.insert(C::OWNER_KEY.to_owned(), Value::from(owner));
    }
    doc
}

/// Records `events`, skipping empty codes.
fn audit(a: &mut Account, ids: &mut IdGen, ctx: &Ctx, events: impl IntoIterator<Item = Audit>) {
    for (code, target, meta) in events {
        if !code.is_empty() {
            let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (*k, v.as_str())).collect();
            a.audit(ids, &ctx.user, &code, &target, &meta);
        }
    }
}

async fn delete<C: Collection>(c: Call) -> ApiResult {
    c.app
        .write(|w| {
            C::check_delete(w, &c.at(false))?;
            let found = item::<C>(w, &c)?;
            C::deletable(w, w.account(&c.ctx.account_id)?, found)?;
            let events = C::audit(w.account(&c.ctx.account_id)?, c.id(), found, Verb::Delete);
            C::remove(w, &c.ctx.account_id, c.id())?;
            let (a, ids) = w.account_mut(&c.ctx.account_id)?;
            audit(a, ids, &c.ctx, events);
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
    /// the audit events.
    fn apply(a: &mut Account, ctx: &Ctx, id: Option<&str>, req: Self::Body) -> Events;
}

/// What [`Settings::apply`] answers.
pub type Events = Result<Vec<Audit>, ApiError>;

/// The routes of `S`.
pub fn settings<S: Settings>() -> axum::Router<Arc<App>> {
    let [read, write] = S::PATHS;
    axum::Router::new()
        .route(read, get(get_settings::<S>))
        .route(write, put(put_settings::<S>))
}

async fn get_settings<S: Settings>(c: Call) -> ApiResult {
    c.app.read(|w| {
        let view = S::view(w.account(&c.ctx.account_id)?);
        if S::LISTED {
            json(&[view])
        } else {
            json(&view)
        }
    })
}

async fn put_settings<S: Settings>(c: Call, body: Bytes) -> ApiResult {
    let req = parse(&body)?;
    c.app
        .write(|w| {
            let (a, ids) = w.account_mut(&c.ctx.account_id)?;
            let events = S::apply(a, &c.ctx, c.ids.last().map(String::as_str), req)?;
            audit(a, ids, &c.ctx, events);
            json(&S::view(a))
        })
        .await
}
