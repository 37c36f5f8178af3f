//! `onboard state list|show|mv|migrate`.

use onboard_engine::diag::Diags;
use onboard_engine::ops;

use crate::args::{StateArgs, StateCommand};
use crate::output;

pub fn state(args: &StateArgs) -> Result<u8, Diags> {
    let opts = ops::state::Options {
        state_dir: args.state_dir.clone(),
        state_url: args.state_url.clone(),
    };
    let text = ops::block_on(async {
        match &args.command {
            StateCommand::Migrate { to } => ops::state::migrate(&opts, to).await,
            StateCommand::Mv { from, to, playbook } => {
                ops::state::mv(&opts, from, to, playbook.as_deref()).await
            }
            StateCommand::List { format } => ops::state::list(&opts, (*format).into()).await,
            StateCommand::Show { key, playbook } => {
                ops::state::show(&opts, key, playbook.as_deref()).await
            }
        }
    })?;
    output::print(&text);
    Ok(0)
}
