//! The read cache: every collection is read at most once per session.
//!
//! Calls are the budget (one PAT, 120 a minute on NetBird Cloud, reads and writes alike), so
//! the planner and the executor read the API only through a [`Reads`]: the first lookup of a
//! resource type in an account (and under a parent: a network's resources) lists the whole
//! collection with one call, and every later lookup is answered from that list. Writes update
//! the lists they touch, so the executor sees what it created. One `Reads` serves every run of
//! an inventory, so the MSP account's reads (the tenant list, `scope: msp` lookups) happen once
//! for all customers.
//!
//! Two facts need no call at all: a collection under an object created in this session (the
//! resources of a new network) is empty, and an account's settings come with the account read
//! that proves a tenant's `?account=` scoping ([`Reads::account`]).

use onboard_netbird::models::User;
use onboard_netbird::{Account, ApiError, Client, ResourceKind, Scope, TenantResponse};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Mutex as AsyncMutex;

/// A collection: `(account, kind, parent id)`; `None` is the PAT's own account.
type Key = (Option<String>, ResourceKind, Option<String>);

/// A singleton: `(account, kind)`; its slot holds `None` when the account has none.
type SingletonKey = (Option<String>, ResourceKind);

/// A slot filled by the first reader; later readers wait for it instead of calling again.
type Slot<T> = Arc<AsyncMutex<Option<T>>>;

/// Reads of one session, shared by its planner, its executor and every run of an inventory.
/// Each read is sent with the caller's client, so that a run's journal sees its own calls.
#[derive(Default)]
pub struct Reads {
    lists: Mutex<BTreeMap<Key, Slot<Vec<Json>>>>,
    singletons: Mutex<BTreeMap<SingletonKey, Slot<Option<Json>>>>,
    accounts: Mutex<BTreeMap<Option<String>, Slot<Account>>>,
    tenants: Slot<Vec<TenantResponse>>,
    caller: Slot<User>,
    notification_types: Slot<std::collections::BTreeSet<String>>,
}

/// A client and the session's reads: what [`crate::api::converge`] works with.
#[derive(Clone, Copy)]
pub struct Api<'a> {
    pub client: &'a Client,
    pub reads: &'a Reads,
}

impl Reads {
    pub fn new() -> Self {
        Self::default()
    }

    /// Run `f` over a collection, listing it first if this session has not yet.
    pub async fn with_list<R>(
        &self,
        client: &Client,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        f: impl FnOnce(&[Json]) -> R,
    ) -> Result<R, ApiError> {
        let slot = slot(&self.lists, key(kind, scope, parent));
        let mut list = slot.lock().await;
        if list.is_none() {
            *list = Some(client.list(kind, scope, parent).await?);
        }
        Ok(f(list.as_deref().unwrap_or_default()))
    }

    /// The object with this id, from the collection's list.
    pub async fn by_id(
        &self,
        client: &Client,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        id: &str,
    ) -> Result<Option<Json>, ApiError> {
        self.with_list(client, kind, scope, parent, |items| {
            items.iter().find(|o| id_of(o) == Some(id)).cloned()
        })
        .await
    }

    /// A singleton (DNS settings, account settings, an EDR integration); `None` when it is
    /// one an account may have none of and this account has none. Account settings come
    /// from [`Reads::account`], so a proven tenant's settings cost no further call.
    pub async fn singleton(
        &self,
        client: &Client,
        kind: ResourceKind,
        scope: &Scope,
    ) -> Result<Option<Json>, ApiError> {
        if kind == ResourceKind::AccountSettings {
            let settings = self.account(client, scope).await?.settings;
            return Ok(Some(Json::Object(settings)));
        }
        let slot = slot(&self.singletons, (account_of(scope), kind));
        let mut value = slot.lock().await;
        if let Some(v) = value.as_ref() {
            return Ok(v.clone());
        }
        let v = client.find_singleton(kind, scope).await?;
        *value = Some(v.clone());
        Ok(v)
    }

