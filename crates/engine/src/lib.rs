//! onboard-engine: the playbook pipeline, one folder per stage.
//!
//! ```text
//! playbook.yaml + values ──playbook──▶ Loaded ──plan──▶ Plan ──run──▶ report
//!                                        (api: reads, the scope gate, writes; store: state, locks)
//! ```
//!
//! [`playbook`] turns text into a typed [`playbook::model::Playbook`] (every value located)
//! and resolves its references into a [`playbook::graph::Dag`] and its values into inputs;
//! [`plan`] renders what apply would do and formats it; [`api`] reads and writes NetBird
//! objects through the client; [`run`] applies a plan (sessions, the executor, destroy);
//! [`store`] keeps state and locks; [`export`] runs the pipeline backwards; [`schema`] is the
//! JSON Schema of playbooks and inventories; [`ops`] is one operation per command of a
//! frontend (validate, plan, apply, drift, destroy, export, state) and the reporters of their
//! outcomes. Every user error is a [`diag::Diag`] that points
//! into the source ([`diag::source`]); each stage reports all of its errors at once.
//! docs/architecture.md has the map.

pub mod api;
pub mod diag;
pub mod export;
pub mod ops;
pub mod plan;
pub mod playbook;
pub mod run;
pub mod schema;
pub mod store;
