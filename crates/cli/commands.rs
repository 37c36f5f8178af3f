//! One function per command. Each returns an exit code or the errors to print.

use onboard_engine::diag::{Diag, Diags, printable, printable_json};
use onboard_engine::plan::Cost;
use onboard_engine::plan::cost;
use onboard_engine::plan::{self, report};
use onboard_engine::playbook::inputs::{self, Source};
use onboard_engine::playbook::inventory::{self, Inventory};
use onboard_engine::run::session::{Customer, Options, Session};
use onboard_engine::store::Store;
use onboard_netbird::RateLimit;
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

pub fn run(mut cli: Cli) -> Result<u8, Failure> {
    if let Some(input) = cli.command.input_mut() {
        crate::playbook_arg::resolve(input)?;
    }
    match cli.command {
        Command::Validate(input) => validate(&input, cli.quiet),
        Command::Plan(args) => plan_cmd(&args),
        Command::Apply(args) => crate::apply::apply(&args, cli.quiet),
        Command::Sandbox(args) => sandbox(args),
        Command::Destroy(args) => crate::destroy::destroy(&args),
        Command::Graph(args) => graph(&args),
        Command::Export(args) => crate::export::export(&args),
        Command::State(args) => crate::state::state(&args),
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

pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Load the playbook and resolve inputs for every run; every error of every run at once.
pub fn prepare(input: &InputArgs) -> Result<Vec<Customer>, Failure> {
    prepare_file(input, inventory::read(&input.playbook)?)
}

/// [`prepare`] with the playbook already read (`apply` reads it once to tell a saved plan).
pub fn prepare_file(
    input: &InputArgs,
    file: onboard_engine::diag::source::SourceFile,
) -> Result<Vec<Customer>, Failure> {
    let loaded = onboard_engine::playbook::load(&file)?;
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
            Ok(inputs) => runs.push(Customer {
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
pub fn offline_for(runs: &[Customer], account: Option<&str>) -> Result<Vec<plan::Plan>, Failure> {
    Ok(onboard_engine::run::session::offline(runs, account)?)
}

/// Where state lives: `--state-url` / `ONBOARD_STATE_URL` (PostgreSQL), else `--state-dir`.
pub async fn open_store(api: &crate::args::ApiArgs) -> Result<Store, Failure> {
    Store::open(&api.state_dir, api.state_url.as_deref())
        .await
        .map_err(|e| Diag::plain(e.to_string()).into())
}

/// The session's options from the command line.
pub fn options(
    api: &crate::args::ApiArgs,
    change: crate::args::ChangeArgs,
    prune: bool,
    lock_timeout: u64,
) -> Options {
    Options {
        account: api.account.clone(),
        replace: change.into(),
        prune,
        budget: RateLimit {
            per_minute: api.rate_limit,
            burst: api.burst,
        },
        concurrency: api.concurrency.max(1),
        lock_timeout: std::time::Duration::from_secs(lock_timeout),
    }
}

/// With several customers, what they cost together under the one budget of the PAT.
pub fn print_total(plans: &[plan::Plan]) {
    let costs: Vec<Cost> = plans.iter().filter_map(|p| p.cost).collect();
    if let ([_, _, ..], Some(first)) = (plans, costs.first()) {
        let total = Cost::total(&costs, first.budget());
        println!("\nAll {} customers: {}", plans.len(), cost::line(&total));
    }
}

/// `validate`: with no values given at all, inputs without a value are notes, not errors.
fn validate(input: &InputArgs, quiet: bool) -> Result<u8, Failure> {
    let no_values = input.values.is_empty() && input.set.is_empty() && input.inventory.is_none();
    let plans = if no_values {
        let file = inventory::read(&input.playbook)?;
        let loaded = onboard_engine::playbook::load(&file)?;
        let (inputs, notes) = inputs::resolve_without_values(&loaded.playbook)?;
        if !quiet {
            for note in &notes {
                eprintln!("note: {note}");
            }
        }
        let run = Customer {
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
                printable(&input.playbook.display().to_string()),
                printable(&p.run_key),
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
    if let Some(out) = &args.out {
        onboard_engine::store::private::check_target(out)
            .map_err(|e| Diag::plain(e.to_string()))?;
    }
    let plans = if args.offline {
        offline
    } else {
        let rt = tokio::runtime::Runtime::new()
            .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
        rt.block_on(async {
            let (client, sandbox) = crate::connect::connect(&args.api).await?;
            let store = open_store(&args.api).await?;
            let session = Session::new(
                client,
                options(&args.api, args.change, args.prune, 0),
                store,
            );
            crate::connect::first_contact(&session, &runs, args.api.sandbox).await?;
            let plans = session.plan(&runs, &offline, &[]).await;
            if let Some(s) = sandbox {
                s.shutdown().await;
            }
            plans.map_err(Failure::from)
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
    // JSON has one shape for one customer or many: a list of plans, one per customer.
    if format == report::Format::Json {
        let all = serde_json::to_string_pretty(&plans).unwrap_or_default();
        print(&format!("{}\n", printable_json(&all)));
    } else {
        let text: Vec<String> = plans.iter().map(|p| report::plan(p, format)).collect();
        print(&text.join("\n"));
        if format == report::Format::Text {
            print_total(&plans);
        }
    }
    Ok(if args.detailed_exitcode && changes {
        2
    } else {
        0
    })
}

fn graph(args: &GraphArgs) -> Result<u8, Failure> {
    let file = inventory::read(&args.playbook)?;
    let loaded = onboard_engine::playbook::load(&file)?;
    let text = match args.format {
        GraphFormat::Dot => onboard_engine::plan::dot::dot(&loaded.playbook, &loaded.dag),
        GraphFormat::Mermaid => onboard_engine::plan::dot::mermaid(&loaded.playbook, &loaded.dag),
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
        .map_err(|e| crate::connect::sandbox_error("sandbox", &e))?;
    Ok(0)
}

/// `plan --out`: the live plans with what they were made from, mode 0600.
fn save_plan(
    out: &std::path::Path,
    input: &InputArgs,
    runs: &[Customer],
    plans: &[plan::Plan],
) -> Result<(), Failure> {
    use onboard_engine::plan::saved::{Hashed, SavedPlan, SavedRun};
    let mut sources: Vec<Hashed> = Vec::new();
    for path in input.values.iter().chain(input.inventory.iter()) {
        sources.push(Hashed::of(path).map_err(|e| Diag::plain(e.to_string()))?);
    }
    let playbook = Hashed::of(&input.playbook).map_err(|e| Diag::plain(e.to_string()))?;
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
    onboard_engine::store::state::write_private(out, text.as_bytes())
        .map_err(|e| Diag::plain(format!("cannot write {}: {e}", out.display())))?;
    let out = printable(&out.display().to_string()).into_owned();
    eprintln!("plan saved to {out}; apply it with `onboard apply {out}`");
    Ok(())
}
