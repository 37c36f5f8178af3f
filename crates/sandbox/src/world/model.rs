//! The world and its accounts: every resource of an account in an [`IndexMap`] keyed by id,
//! in creation order, plus the derived indexes (group names per account, PAT hashes) that
//! keep the hot paths O(1). The indexes are not persisted; [`World::reindex`] rebuilds them.
//!
//! Invariants: a group name appears once per account; `tokens` maps the hash of every stored
//! PAT to the account and token that hold it; every account but the root one has a parent
//! or is a former (unlinked) tenant.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::ids::IdGen;
use super::network::DnsSettings;
use super::people::{Event, Tenant, Token};
use super::resources::{Group, ResourceKind, ResourceRef};
use super::settings::{AccountSettings, Onboarding};
use super::time::Ts;
use crate::handlers::Tables;
use crate::http::error::ApiError;

/// Where a PAT hash points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRef {
    /// Account of the token's user.
    pub account_id: String,
    /// Token id.
    pub token_id: String,
}

/// Everything the sandbox knows; also the persisted (`data`) form.
#[derive(Debug, Serialize, Deserialize)]
pub struct World {
    /// Persistence format version.
    pub format: u32,
    /// The account the sandbox started with (the MSP account unless standalone).
    pub msp_account_id: String,
    /// Started with `standalone`: no MSP features.
    pub standalone: bool,
    /// All accounts, root first, then tenants in creation order.
    pub accounts: IndexMap<String, Account>,
    /// Tenant records of the root account, by tenant (account) id.
    pub tenants: IndexMap<String, Tenant>,
    /// The public DNS's TXT records, as far as the sandbox knows it: name (lower case, no
    /// trailing dot) to values, published with `POST /__sandbox/dns/txt`. A tenant's domain
    /// verifies only when its name holds the tenant's `dns_challenge`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub txt_records: BTreeMap<String, Vec<String>>,
    /// PAT hash to token.
    #[serde(skip)]
    pub tokens: HashMap<String, TokenRef>,
    /// Id and secret generator.
    #[serde(skip)]
    pub ids: IdGen,
}

/// One NetBird account with every resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Domain.
    pub domain: String,
    /// `private` etc.
    pub domain_category: String,
    /// The MSP account of a tenant.
    pub parent: Option<String>,
    /// Creation.
    pub created_at: Ts,
    /// Creator's user id.
    pub created_by: String,
    /// Settings.
    pub settings: AccountSettings,
    /// Onboarding flags.
    pub onboarding: Onboarding,
    /// DNS settings.
    pub dns_settings: DnsSettings,
    /// Group name to id.
    #[serde(skip)]
    pub group_names: HashMap<String, String>,
    /// One table per kind of `handlers::kinds!` (`groups`, `setup_keys`, ...), reached
    /// through `Deref`.
    #[serde(flatten)]
    pub tables: Tables,
    /// Audit log.
    pub events: Vec<Event>,
}

impl World {
    /// Rebuilds the derived indexes after loading.
    pub fn reindex(&mut self) {
        self.tokens.clear();
        let last_event = self.accounts.values().flat_map(|a| &a.events);
        let last_event = last_event.filter_map(|e| e.id.parse().ok()).max();
        self.ids.events_after(last_event.unwrap_or(0));
        for account in self.accounts.values_mut() {
            account.group_names = account
                .groups
                .values()
                .map(|g| (g.spec.name.clone(), g.id.clone()))
                .collect();
            for token in account.tokens.values() {
                self.tokens.insert(
                    token.extra.hash.clone(),
                    TokenRef {
                        account_id: account.id.clone(),
                        token_id: token.id.clone(),
                    },
                );
            }
        }
    }

