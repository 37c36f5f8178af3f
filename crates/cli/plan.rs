//! `onboard plan`: what apply would do, as text, JSON or Markdown.

use onboard_engine::diag::Diags;
use onboard_engine::ops::{self, render};

use crate::args::PlanArgs;
use crate::connect::Connect;
use crate::output;
use crate::terminal::Terminal;

pub fn plan(args: &PlanArgs) -> Result<u8, Diags> {
    let opts = ops::plan::Options {
        input: args.input.ops(),
        api: ops::connect::Api {
            rebind_state: args.rebind_state,
            ..args.api.ops()
        },
        offline: args.offline,
        replace: args.change.into(),
        prune: args.prune,
        out: args.out.clone(),
    };
    let planned = ops::block_on(async {
        ops::plan::plan(&opts, &Connect::default(), &Terminal::default()).await
    })?;
    let mut out = render::planned(&planned, args.format.into());
    if opts.input.inventory.is_some() {
        out.push_str(&render::behind(&planned.plans, args.format.into()));
    }
    output::print(&out);
    Ok(if args.detailed_exitcode && planned.has_changes() {
        2
    } else {
        0
    })
}
