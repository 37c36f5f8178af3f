//! One function per command. Each returns an exit code or the errors to print.

use onboard_engine::diag::{Diag, Diags};
use onboard_engine::inputs::{self, Source};
use onboard_engine::inventory::{self, Inventory};
use onboard_engine::state::State;
use onboard_engine::{Loaded, plan, plan_live, report};
use std::io::Write;

use crate::args::{Cli, Command, Format, GraphArgs, GraphFormat, InputArgs, PlanArgs};

/// Why a command failed.
pub enum Failure {
    Diags(Diags),
}

impl From<Diags> for Failure {
    fn from(d: Diags) -> Self {
        Failure::Diags(d)
    }
}

impl From<Diag> for Failure {
    fn from(d: Diag) -> Self {
        Failure::Diags(d.into())
    }
}

pub fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Validate(input) => validate(&input, cli.quiet),
        Command::Plan(args) => plan_cmd(&args),
        Command::Apply(args) => crate::apply::apply(&args, cli.quiet),
        Command::Sandbox(args) => sandbox(args),
        Command::Destroy(args) => crate::destroy::destroy(&args),
        Command::Graph(args) => graph(&args),
        Command::Schema { inventory } => {
            print(&match inventory {
                true => onboard_engine::schema::inventory_schema(),
                false => onboard_engine::schema::playbook_schema(),
            });
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "onboard", &mut std::io::stdout());
            Ok(0)
        }
    }
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// One run of the playbook: a customer of an inventory, or the values given.
pub struct Run {
    pub key: Option<String>,
    pub loaded: Loaded,
    pub inputs: inputs::Inputs,
}

