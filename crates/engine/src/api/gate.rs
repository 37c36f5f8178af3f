//! The scope gate: nothing is written in a tenant unless a proof was the last call sent before
//! it, with no wait in between.
//!
//! NetBird runs a request whose `?account=` it does not honour in the caller's own account,
//! silently: a tenant unlinked mid-run would receive nothing, and the MSP account everything.
//! So every attempt of a write inside a tenant (create, update, delete, a `request` step, and
//! each retry of one) waits at this gate, which the API client asks before sending (see
//! [`onboard_netbird::WriteGate`]):
//!
//! - **Waves.** The executor [enters](ScopeGate::enter) the gate of an account for every
//!   instance it starts there. The writes that reach the gate form a wave, which closes when
//!   every instance at work in the account is in it (or has finished), or when it holds as
//!   many writes as may be sent at once ([`Client::writes_per_proof`]). One proof covers the
//!   wave, so a run's proofs number its waves of writes, not its writes.
//! - **Nothing between the proof and its writes.** The wave's in-flight slots and rate tokens,
//!   the proof's included, are taken first ([`Client::reserve`]); then the proof (`GET
//!   /api/accounts` with `?account=`, its id compared with the tenant's) is sent, and when it
//!   answers, the writes go at once on the slots reserved for them. A proof that took longer
//!   than [`PROOF_WINDOW`] to answer does not count and is made again; so every write is sent
//!   within [`PROOF_WINDOW`] (plus the time to hand it its slot) of the proof that covers it.
//! - **A failed proof closes the gate for the run.** Every later write in that account is
//!   refused without a call, and the executor starts nothing new. A proof that could not be
//!   made (the API is down) refuses only the writes of its wave.
//!
//! Reads are not gated: the session proves an account before its first read there, a read
//! at apply is followed by the proof of the write it leads to, and the run's end proves every
//! account it wrote or read in once more.

use onboard_netbird::{ApiError, Client, GateFuture, GateRefusal, Reservation, Slot, WriteGate};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

use crate::api::cache::{ProofError, Reads};

/// The longest a proof may take to answer and still cover writes: a write is sent at most
/// this long after the proof that covers it was sent.
pub const PROOF_WINDOW: Duration = Duration::from_secs(5);

/// Turns a complete wave gives the executor to start instances that became ready meanwhile
/// (they join it) before it closes.
const SETTLE_TURNS: usize = 3;

/// How many times a wave's proof is made when it answers too slowly.
const SLOW_PROOF_TRIES: usize = 3;

/// One run's gate: what every account it writes in has proven.
pub struct ScopeGate {
    reads: Arc<Reads>,
    accounts: Mutex<BTreeMap<String, Arc<Account>>>,
    /// The accounts whose proof failed: the run starts nothing new.
    closed: Mutex<BTreeSet<String>>,
}

/// The instances at work in one account, its wave being formed, and its proofs.
#[derive(Default)]
struct Account {
    waves: Mutex<Waves>,
    /// Told whenever an instance enters or leaves, or a write joins a wave.
    changed: Notify,
    /// Held while a wave is proven: one proof at a time per account.
    proofs: tokio::sync::Mutex<Proofs>,
}

#[derive(Default)]
struct Waves {
    /// Instances at work in the account (entered, not yet left).
    active: usize,
    /// The wave still taking writes.
    forming: Option<Arc<Wave>>,
}

/// Writes that one proof covers.
struct Wave {
    /// Writes in it so far (changed under the account's `waves` lock).
    size: Mutex<usize>,
    /// What its leader found: the slots to send on, or why not.
    outcome: watch::Sender<Outcome>,
}

#[derive(Clone)]
enum Outcome {
    Pending,
    Proven(Arc<Mutex<Reservation>>),
    Refused(ScopeRefusal),
}

/// Why the gate refused a write in an account, or a proof there failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ScopeRefusal {
    /// A proof showed that requests do not run in the account: its gate closed.
    #[error("{proof}; {why}")]
    Lost {
        #[source]
        proof: Arc<ProofError>,
        /// The likely cause, and what to do.
        why: String,
    },
    /// The proof could not be made: the API failed.
    #[error("cannot prove that requests run in account {account}: {source}")]
    Unproven {
        account: String,
        #[source]
        source: ApiError,
    },
    /// The proof answered too slowly, every time, for a write to follow it.
    #[error(
        "cannot prove that requests run in account {account} in time: the proof took {took:.1} \
         s to answer, {tries} times, and a write may follow its proof by at most {window} s"
    )]
    TooSlow {
        account: String,
        took: f64,
        tries: usize,
        window: u64,
    },
    #[error("the scope proof of this write was not made")]
    NotMade,
    #[error("no slot was reserved for this write")]
    NoSlot,
    #[error("the write that was to prove this one was cancelled")]
    Cancelled,
}