    /// The account `id`, or 404.
    pub fn account(&self, id: &str) -> Result<&Account, ApiError> {
        self.accounts
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("account not found: {id}")))
    }

    /// The account `id` and the id generator, or 404.
    pub fn account_mut(&mut self, id: &str) -> Result<(&mut Account, &mut IdGen), ApiError> {
        let account = self
            .accounts
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("account not found: {id}")))?;
        Ok((account, &mut self.ids))
    }

    /// Stores a token and indexes its hash.
    pub fn add_token(&mut self, account_id: &str, token: Token) -> Result<(), ApiError> {
        let account = self.account_mut(account_id)?.0;
        let token_ref = TokenRef {
            account_id: account_id.to_owned(),
            token_id: token.id.clone(),
        };
        let hash = token.extra.hash.clone();
        account.tokens.insert(token.id.clone(), token);
        self.tokens.insert(hash, token_ref);
        Ok(())
    }

    /// Drops every token of `account_id` that `keep` rejects, from the account and the index.
    pub fn retain_tokens(&mut self, account_id: &str, keep: impl Fn(&Token) -> bool) {
        let Some(account) = self.accounts.get_mut(account_id) else {
            return;
        };
        let index = &mut self.tokens;
        account.tokens.retain(|_, t| {
            let kept = keep(t);
            if !kept {
                index.remove(&t.extra.hash);
            }
            kept
        });
    }

    /// 403 unless `account` is the MSP account of an MSP (not standalone) sandbox.
    pub fn msp(&self, account: &str) -> Result<(), ApiError> {
        if self.standalone || account != self.msp_account_id {
            return Err(ApiError::forbidden(
                "msp features are not enabled for this account",
            ));
        }
        Ok(())
    }

    /// Removes an account and its tokens.
    pub fn remove_account(&mut self, account_id: &str) {
        self.retain_tokens(account_id, |_| false);
        self.accounts.shift_remove(account_id);
    }
}

impl std::ops::Deref for Account {
    type Target = Tables;
    fn deref(&self) -> &Tables {
        &self.tables
    }
}

impl std::ops::DerefMut for Account {
    fn deref_mut(&mut self) -> &mut Tables {
        &mut self.tables
    }
}

impl Account {
    /// The group `id`, or 404 `group not found: <id>`.
    pub fn group(&self, id: &str) -> Result<&Group, ApiError> {
        self.groups
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("group not found: {id}")))
    }

    /// 404 for the first id that is not a group of this account.
    pub fn check_groups<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), ApiError> {
        ids.into_iter()
            .try_for_each(|id| self.group(id).map(|_| ()))
    }

    /// The id of the group named `name`.
    pub fn group_id_by_name(&self, name: &str) -> Option<&String> {
        self.group_names.get(name)
    }

    /// The id of the `All` group.
    pub fn all_group_id(&self) -> Option<&String> {
        self.group_id_by_name("All")
    }

    /// Inserts or replaces a group, keeping the name index right.
    pub fn put_group(&mut self, group: Group) {
        if let Some(old) = self.tables.groups.get(&group.id) {
            self.group_names.remove(&old.spec.name);
        }
        self.group_names
            .insert(group.spec.name.clone(), group.id.clone());
        self.groups.insert(group.id.clone(), group);
    }

    /// Removes a group, keeping the name index right.
    pub fn remove_group(&mut self, id: &str) -> Option<Group> {
        let group = self.groups.shift_remove(id)?;
        self.group_names.remove(&group.spec.name);
        Some(group)
    }

    /// 404 `peer not found: <id>` for the first unknown peer id.
    pub fn check_peers<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), ApiError> {
        match ids.into_iter().find(|id| !self.peers.contains_key(*id)) {
            Some(id) => Err(ApiError::not_found(format!("peer not found: {id}"))),
            None => Ok(()),
        }
    }

    /// 404 `resource not found: <id>` for the first unknown peer or network resource.
    pub fn check_resources<'a>(
        &self,
        refs: impl IntoIterator<Item = &'a ResourceRef>,
    ) -> Result<(), ApiError> {
        let known = |r: &ResourceRef| match r.kind {
            ResourceKind::Peer => self.peers.contains_key(&r.id),
            _ => self.network_resources.contains_key(&r.id),
        };
        match refs.into_iter().find(|r| !known(r)) {
            Some(r) => Err(ApiError::not_found(format!("resource not found: {}", r.id))),
            None => Ok(()),
        }
    }
}

/// Where the objects of one kind live, as a request running in `account` sees them; the
/// `handlers::kinds!` list implements it for every kind kept in an account.
pub trait Table: Sized {
    /// The table, to read it.
    fn table<'a>(w: &'a World, account: &str) -> Result<&'a IndexMap<String, Self>, ApiError>;
    /// The table, to change it.
    fn table_mut<'a>(
        w: &'a mut World,
        account: &str,
    ) -> Result<&'a mut IndexMap<String, Self>, ApiError>;
}

/// Tenants are records of the MSP account, kept in the world beside the accounts they describe.
impl Table for Tenant {
    fn table<'a>(w: &'a World, account: &str) -> Result<&'a IndexMap<String, Self>, ApiError> {
        w.msp(account)?;
        Ok(&w.tenants)
    }
    fn table_mut<'a>(
        w: &'a mut World,
        account: &str,
    ) -> Result<&'a mut IndexMap<String, Self>, ApiError> {
        w.msp(account)?;
        Ok(&mut w.tenants)
    }
}