    /// `GET /api/accounts` in this scope: the account the calls really run in. Comparing its
    /// id with the tenant's proves `?account=` scoping; its settings answer later reads.
    pub async fn account(&self, client: &Client, scope: &Scope) -> Result<Account, ApiError> {
        let slot = slot(&self.accounts, account_of(scope));
        let mut account = slot.lock().await;
        if let Some(a) = account.as_ref() {
            return Ok(a.clone());
        }
        let list = client.list_accounts(scope).await?;
        let a = list.into_iter().next().ok_or_else(|| ApiError::Decode {
            method: onboard_netbird::Method::Get,
            path: "/api/accounts".into(),
            status: 200,
            detail: "no account in the list".into(),
        })?;
        *account = Some(a.clone());
        Ok(a)
    }

    /// Prove that `?account=<id>` really runs in `id`: NetBird silently runs a request in the
    /// caller's own account when it does not honour `account` (not a tenant of this MSP, a
    /// service user's PAT, a tenant unlinked meanwhile). `fresh`: read again instead of using
    /// the session's earlier answer (the proof at the end of a run).
    pub async fn prove(&self, client: &Client, id: &str, fresh: bool) -> Result<(), ProofError> {
        let scope = Scope::Account(id.to_owned());
        let ran_in = if fresh {
            let read = client.list_accounts(&scope).await?.into_iter().next();
            let ran_in = read.as_ref().map(|a| a.id.clone()).unwrap_or_default();
            if let Some(a) = read.filter(|a| a.id == id) {
                // The first read of a proven account: its settings answer later lookups.
                let slot = slot(&self.accounts, Some(id.to_owned()));
                slot.lock().await.get_or_insert(a);
            }
            ran_in
        } else {
            self.account(client, &scope).await?.id
        };
        if ran_in == id {
            return Ok(());
        }
        Err(ProofError::NotScoped {
            account: id.to_owned(),
            ran_in,
            why: why_not_scoped(client).await,
        })
    }

