//! `onboard destroy`: the op shows what the state records, asks, and deletes it.

use onboard_engine::diag::Diags;
use onboard_engine::ops;

use crate::args::DestroyArgs;
use crate::connect::Connect;
use crate::terminal::Terminal;

pub fn destroy(args: &DestroyArgs) -> Result<u8, Diags> {
    let opts = ops::destroy::Options {
        input: args.input.ops(),
        api: ops::connect::Api {
            rebind_state: args.rebind_state,
            ..args.api.ops()
        },
        yes: args.yes,
    };
    let destroyed = ops::block_on(async {
        ops::destroy::destroy(&opts, &Connect::default(), &Terminal::default()).await
    })?;
    Ok(if destroyed.ok { 0 } else { 1 })
}
