//! Loading a playbook: text to a spanned node tree ([`yaml`]), to a typed [`model::Playbook`]
//! ([`decode`], [`parse`]), composed with the modules it imports ([`compose`]), checked ([`check`], [`refs`], [`rules`]) into a [`graph::Dag`]; templates
//! ([`template`], [`render`]); values ([`inputs`], [`inventory`]); the step types
//! ([`resource`]) and what of them is secret ([`secrets`], [`token_scan`]).

pub mod check;
pub mod compose;
pub mod decode;
pub mod graph;
pub mod inputs;
pub mod instance;
pub mod inventory;
pub mod model;
pub mod parse;
pub mod refs;
pub mod render;
pub mod resource;
pub mod rules;
pub mod secrets;
pub mod template;
pub mod token_scan;
pub mod version;
pub mod write_only;
pub mod yaml;

use crate::diag::Diags;
use crate::diag::source::SourceFile;
use graph::Dag;
use model::Playbook;

/// A playbook that parsed and whose references resolve.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub playbook: Playbook,
    pub dag: Dag,
}

/// Parse a playbook and the modules it imports ([`compose`]), and check it.
pub fn load(file: &SourceFile) -> Result<Loaded, Diags> {
    let playbook = compose::compose(file)?;
    let dag = check::check(&playbook).map_err(|d| compose::annotate(&playbook, d))?;
    Ok(Loaded { playbook, dag })
}
