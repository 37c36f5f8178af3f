//! What a plan costs: the API calls apply will make, and the least time they take.
//!
//! NetBird Cloud gives one PAT a token bucket of 120 calls a minute with a burst of 1200, for
//! reads and writes alike and for every tenant together, so calls are time. A live plan counts
//! the calls apply will make from its own actions (the plan's reads are already spent); the
//! least time of a set of plans is what the calls beyond the burst need at the rate.
//!
//! Scope proofs are counted as apply makes them ([`crate::api::gate`]): in each account other
//! than the PAT's (the tenant; `--account`), the writes of one level of the graph form one
//! wave, proven by one proof; a node whose instances write several times (a `for_each`, one
//! instance after another; a replacement, a delete then a create) puts its second write in the
//! level's second wave, and so on. A wave holds at most `W` writes, `--concurrency` capped by
//! the client's burst (`RateLimit::writes_per_proof`), so a wave of `n` writes takes
//! `ceil(n / W)` proofs. Add one proof at the end of the run in each account it writes or
//! reads in at apply, and one before each deletion of `--prune` (one at a time). The number is
//! exact for an apply that finds what its plan says and retries nothing: a retried write
//! proves again, and a write the plan could not count (the instances of a `for_each` known
//! only at apply; an object looked up at apply, such as a built-in of a new tenant) is proven
//! alone when it comes beyond what the plan expected, or leaves its wave smaller when it does
//! not come: the plan counts such a write (`Cost::writes_looked_up`) and says "at most".

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use onboard_netbird::RateLimit;

use crate::plan::{Action, Cost, Plan, PlannedStep};
use crate::playbook::model::StepScope;
use crate::playbook::resource::StepType;
use crate::playbook::template::UNKNOWN;

impl Cost {
    /// `in_account`: `--account` sends the steps without a tenant to another account, where
    /// they are proven as a tenant's are.
    pub fn of(plan: &Plan, budget: RateLimit, concurrency: usize, in_account: bool) -> Cost {
        let mut writes = 0;
        let mut reads = 0;
        if plan
            .tenant
            .as_ref()
            .is_some_and(|t| matches!(t.action, Action::Create | Action::Update))
        {
            writes += 1;
        }
        let mut collections = BTreeSet::new();
        let mut looked_up = 0;
        for p in &plan.steps {
            writes += planned_writes(p);
            // A `request` step that reads.
            reads += usize::from(writes_of(p.action) > planned_writes(p));
            if p.action == Action::Delete {
                collections.insert((p.ty, p.scope, None));
            }
            // A lookup at apply lists the collection once; under a parent created by this run
            // the collection is known empty and costs nothing.
            let parent = p.ty.spec().parent().and_then(|f| p.body.get(f));
            if p.lookup_at_apply && parent.and_then(|v| v.as_str()) != Some(UNKNOWN) {
                collections.insert((p.ty, p.scope, parent.map(ToString::to_string)));
                // What it finds may need no write (a built-in as the playbook wants it).
                looked_up += planned_writes(p);
            }
        }
        reads += collections.len();
        let proofs = proofs(plan, budget.writes_per_proof(concurrency), in_account);
        Cost {
            writes_looked_up: looked_up,
            ..Cost::new(writes, reads, proofs, budget)
        }
    }

    fn new(writes: usize, reads: usize, proofs: usize, budget: RateLimit) -> Cost {
        let calls = writes + reads + proofs;
        Cost {
            writes,
            reads,
            proofs,
            writes_looked_up: 0,
            calls,
            least_seconds: budget.least_time(calls).as_secs_f64(),
            rate_limit: budget.per_minute,
            burst: budget.burst,
        }
    }

    /// The cost of several plans run together under one budget.
    pub fn total(costs: &[Cost], budget: RateLimit) -> Cost {
        let writes = costs.iter().map(|c| c.writes).sum();
        let reads = costs.iter().map(|c| c.reads).sum();
        let proofs = costs.iter().map(|c| c.proofs).sum();
        Cost {
            writes_looked_up: costs.iter().map(|c| c.writes_looked_up).sum(),
            ..Cost::new(writes, reads, proofs, budget)
        }
    }

    pub fn budget(&self) -> RateLimit {
        RateLimit {
            per_minute: self.rate_limit,
            burst: self.burst,
        }
    }
}

/// The calls an action writes with (a replacement deletes, then creates).
fn writes_of(action: Action) -> usize {
    match action {
        Action::Create | Action::Update | Action::Delete => 1,
        Action::Replace => 2,
        _ => 0,
    }
}

