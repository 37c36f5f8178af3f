//! The scope gate: nothing is written in a tenant unless a proof was the last call sent before
//! it, with no wait in between; and apply makes the number of proofs its plan states.
//!
//! NetBird runs a request whose `?account=` it does not honour in the caller's own account,
//! silently: a tenant unlinked mid-run would receive nothing, and the MSP account everything.
//! So every attempt of a write inside a tenant (create, update, delete, a `request` step, and
//! each retry of one) waits at this gate, which the API client asks before sending (see
//! [`onboard_netbird::WriteGate`]):
//!
//! - **One proof per level.** The plan is the contract of the apply: the executor tells the
//!   gate, per account, which instances will write there ([`ScopeGate::expect`]): each node of
//!   the graph with its level and the number of writes its instances make, one after another
//!   (a `for_each`'s instances run in turn; a replacement deletes, then creates). The writes of
//!   one level form one wave, proven by one proof: a node's first write joins its level's
//!   first wave, its second write the second, and so on. A wave closes when every write of it
//!   the plan expects has reached the gate, or its instance ended (finished, failed, skipped
//!   or not started) without making it. A wave may hold at most [`Client::writes_per_proof`]
//!   writes (they are sent at once, each on an in-flight slot of its own): a level with more
//!   writes is split, the first writes to arrive closing a wave of that many. Waves go in
//!   order, level by level: a write of a later wave is parked until every earlier wave
//!   closed, and a parked write does not hold one of the executor's `--concurrency` places
//!   ([`ScopeGate::parked`]), so the instances it waits for can start. Whatever the timing,
//!   an account gets `ceil(writes / writes_per_proof)` proofs per wave, the number its plan
//!   states (`crate::plan::cost`).
//! - **A write the plan did not count is proven alone.** A retry (each retry proves again),
//!   a write beyond what the plan expects of its node (the instances of a `for_each` known only
//!   at apply; a built-in looked up at apply that needs more writes than planned), and every
//!   write outside the executor's nodes (`--prune`'s and `destroy`'s deletions) follow a proof
//!   of their own.
//! - **Nothing between the proof and its writes.** The wave's in-flight slots and rate tokens,
//!   the proof's included, are taken first ([`Client::reserve`]); then the proof (`GET
//!   /api/accounts` with `?account=`, its id compared with the tenant's) is sent, and when it
//!   answers, the writes go at once on the slots reserved for them. A proof that took longer
//!   than [`PROOF_WINDOW`] to answer does not count and is made again; so every write is sent
//!   within [`PROOF_WINDOW`] (plus the time to hand it its slot) of the proof that covers it.
//! - **A failed proof closes the gate for the run.** Every later write in that account, and
//!   every write parked there, is refused without a call, and the executor starts nothing new.
//!   A proof that could not be made (the API is down) refuses only the writes of its wave.
//!
//! Reads are not gated: the session proves an account before its first read there, a read
//! at apply is followed by the proof of the write it leads to, and the run's end proves every
//! account it wrote or read in once more.

use onboard_netbird::{ApiError, Client, GateFuture, GateRefusal, Reservation, Slot, WriteGate};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

use crate::api::cache::{ProofError, Reads};

/// The longest a proof may take to answer and still cover writes: a write is sent at most
/// this long after the proof that covers it was sent.
pub const PROOF_WINDOW: Duration = Duration::from_secs(5);

/// How many times a wave's proof is made when it answers too slowly.
const SLOW_PROOF_TRIES: usize = 3;

/// One run's gate: the writes every account it writes in expects, and what it has proven.
pub struct ScopeGate {
    reads: Arc<Reads>,
    accounts: Mutex<BTreeMap<String, Arc<Account>>>,
    /// The accounts whose proof failed: the run starts nothing new.
    closed: Mutex<BTreeSet<String>>,
    /// Writes parked until their wave's turn, in every account.
    parked: Arc<watch::Sender<usize>>,
}

/// One account's planned writes, the waves they form, and its proofs.
#[derive(Default)]
struct Account {
    plan: Mutex<Planned>,
    /// Held while a wave is proven: one proof at a time per account.
    proofs: tokio::sync::Mutex<Proofs>,
}

/// A wave's place in the order: the level of its writes' nodes, and which of their writes
/// (0 for the first).
type Key = (usize, usize);

