//! `onboard destroy`: delete what the state records, dependants first, after confirmation.

use onboard_engine::destroy::{Outcome, Removal, removal_order, remove};
use onboard_engine::diag::Diag;
use onboard_engine::lock::RunLock;
use onboard_engine::state::State;

use crate::apply::confirm;
use crate::args::DestroyArgs;
use crate::commands::{Failure, offline_for, prepare};
use crate::connect::connect;

pub fn destroy(args: &DestroyArgs) -> Result<u8, Failure> {
    let runs = prepare(&args.input)?;
    let plans = offline_for(&runs, args.api.account.as_deref())?;
    let mut targets = Vec::new();
    for (run, plan) in runs.iter().zip(&plans) {
        let name = &run.loaded.playbook.name;
        let path = State::path(&args.api.state_dir, name, &plan.run_key);
        let state = State::load(&path, name, &plan.run_key).map_err(Diag::plain)?;
        let order = removal_order(&run.loaded.playbook, &run.loaded.dag, &state);
        println!(
            "destroy `{}`: {} object(s) recorded in {}",
            plan.run_key,
            order.len(),
            path.display()
        );
        for a in &order {
            println!("  - {a}");
        }
        targets.push((plan.run_key.clone(), name.clone(), path, state, order));
    }
    if targets.iter().all(|t| t.4.is_empty()) {
        eprintln!(
            "nothing to destroy: the state records no object that onboard created or adopted \
             for this playbook (it never deletes anything else)"
        );
        return Ok(0);
    }
    confirm(args.yes)?;
    let rt = tokio::runtime::Runtime::new()
        .map_err(|e| Diag::plain(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let (client, sandbox) = connect(&args.api).await?;
        let mut ok = true;
        for (key, name, path, mut state, order) in targets {
            let lock = RunLock::path(&args.api.state_dir, &name, &key);
            let _lock = RunLock::acquire(lock, std::time::Duration::ZERO).map_err(Diag::plain)?;
            let removals = remove(
                &client,
                &mut state,
                &path,
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
