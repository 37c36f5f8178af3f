//! Which playbook a command runs: the PLAYBOOK argument, or, with `--inventory`, the
//! inventory's `playbook:` (relative to the inventory's folder). Both given and different is
//! an error, never a silent choice of one.

use std::path::{Path, PathBuf};

use onboard_engine::diag::Diag;
use onboard_engine::playbook::inventory::{self, Inventory};

use crate::args::InputArgs;
use crate::commands::Failure;

/// Sets `input.playbook`.
pub fn resolve(input: &mut InputArgs) -> Result<(), Failure> {
    let Some(inv_path) = &input.inventory else {
        input.playbook = input.playbook_arg.clone().ok_or_else(|| {
            Diag::plain("no playbook: give the PLAYBOOK file")
                .help("or `--inventory FILE` whose `playbook:` names it")
        })?;
        return Ok(());
    };
    let inv = Inventory::parse(&inventory::read(inv_path)?)?;
    input.playbook = match (&input.playbook_arg, &inv.playbook) {
        (Some(arg), Some(named)) if !same_file(arg, named) => {
            return Err(differs(&inv, arg, named).into());
        }
        (Some(arg), _) => arg.clone(),
        (None, Some(named)) => named.clone(),
        (None, None) => {
            return Err(Diag::plain(format!(
                "no playbook: give the PLAYBOOK file, or name it in {} (`playbook: FILE`)",
                inv_path.display()
            ))
            .into());
        }
    };
    Ok(())
}

fn differs(inv: &Inventory, arg: &Path, named: &Path) -> Diag {
    let text = format!(
        "the PLAYBOOK argument ({}) is not the playbook the inventory names ({})",
        arg.display(),
        named.display()
    );
    let help = "leave out the PLAYBOOK argument to use the inventory's, or change its `playbook:`";
    match inv.playbook_span {
        Some(span) => Diag::at(&inv.file, span, text, "the inventory's playbook"),
        None => Diag::plain(text),
    }
    .help(help)
}

/// The same file (or, when either cannot be resolved, the same path).
fn same_file(a: &Path, b: &Path) -> bool {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    match (canonical(a), canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => normalise(a) == normalise(b),
    }
}

fn normalise(p: &Path) -> PathBuf {
    p.components().collect()
}