    /// Refuses cross-tenant work with a service user's PAT before it starts (before a tenant
    /// is created: an existing tenant's proof would fail anyway): NetBird does not honour
    /// `?account=` for one. The PAT's user is read once a session (`GET /api/users/current`).
    pub async fn refuse_service_user(&self, client: &Client) -> Result<(), CallerRefusal> {
        let mut caller = self.caller.lock().await;
        if caller.is_none() {
            let user = client
                .current_user(&Scope::Own)
                .await
                .map_err(CallerRefusal::Unknown)?;
            *caller = Some(user);
        }
        match caller.as_ref() {
            Some(user) if user.is_service_user => Err(CallerRefusal::ServiceUser {
                name: user.name.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The MSP account's tenants, listed once.
    pub async fn tenants(&self, client: &Client) -> Result<Vec<TenantResponse>, ApiError> {
        let mut tenants = self.tenants.lock().await;
        if let Some(t) = tenants.as_ref() {
            return Ok(t.clone());
        }
        let t = client.list_tenants().await?;
        *tenants = Some(t.clone());
        Ok(t)
    }

    /// The event types a notification channel may subscribe to (`GET
    /// /api/integrations/notifications/types`, a map of code → text, the same for every
    /// account), read once a session and only by a playbook that has a channel.
    pub async fn notification_types(
        &self,
        client: &Client,
    ) -> Result<std::collections::BTreeSet<String>, ApiError> {
        let mut types = self.notification_types.lock().await;
        if let Some(t) = types.as_ref() {
            return Ok(t.clone());
        }
        let answer = client
            .raw(
                onboard_netbird::Method::Get,
                "/api/integrations/notifications/types",
                &Scope::Own,
                None,
            )
            .await?;
        let t: std::collections::BTreeSet<String> = answer
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        *types = Some(t.clone());
        Ok(t)
    }

    /// A tenant this session created or adopted.
    pub async fn tenant_written(&self, tenant: &TenantResponse) {
        if let Some(list) = self.tenants.lock().await.as_mut() {
            list.retain(|t| t.id != tenant.id);
            list.push(tenant.clone());
        }
    }

    /// An object this session created or changed. A created object's child collections (a
    /// new network's resources and routers, a new user's tokens) are known to be empty.
    pub async fn written(
        &self,
        kind: ResourceKind,
        scope: &Scope,
        parent: Option<&str>,
        object: &Json,
        created: bool,
    ) {
        if kind == ResourceKind::AccountSettings {
            let slot = slot(&self.accounts, account_of(scope));
            if let (Some(a), Some(settings)) = (slot.lock().await.as_mut(), object.as_object()) {
                a.settings = settings.clone();
            }
            return;
        }
        if kind.spec().singleton {
            let slot = slot(&self.singletons, (account_of(scope), kind));
            *slot.lock().await = Some(Some(object.clone()));
            return;
        }
        let Some(id) = id_of(object) else { return };
        let list_slot = slot(&self.lists, key(kind, scope, parent));
        if let Some(list) = list_slot.lock().await.as_mut() {
            match list.iter_mut().find(|o| id_of(o) == Some(id)) {
                Some(o) => *o = object.clone(),
                None => list.push(object.clone()),
            }
        }
        if created {
            for child in children(kind) {
                let slot = slot(&self.lists, key(child, scope, Some(id)));
                slot.lock().await.get_or_insert_with(Vec::new);
            }
        }
    }

    /// An object this session deleted (a singleton: the account has none now).
    pub async fn deleted(&self, kind: ResourceKind, scope: &Scope, parent: Option<&str>, id: &str) {
        if kind.spec().singleton {
            let slot = slot(&self.singletons, (account_of(scope), kind));
            *slot.lock().await = Some(None);
            return;
        }
        let slot = slot(&self.lists, key(kind, scope, parent));
        if let Some(list) = slot.lock().await.as_mut() {
            list.retain(|o| id_of(o) != Some(id));
        }
    }
}

/// Why no tenant is created with this PAT.
#[derive(Debug, thiserror::Error)]
pub enum CallerRefusal {
    /// The PAT's user could not be read.
    #[error("cannot tell whose PAT this is: {0}")]
    Unknown(#[source] ApiError),
    /// NetBird does not honour `?account=` for a service user.
    #[error("no tenant is created: {}", service_user_refusal(.name))]
    ServiceUser { name: String },
}

/// A failed scope proof.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the API does not scope requests to account {account} (they ran in account {ran_in})")]
    NotScoped {
        account: String,
        ran_in: String,
        /// What to do about it.
        why: String,
    },
}

impl ProofError {
    /// What to do about a request that was not scoped.
    pub fn help(&self) -> Option<&str> {
        match self {
            ProofError::NotScoped { why, .. } => Some(why),
            ProofError::Api(_) => None,
        }
    }
}

/// Why `?account=` was not honoured, as far as the PAT's user tells (`GET /api/users/current`,
/// asked only after a failed proof): NetBird does not scope a service user's requests.
async fn why_not_scoped(client: &Client) -> String {
    match client.current_user(&Scope::Own).await {
        Ok(user) if user.is_service_user => service_user_refusal(&user.name),
        _ => "the tenant may have been unlinked from this MSP account (see its tenant list); \
              otherwise check that the id is a tenant of this MSP account and that the PAT \
              belongs to a user, not a service user"
            .to_owned(),
    }
}

fn service_user_refusal(name: &str) -> String {
    format!(
        "the PAT belongs to the service user `{name}`, and NetBird does not honour `?account=` \
         for service users: use a PAT of a user of the MSP account"
    )
}

/// Kinds whose collection lives under an object of `kind` (`/api/networks/{network_id}/...`).
fn children(kind: ResourceKind) -> impl Iterator<Item = ResourceKind> {
    let base = kind.spec().collection;
    ResourceKind::ALL.into_iter().filter(move |c| {
        let spec = c.spec();
        spec.parent.is_some()
            && spec
                .collection
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with("/{"))
    })
}

fn key(kind: ResourceKind, scope: &Scope, parent: Option<&str>) -> Key {
    (account_of(scope), kind, parent.map(str::to_owned))
}

fn account_of(scope: &Scope) -> Option<String> {
    scope.account().map(str::to_owned)
}

fn slot<K: Ord, T>(map: &Mutex<BTreeMap<K, Slot<T>>>, k: K) -> Slot<T> {
    let mut map = map
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(k).or_default().clone()
}

fn id_of(o: &Json) -> Option<&str> {
    o.get("id").and_then(Json::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_of_a_network_are_its_resources_and_routers() {
        let c: Vec<_> = children(ResourceKind::Network).collect();
        assert_eq!(
            c,
            vec![ResourceKind::NetworkResource, ResourceKind::NetworkRouter]
        );
        let c: Vec<_> = children(ResourceKind::User).collect();
        assert_eq!(c, vec![ResourceKind::Token]);
        assert_eq!(children(ResourceKind::Group).count(), 0);
    }
}
