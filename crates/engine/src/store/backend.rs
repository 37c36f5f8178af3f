//! [`Store`]: where state, journals and locks live, behind one type for both backends.
//!
//! ```text
//! Store::open(state_dir, url) ─lock(playbook, run key)─▶ Held ─sink()────▶ StateSink::save
//!                                                          └─journal()─▶ Journal::write
//! ```
//!
//! Without a URL everything stays in the local folder ([`crate::store::state`], [`crate::store::local::lock`]);
//! with one, in PostgreSQL ([`super::postgres`], [`super::postgres::session`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::journal::Journal;
use super::local;
use super::postgres::Pg;
use super::postgres::session::PgSession;
use crate::store::StoreError;
use crate::store::local::lock::RunLock;
use crate::store::state::{State, StateSummary};

/// A state store.
#[derive(Debug)]
pub enum Store {
    /// `<state-dir>`.
    Local(PathBuf),
    Postgres(Box<Pg>),
}

/// A held run-key lock; dropping it releases the lock.
#[derive(Debug)]
pub enum Held {
    Local { lock: RunLock, state_dir: PathBuf },
    Postgres(Arc<PgSession>),
}

/// Saves one run key's state where the store keeps it. Cheap to clone.
#[derive(Debug, Clone)]
pub enum StateSink {
    Local(PathBuf),
    Postgres(Arc<PgSession>),
}

impl Store {
    /// The local folder, or PostgreSQL when `url` is given (connected, schema migrated).
    pub async fn open(state_dir: &Path, url: Option<&str>) -> Result<Store, StoreError> {
        match url {
            None => Ok(Store::Local(state_dir.to_owned())),
            Some(url) => Ok(Store::Postgres(Box::new(Pg::open(url).await?))),
        }
    }

    /// The folder, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Store::Local(dir) => dir.display().to_string(),
            Store::Postgres(pg) => pg.shown().to_owned(),
        }
    }

    /// Where a run key's state lives, for messages: the file, or the URL and the key.
    pub fn location(&self, playbook: &str, run_key: &str) -> String {
        match self {
            Store::Local(dir) => local::location(dir, playbook, run_key)
                .display()
                .to_string(),
            Store::Postgres(pg) => pg.where_(playbook, run_key),
        }
    }

    /// The state of a run key (a fresh one when nothing was recorded yet), without locking.
    pub async fn load(&self, playbook: &str, run_key: &str) -> Result<State, StoreError> {
        match self {
            Store::Local(dir) => local::load(dir, playbook, run_key),
            Store::Postgres(pg) => pg.load(playbook, run_key).await,
        }
    }

    /// Every state, by playbook then run key.
    pub async fn list(&self) -> Result<Vec<State>, StoreError> {
        match self {
            Store::Local(dir) => local::states(dir),
            Store::Postgres(pg) => pg.list().await,
        }
    }

    /// Summaries of [`Store::list`].
    pub async fn summaries(&self) -> Result<Vec<StateSummary>, StoreError> {
        match self {
            Store::Local(dir) => Ok(local::files(dir)?
                .iter()
                .map(|(path, s)| StateSummary::of(s, path.display().to_string()))
                .collect()),
            Store::Postgres(pg) => pg.summaries().await,
        }
    }

    /// Whether a state is recorded for this run key.
    pub async fn exists(&self, playbook: &str, run_key: &str) -> Result<bool, StoreError> {
        Ok(self
            .list()
            .await?
            .iter()
            .any(|s| s.playbook == playbook && s.run_key == run_key))
    }

    /// Move the state of `state.run_key` to `to` (the document records its new run key), with
    /// both run keys' locks held by the caller. The local folder writes the new file, then
    /// removes the old one; PostgreSQL changes the row's key in one statement.
    pub async fn rename(&self, state: &State, to: &str) -> Result<(), StoreError> {
        let mut moved = state.clone();
        moved.run_key = to.to_owned();
        match self {
            Store::Local(dir) => {
                let from = local::location(dir, &state.playbook, &state.run_key);
                let dest = State::path(dir, &state.playbook, to);
                moved
                    .save(&dest)
                    .map_err(StoreError::io("save state", &dest))?;
                std::fs::remove_file(&from).map_err(StoreError::io("remove", &from))
            }
            Store::Postgres(pg) => pg.rename(&state.playbook, &state.run_key, &moved).await,
        }
    }

    /// Take the lock of a run key, waiting up to `timeout` (zero: fail at once naming the
    /// holder). `waiting` is told once who holds it when the run has to wait.
    pub async fn lock(
        &self,
        playbook: &str,
        run_key: &str,
        timeout: Duration,
        waiting: &(dyn Fn(&str) + Sync),
    ) -> Result<Held, StoreError> {
        match self {
            Store::Local(dir) => {
                let path = RunLock::path(dir, playbook, run_key);
                let lock = match RunLock::acquire(path.clone(), Duration::ZERO) {
                    Ok(lock) => lock,
                    Err(e) if timeout.is_zero() => return Err(e),
                    Err(e) => {
                        waiting(&format!("{e}; waiting up to {}s", timeout.as_secs()));
                        tokio::task::spawn_blocking(move || RunLock::acquire(path, timeout))
                            .await
                            .map_err(StoreError::LockTask)??
                    }
                };
                // Under the lock: a state an older onboard wrote under a lossy name moves to
                // this playbook's own file before anything reads or saves it.
                local::adopt_legacy(dir, playbook, run_key)?;
                Ok(Held::Local {
                    lock,
                    state_dir: dir.clone(),
                })
            }
            Store::Postgres(pg) => Ok(Held::Postgres(Arc::new(
                pg.lock(playbook, run_key, timeout, waiting).await?,
            ))),
        }
    }
}

impl Held {
    /// Where this run's state is saved.
    pub fn sink(&self, playbook: &str, run_key: &str) -> StateSink {
        match self {
            Held::Local { state_dir, .. } => {
                StateSink::Local(State::path(state_dir, playbook, run_key))
            }
            Held::Postgres(session) => StateSink::Postgres(session.clone()),
        }
    }

    /// A new journal for this run.
    pub fn journal(&self, run_key: &str) -> Result<Journal, StoreError> {
        match self {
            Held::Local { state_dir, .. } => Journal::open_local(state_dir, run_key),
            Held::Postgres(session) => Ok(Journal::open_postgres(session)),
        }
    }

    /// Set `flag` when the lock's connection is lost (PostgreSQL; a local lock cannot be lost).
    pub fn stop_on_loss(&self, flag: Arc<AtomicBool>) {
        if let Held::Postgres(session) = self {
            session.stop_on_loss(flag);
        }
    }
}

impl StateSink {
    /// Save the whole state: atomically replace the file, or upsert the row in one statement.
    /// Callable from synchronous code; PostgreSQL needs a multi-threaded tokio runtime.
    pub fn save(&self, state: &State) -> Result<(), StoreError> {
        match self {
            StateSink::Local(path) => state.save(path).map_err(StoreError::io("save state", path)),
            StateSink::Postgres(session) => session.save_blocking(state),
        }
    }

    /// Where the state is saved, for reports: the file, or `URL#playbook/run-key`.
    pub fn location(&self) -> PathBuf {
        match self {
            StateSink::Local(path) => path.clone(),
            StateSink::Postgres(s) => {
                PathBuf::from(format!("{}#{}/{}", s.shown, s.playbook, s.run_key))
            }
        }
    }
}
