//! How accounts come to be: the starting world (the MSP account, or a standalone one, with
//! its owner and the owner's PAT) and every new account's defaults, a group `All` and a
//! `Default` policy that lets All reach All.

use indexmap::IndexMap;

use super::ids::IdGen;
use super::item::Item;
use super::model::{Account, World};
use super::network::DnsSettings;
use super::people::{Token, TokenExtra, TokenSpec, UserExtra, UserSpec};
use super::resources::{Action, GroupSpec, Policy, PolicySpec, Protocol, RuleSpec, api_group};
use super::settings::{AccountSettings, Onboarding};
use super::time::Ts;
use crate::http::error::ApiError;

/// Persistence format written by this version.
pub const FORMAT: u32 = 1;
/// Name of the owner's PAT that the sandbox manages (its hash is replaced at each start when
/// no configured token matches).
pub const BOOTSTRAP_TOKEN_NAME: &str = "onboard sandbox";
/// Domain of the starting account.
pub const ROOT_DOMAIN: &str = "msp.example.com";
/// Email of the starting account's owner.
pub const OWNER_EMAIL: &str = "owner@msp.example.com";

/// A new account with its `All` group and `Default` policy.
pub fn new_account(
    ids: &mut IdGen,
    domain: &str,
    created_by: &str,
    parent: Option<String>,
) -> Account {
    let id = ids.id();
    let all = api_group(ids.id(), named("All"));
    let policy = default_policy(ids, &all.id);
    let mut account = Account {
        id,
        domain: domain.to_owned(),
        domain_category: "private".to_owned(),
        parent,
        created_at: Ts::now(),
        created_by: created_by.to_owned(),
        settings: AccountSettings::new_account(&all.id),
        onboarding: Onboarding::default(),
        dns_settings: DnsSettings::default(),
        group_names: Default::default(),
        tables: Default::default(),
        events: Vec::new(),
    };
    account.put_group(all);
    account.policies.insert(policy.id.clone(), policy);
    account
}

/// An empty group named `name`.
fn named(name: &str) -> GroupSpec {
    let (peers, resources) = (Vec::new(), Vec::new());
    let name = name.to_owned();
    GroupSpec {
        name,
        peers,
        resources,
    }
}

fn default_policy(ids: &mut IdGen, all: &str) -> Policy {
    let text = "This is a default rule that allows connections between all the resources";
    let id = ids.id();
    let spec = PolicySpec {
        name: "Default".to_owned(),
        description: Some(text.replace("rule", "policy")),
        enabled: true,
        source_posture_checks: Vec::new(),
        rules: vec![RuleSpec {
            id: Some(ids.id()),
            name: "Default".to_owned(),
            description: Some(text.to_owned()),
            enabled: true,
            action: Action::Accept,
            bidirectional: true,
            protocol: Protocol::All,
            ports: None,
            port_ranges: None,
            authorized_groups: None,
            sources: vec![all.to_owned()],
            destinations: vec![all.to_owned()],
            source_resource: None,
            destination_resource: None,
        }],
    };
    let extra = Default::default();
    Item { id, spec, extra }
}

/// The starting world: one account (MSP unless `standalone`) whose owner holds a PAT with
/// hash `token_hash`; the MSP account also has the group `MSP Admins`.
pub fn new_world(ids: IdGen, standalone: bool, token_hash: &str) -> World {
    let mut world = World {
        format: FORMAT,
        msp_account_id: String::new(),
        standalone,
        accounts: IndexMap::new(),
        tenants: IndexMap::new(),
        txt_records: Default::default(),
        tokens: Default::default(),
        ids,
    };
    let owner_id = world.ids.id();
    let mut account = new_account(&mut world.ids, ROOT_DOMAIN, &owner_id, None);
    let mut auto_groups = Vec::new();
    if !standalone {
        let admins = api_group(world.ids.id(), named("MSP Admins"));
        auto_groups.push(admins.id.clone());
        account.put_group(admins);
    }
    account.users.insert(
        owner_id.clone(),
        Item {
            id: owner_id,
            spec: UserSpec {
                email: Some(OWNER_EMAIL.to_owned()),
                name: Some("MSP Owner".to_owned()),
                role: "owner".to_owned(),
                auto_groups,
                is_service_user: false,
            },
            extra: UserExtra {
                status: "active".to_owned(),
                is_blocked: false,
                pending_approval: false,
                issued: "api".to_owned(),
                last_login: Ts::now(),
            },
        },
    );
    world.msp_account_id = account.id.clone();
    world.accounts.insert(account.id.clone(), account);
    // The root account exists: this cannot fail, but stay panic-free.
    let _ = install_token(&mut world, token_hash);
    world
}

/// Makes `token_hash` authenticate as the root account's owner: nothing to do when a stored
/// token already has that hash; otherwise the sandbox-managed token gets it (created if
/// missing), so restarts with fresh generated tokens do not pile up tokens.
pub fn install_token(world: &mut World, token_hash: &str) -> Result<(), ApiError> {
    if world.tokens.contains_key(token_hash) {
        return Ok(());
    }
    let root = world.msp_account_id.clone();
    let account = world.account(&root)?;
    let owner = account
        .users
        .values()
        .find(|u| u.spec.role == "owner")
        .or_else(|| account.users.values().next())
        .ok_or_else(|| ApiError::internal("the root account has no user"))?
        .id
        .clone();
    world.retain_tokens(&root, |t| t.spec.name != BOOTSTRAP_TOKEN_NAME);
    let now = Ts::now();
    let spec = TokenSpec {
        name: BOOTSTRAP_TOKEN_NAME.to_owned(),
        expires_in: 365,
    };
    let extra = TokenExtra {
        user_id: owner.clone(),
        expiration_date: now.plus_secs(spec.expires_in * 86_400),
        created_by: owner,
        created_at: now,
        last_used: None,
        hash: token_hash.to_owned(),
    };
    let id = world.ids.id();
    let token = Token { id, spec, extra };
    world.add_token(&root, token)
}