/// The writes the plan expects in one account, and the waves they form.
#[derive(Default)]
struct Planned {
    /// The most writes one wave holds ([`Client::writes_per_proof`]).
    cap: usize,
    /// Per node (the executor's index): its level, its writes, and how many reached the gate.
    nodes: BTreeMap<usize, Node>,
    /// The waves still to close, in order: the first is the one being formed.
    waves: BTreeMap<Key, Forming>,
    /// The gate closed: every parked write and every later one is refused.
    lost: Option<ScopeRefusal>,
}

struct Node {
    level: usize,
    writes: usize,
    passed: usize,
}

#[derive(Default)]
struct Forming {
    /// Writes the plan expects that have not reached the gate yet.
    expected: usize,
    /// Writes that reached it, waiting for the wave to close.
    parked: Vec<Arc<Ticket>>,
}

/// One planned write at the gate.
struct Ticket {
    key: Key,
    turn: watch::Sender<Turn>,
}

#[derive(Clone)]
enum Turn {
    Parked,
    In { wave: Arc<Wave>, leads: bool },
    Refused(ScopeRefusal),
}

/// Writes that one proof covers.
struct Wave {
    size: usize,
    /// What its leader found: the slots to send on, or why not.
    outcome: watch::Sender<Outcome>,
}

impl Wave {
    fn new(size: usize) -> Arc<Wave> {
        Arc::new(Wave {
            size,
            outcome: watch::Sender::new(Outcome::Pending),
        })
    }

