//! `onboard export`: write a playbook that reproduces an existing account.

use onboard_engine::diag::Diag;
use onboard_engine::export::{self, Options};

use crate::args::ExportArgs;
use crate::commands::Failure;

pub fn export(args: &ExportArgs) -> Result<u8, Failure> {
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
            std::fs::write(path, text.as_bytes())
                .map_err(|e| Diag::plain(format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "exported to {}; check it with `onboard plan {}`",
                path.display(),
                path.display()
            );
        }
        None => crate::commands::print(&text),
    }
    Ok(0)
}
