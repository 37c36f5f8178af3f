//! One run's PostgreSQL session: the advisory lock of its run key, its state saves and its
//! journal, all on one connection.
//!
//! The lock is `pg_try_advisory_lock(key)` where `key` is the first 8 bytes of SHA-256 over
//! `playbook \0 run_key`. The holder writes a row in `onboard_lock` (host, user, pid, start
//! time, its backend pid) so that the next one can name it; a row counts only while its backend
//! still holds an advisory lock (a killed holder's row is ignored, then overwritten). Waiting
//! uses `pg_advisory_lock` under `lock_timeout`: no polling. Dropping the session closes the
//! connection, which releases the lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_postgres::Client;

use super::{Lost, Pg, connect, pg_err, version};
use crate::store::StoreError;
use crate::store::state::State;

/// How long a save may take before the run stops saying the database does not answer.
const SAVE_TIMEOUT: Duration = Duration::from_secs(60);

/// A held lock and the connection that holds it.
pub struct PgSession {
    pub(in crate::store) client: Arc<Client>,
    lost: Lost,
    pub(in crate::store) playbook: String,
    pub(in crate::store) run_key: String,
    pub(in crate::store) shown: String,
    by: String,
}

impl std::fmt::Debug for PgSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/{}", self.shown, self.playbook, self.run_key)
    }
}

/// `user@host`, for holder rows and `updated_by`.
pub fn who() -> String {
    let (user, host) = user_host();
    format!("{user}@{host}")
}

fn user_host() -> (String, String) {
    let user = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(|| whoami::username().ok())
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    (user, host)
}

/// The advisory lock key of a run key.
pub fn lock_key(playbook: &str, run_key: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{playbook}\0{run_key}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

impl Pg {
    /// Take the lock of a run key on a session of its own, waiting up to `timeout` (zero:
    /// fail at once). `waiting` is told, once, who holds it when the lock is not free.
    pub async fn lock(
        &self,
        playbook: &str,
        run_key: &str,
        timeout: Duration,
        waiting: &(dyn Fn(&str) + Sync),
    ) -> Result<PgSession, StoreError> {
        let (client, lost) = connect(&self.config, &self.shown).await?;
        let context = format!("lock in {}", self.shown);
        let err = |source| StoreError::Db {
            context: context.clone(),
            source,
        };
        let key = lock_key(playbook, run_key);
        let row = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .map_err(err)?;
        if !row.get::<_, bool>(0) {
            let holder = holder(&client, playbook, run_key).await.map_err(err)?;
            let busy = || StoreError::Busy {
                playbook: playbook.to_owned(),
                run_key: run_key.to_owned(),
                holder: holder.clone(),
            };
            if timeout.is_zero() {
                return Err(busy());
            }
            waiting(&format!(
                "run key `{run_key}` is locked by {holder}; waiting up to {}s",
                timeout.as_secs()
            ));
            let ms = timeout.as_millis().min(i32::MAX as u128);
            client
                .batch_execute(&format!("SET lock_timeout = {ms}"))
                .await
                .map_err(err)?;
            match client.execute("SELECT pg_advisory_lock($1)", &[&key]).await {
                Ok(_) => {}
                Err(e)
                    if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) =>
                {
                    return Err(busy());
                }
                Err(e) => return Err(err(e)),
            }
            client
                .batch_execute("RESET lock_timeout")
                .await
                .map_err(err)?;
        }
        let (user, host) = user_host();
        client
            .execute(
                "INSERT INTO onboard_lock (playbook, run_key, backend_pid, host, username, pid) \
                 VALUES ($1, $2, pg_backend_pid(), $3, $4, $5) \
                 ON CONFLICT (playbook, run_key) DO UPDATE SET backend_pid = pg_backend_pid(), \
                 host = $3, username = $4, pid = $5, started_at = now()",
                &[
                    &playbook,
                    &run_key,
                    &host,
                    &user,
                    &i64::from(std::process::id()),
                ],
            )
            .await
            .map_err(err)?;
        Ok(PgSession {
            client: Arc::new(client),
            lost,
            playbook: playbook.into(),
            run_key: run_key.into(),
            shown: self.shown.clone(),
            by: format!("{user}@{host}"),
        })
    }
}

/// Who holds the lock, from the holder row of a backend that still holds an advisory lock.
async fn holder(
    client: &Client,
    playbook: &str,
    run_key: &str,
) -> Result<String, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT h.username, h.host, h.pid, \
               to_char(h.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
             FROM onboard_lock h \
             WHERE h.playbook = $1 AND h.run_key = $2 AND EXISTS ( \
               SELECT 1 FROM pg_locks l \
               WHERE l.pid = h.backend_pid AND l.locktype = 'advisory' AND l.granted)",
            &[&playbook, &run_key],
        )
        .await?;
    Ok(match row {
        Some(r) => format!(
            "{}@{} (pid {}) since {}",
            r.get::<_, String>(0),
            r.get::<_, String>(1),
            r.get::<_, i64>(2),
            r.get::<_, String>(3)
        ),
        None => "another session that has not named itself yet".into(),
    })
}

