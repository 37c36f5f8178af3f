//! Command-line arguments (clap), and the ops' options they make. No engine logic here.

use clap::{Args, Parser, Subcommand, ValueEnum};
use onboard_engine::diag::Diags;
use onboard_engine::ops::{self, Replace, connect::Api, customers::Input};
use std::path::PathBuf;

/// What every command's help ends with: the environment and the exit codes.
const AFTER_HELP: &str = "\
Environment:
  NB_PAT               personal access token of a NetBird user (or --token-file FILE)
  NB_MANAGEMENT_URL    API base URL, without /api (default https://api.netbird.io)
  ONBOARD_VAR_<name>   a value for the playbook's input <name> (lowest precedence)
  RUST_LOG             diagnostics filter (overrides -v/-q)

Exit codes: 0 success (plan --detailed-exitcode: no changes; drift: in sync), 1 error, 2 changes
(plan --detailed-exitcode) or drift, 130 interrupted (a re-run resumes).";

/// Onboard MSP customers onto NetBird from declarative playbooks.
#[derive(Debug, Parser)]
#[command(
    name = "onboard",
    version = env!("ONBOARD_VERSION_LINE"),
    about,
    max_term_width = 100,
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More output (repeat for more); RUST_LOG also works.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = "Global options")]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, help_heading = "Global options")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a starter project into DIR: playbook, inventory, values, .gitignore, README.
    ///
    /// The inventory has two example customers; the last line printed is the command that
    /// applies the project on the embedded sandbox. Refuses, writing nothing, when any of
    /// its files already exists.
    #[command(after_help = AFTER_HELP)]
    Init {
        /// Where to write it (created when missing; default: the current folder).
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Parse, type-check inputs, check references, build the graph; no network.
    #[command(after_help = AFTER_HELP)]
    Validate(InputArgs),
    /// Print what apply would do.
    #[command(after_help = AFTER_HELP)]
    Plan(PlanArgs),
    /// Plan, confirm, then create, adopt or update everything the playbook declares.
    ///
    /// `onboard apply PLAN.json` applies exactly a plan saved with `onboard plan --out
    /// PLAN.json`, refusing if live state changed since.
    #[command(after_help = AFTER_HELP)]
    Apply(ApplyArgs),
    /// Plan against live state and report, per customer, whether the account drifted from
    /// what the last apply left (read-only).
    #[command(after_help = AFTER_HELP)]
    Drift(DriftArgs),
    /// Delete what the state records for this playbook and tenant, dependants first.
    #[command(after_help = AFTER_HELP)]
    Destroy(DestroyArgs),
    /// Print the dependency graph.
    #[command(after_help = AFTER_HELP)]
    Graph(GraphArgs),
    /// Say which file and line set a step's field: the step, a module's input, an import's
    /// `with`, a customer's value (no network).
    #[command(after_help = AFTER_HELP)]
    Explain(ExplainArgs),
    /// Write a playbook that reproduces an existing account (peers and secrets excluded).
    #[command(after_help = AFTER_HELP)]
    Export(ExportArgs),
    /// List, show or migrate recorded state.
    #[command(after_help = AFTER_HELP)]
    State(StateArgs),
    /// Run the local NetBird-compatible API in the foreground until Ctrl-C.
    #[command(after_help = AFTER_HELP)]
    Sandbox(SandboxArgs),
    /// Print the playbook JSON Schema (or, with --inventory, the inventory's).
    #[command(after_help = AFTER_HELP)]
    Schema {
        /// The schema of inventory files instead.
        #[arg(long)]
        inventory: bool,
    },
    /// Print shell completions.
    #[command(after_help = AFTER_HELP)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `onboard man > onboard.1; man ./onboard.1`.
    #[command(after_help = AFTER_HELP)]
    Man,
}

impl Command {
    /// The playbook and input arguments of the commands that take them.
    pub fn input_mut(&mut self) -> Option<&mut InputArgs> {
        match self {
            Command::Validate(input) => Some(input),
            Command::Plan(a) => Some(&mut a.input),
            Command::Apply(a) => Some(&mut a.input),
            Command::Destroy(a) => Some(&mut a.input),
            Command::Drift(a) => Some(&mut a.input),
            _ => None,
        }
    }
}

/// The playbook and its input values.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// The playbook file (with --inventory: optional, the inventory's `playbook:` names it).
    #[arg(value_name = "PLAYBOOK")]
    pub playbook_arg: Option<PathBuf>,
    /// The playbook to use: set by `playbook_arg::resolve` before a command runs.
    #[arg(skip)]
    pub playbook: PathBuf,
    #[command(flatten)]
    pub given: ValueArgs,
}

