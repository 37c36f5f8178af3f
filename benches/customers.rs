//! New-customers benchmark: `onboard apply --inventory` of N new customers of
//! `playbooks/msp-customer.yaml` (two admins each) against an in-process MSP sandbox on
//! loopback (docs/benchmarks.md, "New customers"). Plain `std::time`, no framework.
//!
//! The fleet's plan is made first (`plan --inventory --format json`, its calls counted apart):
//! it states each customer's calls. Then the apply is timed from spawn to exit, and its calls
//! are counted in the sandbox's log and split per customer as writes + scope proofs (`GET
//! /api/accounts` with `?account=`) + shared reads (the MSP account's, made once for the
//! fleet) + other reads. The floor of those calls at a rate is what the calls beyond the burst
//! need: no schedule is faster; the run's ratio to it says what onboard adds.
//!
//! - Default: the sandbox has no rate limit and the client's budget is lifted
//!   (`--rate-limit 1000000 --burst 1000000`, as `benches/fleet.rs`): the run measures
//!   onboard's own time; the floor is computed at NetBird Cloud's budget (120 calls a minute,
//!   burst 1200) from the counted calls.
//! - `ONBOARD_BENCH_RATE=cloud`: the sandbox enforces NetBird Cloud's budget and the client
//!   keeps its default (the same): the measured time is compared with that floor.
//!
//! `ONBOARD_BENCH_CUSTOMERS=N` (default 100), `ONBOARD_BENCH_CONCURRENCY=C` (default 8),
//! `ONBOARD_BENCH_BIN=PATH` (another build of `onboard`, to compare).
//! `cargo bench --bench customers`.

use onboard_sandbox::{LogEntry, RateLimit, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PAT: &str = "nbp_BenchmarkPat0000000000000000000000";

/// NetBird Cloud's budget per PAT.
const CLOUD: RateLimit = RateLimit {
    per_minute: 120,
    burst: 1200,
};

/// The binary measured: this build's, or `ONBOARD_BENCH_BIN` (another build, to compare).
fn binary() -> String {
    std::env::var("ONBOARD_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_onboard").to_owned())
}

fn onboard(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .arg("--state-dir")
        .arg(state)
        .env("NB_MANAGEMENT_URL", sb.url())
        .env("NB_PAT", PAT)
        .env_remove("RUST_LOG")
        .env_remove("ONBOARD_STATE_URL");
    cmd
}

/// The least time of `calls` at `rate` with its bucket full: the calls beyond the burst.
fn floor(calls: usize, rate: RateLimit) -> f64 {
    (calls as f64 - f64::from(rate.burst)).max(0.0) * 60.0 / f64::from(rate.per_minute)
}