impl PgSession {
    /// Save the state in one statement (its own transaction), through the lock's session: a
    /// save can only succeed while this run holds the lock.
    pub async fn save(&self, state: &State) -> Result<(), StoreError> {
        if let Some(e) = self.lost.borrow().clone() {
            return Err(self.lost_message(e, None));
        }
        let doc = serde_json::to_value(state)?;
        let v = version(state);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
            [&self.playbook, &self.run_key, &v, &doc, &self.by];
        let write = self.client.execute(
            "INSERT INTO onboard_state (playbook, run_key, version, doc, updated_by) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (playbook, run_key) DO UPDATE SET version = $3, doc = $4, \
             writes = onboard_state.writes + 1, updated_at = now(), updated_by = $5",
            &params,
        );
        match tokio::time::timeout(SAVE_TIMEOUT, write).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(self.lost_message(pg_err(&e), Some(e))),
            Err(_) => Err(self.lost_message("no answer within 60s".to_owned(), None)),
        }
    }

    /// [`PgSession::save`] from synchronous code running on a multi-threaded tokio runtime.
    pub fn save_blocking(&self, state: &State) -> Result<(), StoreError> {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let handle = Handle::try_current().map_err(|_| StoreError::NoRuntime)?;
        if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
            return Err(StoreError::NotMultiThread);
        }
        wait_blocking(&handle, self.save(state))
    }

    fn lost_message(&self, why: String, source: Option<tokio_postgres::Error>) -> StoreError {
        StoreError::SaveLost {
            shown: self.shown.clone(),
            why,
            source,
        }
    }

    /// Set `flag` (the executor's stop flag) as soon as the connection is lost, so that no
    /// step starts after it.
    pub fn stop_on_loss(&self, flag: Arc<AtomicBool>) {
        let mut lost = self.lost.clone();
        let shown = self.shown.clone();
        tokio::spawn(async move {
            loop {
                if let Some(e) = lost.borrow_and_update().clone() {
                    tracing::error!(
                        "lost the connection to the state database {shown} ({e}): \
                         starting nothing new"
                    );
                    flag.store(true, Ordering::SeqCst);
                    return;
                }
                if lost.changed().await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Runs `work` to its end on this thread, which runs a task of `handle`'s runtime (the
/// caller is synchronous code inside that task), without losing that task's wakeups.
///
/// `Handle::block_on` would not do: on the thread of `Runtime::block_on` it parks on the very
/// parker the surrounding task is woken through, so a wakeup of that task while `work` runs (a
/// reply it awaits arriving) is taken by the inner wait and lost. The surrounding task then
/// sleeps for ever once nothing else wakes it: that stalled runs sharing a rate budget (whose
/// first design made every request wait behind one database reply). This waits on the thread's
/// own park token (std's), which tokio's parker never touches.
fn wait_blocking<F: std::future::Future>(handle: &tokio::runtime::Handle, work: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    tokio::task::block_in_place(|| {
        // The runtime's timers and sockets serve `work` from the runtime's workers.
        let _runtime = handle.enter();
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut work = std::pin::pin!(work);
        loop {
            if let Poll::Ready(out) = work.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The task around a blocking save awaits a reply that arrives while the save runs (as the
    /// shared rate budget's reply did): it must still be woken. With `Handle::block_on` in place
    /// of [`wait_blocking`] the reply's wakeup is lost and the runtime sleeps for ever; the
    /// watchdog (far longer than the test needs) turns that hang into a failure.
    #[test]
    fn a_blocking_save_does_not_lose_the_wakeups_of_the_task_around_it() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            rt.block_on(async {
                let (reply, replied) = tokio::sync::oneshot::channel::<()>();
                // First: waits for the reply (the task's waker is registered).
                let waiting = async { replied.await.is_ok() };
                // Then, in the same poll: a blocking save during which the reply arrives, and
                // which itself waits (parks) before it is done.
                let saving = async {
                    let handle = tokio::runtime::Handle::current();
                    wait_blocking(&handle, async move {
                        let _ = reply.send(());
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    });
                };
                let (got, ()) = tokio::join!(waiting, saving);
                let _ = done.send(got);
            });
        });
        let got = finished.recv_timeout(Duration::from_secs(30));
        assert_eq!(
            got,
            Ok(true),
            "the task that awaited the reply was never woken"
        );
    }

    #[test]
    fn lock_keys_differ_by_playbook_and_run_key_and_are_stable() {
        let acme = lock_key("standard-customer", "acme.example");
        assert_eq!(acme, lock_key("standard-customer", "acme.example"));
        assert_ne!(acme, lock_key("standard-customer", "beta.example"));
        assert_ne!(acme, lock_key("quickstart", "acme.example"));
        // The separator keeps ("a", "bc") apart from ("ab", "c").
        assert_ne!(lock_key("a", "bc"), lock_key("ab", "c"));
    }
}
