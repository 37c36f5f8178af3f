//! `onboard drift`: whether each customer's account is still what its last apply left.

use onboard_engine::diag::Diags;
use onboard_engine::ops;

use crate::args::DriftArgs;
use crate::connect::Connect;
use crate::output;
use crate::terminal::Terminal;

pub fn drift(args: &DriftArgs) -> Result<u8, Diags> {
    let opts = ops::drift::Options {
        input: args.input.ops(),
        api: args.api.ops(),
        full: args.full,
    };
    let report = ops::block_on(async {
        ops::drift::drift(&opts, &Connect::default(), &Terminal::default()).await
    })?;
    output::print(&report.render(args.format.into()));
    Ok(report.exit())
}
