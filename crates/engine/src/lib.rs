//! onboard-engine: the playbook pipeline.
//!
//! ```text
//! playbook.yaml + values ──parse──▶ Playbook ──check──▶ Dag ──plan──▶ Plan ──execute──▶ report
//! ```
//!
//! [`parse`] turns text into a typed [`model::Playbook`] (every value located), [`check`]
//! resolves references into a [`graph::Dag`], [`inputs`] resolves values, [`plan`] renders
//! what apply would do, [`report`] formats it. Every user error is a [`diag::Diag`] that
//! points into the source; each stage reports all of its errors at once.

pub mod cache;
pub mod check;
pub mod cost;
pub mod decode;
pub mod destroy;
pub mod diag;
pub mod dot;
pub mod error;
pub mod export;
pub mod gate;
pub mod graph;
pub mod inputs;
pub mod inventory;
pub mod layout;
pub mod lock;
pub mod model;
pub mod outputs;
pub mod parse;
pub mod plan;
pub mod plan_live;
pub mod private;
pub mod render;
pub mod report;
pub mod resource;
pub mod rules;
pub mod saved;
pub mod schema;
pub mod schema_with;
pub mod secrets;
pub mod session;
pub mod sinks;
pub mod source;
pub mod store;
pub mod template;
pub mod token_scan;
pub mod yaml;

use diag::Diags;
use graph::Dag;
use model::Playbook;
use source::SourceFile;

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
pub mod compare;
pub mod converge;
pub mod execute;
pub mod schedule;
pub mod state;
