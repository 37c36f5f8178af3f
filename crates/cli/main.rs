//! The `onboard` binary: parse arguments, call the engine, print, map errors to exit codes.

mod apply;
mod args;
mod commands;
mod connect;
mod destroy;
mod output;
mod reporter;

use clap::Parser;
use std::process::ExitCode;

use args::Cli;
use commands::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let errors = output::Errors::new(cli.color);
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Diags(diags)) => {
            eprint!("{}", errors.render_all(&diags));
            ExitCode::from(1)
        }
    }
}