/// The writes apply makes for one planned instance (a `request` step that reads makes none).
/// The scope gate expects as many of each node ([`crate::api::gate::ScopeGate::expect`]).
pub fn planned_writes(p: &PlannedStep) -> usize {
    let reads = p.ty == StepType::Request
        && p.body
            .get("method")
            .and_then(|m| m.as_str())
            .is_some_and(|m| m.eq_ignore_ascii_case("GET"));
    if reads { 0 } else { writes_of(p.action) }
}

/// The scope proofs of a plan in the accounts other than the PAT's (the tenant, `--account`),
/// as [`crate::api::gate`] makes them: in each, per wave (a level of the graph, and the first,
/// second... write of its nodes), `ceil(writes / per_wave)`; one at the end of the run if it
/// writes or reads there at apply; one before each deletion (`--prune` removes one at a time).
fn proofs(plan: &Plan, per_wave: usize, in_account: bool) -> usize {
    let mut scopes = vec![StepScope::Tenant];
    if in_account {
        scopes.push(StepScope::Account);
    }
    scopes
        .into_iter()
        .map(|scope| {
            // Per node (step): its level and its writes, made one after another.
            let mut nodes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            let (mut deletions, mut at_apply) = (0, false);
            for p in plan.steps.iter().filter(|p| p.scope == scope) {
                if p.action == Action::Delete {
                    deletions += 1;
                    continue;
                }
                let writes = planned_writes(p);
                at_apply |= writes > 0 || p.lookup_at_apply || p.action == Action::Deferred;
                nodes.entry(&p.step).or_insert((p.level, 0)).1 += writes;
            }
            waves(nodes.into_values(), per_wave) + usize::from(at_apply) + deletions
        })
        .sum()
}

/// The proofs of the waves of `nodes` (`(level, writes)` each): wave `(level, k)` holds the
/// `k`-th write of every node of that level that makes more than `k`, `per_wave` at a time.
fn waves(nodes: impl Iterator<Item = (usize, usize)>, per_wave: usize) -> usize {
    let mut waves: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (level, writes) in nodes {
        for k in 0..writes {
            *waves.entry((level, k)).or_default() += 1;
        }
    }
    waves.values().map(|n| n.div_ceil(per_wave.max(1))).sum()
}

/// `Apply: 12 API calls (9 writes, 1 read, 2 scope proofs), at least 0 s at 120 calls/min,
/// burst 1200.`: every call named, a kind with none left out. `Apply: at most ...` when some
/// writes are of objects apply looks up first (they may need none, and their proofs with them).
pub fn line(cost: &Cost) -> String {
    let budget = cost.budget();
    let t = budget.least_time(cost.calls);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let kinds: Vec<String> = [
        (cost.writes, "write"),
        (cost.reads, "read"),
        (cost.proofs, "scope proof"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}{}", plural(n)))
    .collect();
    let kinds = match kinds.is_empty() {
        true => String::new(),
        false => format!(" ({})", kinds.join(", ")),
    };
    let at_most = match cost.writes_looked_up {
        0 => "",
        _ => "at most ",
    };
    format!(
        "Apply: {at_most}{} API call{}{kinds}, at least {} at {} calls/min, burst {}.",
        cost.calls,
        plural(cost.calls),
        human(t),
        budget.per_minute,
        budget.burst
    )
}

/// `0 s`, `42 s`, `3 min 20 s`, `2 h 5 min`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64().ceil() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_within_the_burst_need_no_wait_and_the_rest_go_at_the_rate() {
        let cloud = RateLimit::default();
        assert_eq!(cloud.least_time(1200), Duration::ZERO);
        assert_eq!(cloud.least_time(1320), Duration::from_secs(60));
        // 100 customers at 11 calls each, and 1,000.
        assert_eq!(cloud.least_time(1100), Duration::ZERO);
        assert_eq!(cloud.least_time(11_000), Duration::from_secs(4900));
        assert_eq!(human(Duration::from_secs(4900)), "1 h 21 min");
        assert_eq!(human(Duration::from_secs(61)), "1 min 1 s");
    }

    #[test]
    fn a_wave_is_a_level_and_a_nodes_next_write_joins_the_next_wave() {
        // Level 2: three nodes writing once; level 3: three once, and one twice in turn.
        let nodes = [
            (2, 1),
            (2, 1),
            (2, 1),
            (3, 1),
            (3, 1),
            (3, 1),
            (3, 2),
            (4, 0),
        ];
        let proofs = |per_wave| waves(nodes.into_iter(), per_wave);
        // Waves (2, 0): 3 writes; (3, 0): 4; (3, 1): 1.
        assert_eq!(proofs(8), 3);
        assert_eq!(proofs(4), 3);
        assert_eq!(proofs(3), 1 + 2 + 1);
        assert_eq!(proofs(2), 2 + 2 + 1);
        assert_eq!(proofs(1), 8, "one write per proof: one proof per write");
    }
}
