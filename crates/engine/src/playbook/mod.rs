//! Loading a playbook: text to a spanned node tree ([`yaml`]), to a typed [`model::Playbook`]
//! ([`decode`], [`parse`]), checked ([`check`], [`refs`], [`rules`]) into a [`graph::Dag`]; templates
//! ([`template`], [`render`]); values ([`inputs`], [`inventory`]); the step types
//! ([`resource`]) and what of them is secret ([`secrets`], [`token_scan`]).

pub mod check;
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

/// Parse and check a playbook.
pub fn load(file: &SourceFile) -> Result<Loaded, Diags> {
    let playbook = parse::playbook(file)?;
    let dag = check::check(&playbook)?;
    Ok(Loaded { playbook, dag })
}