    /// Refuses the wave if its leader has not settled it.
    fn cancel(&self) {
        self.outcome.send_if_modified(|o| {
            let pending = matches!(o, Outcome::Pending);
            if pending {
                *o = Outcome::Refused(ScopeRefusal::Cancelled);
            }
            pending
        });
    }
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
            parked: Arc::new(watch::Sender::new(0)),
        })
    }

    /// The writes the plan expects in `account`: per node `(index, level, writes)`, its
    /// writes made one after another. `cap`: the most writes one proof covers
    /// ([`Client::writes_per_proof`]). A node already expected, or without writes, is left
    /// as it is.
    pub fn expect(
        &self,
        account: &str,
        cap: usize,
        nodes: impl IntoIterator<Item = (usize, usize, usize)>,
    ) {
        let gate = self.account(account);
        let mut plan = lock(&gate.plan);
        plan.cap = cap.max(1);
        for (node, level, writes) in nodes {
            if writes == 0 || plan.nodes.contains_key(&node) {
                continue;
            }
            plan.nodes.insert(
                node,
                Node {
                    level,
                    writes,
                    passed: 0,
                },
            );
            for rank in 0..writes {
                plan.waves.entry((level, rank)).or_default().expected += 1;
            }
        }
        form(&mut plan, &self.parked);
    }

    /// `node` makes no more writes (it ended, was skipped, or will not start): the waves stop
    /// waiting for the ones it did not make. In every account.
    pub fn forgo(&self, node: usize) {
        let accounts: Vec<Arc<Account>> = lock(&self.accounts).values().cloned().collect();
        for gate in accounts {
            forgo(&gate, node, &self.parked);
        }
    }

    /// How many writes are parked until their wave's turn, told whenever it changes: the
    /// executor starts other instances meanwhile (a parked write may wait for them).
    pub fn parked(&self) -> watch::Receiver<usize> {
        self.parked.subscribe()
    }

    /// Work in `account` outside the plan's nodes (a removal): its writes are proven alone.
    /// Run it [`within`] the answer.
    pub fn enter(&self, account: &str) -> Entered {
        self.entered(account, None)
    }

    /// The executor's `node` starts work in `account`: its writes there join the waves the
    /// plan expects them in (see [`ScopeGate::expect`]); when the answer is dropped, the node
    /// makes no more. Run its work [`within`] the answer.
    pub fn enter_node(&self, account: &str, node: usize) -> Entered {
        self.entered(account, Some(node))
    }

    fn entered(&self, account: &str, node: Option<usize>) -> Entered {
        Entered {
            account: account.to_owned(),
            node,
            gate: self.account(account),
            parked: self.parked.clone(),
        }
    }

    /// Let one attempt (`attempt`, from 1) of a write to `account` go: once its wave is
    /// proven, with the slot it is to be sent on (see the module docs).
    pub async fn pass(
        &self,
        client: &Client,
        account: &str,
        attempt: u32,
    ) -> Result<Slot, ScopeRefusal> {
        let gate = self.account(account);
        if self.is_closed(account) {
            // Closed under the proofs lock, together with `lost`.
            let lost = gate.proofs.lock().await.lost.clone();
            return Err(lost.unwrap_or(ScopeRefusal::NotMade));
        }
        // A first attempt of a node's write the plan expects joins its wave; anything else is
        // a wave of its own.
        let node = ENTERED
            .try_with(|e| e.node.filter(|_| e.account == account))
            .ok()
            .flatten();
        let ticket = match (attempt, node) {
            (1, Some(node)) => arrive(&gate, node, &self.parked),
            _ => None,
        };
        let mut at_gate = AtGate {
            gate: &gate,
            parked: &self.parked,
            ticket: ticket.clone(),
            leads: None,
        };
        let (wave, leads) = match &ticket {
            None => (Wave::new(1), true),
            Some(ticket) => {
                let mut turn = ticket.turn.subscribe();
                // The ticket lives as long as this call: its sender too.
                let turn = match turn.wait_for(|t| !matches!(t, Turn::Parked)).await {
                    Ok(t) => t.clone(),
                    Err(_) => Turn::Refused(ScopeRefusal::NotMade),
                };
                match turn {
                    Turn::In { wave, leads } => (wave, leads),
                    Turn::Refused(why) => return Err(why),
                    Turn::Parked => return Err(ScopeRefusal::NotMade),
                }
            }
        };
        if leads {
            // Dropped before it settled its wave (the write was cancelled): the wave is
            // refused, not left waiting.
            at_gate.leads = Some(wave.clone());
            self.lead(&gate, &wave, client, account).await;
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

    /// Lead `wave` (closed): reserve its slots, prove, and tell its writes.
    async fn lead(&self, gate: &Account, wave: &Wave, client: &Client, account: &str) {
        let mut proofs = gate.proofs.lock().await;
        let outcome = match &proofs.lost {
            Some(lost) => Outcome::Refused(lost.clone()),
            None => {
                let slots = client.reserve(wave.size).await;
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
                    close(&self.account(account), &lost, &self.parked);
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

/// A first attempt of `node`'s next write reaches the gate: its ticket, parked in the wave
/// the plan expects it in; `None` when the plan expects no more writes of the node.
fn arrive(gate: &Account, node: usize, parked: &watch::Sender<usize>) -> Option<Arc<Ticket>> {
    let mut plan = lock(&gate.plan);
    let n = plan.nodes.get_mut(&node)?;
    if n.passed >= n.writes {
        return None;
    }
    let key = (n.level, n.passed);
    n.passed += 1;
    let ticket = Arc::new(Ticket {
        key,
        turn: watch::Sender::new(Turn::Parked),
    });
    if let Some(lost) = &plan.lost {
        ticket.turn.send_replace(Turn::Refused(lost.clone()));
        return Some(ticket);
    }
    let wave = plan.waves.entry(key).or_default();
    wave.expected = wave.expected.saturating_sub(1);
    wave.parked.push(ticket.clone());
    parked.send_modify(|n| *n += 1);
    form(&mut plan, parked);
    Some(ticket)
}

/// `node` makes no more writes in `gate`'s account.
fn forgo(gate: &Account, node: usize, parked: &watch::Sender<usize>) {
    let mut plan = lock(&gate.plan);
    let Some(n) = plan.nodes.get_mut(&node) else {
        return;
    };
    let (level, from, to) = (n.level, n.passed, n.writes);
    n.passed = n.writes;
    for rank in from..to {
        if let Some(wave) = plan.waves.get_mut(&(level, rank)) {
            wave.expected = wave.expected.saturating_sub(1);
        }
    }
    form(&mut plan, parked);
}

/// Closes the waves that can close, in order: the first wave still to close takes the
/// writes parked in it, up to `cap` at a time, once it has `cap` of them or every write the
/// plan expects of it has arrived (or will not come). Each closed wave's first write leads it.
fn form(plan: &mut Planned, parked: &watch::Sender<usize>) {
    let cap = plan.cap.max(1);
    while let Some(mut first) = plan.waves.first_entry() {
        let forming = first.get_mut();
        let all_in = forming.expected == 0;
        if all_in && forming.parked.is_empty() {
            first.remove();
            continue;
        }
        if !all_in && forming.parked.len() < cap {
            break;
        }
        let size = forming.parked.len().min(cap);
        let wave = Wave::new(size);
        for (i, ticket) in forming.parked.drain(..size).enumerate() {
            ticket.turn.send_replace(Turn::In {
                wave: wave.clone(),
                leads: i == 0,
            });
        }
        parked.send_modify(|n| *n = n.saturating_sub(size));
    }
}

/// The gate of an account closed (`lost`): every parked write is refused, and every later one.
fn close(gate: &Account, lost: &ScopeRefusal, parked: &watch::Sender<usize>) {
    let mut plan = lock(&gate.plan);
    plan.lost = Some(lost.clone());
    let waves = std::mem::take(&mut plan.waves);
    let mut refused = 0;
    for ticket in waves.into_values().flat_map(|w| w.parked) {
        ticket.turn.send_replace(Turn::Refused(lost.clone()));
        refused += 1;
    }
    parked.send_modify(|n| *n = n.saturating_sub(refused));
}

/// A write at the gate; dropped before its turn came (the write was cancelled), it leaves its
/// wave, and a wave it was to lead is refused rather than left waiting.
struct AtGate<'a> {
    gate: &'a Account,
    parked: &'a watch::Sender<usize>,
    ticket: Option<Arc<Ticket>>,
    leads: Option<Arc<Wave>>,
}

impl Drop for AtGate<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = &self.ticket {
            let mut plan = lock(&self.gate.plan);
            let turn = ticket.turn.borrow().clone();
            match turn {
                Turn::Parked => {
                    if let Some(wave) = plan.waves.get_mut(&ticket.key) {
                        wave.parked.retain(|t| !Arc::ptr_eq(t, ticket));
                    }
                    ticket
                        .turn
                        .send_replace(Turn::Refused(ScopeRefusal::Cancelled));
                    self.parked.send_modify(|n| *n = n.saturating_sub(1));
                    form(&mut plan, self.parked);
                }
                Turn::In { wave, leads: true } => wave.cancel(),
                Turn::In { .. } | Turn::Refused(_) => {}
            }
        }
        if let Some(wave) = &self.leads {
            wave.cancel();
        }
    }
}

/// Work in an account (see [`ScopeGate::enter`], [`ScopeGate::enter_node`]); a node's
/// makes no more writes once it is dropped.
pub struct Entered {
    account: String,
    node: Option<usize>,
    gate: Arc<Account>,
    parked: Arc<watch::Sender<usize>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        if let Some(node) = self.node {
            forgo(&self.gate, node, &self.parked);
        }
    }
}

/// Where the writes of a task go, and as which node's.
struct Here {
    account: String,
    node: Option<usize>,
}

tokio::task_local! {
    static ENTERED: Here;
}

/// Run `work`, the work `entered` names: its writes in that account are that node's.
pub async fn within<F: std::future::Future>(entered: Entered, work: F) -> F::Output {
    let here = Here {
        account: entered.account.clone(),
        node: entered.node,
    };
    let out = ENTERED.scope(here, work).await;
    drop(entered);
    out
}

/// The API client asks the gate; see the module docs.
struct Gated(Arc<ScopeGate>);

impl WriteGate for Gated {
    fn before_write<'a>(
        &'a self,
        client: &'a Client,
        account: &'a str,
        attempt: u32,
    ) -> GateFuture<'a> {
        Box::pin(async move {
            self.0
                .pass(client, account, attempt)
                .await
                .map_err(GateRefusal::new)
        })
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
            within(a, gate.pass(&client, "tenant", 1)),
            within(b, gate.pass(&client, "tenant", 1)),
        );
        let (first, second) = (first.expect_err("refused"), second.expect_err("refused"));
        let (first, second) = (first.to_string(), second.to_string());
        assert!(first.contains("cannot prove that requests run in account tenant"));
        assert_eq!(first, second);
        // The API failing says nothing about the scope: the gate stays open.
        assert!(!gate.closed() && !gate.is_closed("tenant"));
    }

    fn turn(ticket: &Arc<Ticket>) -> &'static str {
        match &*ticket.turn.borrow() {
            Turn::Parked => "parked",
            Turn::In { leads: true, .. } => "leads",
            Turn::In { .. } => "in",
            Turn::Refused(_) => "refused",
        }
    }

    fn size(ticket: &Arc<Ticket>) -> usize {
        match &*ticket.turn.borrow() {
            Turn::In { wave, .. } => wave.size,
            _ => 0,
        }
    }

    #[test]
    fn a_level_closes_when_every_write_it_expects_came_or_will_not_and_the_next_waits() {
        let gate = ScopeGate::new(Arc::new(Reads::new()));
        // Level 0: nodes 1, 2 and 3 (which writes twice, in turn); level 1: node 4.
        gate.expect("t", 8, [(1, 0, 1), (2, 0, 1), (3, 0, 2), (4, 1, 1)]);
        let (acct, parked) = (gate.account("t"), &gate.parked);
        let four = arrive(&acct, 4, parked).expect("planned");
        let one = arrive(&acct, 1, parked).expect("planned");
        let three = arrive(&acct, 3, parked).expect("planned");
        assert_eq!([turn(&four), turn(&one), turn(&three)], ["parked"; 3]);
        assert_eq!(*gate.parked().borrow(), 3);
        // Node 2 ended without writing: level 0's first wave closes with what came.
        gate.forgo(2);
        assert_eq!([turn(&one), turn(&three)], ["leads", "in"]);
        assert_eq!(size(&one), 2);
        // Level 1 still waits for node 3's second write.
        assert_eq!(turn(&four), "parked");
        let again = arrive(&acct, 3, parked).expect("planned");
        assert_eq!([turn(&again), turn(&four)], ["leads", "leads"]);
        assert_eq!((size(&again), size(&four)), (1, 1));
        assert_eq!(*gate.parked().borrow(), 0);
        // Beyond the plan (a third write of node 3, any write of node 5): proven alone.
        assert!(arrive(&acct, 3, parked).is_none());
        assert!(arrive(&acct, 5, parked).is_none());
    }

    #[test]
    fn a_level_with_more_writes_than_one_proof_covers_is_split_as_they_come() {
        let gate = ScopeGate::new(Arc::new(Reads::new()));
        gate.expect("t", 2, (1..=5).map(|n| (n, 0, 1)));
        let (acct, parked) = (gate.account("t"), &gate.parked);
        let first = arrive(&acct, 1, parked).expect("planned");
        assert_eq!(turn(&first), "parked");
        let second = arrive(&acct, 2, parked).expect("planned");
        assert_eq!([turn(&first), turn(&second)], ["leads", "in"]);
        let third = arrive(&acct, 3, parked).expect("planned");
        gate.forgo(4);
        assert_eq!(turn(&third), "parked", "node 5 is still to come");
        let fifth = arrive(&acct, 5, parked).expect("planned");
        assert_eq!([turn(&third), turn(&fifth)], ["leads", "in"]);
        assert_eq!((size(&first), size(&third)), (2, 2));
    }

    #[test]
    fn a_closed_gate_refuses_the_parked_writes_and_every_later_one() {
        let gate = ScopeGate::new(Arc::new(Reads::new()));
        gate.expect("t", 8, [(1, 0, 1), (2, 0, 1), (3, 1, 1)]);
        let (acct, parked) = (gate.account("t"), &gate.parked);
        let later = arrive(&acct, 3, parked).expect("planned");
        close(&acct, &ScopeRefusal::NotMade, parked);
        assert_eq!(turn(&later), "refused");
        let next = arrive(&acct, 1, parked).expect("planned");
        assert_eq!(turn(&next), "refused");
        assert_eq!(*gate.parked().borrow(), 0);
    }

    #[tokio::test]
    async fn a_write_cancelled_while_parked_leaves_its_wave() {
        let gate = ScopeGate::new(Arc::new(Reads::new()));
        let client = unreachable();
        // Node 2's write waits for node 1's, at the level before.
        gate.expect("tenant", 8, [(1, 0, 1), (2, 1, 1)]);
        let waiting = within(
            gate.enter_node("tenant", 2),
            gate.pass(&client, "tenant", 1),
        );
        let gave_up = tokio::select! {
            _ = waiting => false,
            _ = tokio::task::yield_now() => true,
        };
        assert!(gave_up, "a parked write went before its level");
        assert_eq!(*gate.parked().borrow(), 0);
        let acct = gate.account("tenant");
        let plan = lock(&acct.plan);
        assert!(plan.waves[&(1, 0)].parked.is_empty());
    }
}
