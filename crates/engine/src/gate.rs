//! The scope gate: nothing is written in a tenant without a proof made after the write fell
//! due.
//!
//! NetBird runs a request whose `?account=` it does not honour in the caller's own account,
//! silently: a tenant unlinked mid-run would receive nothing, and the MSP account everything.
//! So every write inside a tenant (create, update, delete, a `request` step) waits at this
//! gate, which the API client asks before sending (see [`onboard_netbird::WriteGate`]):
//!
//! - **A proof after the write fell due.** A write passes only on a proof (`GET /api/accounts`
//!   with `?account=`, its id compared with the tenant's) that was sent after the write fell
//!   due: when the executor started the step instance that sends it ([`ScopeGate::due`], so
//!   that the instance's reads come after the proof too), or else when it reached the gate. A
//!   tenant unlinked before a write fell due therefore stops that write.
//! - **Shared by the writes that wait together.** Writes that reach the gate while a proof is
//!   in flight wait for the next one and share it; one proof clears every write waiting for
//!   it. A run's proofs number its waves of writes, not its writes.
//! - **A failed proof closes the gate for the run.** Every later write in that account is
//!   refused without a call, and the executor starts nothing new. A proof that could not be
//!   made (the API is down) refuses only the writes waiting for it.
//!
//! Reads are not gated: the session proves an account before its first read there, and the
//! run's end proves every account it wrote in once more.

use onboard_netbird::{Client, GateFuture, WriteGate};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::cache::{ProofError, Reads};

/// One run's gate: what every account it writes in has proven.
pub struct ScopeGate {
    reads: Arc<Reads>,
    accounts: Mutex<BTreeMap<String, Arc<Account>>>,
    /// The accounts whose proof failed: the run starts nothing new.
    closed: Mutex<BTreeSet<String>>,
}

/// The proofs of one account.
#[derive(Default)]
struct Account {
    /// Proofs started so far; a write that arrives needs the one after these.
    started: AtomicU64,
    /// Held while a proof is in flight, so that the writes waiting for it share it.
    proofs: tokio::sync::Mutex<Proofs>,
}

#[derive(Default)]
struct Proofs {
    /// Proofs finished (the last of them started as number `done`).
    done: u64,
    /// The number of the last proof that succeeded.
    good: u64,
    /// Why the last proof could not be made (the API failed), for the writes that waited
    /// for it.
    failed: Option<String>,
    /// When the last proof that succeeded was sent.
    last_good: Option<Instant>,
    /// Why the gate closed: a proof showed that requests do not run in this account.
    lost: Option<String>,
}

impl ScopeGate {
    pub fn new(reads: Arc<Reads>) -> Arc<Self> {
        Arc::new(ScopeGate {
            reads,
            accounts: Mutex::default(),
            closed: Mutex::default(),
        })
    }

    /// A write to `account` falls due now: it needs a proof sent after this moment. Run the
    /// work that sends it [`within`] the answer.
    pub fn due(&self, account: &str) -> Due {
        Due {
            account: account.to_owned(),
            needed: self.account(account).started.load(Ordering::SeqCst) + 1,
        }
    }

    /// Let a write to `account` go, once a proof sent after it fell due (see [`ScopeGate::due`];
    /// by default: now) shows that requests run there.
    pub async fn pass(&self, client: &Client, account: &str) -> Result<(), String> {
        let gate = self.account(account);
        let needed = DUE
            .try_with(|d| (d.account == account).then_some(d.needed))
            .ok()
            .flatten()
            .unwrap_or_else(|| self.due(account).needed);
        let mut proofs = gate.proofs.lock().await;
        if let Some(lost) = &proofs.lost {
            return Err(lost.clone());
        }
        if proofs.good >= needed {
            return Ok(());
        }
        if proofs.done >= needed {
            // The proof this write waited for could not be made: refused, as that one was.
            return Err(proofs.failed.clone().unwrap_or_default());
        }
        // Let the writes that fell due at this same moment (started together by the executor)
        // queue behind this proof before it is sent, so that they share it.
        tokio::task::yield_now().await;
        self.prove(&gate, &mut proofs, client, account).await
    }

    /// Prove `account` once more, now (the end of a run), unless its gate is closed.
    pub async fn prove_now(&self, client: &Client, account: &str) -> Result<(), String> {
        let gate = self.account(account);
        let mut proofs = gate.proofs.lock().await;
        if let Some(lost) = &proofs.lost {
            return Err(lost.clone());
        }
        self.prove(&gate, &mut proofs, client, account).await
    }

