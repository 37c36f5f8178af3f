//! `onboard export`: write a playbook that reproduces an existing account.

use onboard_engine::diag::Diags;
use onboard_engine::ops::{self, export::Exported};

use crate::args::ExportArgs;
use crate::connect::Connect;
use crate::output;
use crate::terminal::Terminal;

pub fn export(args: &ExportArgs) -> Result<u8, Diags> {
    let opts = ops::export::Options {
        api: args.api.ops(),
        name: args.name.clone(),
        out: args.out.clone(),
    };
    let exported = ops::block_on(async {
        ops::export::export(&opts, &Connect::default(), &Terminal::default()).await
    })?;
    match exported {
        Exported::Written { path } => {
            output::note(&format!(
                "exported to {path}; check it with `onboard plan {path}`"
            ));
        }
        Exported::Text(text) => output::print(&text),
    }
    Ok(0)
}
