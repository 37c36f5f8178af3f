//! `onboard apply`: connect (or start the embedded sandbox), plan, confirm, execute, report.

use onboard_engine::diag::{Diag, Diags};
use onboard_engine::execute::{Event, Run, RunReport, Sink};
use onboard_engine::plan::{self, Action};
use onboard_engine::render::SENSITIVE;
use onboard_engine::state::{State, write_private};
use onboard_netbird::{Client, ClientConfig, RateLimit, Token};
use serde_json::Value as Json;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::args::ApplyArgs;
use crate::commands::{Failure, prepare};

/// The PAT the embedded sandbox is started with; it never leaves this machine.
const SANDBOX_TOKEN: &str = "nbp_onboardLocalSandboxToken0000000000";

pub fn apply(args: &ApplyArgs) -> Result<u8, Failure> {
    let runs = prepare(&args.input)?;
    let mut plans = Vec::new();
    let mut diags = Diags::new();
    for run in &runs {
        match plan::offline(
            &run.loaded.playbook,
            &run.loaded.dag,
            &run.inputs,
            run.key.as_deref(),
        ) {
            Ok(p) => plans.push(p),
            Err(d) => diags.extend(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags.sorted().into());
    }
    for p in &plans {
        eprint!(
            "{}",
            onboard_engine::report::plan(p, onboard_engine::report::Format::Text)
        );
    }
    confirm(args.yes)?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let (client, sandbox) = connect(args).await?;
        let mut ok = true;
        for (run, p) in runs.into_iter().zip(plans) {
            let report = execute(args, &client, run, &p.run_key).await?;
            print_report(args, &report)?;
            ok &= report.ok;
        }
        if let Some(s) = sandbox {
            s.shutdown().await;
        }
        Ok(if ok { 0 } else { 1 })
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
) -> Result<RunReport, Failure> {
    let playbook = run.loaded.playbook.name.clone();
    let state_path = State::path(&args.state_dir, &playbook, run_key);
    let state = State::load(&state_path, &playbook, run_key).map_err(Diag::plain)?;
    let journal = Journal::open(&args.state_dir, run_key)?;
    let sink: Sink = Arc::new(move |e: &Event| {
        journal.write(e);
        progress(e);
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
    };
    Ok(exec.execute().await)
}

/// One line per finished step on stderr.
fn progress(e: &Event) {
    match e {
        Event::TenantReady { id, origin } => eprintln!("tenant {id} ({origin})"),
        Event::StepFinished {
            address, action, ..
        } => eprintln!(
            "{:>3} {address} ({})",
            action.symbol(),
            action_name(*action)
        ),
        Event::StepFailed { address, error } => eprintln!("  ! {address} failed: {error}"),
        Event::StepSkipped { address, reason } => eprintln!("  - {address} skipped: {reason}"),
        _ => {}
    }
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Create => "created",
        Action::Read => "read",
        Action::Adopt => "adopted",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoChange => "no change",
        Action::Deferred => "deferred",
        Action::Skip => "skipped",
    }
}

/// The run journal: one JSON event per line. Events carry no secrets.
struct Journal(Mutex<Option<std::fs::File>>);

impl Journal {
    fn open(state_dir: &Path, run_key: &str) -> Result<Journal, Failure> {
        let dir = state_dir.join("runs");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Diag::plain(format!("cannot create {}: {e}", dir.display())))?;
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let path = dir.join(format!(
            "{stamp}-{}.jsonl",
            onboard_engine::state::safe(run_key)
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts
            .open(&path)
            .map_err(|e| Diag::plain(format!("cannot open {}: {e}", path.display())))?;
        Ok(Journal(Mutex::new(Some(file))))
    }

    fn write(&self, e: &Event) {
        if let (Ok(mut guard), Ok(line)) = (self.0.lock(), serde_json::to_string(e))
            && let Some(f) = guard.as_mut()
        {
            let _ = writeln!(f, "{line}");
        }
    }
}

fn print_report(args: &ApplyArgs, report: &RunReport) -> Result<(), Failure> {
    let mut out = String::new();
    let failed = report.steps.iter().filter(|s| s.error.is_some()).count();
    out.push_str(&format!(
        "\napply `{}`: {}\n",
        report.run_key,
        if report.ok {
            "done"
        } else {
            "finished with errors"
        }
    ));
    if let Some(id) = &report.tenant_id {
        out.push_str(&format!("tenant: {id}\n"));
    }
    if failed > 0 {
        out.push_str(&format!(
            "{failed} step(s) failed; the others are recorded and a re-run resumes\n"
        ));
    }
    if !report.outputs.is_empty() {
        out.push_str("outputs:\n");
        for (name, value, sensitive) in &report.outputs {
            let shown = if *sensitive && !args.show_secrets {
                Json::String(SENSITIVE.into())
            } else {
                value.clone()
            };
            let text = shown
                .as_str()
                .map_or_else(|| shown.to_string(), str::to_owned);
            out.push_str(&format!("  {name} = {text}\n"));
        }
    }
    out.push_str(&format!("state: {}\n", report.state_path.display()));
    if let Some(path) = &args.outputs {
        let map: serde_json::Map<String, Json> = report
            .outputs
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect();
        let text = serde_json::to_string_pretty(&map).unwrap_or_default();
        write_private(path, text.as_bytes())
            .map_err(|e| Diag::plain(format!("cannot write {}: {e}", path.display())))?;
        out.push_str(&format!(
            "outputs written to {} (mode 0600)\n",
            path.display()
        ));
    }
    print!("{out}");
    Ok(())
}
