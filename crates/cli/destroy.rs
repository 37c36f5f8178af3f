//! `onboard destroy`: delete what the state records, dependants first, after confirmation.

use onboard_engine::destroy::{Outcome, Removal, removal_order, remove};
use onboard_engine::diag::Diag;
use onboard_engine::store::Store;

use crate::apply::confirm;
use crate::args::DestroyArgs;
use crate::commands::{Failure, offline_for, prepare};
use crate::connect::connect;

pub fn destroy(args: &DestroyArgs) -> Result<u8, Failure> {
    let runs = prepare(&args.input)?;
    let plans = offline_for(&runs, args.api.account.as_deref())?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    let store = rt
        .block_on(Store::open(
            &args.api.state_dir,
            args.api.state_url.as_deref(),
        ))
        .map_err(Diag::plain)?;
    let mut targets = Vec::new();
    for (run, plan) in runs.iter().zip(&plans) {
        let name = &run.loaded.playbook.name;
        let state = rt
            .block_on(store.load(name, &plan.run_key))
            .map_err(Diag::plain)?;
        let order = removal_order(&run.loaded.playbook, &run.loaded.dag, &state);
        println!(
            "destroy `{}`: {} object(s) recorded in {}",
            plan.run_key,
            order.len(),
            store.location(name, &plan.run_key)
        );
        for a in &order {
            println!("  - {a}");
        }
        targets.push((plan.run_key.clone(), name.clone(), state, order));
    }
    confirm(args.yes)?;
    rt.block_on(async {
        let (client, sandbox) = connect(&args.api).await?;
        let mut ok = true;
        for (key, name, mut state, order) in targets {
            let held = store
                .lock(&name, &key, std::time::Duration::ZERO, &|_| {})
                .await
                .map_err(Diag::plain)?;
            // Another runner may have written this state since it was listed above.
            if store.load(&name, &key).await.map_err(Diag::plain)? != state {
                return Err(Diag::plain(format!(
                    "the state of `{key}` changed since it was listed; nothing was deleted"
                ))
                .help("run destroy again to see what it records now")
                .into());
            }
            let removals = remove(
                &client,
                &mut state,
                &held.sink(&name, &key),
                &order,
                args.api.account.as_deref(),
            )
            .await;
            ok &= print_removals(&key, &removals);
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
    println!("\n`{key}`:");
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
        println!("  {}: {line}", r.address);
    }
    ok
}
