//! Calls are the budget: one PAT gets 120 calls a minute on NetBird Cloud, reads and writes
//! alike, for every tenant together. These tests count the calls of real runs in the
//! sandbox's request log:
//! - a new customer costs its writes + 3 (the tenant list, whose PAT it is, the PAT's own
//!   account, which the state records as its API's), + 1 per collection of NetBird's
//!   built-ins it references (`existing: true`, the `Default` policy, DNS settings), + its scope
//!   proofs: one per level of the graph that writes in the tenant (the writes in a tenant wait
//!   for a proof sent after they fell due, so that a tenant unlinked mid-run stops the run: a
//!   tenant NetBird no longer scopes to would put them in the MSP account; docs/security.md),
//!   and one at the end of the run. Proofs are fewer than the writes in the tenant (exactly
//!   as many as the plan states: `scope_proofs.rs`);
//! - an unchanged re-plan lists each collection it uses once, + the PAT's own account (the
//!   state's API is checked) + the scope proof;
//! - an unchanged re-apply costs no more than its re-plan: apply executes the plan and never
//!   reads again what the plan read;
//! - an inventory run reads the MSP account's collections, whose PAT it is and its account,
//!   once for all customers.

use crate::support::{apply, onboard, sandbox, stderr, stdout};
use onboard_sandbox::{LogEntry, SandboxHandle};
use std::collections::BTreeSet;
use std::path::Path;

/// `GET path` with where it ran (`msp` or `tenant`), for messages and set comparisons.
fn reads(log: &[LogEntry]) -> Vec<String> {
    log.iter()
        .filter(|e| e.method == "GET")
        .map(|e| {
            let at = if e.account.is_some() { "tenant" } else { "msp" };
            format!("GET {} ({at})", pattern(&e.path))
        })
        .collect()
}

/// A path with ids replaced by `{id}`.
fn pattern(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.len() == 20 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn writes(log: &[LogEntry]) -> usize {
    log.iter().filter(|e| e.method != "GET").count()
}

/// The log since `from`.
fn since(sb: &SandboxHandle, from: usize) -> Vec<LogEntry> {
    sb.log().into_iter().skip(from).collect()
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

/// A scope proof: the account read with `?account=`.
const PROOF: &str = "GET /api/accounts (tenant)";

/// The writes that carry `?account=`.
fn tenant_writes(log: &[LogEntry]) -> usize {
    log.iter()
        .filter(|e| e.method != "GET" && e.account.is_some())
        .count()
}

/// Apply a new customer; its reads other than scope proofs must be exactly `expected` (each
/// once), and its proofs more than one (during and at the end of the run) but fewer than its
/// writes in the tenant (the writes of one level share one).
fn new_customer_reads(
    args: &[&str],
    expected: &[&str],
) -> (tokio::runtime::Runtime, SandboxHandle, tempfile::TempDir) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), args);
    let log = sb.log();
    let mut got = reads(&log);
    got.sort();
    let proofs = got.iter().filter(|r| *r == PROOF).count();
    got.retain(|r| r != PROOF);
    assert_eq!(
        got,
        sorted(expected),
        "the reads of a new customer (writes: {})",
        writes(&log)
    );
    let in_tenant = tenant_writes(&log);
    assert!(
        proofs >= 2 && proofs < in_tenant,
        "{proofs} scope proofs for {in_tenant} writes in the tenant"
    );
    assert_eq!(log.len(), writes(&log) + expected.len() + proofs);
    (rt, sb, dir)
}

