//! The `onboard` binary: a shell around the engine's ops. Each command file parses nothing
//! itself (args.rs does), calls one op, renders its outcome and returns an exit code; the
//! shared modules are the terminal's: arguments, output, the terminal frontend and the
//! embedded sandbox. No command file imports another.

mod advice;
mod apply;
mod args;
mod connect;
mod destroy;
mod drift;
mod export;
mod init;
mod man;
mod output;
mod plan;
mod sandbox;
mod state;
mod terminal;
mod validate;

use clap::Parser;
use onboard_engine::diag::Diags;
use std::process::ExitCode;

use args::{Cli, Command};

fn main() -> ExitCode {
    // Usage errors exit 1, as Terraform's do: clap's 2 would read as "changes present" to a
    // script running `plan --detailed-exitcode`. `--help` and `--version` exit 0.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::from(e.use_stderr()));
        }
    };
    init_logging(cli.verbose, cli.quiet, output::colour(cli.color));
    let errors = output::Errors::new(cli.color);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(diags) => {
            eprint!("{}", errors.render_all(&diags));
            ExitCode::from(1)
        }
    }
}

/// One command: its exit code, or the errors to print.
fn run(mut cli: Cli) -> Result<u8, Diags> {
    if let Some(input) = cli.command.input_mut() {
        input.resolve()?;
    }
    match cli.command {
        Command::Init { dir } => init::init(&dir),
        Command::Validate(input) => validate::validate(&input, cli.quiet),
        Command::Plan(args) => plan::plan(&args),
        Command::Apply(args) => apply::apply(&args, cli.quiet),
        Command::Drift(args) => drift::drift(&args),
        Command::Sandbox(args) => sandbox::sandbox(args),
        Command::Destroy(args) => destroy::destroy(&args),
        Command::Graph(args) => validate::graph(&args),
        Command::Explain(args) => validate::explain(&args),
        Command::Export(args) => export::export(&args),
        Command::State(args) => state::state(&args),
        Command::Schema { inventory } => {
            output::print(&match inventory {
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
        Command::Man => {
            output::print(&man::page());
            Ok(0)
        }
    }
}

/// Diagnostics on stderr: `RUST_LOG` when set, else `-v` (info), `-vv` (debug), `-vvv`
/// (trace); warnings by default, errors only with `-q`. Never the token or request bodies:
/// the client logs neither. Colour as `--color` says (`never`: no escape sequences at all).
fn init_logging(verbose: u8, quiet: bool, colour: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(colour)
        .try_init();
}
