//! [`StoreError`]: what went wrong in the state store, local folder or PostgreSQL, with the
//! lower error (I/O, JSON, the database driver) kept as its source.

use std::path::PathBuf;

/// A failed store operation. The text is the message the user sees.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or folder of the local store could not be used: `cannot {action} {path}: ...`.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A state document (`what`: a file or a row) that is not valid JSON of a state.
    #[error("{at}: not a valid {what}: {source}")]
    Invalid {
        at: String,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A state written by another version of the state format.
    #[error("{at}: state version {found} is not supported (expected {expected})")]
    Version {
        at: String,
        found: u32,
        expected: u32,
    },
    /// A state found under a playbook and run key that records others.
    #[error(
        "{at} records the state of playbook `{recorded_playbook}`, run key `{recorded_run_key}`, \
         not of playbook `{playbook}`, run key `{run_key}`; refusing to use another playbook's \
         state (its prune and destroy would delete that playbook's objects). An older onboard \
         gave both names this file, or the file system does not tell upper from lower case: \
         rename one of the playbooks, or move the file away if it is stale"
    )]
    NotOurs {
        at: String,
        recorded_playbook: String,
        recorded_run_key: String,
        playbook: String,
        run_key: String,
    },
    /// A line of a local run journal that is not a JSON event.
    #[error("{}:{line}:{}: not a JSON event: {source}", path.display(), source.column())]
    BadEvent {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    /// An older onboard's state file could not be moved to its own name.
    #[error("cannot move the state {} to {}: {source}", from.display(), to.display())]
    Move {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The state folder cannot hold a new private file.
    #[error("the state folder {} is not writable: {source}", dir.display())]
    NotWritable {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another process holds a local run-key lock.
    #[error(
        "another apply holds the lock for this run key: {holder} ({}); wait for it, or pass --lock-timeout",
        path.display()
    )]
    LockHeld { holder: String, path: PathBuf },
    /// What sits at a lock file's path is not a file this process may use.
    #[error(
        "refusing to use the lock file {}: {source}; delete it if no apply is running",
        path.display()
    )]
    LockFile {
        path: PathBuf,
        #[source]
        source: LockFileProblem,
    },
    /// The task that waited for a lock failed.
    #[error("lock: {0}")]
    LockTask(#[source] tokio::task::JoinError),
    /// `--state-url` does not parse.
    #[error("--state-url is not a PostgreSQL URL: {0}")]
    Url(#[source] tokio_postgres::Error),
    /// The TLS setup for PostgreSQL failed.
    #[error("TLS: {0}")]
    Tls(#[source] rustls::Error),
    /// A PostgreSQL call failed; `context` says which (`cannot read state from URL`, ...).
    #[error("{context}: {}", crate::store::postgres::pg_err(source))]
    Db {
        context: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database's schema is newer than this onboard.
    #[error(
        "state database: its schema is at version {found}, newer than this onboard knows \
         ({latest}); upgrade onboard"
    )]
    SchemaTooNew { found: i32, latest: i32 },
    /// `state migrate` found a different state for a run key already in the database.
    #[error(
        "{shown} already holds a different state for playbook `{playbook}`, run key `{run_key}`; \
         nothing was migrated"
    )]
    ImportConflict {
        shown: String,
        playbook: String,
        run_key: String,
    },
    /// A state that could not be turned into JSON.
    #[error(transparent)]
    Encode(#[from] serde_json::Error),
    /// Another run holds a PostgreSQL run-key lock.
    #[error(
        "another run holds the lock of run key `{run_key}` (playbook `{playbook}`): {holder}; \
         wait for it, or pass --lock-timeout SECONDS"
    )]
    Busy {
        playbook: String,
        run_key: String,
        holder: String,
    },
    /// A save to PostgreSQL failed or the lock's connection was lost.
    #[error(
        "cannot save state to {shown}: {why}; the run stops here, the database keeps every \
         step saved before, and the next apply picks up from there"
    )]
    SaveLost {
        shown: String,
        why: String,
        #[source]
        source: Option<tokio_postgres::Error>,
    },
    /// PostgreSQL saves from synchronous code need a tokio runtime.
    #[error("the PostgreSQL state store needs a tokio runtime")]
    NoRuntime,
    /// ... a multi-threaded one.
    #[error("the PostgreSQL state store needs a multi-threaded tokio runtime")]
    NotMultiThread,
}

impl StoreError {
    /// `cannot {action} {path}: {source}`.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// `{context}: {driver error}`.
    pub fn db(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Self {
        let context = context.into();
        move |source| StoreError::Db { context, source }
    }
}

/// Why an existing lock file may not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockFileProblem {
    #[error("it is a symbolic link")]
    Symlink,
    #[error("it is not a regular file")]
    NotRegular,
    #[error("it has {0} links (a hard link makes it another file's name too)")]
    Links(u64),
    #[error("it is owned by user {owner}, not by {uid}")]
    Owner { owner: u32, uid: u32 },
}