#[derive(Default)]
struct Proofs {
    /// When the last proof that succeeded was sent.
    last_good: Option<Instant>,
    /// Why the gate closed: a proof showed that requests do not run in this account.
    lost: Option<ScopeRefusal>,
}

impl ScopeGate {
    pub fn new(reads: Arc<Reads>) -> Arc<Self> {
        Arc::new(ScopeGate {
            reads,
            accounts: Mutex::default(),
            closed: Mutex::default(),
        })
    }

    /// An instance starts work in `account`: the waves there wait for its writes until it
    /// leaves (the answer is dropped). Run its work [`within`] the answer.
    pub fn enter(&self, account: &str) -> Entered {
        let gate = self.account(account);
        lock(&gate.waves).active += 1;
        gate.changed.notify_waiters();
        Entered {
            account: account.to_owned(),
            gate,
        }
    }

    /// Let one attempt of a write to `account` go: once its wave is proven, with the slot it
    /// is to be sent on (see the module docs).
    pub async fn pass(&self, client: &Client, account: &str) -> Result<Slot, ScopeRefusal> {
        let gate = self.account(account);
        if self.is_closed(account) {
            // Closed under the proofs lock, together with `lost`.
            let lost = gate.proofs.lock().await.lost.clone();
            return Err(lost.unwrap_or(ScopeRefusal::NotMade));
        }
        // A write outside an instance that entered (a removal, a lone call) is an instance of
        // its own while it waits.
        let inside = ENTERED.try_with(|a| a == account).unwrap_or(false);
        let _own = (!inside).then(|| self.enter(account));
        let cap = client.writes_per_proof();
        let (wave, leads) = join(&gate, cap);
        if leads {
            // Dropped before it told its wave (the write was cancelled): the wave is refused,
            // not left waiting, and no later write joins it.
            let guard = Leading {
                gate: &gate,
                wave: &wave,
            };
            self.lead(&gate, &wave, client, account, cap).await;
            std::mem::forget(guard);
        }
        // The wave's sender lives as long as the wave, and its leader always settles it.
        let mut seen = wave.outcome.subscribe();
        let outcome = match seen.wait_for(|o| !matches!(o, Outcome::Pending)).await {
            Ok(o) => o.clone(),
            Err(_) => Outcome::Refused(ScopeRefusal::NotMade),
        };
        match outcome {
            Outcome::Proven(slots) => lock(&slots).take().ok_or(ScopeRefusal::NoSlot),
            Outcome::Refused(why) => Err(why),
            Outcome::Pending => Err(ScopeRefusal::NotMade),
        }
    }

