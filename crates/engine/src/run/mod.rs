//! Applying a plan: sessions (locks, state, plan, apply, destroy for one or many customers),
//! the executor over a pure schedule, destroy, where outputs and secrets go.

pub mod audit;
pub mod destroy;
pub mod error;
pub mod execute;
pub mod outputs;
pub mod plan_live;
pub mod schedule;
pub mod session;
pub mod sinks;
