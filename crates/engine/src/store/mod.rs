//! Where state, run journals and run-key locks live: the local folder (the default) or
//! PostgreSQL (`--state-url`). See docs/state.md.

mod backend;
pub mod error;
pub mod journal;
pub mod local;
pub mod postgres;
pub mod private;
pub mod state;

pub use backend::{Held, StateSink, Store};
pub use error::{LockFileProblem, StoreError};
pub use journal::Journal;
