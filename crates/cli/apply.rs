//! `onboard apply`: the op connects (or the embedded sandbox starts), locks, plans, asks and
//! applies; this file renders its outcome: removals, the reports, the exit code.

use onboard_engine::diag::{Diag, Diags};
use onboard_engine::ops::{self, apply::PruneNote, render};
use std::io::IsTerminal;

use crate::args::{ApplyArgs, ReportFormat};
use crate::connect::Connect;
use crate::output;
use crate::terminal::Terminal;

pub fn apply(args: &ApplyArgs, quiet: bool) -> Result<u8, Diags> {
    if args.format == ReportFormat::Markdown {
        return Err(Diag::plain(
            "`apply --format markdown` is not a report format: Markdown is for reviewing a plan",
        )
        .help(
            "post `onboard plan ... --format markdown` as the pull-request comment, and use \
             `apply --format json` for a report scripts read",
        )
        .into());
    }
    let json = args.format == ReportFormat::Json;
    let waves = match &args.waves {
        Some(w) => Some(ops::waves::Waves::parse(w)?),
        None => None,
    };
    let opts = ops::apply::Options {
        input: args.input.ops(),
        api: ops::connect::Api {
            rebind_state: args.rebind_state,
            ..args.api.ops()
        },
        yes: args.yes,
        outputs: args.outputs.clone(),
        secrets_shown: args.show_secrets && std::io::stdout().is_terminal(),
        discard_secrets: args.discard_secrets,
        show_plans: !json,
        lock_timeout: args.lock_timeout,
        prune: args.prune,
        replace: args.change.into(),
        waves,
        max_failures: args.max_failures,
    };
    let ui = Terminal {
        quiet_progress: quiet || json,
        ..Terminal::default()
    };
    let outcome =
        ops::block_on(async { ops::apply::apply(&opts, &Connect::default(), &ui).await })?;
    for note in outcome.prune_notes() {
        match note {
            PruneNote::Removals(text) => output::print(&text),
            PruneNote::Skipped(line) => output::note(&line),
        }
    }
    let advice =
        |run_key: &str, lost: &_| crate::advice::rotate(args, run_key, lost, outcome.saved);
    let reports = outcome.reports();
    match json {
        true => {
            output::print(&render::report_json_rollout(
                &outcome.plans,
                &reports,
                args.show_secrets,
                &advice,
                outcome.rollout.as_ref(),
            ));
        }
        false => {
            reports.iter().for_each(|r| {
                output::print(&render::report_text(r, args.show_secrets, &advice));
            });
            if let Some(r) = &outcome.rollout {
                output::print(&render::rollout_text(r));
            }
        }
    }
    Ok(outcome.exit().code())
}
