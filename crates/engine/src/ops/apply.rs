//! `apply`: offline plans, the checks that need no API (where secrets go, that state can be
//! written), connect, lock every customer, first contact, journals, the live plans (checked
//! against a saved plan if there is one), the secrets check, confirmation, then every
//! customer's apply side by side; the journals finished, the outcome returned.

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::api::converge::Replace;
use crate::diag::{Diag, Diags, printable};
use crate::ops::connect::{Api, Connector, options};
use crate::ops::customers::{self, Input};
use crate::ops::waves::{self, Rollout, Waves};
use crate::ops::{Confirm, Frontend, OpError, ask, confirm};
use crate::plan::Plan;
use crate::plan::saved::SavedPlan;
use crate::run::execute::{Event, RunReport, SecretSink, Sink};
use crate::run::outputs::OutputsFile;
use crate::run::session::{self, Applied, Customer};
use crate::run::sinks;
use crate::store::private;

pub struct Options {
    pub input: Input,
    pub api: Api,
    /// Do not ask.
    pub yes: bool,
    /// Write outputs, secrets included, here (0600).
    pub outputs: Option<PathBuf>,
    /// Secrets are shown (`--show-secrets` on a terminal): a sink for them.
    pub secrets_shown: bool,
    /// Go on although secrets NetBird shows once will be kept nowhere.
    pub discard_secrets: bool,
    /// Show the plans before asking (not with a JSON report).
    pub show_plans: bool,
    pub lock_timeout: u64,
    pub prune: bool,
    pub replace: Replace,
    /// `--waves`: roll the inventory's customers out in waves (`None`: one wave of all).
    pub waves: Option<Waves>,
    /// `--max-failures`: failed customers a wave may have before later waves are not started.
    pub max_failures: usize,
}

/// How an apply ended, for an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    Ok,
    Failed,
    Interrupted,
}

impl ExitKind {
    /// 0, 1, or 130 (interrupted: a re-run resumes).
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Ok => 0,
            ExitKind::Failed => 1,
            ExitKind::Interrupted => 130,
        }
    }
}

/// Every customer's plan and what its apply did.
pub struct ApplyOutcome {
    pub plans: Vec<Plan>,
    pub applied: Vec<Applied>,
    /// A saved plan was applied.
    pub saved: bool,
    /// With `--waves`: the waves, and the customers not started when one went over budget.
    pub rollout: Option<Rollout>,
}

impl ApplyOutcome {
    pub fn reports(&self) -> Vec<&RunReport> {
        self.applied.iter().map(|a| &a.report).collect()
    }

    pub fn exit(&self) -> ExitKind {
        match () {
            _ if self.applied.iter().any(|a| a.report.interrupted) => ExitKind::Interrupted,
            _ if self
                .rollout
                .as_ref()
                .is_some_and(|r| !r.not_started.is_empty()) =>
            {
                ExitKind::Failed
            }
            _ if self.applied.iter().all(|a| a.report.ok) => ExitKind::Ok,
            _ => ExitKind::Failed,
        }
    }

    /// What `--prune` did or why it did not, per customer that pruned or skipped it.
    pub fn prune_notes(&self) -> Vec<PruneNote> {
        let mut out = Vec::new();
        for a in &self.applied {
            if a.prune_skipped {
                out.push(PruneNote::Skipped(format!(
                    "{}: not pruning, because some steps did not succeed",
                    printable(&a.report.run_key)
                )));
            } else if !a.removals.is_empty() {
                let (text, _) = crate::ops::render::removals(&a.report.run_key, &a.removals);
                out.push(PruneNote::Removals(text));
            }
        }
        out
    }
}

/// A customer's `--prune`, rendered.
pub enum PruneNote {
    /// What was deleted or kept, one line per object (for stdout).
    Removals(String),
    /// Why nothing was pruned, one line for the operator (stderr).
    Skipped(String),
}