/// Load the playbook and resolve inputs for every run; every error of every run at once.
pub fn prepare(input: &InputArgs) -> Result<Vec<Run>, Failure> {
    let file = inventory::read(&input.playbook)?;
    let loaded = onboard_engine::load(&file)?;
    let mut diags = Diags::new();
    let cli_sources = cli_sources(input, &mut diags);
    let mut runs = Vec::new();
    let entries: Vec<(Option<String>, Vec<Source>)> = match &input.inventory {
        Some(path) => {
            let inv = Inventory::parse(&inventory::read(path)?)?;
            inv.select(&input.only)?
                .into_iter()
                .map(|e| {
                    (
                        Some(e.key.clone()),
                        e.sources
                            .iter()
                            .cloned()
                            .chain(cli_sources.iter().cloned())
                            .collect(),
                    )
                })
                .collect()
        }
        None => vec![(None, cli_sources)],
    };
    for (key, sources) in entries {
        match inputs::resolve(&loaded.playbook, &sources) {
            Ok(inputs) => runs.push(Run {
                key,
                loaded: loaded.clone(),
                inputs,
            }),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() {
        Ok(runs)
    } else {
        Err(diags.sorted().into())
    }
}

fn cli_sources(input: &InputArgs, diags: &mut Diags) -> Vec<Source> {
    let mut sources = Vec::new();
    for path in &input.values {
        match inventory::read(path).and_then(Source::values_file) {
            Ok(s) => sources.push(s),
            Err(d) => diags.push(d),
        }
    }
    sources.extend(input.set.iter().map(|s| Source::set(s)));
    sources
}

pub fn offline_plans(input: &InputArgs, account: Option<&str>) -> Result<Vec<plan::Plan>, Failure> {
    offline_for(&prepare(input)?, account)
}

/// The offline plan of every run: validation, and each run's key.
pub fn offline_for(runs: &[Run], account: Option<&str>) -> Result<Vec<plan::Plan>, Failure> {
    let mut diags = Diags::new();
    let mut plans = Vec::new();
    for run in runs {
        match plan::offline(
            &run.loaded.playbook,
            &run.loaded.dag,
            &run.inputs,
            run.key.as_deref(),
        ) {
            Ok(p) => plans.push(p.in_account(account)),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() {
        Ok(plans)
    } else {
        Err(diags.sorted().into())
    }
}

/// `validate`: with no values given at all, inputs without a value are notes, not errors.
fn validate(input: &InputArgs, quiet: bool) -> Result<u8, Failure> {
    let no_values = input.values.is_empty() && input.set.is_empty() && input.inventory.is_none();
    let plans = if no_values {
        let file = inventory::read(&input.playbook)?;
        let loaded = onboard_engine::load(&file)?;
        let (inputs, notes) = inputs::resolve_without_values(&loaded.playbook)?;
        if !quiet {
            for note in &notes {
                eprintln!("note: {note}");
            }
        }
        let run = Run {
            key: None,
            loaded,
            inputs,
        };
        offline_for(&[run], None)?
    } else {
        offline_plans(input, None)?
    };
    if !quiet {
        for p in &plans {
            let steps = p.steps.len();
            eprintln!(
                "{}: valid (run key `{}`, {steps} step instance{})",
                input.playbook.display(),
                p.run_key,
                if steps == 1 { "" } else { "s" }
            );
        }
    }
    Ok(0)
}

fn plan_cmd(args: &PlanArgs) -> Result<u8, Failure> {
    if args.offline && args.out.is_some() {
        return Err(
            Diag::plain("`--out` saves a plan made against live state; drop `--offline`").into(),
        );
    }
    let runs = prepare(&args.input)?;
    let offline = offline_for(&runs, args.api.account.as_deref())?;
    let plans = if args.offline {
        offline
    } else {
        let rt = tokio::runtime::Runtime::new()
            .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
        rt.block_on(async {
            let (client, sandbox) = crate::connect::connect(&args.api).await?;
            let plans = live_plans(&runs, &offline, &client, &args.api, args.change).await;
            if let Some(s) = sandbox {
                s.shutdown().await;
            }
            plans
        })?
    };
    let format = match args.format {
        Format::Text => report::Format::Text,
        Format::Json => report::Format::Json,
        Format::Markdown => report::Format::Markdown,
    };
    if let Some(out) = &args.out {
        save_plan(out, &args.input, &runs, &plans)?;
    }
    let changes = plans.iter().any(plan::Plan::has_changes);
    if format == report::Format::Json && args.input.inventory.is_some() {
        let all = serde_json::to_string_pretty(&plans).unwrap_or_default();
        print(&format!("{all}\n"));
    } else {
        let text: Vec<String> = plans.iter().map(|p| report::plan(p, format)).collect();
        print(&text.join("\n"));
    }
    Ok(if args.detailed_exitcode && changes {
        2
    } else {
        0
    })
}

/// Plan every run against the live API; `offline` gives each run's key.
pub async fn live_plans(
    runs: &[Run],
    offline: &[plan::Plan],
    client: &onboard_netbird::Client,
    api: &crate::args::ApiArgs,
    change: crate::args::ChangeArgs,
) -> Result<Vec<plan::Plan>, Failure> {
    let jobs = runs.iter().zip(offline).map(|(run, p)| async move {
        let name = &run.loaded.playbook.name;
        let path = State::path(&api.state_dir, name, &p.run_key);
        let state = State::load(&path, name, &p.run_key).map_err(Diag::plain)?;
        let to = plan_live::Live {
            client,
            account: api.account.as_deref(),
            state: &state,
            replace: change.into(),
        };
        plan_live::live(&run.loaded, &run.inputs, run.key.as_deref(), &to)
            .await
            .map(|p| p.in_account(api.account.as_deref()))
            .map_err(Failure::from)
    });
    futures_util::future::join_all(jobs)
        .await
        .into_iter()
        .collect()
}

fn graph(args: &GraphArgs) -> Result<u8, Failure> {
    let file = inventory::read(&args.playbook)?;
    let loaded = onboard_engine::load(&file)?;
    let text = match args.format {
        GraphFormat::Dot => onboard_engine::dot::dot(&loaded.playbook, &loaded.dag),
        GraphFormat::Mermaid => onboard_engine::dot::mermaid(&loaded.playbook, &loaded.dag),
    };
    print(&text);
    Ok(0)
}

fn sandbox(args: crate::args::SandboxArgs) -> Result<u8, Failure> {
    let cfg = onboard_sandbox::SandboxConfig {
        listen: args.listen,
        token: args.token,
        standalone: args.standalone,
        rate_limit: (args.rate_limit > 0).then_some(onboard_sandbox::RateLimit {
            per_minute: args.rate_limit,
            burst: args.burst,
        }),
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        fail_rate: args.fail_rate,
        drop_rate: args.drop_rate,
        seed: args.seed,
        data: args.data,
    };
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(onboard_sandbox::serve_until_ctrl_c(cfg))
        .map_err(|e| Diag::plain(format!("sandbox: {e}")))?;
    Ok(0)
}

/// `plan --out`: the live plans with what they were made from, mode 0600.
fn save_plan(
    out: &std::path::Path,
    input: &InputArgs,
    runs: &[Run],
    plans: &[plan::Plan],
) -> Result<(), Failure> {
    use onboard_engine::saved::{Hashed, SavedPlan, SavedRun};
    let mut sources: Vec<Hashed> = Vec::new();
    for path in input.values.iter().chain(input.inventory.iter()) {
        sources.push(Hashed::of(path).map_err(Diag::plain)?);
    }
    let playbook = Hashed::of(&input.playbook).map_err(Diag::plain)?;
    let saved: Vec<SavedRun> = runs
        .iter()
        .zip(plans)
        .map(|(run, p)| SavedRun {
            playbook: playbook.clone(),
            sources: sources.clone(),
            inventory_key: run.key.clone(),
            inputs: run.inputs.clone(),
            plan: serde_json::to_value(p).unwrap_or_default(),
        })
        .collect();
    let text = serde_json::to_string_pretty(&SavedPlan::new(saved)).unwrap_or_default();
    onboard_engine::state::write_private(out, text.as_bytes())
        .map_err(|e| Diag::plain(format!("cannot write {}: {e}", out.display())))?;
    eprintln!(
        "plan saved to {}; apply it with `onboard apply {}`",
        out.display(),
        out.display()
    );
    Ok(())
}
