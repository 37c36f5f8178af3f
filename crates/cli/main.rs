//! The `onboard` binary: parse arguments, call the engine, print, map errors to exit codes.

mod apply;
mod args;
mod commands;
mod connect;
mod destroy;
mod output;
mod reporter;
mod state;

use clap::Parser;
use std::process::ExitCode;

use args::Cli;
use commands::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
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
/// the client logs neither.
fn init_logging(verbose: u8, quiet: bool) {
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
        .try_init();
}