    /// Whether the gate of `account` is closed: a write there must not be sent, nor sent
    /// again (the API client asks before every retry).
    pub fn is_closed(&self, account: &str) -> bool {
        lock(&self.closed).contains(account)
    }

    /// Whether a proof has shown, in any account, that requests no longer run where meant.
    pub fn closed(&self) -> bool {
        !lock(&self.closed).is_empty()
    }

    /// The accounts whose gate closed.
    pub fn closed_accounts(&self) -> BTreeSet<String> {
        lock(&self.closed).clone()
    }

    /// When the last good proof of `account` was sent (none: there was none in this run).
    pub async fn last_good(&self, account: &str) -> Option<Instant> {
        self.account(account).proofs.lock().await.last_good
    }

    async fn prove(
        &self,
        gate: &Account,
        proofs: &mut Proofs,
        client: &Client,
        account: &str,
    ) -> Result<(), String> {
        let number = gate.started.fetch_add(1, Ordering::SeqCst) + 1;
        let sent = Instant::now();
        let result = self.reads.prove(client, account, true).await;
        proofs.done = number;
        match result {
            Ok(()) => {
                (proofs.good, proofs.last_good) = (number, Some(sent));
                Ok(())
            }
            Err(e @ ProofError::NotScoped { .. }) => {
                // After a good proof in this run, the likely cause is known.
                let why = match proofs.last_good {
                    Some(_) => "an earlier proof in this run succeeded, so the tenant was \
                                unlinked from this MSP account (or its PAT changed) during the \
                                run"
                    .to_owned(),
                    None => e.help().unwrap_or_default().to_owned(),
                };
                let lost = format!("{e}; {why}");
                proofs.lost = Some(lost.clone());
                lock(&self.closed).insert(account.to_owned());
                Err(lost)
            }
            Err(ProofError::Api(e)) => {
                let failed = format!("cannot prove that requests run in account {account}: {e}");
                proofs.failed = Some(failed.clone());
                Err(failed)
            }
        }
    }

    fn account(&self, account: &str) -> Arc<Account> {
        lock(&self.accounts)
            .entry(account.to_owned())
            .or_default()
            .clone()
    }
}

/// When a write fell due: it needs the proof numbered `needed` or a later one.
#[derive(Debug, Clone)]
pub struct Due {
    account: String,
    needed: u64,
}

tokio::task_local! {
    static DUE: Due;
}

/// Run `work` with its writes due as `due` says.
pub async fn within<F: std::future::Future>(due: Due, work: F) -> F::Output {
    DUE.scope(due, work).await
}

/// The API client asks the gate; see the module docs.
struct Gated(Arc<ScopeGate>);

impl WriteGate for Gated {
    fn before_write<'a>(&'a self, client: &'a Client, account: &'a str) -> GateFuture<'a> {
        Box::pin(self.0.pass(client, account))
    }

    fn is_open(&self, account: &str) -> bool {
        !self.0.is_closed(account)
    }
}

/// `client`, asking `gate` before every write inside a tenant.
pub fn gated(client: &Client, gate: &Arc<ScopeGate>) -> Client {
    client.with_write_gate(Arc::new(Gated(gate.clone())))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onboard_netbird::{ClientConfig, Token};

    /// A client of an API that is not there (a loopback port nobody listens on), with no
    /// retries: every proof fails with a transport error.
    fn unreachable() -> Client {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("its address").port();
        drop(listener);
        let mut cfg = ClientConfig::new(format!("http://127.0.0.1:{port}"), Token::new("nbp_x"));
        cfg.retry.max_retries = 0;
        Client::new(cfg).expect("a client")
    }

    #[tokio::test]
    async fn writes_that_waited_for_a_proof_that_could_not_be_made_are_refused_too() {
        let gate = ScopeGate::new(Arc::new(Reads::new()));
        let client = unreachable();
        let due = gate.due("tenant");
        let (first, second) = tokio::join!(
            within(due.clone(), gate.pass(&client, "tenant")),
            within(due, gate.pass(&client, "tenant")),
        );
        let (first, second) = (first.expect_err("refused"), second.expect_err("refused"));
        assert!(first.contains("cannot prove that requests run in account tenant"));
        assert_eq!(first, second);
        // The API failing says nothing about the scope: the gate stays open.
        assert!(!gate.closed() && !gate.is_closed("tenant"));
    }
}
