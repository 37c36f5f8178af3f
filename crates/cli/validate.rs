//! `onboard validate`, `onboard graph` and `onboard explain`: no network.

use onboard_engine::diag::Diags;
use onboard_engine::ops;

use crate::args::{ExplainArgs, GraphArgs, GraphFormat, InputArgs};
use crate::output;
use crate::terminal::Terminal;

pub fn validate(input: &InputArgs, quiet: bool) -> Result<u8, Diags> {
    let ui = Terminal {
        quiet,
        ..Terminal::default()
    };
    let validated = ops::validate::validate(&input.ops(), &ui)?;
    if !quiet {
        for line in validated.lines(&input.playbook) {
            output::note(&line);
        }
    }
    Ok(0)
}

pub fn graph(args: &GraphArgs) -> Result<u8, Diags> {
    let mermaid = args.format == GraphFormat::Mermaid;
    output::print(&ops::validate::graph(&args.playbook, mermaid)?);
    Ok(0)
}

pub fn explain(args: &ExplainArgs) -> Result<u8, Diags> {
    output::print(&ops::explain::explain(&args.ops()?, &args.target)?);
    Ok(0)
}