pub async fn apply(
    opts: &Options,
    connector: &dyn Connector,
    ui: &dyn Frontend,
) -> Result<ApplyOutcome, Diags> {
    // Read once: it is a saved plan or the playbook.
    let file = crate::playbook::inventory::read(&opts.input.playbook)?;
    let (runs, expected) = match SavedPlan::parse(file.text()) {
        Some(saved) => {
            let (runs, expected) = customers::saved(saved.map_err(OpError::from)?)?;
            (runs, Some(expected))
        }
        None => (customers::prepare_file(&opts.input, file)?, None),
    };
    let numbers = match (&opts.waves, &opts.input.inventory) {
        (Some(_), Some(path)) => wave_numbers(path)?,
        _ => Default::default(),
    };
    run_all(opts, connector, ui, runs, expected, numbers).await
}

/// The `wave:` numbers of an inventory's customers, by key.
fn wave_numbers(path: &std::path::Path) -> Result<BTreeMap<String, u32>, Diags> {
    let inv =
        crate::playbook::inventory::Inventory::parse(&crate::playbook::inventory::read(path)?)?;
    Ok(inv
        .entries
        .into_iter()
        .filter_map(|e| Some((e.key, e.wave?)))
        .collect())
}

/// Lock, plan live, check against a saved plan if there is one, confirm, execute every run.
async fn run_all(
    opts: &Options,
    connector: &dyn Connector,
    ui: &dyn Frontend,
    runs: Vec<Customer>,
    expected: Option<Vec<Json>>,
    numbers: BTreeMap<String, u32>,
) -> Result<ApplyOutcome, Diags> {
    if opts.waves.is_some() && runs.iter().any(|r| r.key.is_none()) {
        return Err(
            Diag::plain("`--waves` rolls out the customers of an inventory")
                .help("give `--inventory FILE`, or leave out `--waves`")
                .into(),
        );
    }
    // Everything that needs no API is checked before connecting: the plans offline, where the
    // secrets will go, that the state can be written (else `request` steps would repeat).
    let keys = session::offline(&runs, opts.api.account.as_deref())?;
    // What the file holds now is kept: a file that is not an outputs file is refused here.
    let file = match &opts.outputs {
        Some(out) => Some(Arc::new(
            OutputsFile::open(out, opts.input.inventory.is_some()).map_err(OpError::from)?,
        )),
        None => None,
    };
    let mut secret_sink = SecretSink {
        file,
        kept: opts.outputs.is_some() || opts.secrets_shown,
        discard: opts.discard_secrets,
    };
    let state_dir = crate::store::local::layout::StateDir::new(&opts.api.state_dir);
    // With a state URL the folder is not used at all; the database answers for itself.
    let local = opts.api.state_url.is_none();
    for (run, key) in runs.iter().zip(&keys).filter(|_| local) {
        let path = state_dir.state(&run.loaded.playbook.name, &key.run_key);
        if let Some(dir) = path.parent() {
            private::check_writable(dir).map_err(OpError::from)?;
        }
    }
    let session_opts = options(&opts.api, opts.replace, opts.prune, opts.lock_timeout);
    let notice = ui.notices();
    let client = crate::ops::connect::client_with(connector, &opts.api, notice.clone()).await?;
    let store = crate::ops::connect::open_store(&opts.api).await?;
    let session = crate::ops::connect::session(&opts.api, client, session_opts, store);
    // Each customer's lock is held from before its plan to the end of its apply: the plan
    // is the contract, so nobody may change what it read in between.
    let held = session
        .lock(&runs, &keys, &|m| ui.notice(&printable(m)))
        .await?;
    let first = crate::run::session::FirstRead::Plan;
    crate::ops::connect::first_contact(&session, &runs, &opts.api, first).await?;
    // Each run's journal records its plan's reads as well as its writes.
    let mut journals = Vec::new();
    for (h, k) in held.iter().zip(&keys) {
        journals.push(Arc::new(h.journal(&k.run_key).map_err(OpError::from)?));
    }
    let plan_sinks: Vec<Sink> = journals
        .iter()
        .map(|j| {
            let j = j.clone();
            Arc::new(move |e: &Event| j.write(e)) as Sink
        })
        .collect();
    let plans = session.plan(&runs, &keys, &plan_sinks).await?;
    if opts.show_plans {
        ui.show(&crate::ops::render::plans_before_apply(&plans));
    }
    if let Some(saved) = &expected {
        session::check_saved(saved, &plans).map_err(Diag::from)?;
    }
    // A fleet is refused as a whole before its first write: one customer's replacement or
    // deletion that is not allowed must not follow the others' writes of the same change.
    if runs.iter().any(|r| r.key.is_some()) {
        fleet_allowed(opts, &plans)?;
    }
    secret_sink.discard = secrets_have_a_sink(opts, ui, &runs, &plans)?;
    if expected.is_none() {
        confirm(ui, opts.yes, Confirm::Apply)?;
    }
    let progress = ui.progress(&plans);
    let interrupted = ui.interrupt();
    let run_keys: Vec<Option<&str>> = runs.iter().map(|r| r.key.as_deref()).collect();
    let wave_list = waves::plan(opts.waves.as_ref(), &run_keys, &numbers);
    let mut rollout = opts.waves.as_ref().map(|_| Rollout {
        waves: wave_list
            .iter()
            .map(|w| w.iter().map(|&i| plans[i].run_key.clone()).collect())
            .collect(),
        max_failures: opts.max_failures,
        ..Rollout::default()
    });
    let mut runs: Vec<Option<Customer>> = runs.into_iter().map(Some).collect();
    let mut done: Vec<Option<Applied>> = (0..plans.len()).map(|_| None).collect();
    let count = wave_list.len();
    for (w, wave) in wave_list.iter().enumerate() {
        if let Some(r) = rollout.as_mut().filter(|r| r.stopped_after.is_some()) {
            r.not_started
                .extend(wave.iter().map(|&i| (plans[i].run_key.clone(), w + 1)));
            continue;
        }
        if count > 1 {
            let keys: Vec<&str> = wave.iter().map(|&i| plans[i].run_key.as_str()).collect();
            ui.notice(&printable(&format!(
                "wave {} of {count}: {}",
                w + 1,
                keys.join(", ")
            )));
        }
        // Tenants run side by side; the client's one token bucket and in-flight cap hold
        // for all of them together.
        let mut jobs = Vec::new();
        for &i in wave {
            let Some(run) = runs[i].take() else { continue };
            let (p, journal) = (&plans[i], journals[i].clone());
            let bar = progress.run(p);
            let sink: Sink = Arc::new(move |e: &Event| {
                journal.write(e);
                bar(e);
            });
            let secrets = secret_sink.clone();
            let job = session.apply(run, p.clone(), &held[i], sink, interrupted.clone(), secrets);
            jobs.push(async move { (i, job.await) });
        }
        let mut failed = Vec::new();
        for (i, a) in futures_util::future::join_all(jobs).await {
            let a = a.map_err(Diag::from)?;
            if !a.report.ok {
                failed.push(a.report.run_key.clone());
            }
            done[i] = Some(a);
        }
        let stop = interrupted.load(std::sync::atomic::Ordering::SeqCst)
            || done.iter().flatten().any(|a| a.report.interrupted);
        if let Some(r) = rollout.as_mut()
            && w + 1 < count
            && (failed.len() > opts.max_failures || stop)
        {
            r.stopped_after = Some(w + 1);
            r.failed = failed;
        }
    }
    // Only the customers that ran have a report; their plans stay beside them.
    let (plans, applied): (Vec<Plan>, Vec<Applied>) = plans
        .into_iter()
        .zip(done)
        .filter_map(|(p, a)| Some((p, a?)))
        .unzip();
    progress.finish();
    for journal in &journals {
        journal.finish().await;
    }
    connector.close().await;
    // The outputs are in the file already: each run merged its own into it.
    Ok(ApplyOutcome {
        plans,
        applied,
        saved: expected.is_some(),
        rollout,
    })
}

