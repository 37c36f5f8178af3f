//! `onboard apply`: connect (or start the embedded sandbox), plan, confirm, execute, report.

use onboard_engine::destroy::{removal_order, remove};
use onboard_engine::diag::Diag;
use onboard_engine::execute::{Event, Run, RunReport, Sink};
use onboard_engine::saved::{SavedPlan, first_difference};
use onboard_engine::state::write_private;
use onboard_engine::store::{StateSink, Store};
use onboard_engine::{plan, report};
use onboard_netbird::Client;
use serde_json::Value as Json;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::args::{ApplyArgs, Format};
use crate::commands::{Failure, live_plans, offline_for, prepare};
use crate::connect::connect;
use crate::destroy::print_removals;
use crate::reporter::{self, Progress, RunProgress};

pub fn apply(args: &ApplyArgs, quiet: bool) -> Result<u8, Failure> {
    let text = std::fs::read_to_string(&args.input.playbook).unwrap_or_default();
    if let Some(saved) = SavedPlan::parse(&text) {
        return apply_saved(args, quiet, saved.map_err(Diag::plain)?);
    }
    let runs = prepare(&args.input)?;
    let offline = offline_for(&runs, args.api.account.as_deref())?;
    run_all(args, quiet, runs, offline, None)
}

/// `apply PLAN.json`: the same playbook, values and inputs; refused when anything changed.
fn apply_saved(args: &ApplyArgs, quiet: bool, saved: SavedPlan) -> Result<u8, Failure> {
    let stale = |why: String| {
        Failure::from(
            Diag::plain(format!(
                "the saved plan is stale: {why}; nothing was written"
            ))
            .help("make a new one with `onboard plan ... --out PLAN.json`"),
        )
    };
    let mut runs = Vec::new();
    let mut expected = Vec::new();
    for r in saved.runs {
        r.playbook.check().map_err(stale)?;
        for s in &r.sources {
            s.check().map_err(stale)?;
        }
        let file = onboard_engine::inventory::read(std::path::Path::new(&r.playbook.path))?;
        let loaded = onboard_engine::load(&file)?;
        runs.push(crate::commands::Run {
            key: r.inventory_key,
            loaded,
            inputs: r.inputs,
        });
        expected.push(r.plan);
    }
    let offline = offline_for(&runs, args.api.account.as_deref())?;
    run_all(args, quiet, runs, offline, Some(expected))
}

/// Plan live, check against a saved plan if there is one, confirm, execute every run.
fn run_all(
    args: &ApplyArgs,
    quiet: bool,
    runs: Vec<crate::commands::Run>,
    offline: Vec<plan::Plan>,
    expected: Option<Vec<Json>>,
) -> Result<u8, Failure> {
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let (client, sandbox) = connect(&args.api).await?;
        let store = Store::open(&args.api.state_dir, args.api.state_url.as_deref())
            .await
            .map_err(Diag::plain)?;
        let plans = live_plans(&runs, &offline, &client, &args.api, args.change).await?;
        if args.format != Format::Json {
            for p in &plans {
                print!("{}", report::plan(p, report::Format::Text));
            }
        }
        match &expected {
            Some(saved) => {
                for (s, p) in saved.iter().zip(&plans) {
                    let fresh = serde_json::to_value(p).unwrap_or_default();
                    if let Some(why) = first_difference(s, &fresh) {
                        return Err(Diag::plain(format!(
                            "the saved plan is stale: {why}; nothing was written"
                        ))
                        .help("make a new one with `onboard plan ... --out PLAN.json`")
                        .into());
                    }
                }
            }
            None => confirm(args.yes)?,
        }
        let progress = Progress::new(quiet || args.format == Format::Json);
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
        let jobs = runs.into_iter().zip(&plans).map(|(run, p)| {
            let bar = progress.run(&p.run_key, p.steps.len() + usize::from(p.tenant.is_some()));
            execute(
                args,
                &store,
                &client,
                run,
                &p.run_key,
                bar,
                interrupted.clone(),
            )
        });
        let reports: Vec<RunReport> = futures_util::future::join_all(jobs)
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        progress.finish();
        if let Some(s) = sandbox {
            s.shutdown().await;
        }
        write_outputs(args, &reports)?;
        match args.format {
            Format::Json => print!("{}", reporter::json(&plans, &reports, args.show_secrets)),
            _ => reports
                .iter()
                .for_each(|r| print!("{}", reporter::text(r, args.show_secrets))),
        }
        Ok(match () {
            _ if reports.iter().any(|r| r.interrupted) => 130,
            _ if reports.iter().all(|r| r.ok) => 0,
            _ => 1,
        })
    })
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
    eprint!("\napply these changes? only `yes` is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Diag::plain("apply cancelled: nothing was written").into())
    }
}

