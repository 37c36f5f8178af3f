//! `onboard apply`: connect (or start the embedded sandbox), then the engine's session locks,
//! plans, and (after confirmation, or the check of a saved plan) applies; this file only
//! shows plans, progress and reports.

use onboard_engine::diag::{Diag, printable};
use onboard_engine::plan::saved::{SavedPlan, SavedPlanError};
use onboard_engine::plan::{self, report};
use onboard_engine::run::execute::{Event, SecretSink, Sink};
use onboard_engine::run::outputs::OutputsFile;
use onboard_engine::run::session::{self, Customer, Session, SessionError};
use onboard_engine::run::sinks;
use onboard_engine::store::private;
use serde_json::Value as Json;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::args::{ApplyArgs, Format};
use crate::commands::{Failure, prepare_file};
use crate::connect::connect;
use crate::destroy::print_removals;
use crate::reporter::{self, Progress};

pub fn apply(args: &ApplyArgs, quiet: bool) -> Result<u8, Failure> {
    if args.format == Format::Markdown {
        return Err(Diag::plain(
            "`apply --format markdown` is not a report format: Markdown is for reviewing a plan",
        )
        .help(
            "post `onboard plan ... --format markdown` as the pull-request comment, and use \
             `apply --format json` for a report scripts read",
        )
        .into());
    }
    // Read once: it is a saved plan or the playbook.
    let file = onboard_engine::playbook::inventory::read(&args.input.playbook)?;
    if let Some(saved) = SavedPlan::parse(file.text()) {
        return apply_saved(args, quiet, saved.map_err(|e| Diag::plain(e.to_string()))?);
    }
    let runs = prepare_file(&args.input, file)?;
    run_all(args, quiet, runs, None)
}

/// `apply PLAN.json`: the same playbook, values and inputs; refused when anything changed.
fn apply_saved(args: &ApplyArgs, quiet: bool, saved: SavedPlan) -> Result<u8, Failure> {
    let stale = |why: SavedPlanError| {
        Failure::from(Diag::from(SessionError::Stale {
            why: why.to_string(),
        }))
    };
    let mut runs = Vec::new();
    let mut expected = Vec::new();
    for r in saved.runs {
        r.playbook.check().map_err(stale)?;
        for s in &r.sources {
            s.check().map_err(stale)?;
        }
        let file =
            onboard_engine::playbook::inventory::read(std::path::Path::new(&r.playbook.path))?;
        let loaded = onboard_engine::playbook::load(&file)?;
        runs.push(Customer {
            key: r.inventory_key,
            loaded,
            inputs: r.inputs,
        });
        expected.push(r.plan);
    }
    run_all(args, quiet, runs, Some(expected))
}

