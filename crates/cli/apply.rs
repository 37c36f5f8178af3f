//! `onboard apply`: connect (or start the embedded sandbox), plan, confirm, execute, report.

use onboard_engine::diag::{Diag, Diags};
use onboard_engine::execute::{Event, Run, RunReport, Sink};
use onboard_engine::lock::RunLock;
use onboard_engine::state::{State, write_private};
use onboard_engine::{plan, report};
use onboard_netbird::{Client, ClientConfig, RateLimit, Token};
use serde_json::Value as Json;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::args::{ApplyArgs, Format};
use crate::commands::{Failure, prepare};
use crate::reporter::{self, Journal, Progress, RunProgress};

/// The PAT the embedded sandbox is started with; it never leaves this machine.
const SANDBOX_TOKEN: &str = "nbp_onboardLocalSandboxToken0000000000";

pub fn apply(args: &ApplyArgs, quiet: bool) -> Result<u8, Failure> {
    let runs = prepare(&args.input)?;
    let mut plans = Vec::new();
    let mut diags = Diags::new();
    for run in &runs {
        let (pb, dag) = (&run.loaded.playbook, &run.loaded.dag);
        match plan::offline(pb, dag, &run.inputs, run.key.as_deref()) {
            Ok(p) => plans.push(p),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags.sorted().into());
    }
    if args.format != Format::Json {
        for p in &plans {
            print!("{}", report::plan(p, report::Format::Text));
        }
    }
    confirm(args.yes)?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let (client, sandbox) = connect(args).await?;
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
            execute(args, &client, run, &p.run_key, bar, interrupted.clone())
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

fn confirm(yes: bool) -> Result<(), Failure> {
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

async fn connect(
    args: &ApplyArgs,
) -> Result<(Client, Option<onboard_sandbox::SandboxHandle>), Failure> {
    let (url, token, sandbox) = if args.sandbox {
        std::fs::create_dir_all(&args.state_dir)
            .map_err(|e| Diag::plain(format!("cannot create {}: {e}", args.state_dir.display())))?;
        let cfg = onboard_sandbox::SandboxConfig {
            token: Some(SANDBOX_TOKEN.to_owned()),
            rate_limit: None,
            data: Some(args.state_dir.join("sandbox.json")),
            ..onboard_sandbox::SandboxConfig::default()
        };
        let handle = onboard_sandbox::Sandbox::start(cfg)
            .await
            .map_err(|e| Diag::plain(format!("cannot start the embedded sandbox: {e}")))?;
        (handle.url(), SANDBOX_TOKEN.to_owned(), Some(handle))
    } else {
        let url = std::env::var("NB_MANAGEMENT_URL")
            .unwrap_or_else(|_| onboard_netbird::DEFAULT_BASE_URL.to_owned());
        (url, read_token(args)?, None)
    };
    let mut cfg = ClientConfig::new(url, Token::new(token));
    cfg.rate = RateLimit {
        per_minute: args.rate_limit,
        burst: args.burst,
    };
    cfg.concurrency = args.concurrency.max(1);
    let client = Client::new(cfg).map_err(|e| Diag::plain(format!("invalid API settings: {e}")))?;
    Ok((client, sandbox))
}

fn read_token(args: &ApplyArgs) -> Result<String, Failure> {
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Diag::plain(format!("cannot read token file {}: {e}", path.display())))?,
        None => std::env::var("NB_PAT").map_err(|_| {
            Diag::plain("no personal access token: set NB_PAT or pass --token-file")
                .help("or rehearse with `--sandbox`")
        })?,
    };
    Ok(token.trim().to_owned())
}

async fn execute(
    args: &ApplyArgs,
    client: &Client,
    run: crate::commands::Run,
    run_key: &str,
    progress: RunProgress,
    interrupted: Arc<AtomicBool>,
) -> Result<RunReport, Failure> {
    let playbook = run.loaded.playbook.name.clone();
    let state_path = State::path(&args.state_dir, &playbook, run_key);
    let lock_path = RunLock::path(&args.state_dir, &playbook, run_key);
    let timeout = std::time::Duration::from_secs(args.lock_timeout);
    let _lock = tokio::task::spawn_blocking(move || RunLock::acquire(lock_path, timeout))
        .await
        .map_err(|e| Diag::plain(format!("lock: {e}")))?
        .map_err(Diag::plain)?;
    let state = State::load(&state_path, &playbook, run_key).map_err(Diag::plain)?;
    let journal = Journal::open(&args.state_dir, run_key)?;
    let sink: Sink = Arc::new(move |e: &Event| {
        journal.write(e);
        progress.event(e);
    });
    let observer_sink = sink.clone();
    let client = client.with_observer(Arc::new(move |e| observer_sink(&Event::Api(e.clone()))));
    let exec = Run {
        loaded: Arc::new(run.loaded),
        inputs: run.inputs,
        run_key: run_key.to_owned(),
        client,
        account: args.account.clone(),
        state,
        state_path,
        concurrency: args.concurrency.max(1),
        sink,
        interrupted,
    };
    Ok(exec.execute().await)
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
