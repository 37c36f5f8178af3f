//! `destroy`: show what the state records, dependants first; after confirmation delete it
//! (never what onboard did not create or adopt).

use crate::api::converge::Replace;
use crate::diag::{Diag, Diags, printable};
use crate::ops::connect::{Api, Connected, Connector, open_store, options};
use crate::ops::customers::{self, Input};
use crate::ops::{Confirm, Frontend, confirm};
use crate::run::session;

pub struct Options {
    pub input: Input,
    pub api: Api,
    /// Do not ask.
    pub yes: bool,
}

/// Whether every object was deleted (or already gone, or kept as the state said).
pub struct Destroyed {
    pub ok: bool,
}

pub async fn destroy(
    opts: &Options,
    connector: &dyn Connector,
    ui: &dyn Frontend,
) -> Result<Destroyed, Diags> {
    // Only the run key's inputs are needed: what is deleted is what the state records.
    let runs = customers::prepare_run_keys(&opts.input)?;
    // What will be deleted is shown (from the state alone) before anything connects or asks.
    let store = open_store(&opts.api).await?;
    let teardowns = session::teardowns(&store, opts.api.account.as_deref(), &runs).await?;
    let mut listed = String::new();
    for t in &teardowns {
        listed.push_str(&format!(
            "destroy `{}`: {} object(s) recorded in {}\n",
            printable(&t.run_key),
            t.order.len(),
            printable(&t.location)
        ));
        for a in &t.order {
            listed.push_str(&format!("  - {}\n", printable(a)));
        }
    }
    if teardowns.iter().any(|t| !t.order.is_empty()) {
        listed.push_str(
            "kept: `existing` reads, account and DNS settings, raw requests, tenant DNS \
             verifications and steps with `prune: false`\n",
        );
    }
    for t in &teardowns {
        if let Some(tenant) = &t.listed.tenant {
            listed.push_str(&printable(&tenant_kept(&t.run_key, tenant)));
        }
    }
    ui.show(&listed);
    if teardowns.iter().all(|t| t.order.is_empty()) {
        ui.notice(
            "nothing to destroy: the state records no object that onboard created or \
             adopted for this playbook (it never deletes anything else)",
        );
        return Ok(Destroyed { ok: true });
    }
    confirm(ui, opts.yes, Confirm::Destroy)?;
    let session_opts = options(&opts.api, Replace::default(), false, 0);
    let first = crate::run::session::FirstRead::Plan;
    let c = Connected::open(
        connector,
        &opts.api,
        session_opts,
        Some(store),
        &runs,
        first,
        ui,
    )
    .await?;
    let mut ok = true;
    for t in &teardowns {
        let removals = c.session.destroy(t).await.map_err(Diag::from)?;
        let (text, fine) = crate::ops::render::removals(&t.run_key, &removals);
        ui.show(&text);
        ok &= fine;
    }
    c.close().await;
    Ok(Destroyed { ok })
}

/// The tenant stays: onboard never deletes one (a person's decision, and NetBird's API
/// documents no call that deletes a tenant). Says how to.
fn tenant_kept(run_key: &str, tenant: &crate::store::state::TenantRecord) -> String {
    format!(
        "kept: the tenant {} (account {}) of `{run_key}` itself: onboard never deletes a tenant. \
         To delete it, use the MSP portal of the NetBird dashboard; to hand it to its own owner \
         instead, unlink it (`POST /api/integrations/msp/tenants/{}/unlink`)\n",
        tenant.domain, tenant.id, tenant.id
    )
}