/// Lock, plan live, check against a saved plan if there is one, confirm, execute every run.
fn run_all(
    args: &ApplyArgs,
    quiet: bool,
    runs: Vec<Customer>,
    expected: Option<Vec<Json>>,
) -> Result<u8, Failure> {
    // Everything that needs no API is checked before connecting: the plans offline, where the
    // secrets will go, that the state can be written (else `request` steps would repeat).
    let keys = session::offline(&runs, args.api.account.as_deref())?;
    // What the file holds now is kept: a file that is not an outputs file is refused here.
    let file = match &args.outputs {
        Some(out) => Some(Arc::new(
            OutputsFile::open(out, args.input.inventory.is_some())
                .map_err(|e| Diag::plain(e.to_string()))?,
        )),
        None => None,
    };
    let mut secret_sink = SecretSink {
        file,
        kept: args.outputs.is_some() || (args.show_secrets && std::io::stdout().is_terminal()),
        discard: args.discard_secrets,
    };
    let state_dir = onboard_engine::store::local::layout::StateDir::new(&args.api.state_dir);
    // With --state-url the folder is not used at all; the database answers for itself.
    let local = args.api.state_url.is_none();
    for (run, key) in runs.iter().zip(&keys).filter(|_| local) {
        let path = state_dir.state(&run.loaded.playbook.name, &key.run_key);
        if let Some(dir) = path.parent() {
            private::check_writable(dir).map_err(|e| Diag::plain(e.to_string()))?;
        }
    }
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let (client, sandbox) = connect(&args.api).await?;
        let store = crate::commands::open_store(&args.api).await?;
        let session = Session::new(
            client,
            crate::commands::options(&args.api, args.change, args.prune, args.lock_timeout),
            store,
        );
        // Each customer's lock is held from before its plan to the end of its apply: the plan
        // is the contract, so nobody may change what it read in between.
        let held = session
            .lock(&runs, &keys, &|m| eprintln!("{}", printable(m)))
            .await?;
        crate::connect::first_contact(&session, &runs, args.api.sandbox).await?;
        // Each run's journal records its plan's reads as well as its writes.
        let mut journals = Vec::new();
        for (h, k) in held.iter().zip(&keys) {
            journals.push(Arc::new(
                h.journal(&k.run_key)
                    .map_err(|e| Diag::plain(e.to_string()))?,
            ));
        }
        let plan_sinks: Vec<Sink> = journals
            .iter()
            .map(|j| {
                let j = j.clone();
                Arc::new(move |e: &Event| j.write(e)) as Sink
            })
            .collect();
        let plans = session.plan(&runs, &keys, &plan_sinks).await?;
        if args.format != Format::Json {
            for p in &plans {
                print!("{}", report::plan(p, report::Format::Text));
            }
            crate::commands::print_total(&plans);
        }
        if let Some(saved) = &expected {
            session::check_saved(saved, &plans).map_err(Diag::from)?;
        }
        secret_sink.discard = secrets_have_a_sink(args, &runs, &plans)?;
        if expected.is_none() {
            confirm(args.yes)?;
        }
        let progress = Progress::new(quiet || args.format == Format::Json, &plans);
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: letting calls in flight finish, then saving state");
                flag.store(true, Ordering::SeqCst);
            }
        });
        // Tenants run side by side; the client's one token bucket and in-flight cap hold
        // for all of them together.
        let mut jobs = Vec::new();
        for (((run, p), journal), h) in runs.into_iter().zip(&plans).zip(&journals).zip(&held) {
            let bar = progress.run(p);
            let journal = journal.clone();
            let sink: Sink = Arc::new(move |e: &Event| {
                journal.write(e);
                bar.event(e);
            });
            let secrets = secret_sink.clone();
            jobs.push(session.apply(run, p.clone(), h, sink, interrupted.clone(), secrets));
        }
        let mut reports = Vec::new();
        for applied in futures_util::future::join_all(jobs).await {
            let applied = applied.map_err(Diag::from)?;
            if applied.prune_skipped {
                eprintln!(
                    "{}: not pruning, because some steps did not succeed",
                    printable(&applied.report.run_key)
                );
            } else if !applied.removals.is_empty() {
                print_removals(&applied.report.run_key, &applied.removals);
            }
            reports.push(applied.report);
        }
        progress.finish();
        for journal in &journals {
            journal.finish().await;
        }
        if let Some(s) = sandbox {
            s.shutdown().await;
        }
        // The outputs are in the file already: each run merged its own into it.
        let saved = expected.is_some();
        let advice = |run_key: &str, lost: &_| crate::advice::rotate(args, run_key, lost, saved);
        match args.format {
            Format::Json => print!(
                "{}",
                reporter::json(&plans, &reports, args.show_secrets, &advice)
            ),
            _ => reports
                .iter()
                .for_each(|r| print!("{}", reporter::text(r, args.show_secrets, &advice))),
        }
        Ok(match () {
            _ if reports.iter().any(|r| r.interrupted) => 130,
            _ if reports.iter().all(|r| r.ok) => 0,
            _ => 1,
        })
    })
}

/// A secret NetBird shows only once must go somewhere. Before anything is written: every
/// secret the plans create must be read by an output written in this run (else name the step
/// and the `outputs:` line to add), and secret outputs need a sink (`--outputs FILE`, or
/// `--show-secrets` on a terminal; the embedded sandbox's rehearsal secrets open nothing). On
/// a terminal without `--yes` the operator may go on at the prompt; `--discard-secrets` goes
/// on without asking. Ok(true): the operator chose to go on without those secrets.
fn secrets_have_a_sink(
    args: &ApplyArgs,
    runs: &[Customer],
    plans: &[plan::Plan],
) -> Result<bool, Failure> {
    if args.discard_secrets {
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
    let shown = args.show_secrets && std::io::stdout().is_terminal();
    let sink = args.outputs.is_some() || shown || args.api.sandbox;
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
    if args.yes || !std::io::stdin().is_terminal() {
        return Err(Diag::plain(format!("{what}\nnothing was written"))
            .help(help)
            .into());
    }
    ask(&format!("{what}\n{help}.\ndiscard them?")).map(|()| true)
}

pub fn confirm(yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            Diag::plain("refusing to apply without confirmation: no terminal to ask on")
                .help("pass `--yes` to apply non-interactively")
                .into(),
        );
    }
    ask("apply these changes?")
}

/// Ask on the terminal; only `yes` goes on.
fn ask(question: &str) -> Result<(), Failure> {
    eprint!("\n{} only `yes` is accepted: ", printable(question));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Diag::plain("apply cancelled: nothing was written").into())
    }
}
