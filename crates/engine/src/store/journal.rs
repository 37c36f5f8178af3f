//! Run journals: one JSON event per line in a local file, or one row per event in
//! `onboard_journal`.
//!
//! Writing never blocks the run: local lines are appended under a mutex, PostgreSQL rows go
//! through a channel to a writer task on the run's session. [`Journal::finish`] waits until
//! every event written before it is stored. Rows are keyed by (run id, sequence number), so an
//! insert that is repeated after a reconnect is ignored, never duplicated.

use crate::store::StoreError;
use serde::Serialize;
use serde_json::Value as Json;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

use super::postgres::session::PgSession;

enum Msg {
    Event(Json),
    Close,
}

/// Where a run's events go.
#[derive(Clone)]
pub enum Journal {
    Local(Arc<Mutex<std::fs::File>>),
    Postgres(Arc<PgJournal>),
}

/// The PostgreSQL side of a [`Journal`].
pub struct PgJournal {
    tx: mpsc::UnboundedSender<Msg>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Journal::Local(_) => "Journal::Local",
            Journal::Postgres(_) => "Journal::Postgres",
        })
    }
}

/// `20261130T063245.123456789Z`: the start of a run, as journals name it.
pub fn run_stamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:09}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.nanosecond()
    )
}

impl Journal {
    /// `<state-dir>/runs/<stamp>-<run-key>.jsonl`, mode 0600.
    pub fn open_local(state_dir: &Path, run_key: &str) -> Result<Journal, StoreError> {
        let layout = crate::store::local::layout::StateDir::new(state_dir);
        let dir = layout.runs();
        crate::store::private::private_dir(&dir).map_err(StoreError::io("create", &dir))?;
        let path = layout.journal(run_key, &run_stamp());
        let file =
            crate::store::private::create_private(&path).map_err(StoreError::io("open", &path))?;
        Ok(Journal::Local(Arc::new(Mutex::new(file))))
    }

    /// Rows of `onboard_journal` under a new run id, written on the session's connection.
    pub fn open_postgres(session: &PgSession) -> Journal {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(writer(
            session.client.clone(),
            format!("{}-{}", run_stamp(), session.run_key),
            session.playbook.clone(),
            session.run_key.clone(),
            rx,
        ));
        Journal::Postgres(Arc::new(PgJournal {
            tx,
            task: Mutex::new(Some(task)),
        }))
    }

    /// Append one event (best effort: a journal that cannot be written never stops a run).
    pub fn write<E: Serialize>(&self, event: &E) {
        match self {
            Journal::Local(file) => {
                if let (Ok(mut f), Ok(line)) = (file.lock(), serde_json::to_string(event)) {
                    let _ = writeln!(f, "{line}");
                }
            }
            Journal::Postgres(pg) => {
                if let Ok(value) = serde_json::to_value(event) {
                    let _ = pg.tx.send(Msg::Event(value));
                }
            }
        }
    }

    /// Wait until every event written so far is stored; later events are dropped.
    pub async fn finish(&self) {
        if let Journal::Postgres(pg) = self {
            let _ = pg.tx.send(Msg::Close);
            let task = pg.task.lock().ok().and_then(|mut t| t.take());
            if let Some(task) = task {
                let _ = task.await;
            }
        }
    }
}

async fn writer(
    client: Arc<tokio_postgres::Client>,
    run_id: String,
    playbook: String,
    run_key: String,
    mut rx: mpsc::UnboundedReceiver<Msg>,
) {
    let mut seq: i64 = 0;
    let mut warned = false;
    while let Some(Msg::Event(event)) = rx.recv().await {
        seq += 1;
        let insert = client
            .execute(
                "INSERT INTO onboard_journal (run_id, seq, playbook, run_key, event) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&run_id, &seq, &playbook, &run_key, &event],
            )
            .await;
        if let Err(e) = insert
            && !warned
        {
            tracing::warn!(
                "cannot append to the run journal: {}",
                super::postgres::pg_err(&e)
            );
            warned = true;
        }
    }
}
