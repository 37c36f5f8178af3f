//! `plan`: what apply would do, offline or against live state (no lock: nothing is written),
//! optionally saved for a later `apply PLAN.json`.

use std::path::PathBuf;

use crate::api::converge::Replace;
use crate::diag::{Diag, Diags, printable};
use crate::ops::connect::{Api, Connected, Connector, options};
use crate::ops::customers::{self, Input};
use crate::ops::{Frontend, OpError};
use crate::plan::Plan;
use crate::run::session::{self, Customer};

pub struct Options {
    pub input: Input,
    pub api: Api,
    /// Do not read live state.
    pub offline: bool,
    pub replace: Replace,
    /// Also plan the deletions `apply --prune` would make.
    pub prune: bool,
    /// Save the plan here.
    pub out: Option<PathBuf>,
}

pub struct Planned {
    pub plans: Vec<Plan>,
    /// The customers of an inventory: shown with the fleet's summary
    /// ([`crate::ops::render::planned`]).
    pub fleet: bool,
}

impl Planned {
    pub fn has_changes(&self) -> bool {
        self.plans.iter().any(Plan::has_changes)
    }
}

pub async fn plan(
    opts: &Options,
    connector: &dyn Connector,
    ui: &dyn Frontend,
) -> Result<Planned, Diags> {
    if opts.offline && opts.out.is_some() {
        return Err(
            Diag::plain("`--out` saves a plan made against live state; drop `--offline`").into(),
        );
    }
    // An offline plan sends nothing: it needs no credential (they show as `(sensitive)`).
    let runs = match opts.offline {
        true => customers::prepare_without_credentials(&opts.input)?,
        false => customers::prepare(&opts.input)?,
    };
    let offline = session::offline(&runs, opts.api.account.as_deref())?;
    if let Some(out) = &opts.out {
        crate::store::private::check_target(out).map_err(OpError::from)?;
    }
    let plans = if opts.offline {
        offline
    } else {
        let session_opts = options(&opts.api, opts.replace, opts.prune, 0);
        let first = crate::run::session::FirstRead::Plan;
        let c = Connected::open(connector, &opts.api, session_opts, None, &runs, first, ui).await?;
        let plans = c.session.plan(&runs, &offline, &[]).await;
        c.close().await;
        plans?
    };
    if let Some(out) = &opts.out {
        save(out, &opts.input, &runs, &plans)?;
        let out = printable(&out.display().to_string()).into_owned();
        ui.notice(&format!(
            "plan saved to {out}; apply it with `onboard apply {out}`"
        ));
    }
    Ok(Planned {
        plans,
        fleet: opts.input.inventory.is_some(),
    })
}

/// `plan --out`: the live plans with what they were made from, mode 0600.
fn save(
    out: &std::path::Path,
    input: &Input,
    runs: &[Customer],
    plans: &[Plan],
) -> Result<(), Diag> {
    use crate::plan::saved::{Hashed, SavedPlan, SavedRun};
    let mut sources: Vec<Hashed> = Vec::new();
    for path in input.values.iter().chain(input.inventory.iter()) {
        sources.push(Hashed::of(path).map_err(OpError::from)?);
    }
    let playbook = Hashed::of(&input.playbook).map_err(OpError::from)?;
    // The modules the playbook imports: a changed one makes the plan stale, as the playbook.
    if let Some(run) = runs.first() {
        for module in run.loaded.playbook.sources.iter().skip(1) {
            let path = std::path::Path::new(module.name());
            sources.push(Hashed::of(path).map_err(OpError::from)?);
        }
    }
    let saved: Vec<SavedRun> = runs
        .iter()
        .zip(plans)
        .map(|(run, p)| SavedRun {
            playbook: playbook.clone(),
            sources: sources.clone(),
            inventory_key: run.key.clone(),
            // Sensitive inputs are not saved: apply takes them from the environment again.
            inputs: run.inputs.masked(&run.loaded.playbook),
            plan: serde_json::to_value(p).unwrap_or_default(),
        })
        .collect();
    let text = serde_json::to_string_pretty(&SavedPlan::new(saved)).unwrap_or_default();
    crate::store::state::write_private(out, text.as_bytes())
        .map_err(|e| OpError::write(out, e).into())
}