/// Where input values come from, and which customers.
#[derive(Debug, Args, Clone)]
pub struct ValueArgs {
    /// A values file (repeatable; later ones win).
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// An input value KEY=VALUE (repeatable; wins over values files).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Run once per customer of this inventory.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// With --inventory: only these customer keys.
    #[arg(long, value_delimiter = ',', value_name = "KEY,...")]
    pub only: Vec<String>,
}

impl ValueArgs {
    /// The ops' input for `playbook` (found from the arguments).
    fn input(&self, playbook_arg: Option<PathBuf>, playbook: PathBuf) -> Input {
        Input {
            playbook_arg,
            playbook,
            values: self.values.clone(),
            set: self.set.clone(),
            inventory: self.inventory.clone(),
            only: self.only.clone(),
        }
    }
}

impl InputArgs {
    /// Sets `playbook`: the PLAYBOOK argument, or the inventory's `playbook:`.
    pub fn resolve(&mut self) -> Result<(), Diags> {
        self.playbook = ops::customers::playbook(
            self.playbook_arg.as_deref(),
            self.given.inventory.as_deref(),
        )?;
        Ok(())
    }

    pub fn ops(&self) -> Input {
        self.given
            .input(self.playbook_arg.clone(), self.playbook.clone())
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Do not read live state: every step is a create, ids are known after apply.
    #[arg(long)]
    pub offline: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when the plan has changes.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Save the plan for a later `onboard apply PLAN.json`.
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
    /// Also show the deletions that `apply --prune` would make: objects the state records
    /// that the playbook no longer declares
    #[arg(long)]
    pub prune: bool,
    /// Use a state made against another API (another NB_MANAGEMENT_URL or account) with this
    /// one: the same NetBird under a new address
    #[arg(long)]
    pub rebind_state: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// Where the API is and how to talk to it.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// Run against an embedded sandbox whose world persists in <state-dir>/sandbox.json.
    #[arg(long)]
    pub sandbox: bool,
    /// Where state lives.
    #[arg(long, default_value = ".onboard", value_name = "DIR")]
    pub state_dir: PathBuf,
    /// Keep state, run journals and locks in PostgreSQL instead of --state-dir
    /// (postgres://user@host/db; sslmode=require for TLS).
    #[arg(
        long,
        env = "ONBOARD_STATE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub state_url: Option<String>,
    /// In-flight API calls at most.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Client-side budget for this PAT: calls per minute.
    #[arg(long, default_value_t = 120)]
    pub rate_limit: u32,
    /// Client-side burst for this PAT.
    #[arg(long, default_value_t = 1200)]
    pub burst: u32,
    /// The first retry delay, in milliseconds; it doubles from there (with jitter).
    #[arg(
        long,
        env = "ONBOARD_RETRY_DELAY_MS",
        default_value_t = 500,
        value_name = "MS"
    )]
    pub retry_delay: u64,
    /// Run a playbook without a tenant block inside this existing account.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Read the PAT from this file instead of NB_PAT.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

impl ApiArgs {
    pub fn ops(&self) -> Api {
        Api {
            sandbox: self.sandbox,
            state_dir: self.state_dir.clone(),
            state_url: self.state_url.clone(),
            concurrency: self.concurrency,
            rate_limit: self.rate_limit,
            burst: self.burst,
            retry_delay: self.retry_delay,
            account: self.account.clone(),
            token_file: self.token_file.clone(),
            rebind_state: false,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

impl From<Format> for ops::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => ops::Format::Text,
            Format::Json => ops::Format::Json,
            Format::Markdown => ops::Format::Markdown,
        }
    }
}

/// An apply report's format. `markdown` is accepted only to be refused with a pointer to
/// `plan --format markdown`, so help does not list it.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
    #[value(hide = true)]
    Markdown,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Markdown => Format::Markdown,
        }
    }
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Plan every customer in full instead of reading its audit log since the last apply or
    /// check (NetBird does not audit every change, e.g. a group's peers).
    #[arg(long)]
    pub full: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The playbook file.
    pub playbook: PathBuf,
    /// The field: a step id, then the field's path in its `with` (`base.servers.name`,
    /// `admin_ssh.rules.0.ports`).
    #[arg(value_name = "STEP.FIELD")]
    pub target: String,
    #[command(flatten)]
    pub given: ValueArgs,
}

