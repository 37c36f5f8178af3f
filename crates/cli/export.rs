//! `onboard export`: write a playbook that reproduces an existing account.

use onboard_engine::diag::{Diag, printable};
use onboard_engine::export::{self, Options};

use crate::args::ExportArgs;
use crate::commands::Failure;

pub fn export(args: &ExportArgs) -> Result<u8, Failure> {
    // An export names an account's objects, ids and addresses: `--out` is written like every
    // private file (0600, atomic, never through a link), and a link there is refused before
    // anything is read.
    if let Some(path) = &args.out {
        onboard_engine::store::private::check_target(path)
            .map_err(|e| Diag::plain(e.to_string()))?;
    }
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    let opts = Options {
        account: args.api.account.clone(),
        name: args.name.clone(),
    };
    let text = rt.block_on(async {
        let (client, sandbox) = crate::connect::connect(&args.api).await?;
        let text = export::export(&client, &opts).await;
        if let Some(s) = sandbox {
            s.shutdown().await;
        }
        text.map_err(Failure::from)
    })?;
    match &args.out {
        Some(path) => {
            onboard_engine::store::private::write_private(path, text.as_bytes())
                .map_err(|e| Diag::plain(format!("cannot write {}: {e}", path.display())))?;
            let shown = printable(&path.display().to_string()).into_owned();
            eprintln!("exported to {shown}; check it with `onboard plan {shown}`");
        }
        None => crate::commands::print(&text),
    }
    Ok(0)
}
