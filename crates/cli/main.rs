//! The `onboard` binary: parse arguments, call the engine, print, map errors to exit codes.

mod advice;
mod apply;
mod args;
mod commands;
mod connect;
mod destroy;
mod export;
mod output;
mod playbook_arg;
mod reporter;
mod state;

use clap::Parser;
use std::process::ExitCode;

use args::Cli;
use commands::Failure;

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
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Diags(diags)) => {
            eprint!("{}", errors.render_all(&diags));
            ExitCode::from(1)
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
