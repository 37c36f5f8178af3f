//! `validate`: the playbook loaded and every customer planned offline; no network. With no
//! values given at all, inputs without a value are notes, not errors; a sensitive input (a
//! credential) is never needed.

use crate::diag::{Diags, printable};
use crate::ops::Frontend;
use crate::ops::customers::{self, Input};
use crate::plan::Plan;
use crate::playbook::inputs;
use crate::playbook::inventory;
use crate::run::session::{self, Customer};

/// The offline plan of every customer (each names its run key and its steps).
pub struct Validated {
    pub plans: Vec<Plan>,
}

pub fn validate(input: &Input, ui: &dyn Frontend) -> Result<Validated, Diags> {
    let no_values = input.values.is_empty() && input.set.is_empty() && input.inventory.is_none();
    let runs = if no_values {
        let file = inventory::read(&input.playbook)?;
        let loaded = crate::playbook::load(&file)?;
        let (inputs, notes) = inputs::resolve_without_values(&loaded.playbook)?;
        for note in &notes {
            ui.notice(&format!("note: {note}"));
        }
        vec![Customer {
            key: None,
            loaded,
            inputs,
            entry: None,
            template: None,
        }]
    } else {
        customers::prepare_without_credentials(input)?
    };
    Ok(Validated {
        plans: session::offline(&runs, None)?,
    })
}

impl Validated {
    /// One line per customer: `PLAYBOOK: valid (run key `K`, N step instances)`.
    pub fn lines(&self, playbook: &std::path::Path) -> Vec<String> {
        self.plans
            .iter()
            .map(|p| {
                let steps = p.steps.len();
                format!(
                    "{}: valid (run key `{}`, {steps} step instance{})",
                    printable(&playbook.display().to_string()),
                    printable(&p.run_key),
                    if steps == 1 { "" } else { "s" }
                )
            })
            .collect()
    }
}

/// `graph`: the playbook's dependency graph, as Graphviz dot or Mermaid.
pub fn graph(playbook: &std::path::Path, mermaid: bool) -> Result<String, Diags> {
    let file = inventory::read(playbook)?;
    let loaded = crate::playbook::load(&file)?;
    Ok(match mermaid {
        false => crate::plan::dot::dot(&loaded.playbook, &loaded.dag),
        true => crate::plan::dot::mermaid(&loaded.playbook, &loaded.dag),
    })
}