    /// Lead `wave`: wait until it is complete, reserve its slots, prove, and tell its writes.
    async fn lead(
        &self,
        gate: &Account,
        wave: &Arc<Wave>,
        client: &Client,
        account: &str,
        cap: usize,
    ) {
        // Complete: when every instance at work in the account is in it, and stays so while
        // the executor, given a turn, starts the instances that just became ready.
        let mut settled = 0;
        let size = loop {
            let changed = gate.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut waves = lock(&gate.waves);
                let size = *lock(&wave.size);
                let still_forming = waves.forming.as_ref().is_some_and(|f| Arc::ptr_eq(f, wave));
                let complete = size >= waves.active;
                if !still_forming || size >= cap || (complete && settled == SETTLE_TURNS) {
                    if still_forming {
                        waves.forming = None;
                    }
                    break size;
                }
                settled = if complete { settled + 1 } else { 0 };
            }
            match settled {
                0 => changed.await,
                _ => tokio::task::yield_now().await,
            }
        };
        let mut proofs = gate.proofs.lock().await;
        let outcome = match &proofs.lost {
            Some(lost) => Outcome::Refused(lost.clone()),
            None => {
                let slots = client.reserve(size).await;
                match self.prove(&mut proofs, client, account, true).await {
                    Ok(()) => Outcome::Proven(Arc::new(Mutex::new(slots))),
                    Err(why) => Outcome::Refused(why),
                }
            }
        };
        wave.outcome.send_replace(outcome);
    }

    /// Prove `account` once more, now (the end of a run), unless its gate is closed.
    pub async fn prove_now(&self, client: &Client, account: &str) -> Result<(), ScopeRefusal> {
        let gate = self.account(account);
        let mut proofs = gate.proofs.lock().await;
        if let Some(lost) = &proofs.lost {
            return Err(lost.clone());
        }
        self.prove(&mut proofs, client, account, false).await
    }

    /// Whether the gate of `account` is closed: a write there must not be sent.
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

    /// One proof. `prepaid`: its slot and token are reserved (a wave's proof), and it must
    /// answer within [`PROOF_WINDOW`] to count; one that is too slow is made again.
    async fn prove(
        &self,
        proofs: &mut Proofs,
        client: &Client,
        account: &str,
        prepaid: bool,
    ) -> Result<(), ScopeRefusal> {
        let mut tries = 0;
        loop {
            tries += 1;
            // A wave's proof runs on the slot reserved for the wave (taking another could wait
            // for ever: the wave holds them); a second try pays its token before its clock.
            let sender = match (prepaid, tries) {
                (false, _) => client.clone(),
                (true, 1) => client.prepaid(),
                (true, _) => {
                    client.pay(1).await;
                    client.prepaid()
                }
            };
            let sent = Instant::now();
            let result = self.reads.prove(&sender, account, true).await;
            let took = sent.elapsed();
            match result {
                Ok(()) if !prepaid || took <= PROOF_WINDOW => {
                    proofs.last_good = Some(sent);
                    return Ok(());
                }
                Ok(()) if tries < SLOW_PROOF_TRIES => continue,
                Ok(()) => {
                    return Err(ScopeRefusal::TooSlow {
                        account: account.to_owned(),
                        took: took.as_secs_f64(),
                        tries: SLOW_PROOF_TRIES,
                        window: PROOF_WINDOW.as_secs(),
                    });
                }
                Err(e @ ProofError::NotScoped { .. }) => {
                    // After a good proof in this run, the likely cause is known.
                    let why = match proofs.last_good {
                        Some(_) => "an earlier proof in this run succeeded, so the tenant was \
                                    unlinked from this MSP account (or its PAT changed) during \
                                    the run"
                            .to_owned(),
                        None => e.help().unwrap_or_default().to_owned(),
                    };
                    let lost = ScopeRefusal::Lost {
                        proof: Arc::new(e),
                        why,
                    };
                    proofs.lost = Some(lost.clone());
                    lock(&self.closed).insert(account.to_owned());
                    return Err(lost);
                }
                Err(ProofError::Api(e)) => {
                    return Err(ScopeRefusal::Unproven {
                        account: account.to_owned(),
                        source: e,
                    });
                }
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

/// Joins the wave being formed in `gate` (or starts one, and leads it): the wave, and
/// whether this write leads it.
fn join(gate: &Account, cap: usize) -> (Arc<Wave>, bool) {
    let mut waves = lock(&gate.waves);
    let joined = waves.forming.clone().filter(|wave| {
        let mut size = lock(&wave.size);
        let room = *size < cap;
        *size += usize::from(room);
        room
    });
    let joined = match joined {
        Some(wave) => (wave, false),
        None => {
            let wave = Arc::new(Wave {
                size: Mutex::new(1),
                outcome: watch::Sender::new(Outcome::Pending),
            });
            waves.forming = Some(wave.clone());
            (wave, true)
        }
    };
    drop(waves);
    gate.changed.notify_waiters();
    joined
}

/// A wave's leader at work; dropped before it finished, it refuses the wave.
struct Leading<'a> {
    gate: &'a Account,
    wave: &'a Arc<Wave>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let mut waves = lock(&self.gate.waves);
        if waves
            .forming
            .as_ref()
            .is_some_and(|f| Arc::ptr_eq(f, self.wave))
        {
            waves.forming = None;
        }
        drop(waves);
        self.wave.outcome.send_if_modified(|o| {
            let pending = matches!(o, Outcome::Pending);
            if pending {
                *o = Outcome::Refused(ScopeRefusal::Cancelled);
            }
            pending
        });
        self.gate.changed.notify_waiters();
    }
}

/// An instance at work in an account (see [`ScopeGate::enter`]); it leaves when dropped.
pub struct Entered {
    account: String,
    gate: Arc<Account>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        lock(&self.gate.waves).active -= 1;
        self.gate.changed.notify_waiters();
    }
}

tokio::task_local! {
    static ENTERED: String;
}

/// Run `work`, an instance that `entered` its account: its writes there join the waves as
/// that instance's.
pub async fn within<F: std::future::Future>(entered: Entered, work: F) -> F::Output {
    let account = entered.account.clone();
    let out = ENTERED.scope(account, work).await;
    drop(entered);
    out
}

/// The API client asks the gate; see the module docs.
struct Gated(Arc<ScopeGate>);

impl WriteGate for Gated {
    fn before_write<'a>(&'a self, client: &'a Client, account: &'a str) -> GateFuture<'a> {
        Box::pin(async move { self.0.pass(client, account).await.map_err(GateRefusal::new) })
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
        let (a, b) = (gate.enter("tenant"), gate.enter("tenant"));
        let (first, second) = tokio::join!(
            within(a, gate.pass(&client, "tenant")),
            within(b, gate.pass(&client, "tenant")),
        );
        let (first, second) = (first.expect_err("refused"), second.expect_err("refused"));
        let (first, second) = (first.to_string(), second.to_string());
        assert!(first.contains("cannot prove that requests run in account tenant"));
        assert_eq!(first, second);
        // The API failing says nothing about the scope: the gate stays open.
        assert!(!gate.closed() && !gate.is_closed("tenant"));
    }
}