fn is_proof(e: &LogEntry) -> bool {
    e.method == "GET" && e.path == "/api/accounts" && e.account.is_some()
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n = env_or("ONBOARD_BENCH_CUSTOMERS", 100);
    let concurrency = env_or("ONBOARD_BENCH_CONCURRENCY", 8).to_string();
    let at_cloud = std::env::var("ONBOARD_BENCH_RATE").is_ok_and(|v| v == "cloud");
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let sb = rt
        .block_on(Sandbox::start(SandboxConfig {
            token: Some(PAT.into()),
            standalone: false,
            rate_limit: at_cloud.then_some(CLOUD),
            ..SandboxConfig::default()
        }))
        .expect("the sandbox starts");
    println!(
        "new-customers benchmark: {} against an in-process sandbox, {} cores, {n} customers \
         of msp-customer.yaml (2 admins each), --concurrency {concurrency}, {}",
        binary(),
        std::thread::available_parallelism().map_or(0, usize::from),
        match at_cloud {
            true => "sandbox and client at NetBird Cloud's 120/min, burst 1200",
            false => "no rate limit (client budget lifted)",
        }
    );
    let playbook = std::fs::canonicalize("playbooks/msp-customer.yaml").expect("the playbook");
    let mut inventory = format!("playbook: {}\ncustomers:\n", playbook.display());
    for i in 0..n {
        inventory.push_str(&format!(
            "  c{i:04}:\n    customer: Customer {i}\n    domain: c{i:04}.example\n    \
             admins: [ops@c{i:04}.example, it@c{i:04}.example]\n"
        ));
    }
    let inv = dir.path().join("customers.yaml");
    std::fs::write(&inv, inventory).expect("the inventory");
    let inv = inv.to_str().expect("a UTF-8 path");
    let state = dir.path().join("state");
    let lifted = ["--rate-limit", "1000000", "--burst", "1000000"];
    let budget: &[&str] = if at_cloud { &[] } else { &lifted };

    // The plan: what each customer is stated to cost.
    let mut plan = onboard(
        &sb,
        &state,
        &["plan", "--inventory", inv, "--format", "json"],
    );
    plan.args(["--concurrency", &concurrency]).args(budget);
    let out = plan.output().expect("plan runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("a JSON plan");
    let plans = doc["plans"].as_array().expect("plans");
    let sum = |field: &str| -> u64 {
        plans
            .iter()
            .map(|p| p["cost"][field].as_u64().unwrap_or(0))
            .sum()
    };
    let (stated_writes, stated_proofs) = (sum("writes"), sum("proofs"));
    let planned_calls = sb.log().len();

    // The apply, timed.
    let started = Instant::now();
    let mut apply = onboard(&sb, &state, &["apply", "--inventory", inv]);
    apply
        .args([
            "--yes",
            "--discard-secrets",
            "--quiet",
            "--concurrency",
            &concurrency,
        ])
        .args(budget);
    let out = apply.output().expect("apply runs");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Vec<LogEntry> = sb.log().into_iter().skip(planned_calls).collect();
    let calls = log.len();
    let writes = log.iter().filter(|e| e.method != "GET").count();
    let proofs = log.iter().filter(|e| is_proof(e)).count();
    let shared = log
        .iter()
        .filter(|e| e.method == "GET" && e.account.is_none())
        .count();
    let other = calls - writes - proofs - shared;
    let limited = log.iter().filter(|e| e.status == 429).count();
    let per = |x: usize| x as f64 / n as f64;
    println!(
        "  plan: {planned_calls} calls; states {stated_writes} writes, {stated_proofs} scope proofs"
    );
    println!(
        "  apply: {wall:.2} s, {calls} calls ({limited} answered 429) = {writes} writes + {proofs} \
         scope proofs + {shared} shared reads + {other} other reads"
    );
    println!(
        "  per customer: {:.2} calls = {:.2} writes + {:.2} scope proofs + {:.2} shared reads + \
         {:.2} other reads",
        per(calls),
        per(writes),
        per(proofs),
        per(shared),
        per(other)
    );
    assert_eq!(
        proofs as u64, stated_proofs,
        "apply makes the proofs the plan states"
    );
    // At Cloud's rate in the sandbox, the plan's calls came out of the same bucket first.
    let spent = if at_cloud { planned_calls } else { 0 };
    let cloud = floor(calls + spent, CLOUD);
    println!(
        "  floor at NetBird Cloud (120/min, burst 1200): ({calls} + {spent} - 1200) / 2 per s = \
         {cloud:.1} s; the run is {:.3}x that floor",
        wall / cloud.max(f64::MIN_POSITIVE)
    );
    // The client keeps 1 % of its burst in reserve (`RateLimit::with_headroom`), so its own
    // floor starts lower in the bucket; at Cloud's rate in the sandbox, this is the bound
    // onboard's schedule can reach.
    let headroom = RateLimit {
        burst: CLOUD.burst - (CLOUD.burst / 100).max(1),
        ..CLOUD
    };
    let client = floor(calls, headroom);
    println!(
        "  the client's own floor (burst {} kept to {}): {client:.1} s; the run is {:.3}x it",
        CLOUD.burst,
        headroom.burst,
        wall / client.max(f64::MIN_POSITIVE)
    );
    for customers in [100usize, 1000] {
        // The shared reads are made once, whatever the number of customers.
        let c = (per(calls - shared) * customers as f64).round() as usize + shared;
        println!(
            "  at Cloud's budget, {customers} customers: {c} calls, least {:.0} s",
            floor(c, CLOUD)
        );
    }
    rt.block_on(sb.shutdown());
}