/// Every customer's plan is allowed as a whole, or nothing is written: a replacement without
/// `--allow-replace` (or `--rotate-setup-keys`) and a deletion without `--prune` are listed
/// by customer and step.
fn fleet_allowed(opts: &Options, plans: &[Plan]) -> Result<(), Diag> {
    let replace = opts.replace.allowed || opts.replace.rotate_setup_keys;
    let mut refused = Vec::new();
    for p in plans {
        for s in &p.steps {
            let why = match s.action {
                crate::plan::Action::Replace if !replace => {
                    let fields: Vec<&str> = s.changes.iter().map(|c| c.field.as_str()).collect();
                    format!(
                        "needs a replacement ({} cannot change in place)",
                        fields.join(", ")
                    )
                }
                crate::plan::Action::Delete if !opts.prune => "needs a deletion".to_owned(),
                _ => continue,
            };
            refused.push(format!(
                "`{}`: step `{}` ({}) {why}",
                p.run_key,
                s.address,
                s.ty.name()
            ));
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    let customers: std::collections::BTreeSet<&str> = plans
        .iter()
        .filter(|p| {
            refused
                .iter()
                .any(|r| r.starts_with(&format!("`{}`:", p.run_key)))
        })
        .map(|p| p.run_key.as_str())
        .collect();
    Err(Diag::plain(
        printable(&format!(
            "apply refused for all {} customers, nothing was written: {} of them need{} a change \
         that is not allowed\n  {}",
            plans.len(),
            customers.len(),
            if customers.len() == 1 { "s" } else { "" },
            refused.join("\n  ")
        ))
        .into_owned(),
    )
    .help(
        "pass --allow-replace to delete and re-create what cannot change in place (--prune to \
         delete), or change the playbook or the values; then apply again",
    ))
}

/// A secret NetBird shows only once must go somewhere. Before anything is written: every
/// secret the plans create must be read by an output written in this run (else name the step
/// and the `outputs:` line to add), and secret outputs need a sink (an outputs file, or
/// secrets shown on a terminal; the embedded sandbox's rehearsal secrets open nothing). On
/// a terminal without `yes` the operator may go on when asked; `discard_secrets` goes on
/// without asking. Ok(true): the operator chose to go on without those secrets.
fn secrets_have_a_sink(
    opts: &Options,
    ui: &dyn Frontend,
    runs: &[Customer],
    plans: &[Plan],
) -> Result<bool, Diag> {
    if opts.discard_secrets {
        return Ok(true);
    }
    let mut created = Vec::new();
    // By address: (type, run keys, lines to add, outputs not written this run).
    let mut unkept = std::collections::BTreeMap::new();
    for (run, p) in runs.iter().zip(plans) {
        for n in sinks::needs(&run.loaded.playbook, p) {
            created.push(format!("{} `{}` ({})", n.ty, n.address, p.run_key));
            if !n.is_kept() {
                let e = unkept
                    .entry(n.address.clone())
                    .or_insert_with(|| (n.ty, Vec::new(), n.add.clone(), n.blocked.clone()));
                e.1.push(p.run_key.clone());
            }
        }
    }
    let sink = opts.outputs.is_some() || opts.secrets_shown || opts.api.sandbox;
    let mut what = Vec::new();
    for (address, (ty, keys, add, blocked)) in &unkept {
        let not_written = match blocked.is_empty() {
            true => String::new(),
            false => format!(
                " (`{}` reads it, but also reads a secret of an earlier run, which NetBird will \
                 not show again, so it is not written in this run)",
                blocked.join("`, `")
            ),
        };
        what.push(format!(
            "{ty} `{address}` ({}) creates a secret that no output keeps{not_written}: add to \
             `outputs:`\n    {}",
            keys.join(", "),
            add.join("\n    ")
        ));
    }
    if !sink && !created.is_empty() {
        what.push(format!(
            "this apply creates secrets that NetBird shows only once, and nothing will keep \
             them: {}",
            created.join(", ")
        ));
    }
    if what.is_empty() {
        return Ok(false);
    }
    let what = what.join("\n");
    let help = match sink {
        true => {
            "add the outputs, or pass `--discard-secrets` to go on without those secrets \
                 (`--rotate-setup-keys` makes new ones later)"
        }
        false => {
            "pass `--outputs FILE` to keep them (mode 0600), or `--discard-secrets` to go on \
                  without them (`--rotate-setup-keys` makes new ones later)"
        }
    };
    if opts.yes || !ui.interactive() {
        return Err(Diag::plain(format!("{what}\nnothing was written")).help(help));
    }
    ask(ui, &format!("{what}\n{help}.\ndiscard them?")).map(|()| true)
}