async fn execute(
    args: &ApplyArgs,
    store: &Store,
    client: &Client,
    run: crate::commands::Run,
    run_key: &str,
    progress: RunProgress,
    interrupted: Arc<AtomicBool>,
) -> Result<RunReport, Failure> {
    let playbook = run.loaded.playbook.name.clone();
    let timeout = std::time::Duration::from_secs(args.lock_timeout);
    let held = store
        .lock(&playbook, run_key, timeout, &|m| eprintln!("{m}"))
        .await
        .map_err(Diag::plain)?;
    held.stop_on_loss(interrupted.clone());
    let state = store.load(&playbook, run_key).await.map_err(Diag::plain)?;
    let state_sink = held.sink(&playbook, run_key);
    let journal = held.journal(run_key).map_err(Diag::plain)?;
    let writer = journal.clone();
    let sink: Sink = Arc::new(move |e: &Event| {
        writer.write(e);
        progress.event(e);
    });
    let observer_sink = sink.clone();
    let client = client.with_observer(Arc::new(move |e| {
        observer_sink(&Event::Api { call: e.clone() })
    }));
    let loaded = Arc::new(run.loaded);
    let exec = Run {
        loaded: loaded.clone(),
        inputs: run.inputs,
        run_key: run_key.to_owned(),
        client: client.clone(),
        account: args.api.account.clone(),
        state,
        state_sink: state_sink.clone(),
        concurrency: args.api.concurrency.max(1),
        sink,
        interrupted,
        replace: args.change.into(),
    };
    let report = exec.execute().await;
    if args.prune {
        prune(args, store, &state_sink, &client, &loaded, &report).await?;
    }
    journal.finish().await;
    drop(held);
    Ok(report)
}

/// `--prune`: delete what the state records but this run no longer declares. Only after a
/// run where every step succeeded, so a failed render never looks like a removed step.
async fn prune(
    args: &ApplyArgs,
    store: &Store,
    sink: &StateSink,
    client: &Client,
    loaded: &onboard_engine::Loaded,
    report: &RunReport,
) -> Result<(), Failure> {
    if !report.ok {
        eprintln!(
            "{}: not pruning, because some steps did not succeed",
            report.run_key
        );
        return Ok(());
    }
    let name = &loaded.playbook.name;
    let mut state = store
        .load(name, &report.run_key)
        .await
        .map_err(Diag::plain)?;
    let declared: Vec<&str> = report.steps.iter().map(|s| s.address.as_str()).collect();
    let order: Vec<String> = removal_order(&loaded.playbook, &loaded.dag, &state)
        .into_iter()
        .filter(|a| !declared.contains(&a.as_str()))
        .collect();
    if order.is_empty() {
        return Ok(());
    }
    let account = args.api.account.as_deref();
    let removals = remove(client, &mut state, sink, &order, account).await;
    print_removals(&report.run_key, &removals);
    Ok(())
}

/// `--outputs FILE`: every output of every run, secrets included, mode 0600.
fn write_outputs(args: &ApplyArgs, reports: &[RunReport]) -> Result<(), Failure> {
    let Some(path) = &args.outputs else {
        return Ok(());
    };
    let one = |r: &RunReport| -> Json {
        Json::Object(
            r.outputs
                .iter()
                .map(|(n, v, _)| (n.clone(), v.clone()))
                .collect(),
        )
    };
    let doc = match reports {
        [single] if args.input.inventory.is_none() => one(single),
        many => Json::Object(many.iter().map(|r| (r.run_key.clone(), one(r))).collect()),
    };
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    write_private(path, text.as_bytes())
        .map_err(|e| Diag::plain(format!("cannot write {}: {e}", path.display())).into())
}
