//! Held answers: a test makes something happen at an exact point of a client's run.
//!
//! [`crate::SandboxHandle::hold_when`] names the request to hold (a predicate over its log
//! entry). The first request that matches is done and logged, then its answer waits until
//! the test releases it; meanwhile the test acts (unlinks a tenant, say, as another admin
//! might while a request of onboard's is in flight), and every request the test sends goes
//! through as usual. One hold at a time; it matches once.

use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::log::LogEntry;

/// Which request to hold.
pub type Matcher = Box<dyn FnMut(&LogEntry) -> bool + Send>;

/// The armed hold, if any.
#[derive(Default)]
pub struct Holds {
    armed: Mutex<Option<Armed>>,
}

impl std::fmt::Debug for Holds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holds").finish_non_exhaustive()
    }
}

struct Armed {
    matches: Matcher,
    reached: oneshot::Sender<LogEntry>,
    release: oneshot::Receiver<()>,
}

/// The test's side of a hold.
#[derive(Debug)]
pub struct Hold {
    reached: oneshot::Receiver<LogEntry>,
    release: oneshot::Sender<()>,
}

impl Hold {
    /// The held request's log entry, once it is held (none: the sandbox stopped first).
    pub async fn reached(&mut self) -> Option<LogEntry> {
        (&mut self.reached).await.ok()
    }

    /// Lets the held answer go.
    pub fn release(self) {
        let _ = self.release.send(());
    }
}

impl Holds {
    /// Arms a hold (replacing one not yet reached).
    pub fn arm(&self, matches: Matcher) -> Hold {
        let (reached_tx, reached) = oneshot::channel();
        let (release, release_rx) = oneshot::channel();
        *self.lock() = Some(Armed {
            matches,
            reached: reached_tx,
            release: release_rx,
        });
        Hold { reached, release }
    }

    /// When `entry` is the request to hold: what to wait for before answering it.
    pub fn check(&self, entry: &LogEntry) -> Option<oneshot::Receiver<()>> {
        let mut armed = self.lock();
        if !armed.as_mut().is_some_and(|a| (a.matches)(entry)) {
            return None;
        }
        let a = armed.take()?;
        let _ = a.reached.send(entry.clone());
        Some(a.release)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Armed>> {
        self.armed.lock().unwrap_or_else(|e| e.into_inner())
    }
}
