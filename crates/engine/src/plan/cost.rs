//! What a plan costs: the API calls apply will make, and the least time they take.
//!
//! NetBird Cloud gives one PAT a token bucket of 120 calls a minute with a burst of 1200, for
//! reads and writes alike and for every tenant together, so calls are time. A live plan counts
//! the calls apply will make from its own actions (the plan's reads are already spent); the
//! least time of a set of plans is what the calls beyond the burst need at the rate.
//!
//! Scope proofs are estimated: the writes in a tenant are sent right after a proof, which the
//! writes of the instances at work together share ([`crate::api::gate`]), as many as may be sent
//! at once (`--concurrency`, and one less than the client's burst:
//! `RateLimit::writes_per_proof`). The estimate is, per level of the
//! graph that writes in the tenant, one proof per such wave (a `for_each`'s instances run one
//! after another: one each), one at the end of the run, and one before each deletion of
//! `--prune`. A wave may span levels, so a run often needs fewer; a retried write proves
//! again, so a run with retries may need more.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use onboard_netbird::RateLimit;

use crate::plan::{Action, Cost, Plan};
use crate::playbook::model::StepScope;
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
        for p in &plan.steps {
            writes += writes_of(p.action);
            if p.action == Action::Delete {
                collections.insert((p.ty, p.scope, None));
            }
            // A lookup at apply lists the collection once; under a parent created by this run
            // the collection is known empty and costs nothing.
            let parent = p.ty.spec().parent().and_then(|f| p.body.get(f));
            if p.lookup_at_apply && parent.and_then(|v| v.as_str()) != Some(UNKNOWN) {
                collections.insert((p.ty, p.scope, parent.map(ToString::to_string)));
            }
        }
        reads += collections.len();
        let proofs = proofs(plan, budget.writes_per_proof(concurrency), in_account);
        Cost::new(writes, reads, proofs, budget)
    }

    fn new(writes: usize, reads: usize, proofs: usize, budget: RateLimit) -> Cost {
        let calls = writes + reads + proofs;
        Cost {
            writes,
            reads,
            proofs,
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
        Cost::new(writes, reads, proofs, budget)
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

/// The scope proofs of a plan in another account than the PAT's (a tenant, `--account`): per
/// level of the graph whose instances write or read there, one per wave of writes sent
/// together (`per_wave` at a time; a `for_each`'s instances run in turn), one at the end of
/// the run, and one before each deletion (`--prune` removes one at a time).
fn proofs(plan: &Plan, per_wave: usize, in_account: bool) -> usize {
    let elsewhere =
        |scope| scope == StepScope::Tenant || (scope == StepScope::Account && in_account);
    let mut levels: BTreeMap<usize, BTreeMap<&str, usize>> = BTreeMap::new();
    let mut deletions = 0;
    for p in plan.steps.iter().filter(|p| elsewhere(p.scope)) {
        if p.action == Action::Delete {
            deletions += 1;
        } else if writes_of(p.action) > 0 || p.lookup_at_apply {
            *levels
                .entry(p.level)
                .or_default()
                .entry(&p.step)
                .or_default() += 1;
        }
    }
    let waves: usize = levels
        .values()
        .map(|steps| {
            let longest = steps.values().copied().max().unwrap_or(0);
            let all: usize = steps.values().sum();
            longest.max(all.div_ceil(per_wave.max(1)))
        })
        .sum();
    waves + usize::from(waves > 0) + deletions
}

/// `Apply: 12 API calls (9 writes, 3 scope proofs), at least 0 s at 120 calls/min, burst 1200.`
pub fn line(cost: &Cost) -> String {
    let budget = cost.budget();
    let t = budget.least_time(cost.calls);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let proofs = match cost.proofs {
        0 => String::new(),
        n => format!(", {n} scope proof{}", plural(n)),
    };
    format!(
        "Apply: {} API call{} ({} write{}{proofs}), at least {} at {} calls/min, burst {}.",
        cost.calls,
        plural(cost.calls),
        cost.writes,
        plural(cost.writes),
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
}