/// `plan --detailed-exitcode` reports no change; returns its log.
fn unchanged_replan(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Vec<LogEntry> {
    let before = sb.log().len();
    let mut cmd = onboard(sb, state, &["plan", "--detailed-exitcode"]);
    let out = cmd.args(args).output().expect("onboard runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a re-plan found changes:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    since(sb, before)
}

/// Each collection read at most once; the count is the types used + the scope proof.
fn assert_one_list_per_type(log: &[LogEntry], types: usize) {
    let got = reads(log);
    let distinct: BTreeSet<&String> = got.iter().collect();
    assert_eq!(
        distinct.len(),
        got.len(),
        "a collection read twice: {got:?}"
    );
    assert!(
        got.len() <= types + 1,
        "{} reads for {types} types: {got:?}",
        got.len()
    );
    assert_eq!(writes(log), 0, "a plan wrote");
}

const MSP_CUSTOMER: &[&str] = &[
    "playbooks/msp-customer.yaml",
    "--set",
    "customer=Acme Corp",
    "--set",
    "domain=acme.example",
    "--set",
    "admins=[\"ops@acme.example\", \"it@acme.example\"]",
];

const ZERO_TRUST: &[&str] = &[
    "playbooks/zero-trust-office.yaml",
    "--set",
    "customer=Zeta Clinic",
    "--set",
    "domain=zeta.example",
];

#[test]
fn a_new_msp_customer_costs_its_writes_its_proofs_and_one_builtin_list() {
    let (_rt, sb, _dir) = new_customer_reads(
        MSP_CUSTOMER,
        &[
            "GET /api/integrations/msp/tenants (msp)",
            // Whose PAT: a service user's is refused before a tenant is created.
            "GET /api/users/current (msp)",
            // Its account: the state records the API its ids belong to (docs/state.md).
            "GET /api/accounts (msp)",
            // `msp_admins`: an existing group of the MSP account.
            "GET /api/groups (msp)",
        ],
    );
    // The tenant, 2 groups, a setup key, a network and its resource, a policy, 2 users.
    assert_eq!(writes(&sb.log()), 9);
}

#[test]
fn a_new_zero_trust_office_reads_only_the_builtins_it_references() {
    new_customer_reads(
        ZERO_TRUST,
        &[
            "GET /api/integrations/msp/tenants (msp)",
            "GET /api/users/current (msp)",
            "GET /api/accounts (msp)",
            // The account settings the playbook changes come with the first scope proof.
            "GET /api/groups (msp)",
            // `all` (existing: true), the `Default` policy it disables, its DNS settings.
            "GET /api/groups (tenant)",
            "GET /api/policies (tenant)",
            "GET /api/dns/settings (tenant)",
        ],
    );
}

#[test]
fn an_unchanged_replan_and_reapply_list_each_type_once() {
    for (args, types) in [
        // tenants, the MSP account (the state's API), MSP groups, groups, setup keys,
        // networks, resources, policies, users.
        (MSP_CUSTOMER, 9),
        // tenants, the MSP account, MSP groups, groups, posture checks, networks, resources,
        // routers, policies, nameservers, DNS settings, setup keys (account settings come
        // with the proof).
        (ZERO_TRUST, 12),
        // groups, setup keys, policies: the PAT's own account, nothing to prove.
        (&["playbooks/quickstart.yaml"][..], 3),
    ] {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sb = sandbox(&rt);
        let dir = tempfile::tempdir().expect("tempdir");
        apply(&sb, dir.path(), args);
        let replan = unchanged_replan(&sb, dir.path(), args);
        assert_one_list_per_type(&replan, types);
        let before = sb.log().len();
        apply(&sb, dir.path(), args);
        let reapply = since(&sb, before);
        assert_eq!(writes(&reapply), 0, "{args:?}: a re-apply wrote");
        assert!(
            reapply.len() <= replan.len(),
            "{args:?}: re-apply {:?} costs more than re-plan {:?}",
            reads(&reapply),
            reads(&replan)
        );
    }
}

#[test]
fn an_inventory_of_25_customers_reads_the_msp_account_once() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = std::fs::canonicalize("playbooks/msp-customer.yaml").expect("playbook");
    let mut inventory = format!("playbook: {}\ncustomers:\n", playbook.display());
    for i in 0..25 {
        inventory.push_str(&format!(
            "  c{i:02}:\n    customer: Customer {i}\n    domain: c{i:02}.example\n"
        ));
    }
    let path = dir.path().join("customers.yaml");
    std::fs::write(&path, inventory).expect("inventory");
    let inv = path.to_str().expect("utf-8 path");
    let playbook = playbook.to_str().expect("utf-8 path");
    apply(&sb, dir.path(), &[playbook, "--inventory", inv]);
    let log = sb.log();
    let got = reads(&log);
    let count = |what: &str| got.iter().filter(|r| *r == what).count();
    assert_eq!(count("GET /api/integrations/msp/tenants (msp)"), 1);
    assert_eq!(count("GET /api/groups (msp)"), 1);
    assert_eq!(count("GET /api/users/current (msp)"), 1);
    assert_eq!(count("GET /api/accounts (msp)"), 1);
    // Per customer: its scope proofs (one for its 3 writes on level 2, one for its 3 on level
    // 3, and one at the end), nothing else read.
    let proofs = count(PROOF);
    assert_eq!(proofs, 25 * 3, "scope proofs");
    assert_eq!(got.len(), 4 + proofs, "{got:?}");
    // The tenant, 2 groups, a setup key, a network and its resource, a policy (no admins).
    assert_eq!(writes(&log), 25 * 7);
    assert_eq!(tenant_writes(&log), 25 * 6);
}

#[test]
fn one_at_a_time_the_plan_states_the_scope_proofs_apply_makes() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = MSP_CUSTOMER.to_vec();
    args.extend(["--concurrency", "1"]);
    let mut plan = onboard(&sb, dir.path(), &["plan", "--format", "json"]);
    let out = plan.args(&args).output().expect("plan runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let plans: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON plan");
    let stated = plans[0]["cost"]["proofs"]
        .as_u64()
        .expect("the plan states its proofs");
    let before = sb.log().len();
    apply(&sb, dir.path(), &args);
    let made = since(&sb, before)
        .iter()
        .filter(|e| e.method == "GET" && e.path == "/api/accounts" && e.account.is_some())
        .count();
    // One at a time (one write per proof), every write in the tenant has its own proof: 2
    // groups, a setup key, a network and its resource, a policy, 2 users; and the proof at
    // the end.
    assert_eq!(made, 9);
    assert_eq!(stated, 9);
}