impl ExplainArgs {
    pub fn ops(&self) -> Result<Input, Diags> {
        let playbook =
            ops::customers::playbook(Some(&self.playbook), self.given.inventory.as_deref())?;
        Ok(self.given.input(Some(self.playbook.clone()), playbook))
    }
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The playbook file.
    pub playbook: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Write outputs, secrets included, as JSON (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub outputs: Option<PathBuf>,
    /// Print secret outputs.
    #[arg(long)]
    pub show_secrets: bool,
    /// Go on although this apply creates secrets (setup keys, tokens) that NetBird shows only
    /// once and that no `--outputs FILE` will keep
    #[arg(long)]
    pub discard_secrets: bool,
    /// Report format: text for people, json for scripts (one document on stdout).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Wait this many seconds for another apply on the same run key, then fail.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub lock_timeout: u64,
    /// Also delete objects the state records but the playbook no longer declares.
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// With --inventory: roll out in waves, one after another, e.g. `1,10%,rest` (counts,
    /// percentages of the customers selected rounded up, `rest` last; customers left make
    /// one more wave), in inventory order or by each customer's `wave:` number.
    #[arg(long, value_name = "SIZES", allow_hyphen_values = true)]
    pub waves: Option<String>,
    /// With --waves: failed customers a wave may have before later waves are not started.
    #[arg(long, default_value_t = 0, value_name = "N", requires = "waves")]
    pub max_failures: usize,
    /// Use a state made against another API (another NB_MANAGEMENT_URL or account) with this
    /// one: the same NetBird under a new address; apply records this one in it
    #[arg(long)]
    pub rebind_state: bool,
}

/// What a change may do beyond updating in place.
#[derive(Debug, Args, Clone, Copy)]
pub struct ChangeArgs {
    /// Delete and re-create an object whose change the API cannot make in place.
    #[arg(long)]
    pub allow_replace: bool,
    /// Delete every setup key of the playbook and create it anew (peers that joined stay; the
    /// new key is an output).
    #[arg(long)]
    pub rotate_setup_keys: bool,
}

impl From<ChangeArgs> for Replace {
    fn from(c: ChangeArgs) -> Self {
        Self {
            allowed: c.allow_replace,
            rotate_setup_keys: c.rotate_setup_keys,
        }
    }
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Use a state made against another API (another NB_MANAGEMENT_URL or account) with this
    /// one: the same NetBird under a new address
    #[arg(long)]
    pub rebind_state: bool,
}

#[derive(Debug, Args)]
#[command(mut_arg("account", |a| a.help(
    "The account to export: a tenant's id exports that tenant (default: the PAT's own account)"
)))]
pub struct ExportArgs {
    /// The playbook's `name` (default: from the account's domain).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Write the playbook to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback only unless you mean it).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// The MSP owner's PAT; generated and printed when absent.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Start a plain (non-MSP) account: the MSP endpoints answer 403.
    #[arg(long)]
    pub standalone: bool,
    /// Requests per minute per PAT; 0 turns the limit off.
    #[arg(long, default_value_t = 120)]
    pub rate_limit: u32,
    /// Burst per PAT.
    #[arg(long, default_value_t = 1200)]
    pub burst: u32,
    /// Delay every response by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Add a random delay of up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Answer 500 before doing anything, with this probability.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Do the request, then close the connection without answering, with this probability.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Seed for reproducible faults and ids.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Load the world from this JSON file and save it after every write.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
    /// The local state folder (the source of `migrate`).
    #[arg(long, default_value = ".onboard", value_name = "DIR", global = true)]
    pub state_dir: PathBuf,
    /// Read state from PostgreSQL instead of --state-dir.
    #[arg(
        long,
        env = "ONBOARD_STATE_URL",
        hide_env_values = true,
        value_name = "URL",
        global = true
    )]
    pub state_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// One line per run key: playbook, run key, tenant, objects, last update.
    #[command(after_help = AFTER_HELP)]
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The recorded state of one run key, as JSON.
    #[command(after_help = AFTER_HELP)]
    Show {
        /// The run key (inventory key, tenant domain, ...).
        key: String,
        /// The playbook's name, when several playbooks use the same run key.
        #[arg(long)]
        playbook: Option<String>,
    },
    /// Record the state of run key FROM under run key TO (refused when TO has one).
    Mv {
        /// The run key whose state moves (e.g. a tenant domain, a single playbook's run key).
        from: String,
        /// Its new run key (e.g. the inventory's customer key).
        to: String,
        /// The playbook's name, when several playbooks use the run key FROM.
        #[arg(long)]
        playbook: Option<String>,
    },
    /// Copy every state and run journal of --state-dir into PostgreSQL.
    #[command(after_help = AFTER_HELP)]
    Migrate {
        /// The PostgreSQL URL to move the state to.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}
