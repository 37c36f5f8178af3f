//! `onboard export`: an existing account as a playbook.
//!
//! Input: a [`Client`] and the account to read (the PAT's own, or a tenant given by id).
//! Output: playbook YAML in the documented format that reproduces the account: groups,
//! posture checks, networks with their resources and routers, setup keys (without secrets),
//! policies, routes, nameserver groups, DNS and account settings, users (emails become list
//! inputs), identity providers, the Google and Azure sync integrations and the EDR
//! integrations (each write-only credential, which NetBird never answers, a sensitive input of
//! its own). Live ids become `{{ steps.<id>.id }}` references; NetBird's built-ins (`All`, an
//! unchanged `Default` policy) are `existing: true` steps; peers are not exported.
//!
//! [`read`] takes a [`Snapshot`] through the API (after proving that a tenant id really
//! scopes the calls); [`doc::playbook`] turns a snapshot into text without any I/O, so the
//! format is tested on its own.

mod doc;
mod emit;
mod kinds;
mod names;
mod snapshot;
mod steps;
#[cfg(test)]
mod tests;

use onboard_netbird::Client;

use crate::diag::Diag;

pub use doc::playbook;
pub use snapshot::{Live, Snapshot, read};

/// What to export and how to call the playbook.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A tenant (or other account) id; `None` is the PAT's own account.
    pub account: Option<String>,
    /// The playbook's `name`; default: from the account's domain.
    pub name: Option<String>,
}

/// Reads the account and writes it as a playbook.
pub async fn export(client: &Client, opts: &Options) -> Result<String, Diag> {
    let snap = read(client, opts.account.as_deref()).await?;
    Ok(playbook(&snap, opts.name.as_deref()))
}
