//! `onboard destroy`: show what the state records, dependants first; after confirmation the
//! engine's session deletes it (never what onboard did not create or adopt).

use onboard_engine::diag::{Diag, printable};
use onboard_engine::run::destroy::{Outcome, Removal};
use onboard_engine::run::session::{self, Session};

use crate::apply::confirm;
use crate::args::DestroyArgs;
use crate::commands::{Failure, options, prepare};
use crate::connect::connect;

pub fn destroy(args: &DestroyArgs) -> Result<u8, Failure> {
    let runs = prepare(&args.input)?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        // What will be deleted is shown (from the state alone) before anything connects or asks.
        let store = crate::commands::open_store(&args.api).await?;
        let teardowns = session::teardowns(&store, args.api.account.as_deref(), &runs).await?;
        for t in &teardowns {
            println!(
                "destroy `{}`: {} object(s) recorded in {}",
                printable(&t.run_key),
                t.order.len(),
                printable(&t.location)
            );
            for a in &t.order {
                println!("  - {}", printable(a));
            }
        }
        if teardowns.iter().all(|t| t.order.is_empty()) {
            eprintln!(
                "nothing to destroy: the state records no object that onboard created or \
                 adopted for this playbook (it never deletes anything else)"
            );
            return Ok(0);
        }
        confirm(args.yes)?;
        let (client, sandbox) = connect(&args.api).await?;
        let change = crate::args::ChangeArgs {
            allow_replace: false,
            rotate_setup_keys: false,
        };
        let session = Session::new(client, options(&args.api, change, false, 0), store);
        crate::connect::first_contact(&session, &runs, args.api.sandbox).await?;
        let mut ok = true;
        for t in &teardowns {
            let removals = session.destroy(t).await.map_err(Diag::from)?;
            ok &= print_removals(&t.run_key, &removals);
        }
        if let Some(s) = sandbox {
            s.shutdown().await;
        }
        Ok(if ok { 0 } else { 1 })
    })
}

/// One line per object; false when something failed or was kept because it changed.
pub fn print_removals(key: &str, removals: &[Removal]) -> bool {
    let mut ok = true;
    println!("\n`{}`:", printable(key));
    for r in removals {
        let line = match &r.outcome {
            Outcome::Deleted => "deleted".to_owned(),
            Outcome::Gone => "already gone".to_owned(),
            Outcome::Kept { reason } => format!("kept: {reason}"),
            Outcome::Changed { fields } => {
                ok = false;
                format!(
                    "kept: changed behind onboard's back ({}); delete it by hand if you mean it",
                    fields.join(", ")
                )
            }
            Outcome::Failed { error } => {
                ok = false;
                format!("failed: {error}")
            }
        };
        println!("{}", printable(&format!("  {}: {line}", r.address)));
    }
    ok
}
