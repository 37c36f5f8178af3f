//! Operations: one per command of a frontend (the CLI is one). Each takes plain options and
//! a [`Frontend`] (where messages, questions and progress go) and returns a typed outcome that
//! [`render`] turns into text or JSON; the sequencing of a command (offline checks, connect,
//! lock, plan, confirm, execute, outputs) is the op's, never the frontend's.
//!
//! ```text
//! validate  plan  apply  destroy  drift  export  state      init (writes new files only)
//!     └─ customers (playbook, values, inventory, saved plan → Customer)
//!     └─ connect   (endpoint, client, store, session options, the first call's diagnosis)
//! ```

pub mod apply;
pub mod connect;
pub mod customers;
pub mod destroy;
pub mod drift;
pub mod explain;
pub mod export;
pub mod init;
pub mod plan;
pub mod render;
pub mod state;
pub mod validate;
pub mod waves;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

// What a frontend needs of the layers below, so that it names only the ops.
pub use crate::api::converge::Replace;
pub use crate::plan::Plan;
pub use crate::plan::report::Format;
pub use crate::run::execute::{Event, LostSecret, Sink};

use crate::diag::{Diag, Diags};

/// What an op needs from whoever runs it: a terminal, a service, a test. Every method has a
/// default that shows nothing and asks nobody (a question is answered no).
pub trait Frontend: Sync {
    /// A line for the operator (stderr on a terminal): notes, lock waits, retries.
    fn notice(&self, _line: &str) {}
    /// Where the client's retries are told, one line each (the client outlives any borrow).
    fn notices(&self) -> Arc<dyn Fn(&str) + Send + Sync> {
        Arc::new(|_| {})
    }
    /// Text shown while the op runs (stdout): a plan before the question, removals as they
    /// happen. Already made printable.
    fn show(&self, _text: &str) {}
    /// Whether a question can be asked at all (a terminal on stdin).
    fn interactive(&self) -> bool {
        false
    }
    /// Ask; true only for an explicit yes.
    fn ask(&self, _question: &str) -> bool {
        false
    }
    /// Called once, when the writes start: the flag that, once set, stops the run after the
    /// calls in flight (Ctrl-C).
    fn interrupt(&self) -> Arc<AtomicBool> {
        Arc::new(AtomicBool::new(false))
    }
    /// Progress of the runs of these plans.
    fn progress(&self, _plans: &[Plan]) -> Box<dyn Progress> {
        Box::new(NoProgress)
    }
}

/// Progress of every run of an apply.
pub trait Progress: Send + Sync {
    /// The sink of one run's events.
    fn run(&self, plan: &Plan) -> Sink;
    /// Every run is over.
    fn finish(&self) {}
}

/// Progress that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn run(&self, _plan: &Plan) -> Sink {
        Arc::new(|_| {})
    }
}

/// A frontend that shows nothing and asks nobody.
pub struct Silent;

impl Frontend for Silent {}

/// Why an op could not go on, below the errors that have a `Diag` of their own (a located
/// playbook error, a session's): each keeps the error it comes from as its source, and reads
/// as one line.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The state store, a lock, a journal, the state folder.
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    /// A private file that must not be written (a link, not a file).
    #[error("{0}")]
    Target(#[from] crate::store::private::FileError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    SavedPlan(#[from] crate::plan::saved::SavedPlanError),
    #[error("{0}")]
    Outputs(#[from] crate::run::outputs::OutputsError),
    #[error("invalid API settings: {0}")]
    Settings(#[from] onboard_netbird::ConfigError),
}

impl OpError {
    pub(crate) fn write(path: &std::path::Path, source: std::io::Error) -> Self {
        OpError::Write {
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<OpError> for Diag {
    fn from(e: OpError) -> Diag {
        Diag::plain(e.to_string())
    }
}

impl From<OpError> for Diags {
    fn from(e: OpError) -> Diags {
        Diag::from(e).into()
    }
}

/// Run an op to its end on a runtime of its own.
pub fn block_on<T>(op: impl Future<Output = Result<T, Diags>>) -> Result<T, Diags> {
    let rt = tokio::runtime::Runtime::new().map_err(OpError::Runtime)?;
    rt.block_on(op)
}

/// What an operator confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confirm {
    Apply,
    Destroy,
}

/// `Ok` when `yes`, else the operator's answer on a terminal; refused without one.
pub(crate) fn confirm(ui: &dyn Frontend, yes: bool, what: Confirm) -> Result<(), Diag> {
    if yes {
        return Ok(());
    }
    let (verb, question) = match what {
        Confirm::Apply => ("apply", "apply these changes?"),
        Confirm::Destroy => ("destroy", "destroy these objects?"),
    };
    if !ui.interactive() {
        return Err(Diag::plain(format!(
            "refusing to {verb} without confirmation: no terminal to ask on"
        ))
        .help(format!("pass `--yes` to {verb} non-interactively")));
    }
    match (ui.ask(question), what) {
        (true, _) => Ok(()),
        (false, Confirm::Apply) => Err(Diag::plain("apply cancelled: nothing was written")),
        (false, Confirm::Destroy) => Err(Diag::plain("destroy cancelled: nothing was deleted")),
    }
}

/// Ask on the frontend; only an explicit yes goes on.
pub(crate) fn ask(ui: &dyn Frontend, question: &str) -> Result<(), Diag> {
    match ui.ask(question) {
        true => Ok(()),
        false => Err(Diag::plain("apply cancelled: nothing was written")),
    }
}
