//! Apply benchmark: the release binary against an in-process sandbox (docs/benchmarks.md,
//! "Apply"). Plain `std::time`, no framework; `cargo bench --bench apply` builds
//! `target/release/onboard` first (the bench's `CARGO_BIN_EXE_onboard`).
//!
//! (a) Concurrency: the sandbox answers every request after 50 ms and has no rate limit; a
//!     wide playbook of 200 independent groups is applied with `--concurrency 16` and with
//!     `--concurrency 1` (each into a fresh sandbox). Target: a speed-up of at least 10×.
//! (b) Rate limit: the sandbox limits the PAT to 600 requests a minute with a burst of 10; a
//!     120-step playbook (60 groups, 60 policies) is applied with `--rate-limit 600 --burst 10`.
//!     No schedule can beat (requests - burst) / rate, with the requests counted in the
//!     sandbox's log. Target: within 10 % of that bound.
//!
//! (c) Customers: an inventory of 100 customers of `playbooks/msp-customer.yaml` (two admins
//!     each) applied at `--rate-limit 6000 --burst 600` against an MSP sandbox with the same
//!     limit. The ideal floor is the run's calls (its writes, its scope proofs, its reads) at
//!     the rate beyond the burst: no schedule makes them faster. Target: within 5 % of that
//!     floor, no 429.
//!
//! `ONBOARD_BENCH_APPLY=concurrency`, `=rate` or `=customers` runs one part only.

#[allow(dead_code)] // each bench uses some of the generators
#[path = "../tests/it/support/generate.rs"]
mod generate;

use onboard_sandbox::{LogEntry, RateLimit, Sandbox, SandboxConfig, SandboxHandle};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PAT: &str = "nbp_BenchmarkPat0000000000000000000000";

struct Measured {
    wall: Duration,
    log: Vec<LogEntry>,
    /// From the first request to the first write: the live plan's reads.
    plan: Duration,
}

fn start(rt: &tokio::runtime::Runtime, cfg: SandboxConfig) -> SandboxHandle {
    let cfg = SandboxConfig {
        token: Some(PAT.into()),
        standalone: true,
        ..cfg
    };
    rt.block_on(Sandbox::start(cfg))
        .expect("the sandbox starts")
}

/// An MSP sandbox (tenants allowed).
fn start_msp(rt: &tokio::runtime::Runtime, cfg: SandboxConfig) -> SandboxHandle {
    let cfg = SandboxConfig {
        token: Some(PAT.into()),
        standalone: false,
        ..cfg
    };
    rt.block_on(Sandbox::start(cfg))
        .expect("the sandbox starts")
}

/// One `onboard apply`, timed from spawn to exit.
fn apply(sb: &SandboxHandle, playbook: &Path, flags: &[&str]) -> Measured {
    apply_args(sb, &[playbook.to_str().expect("a UTF-8 path")], flags)
}

fn apply_args(sb: &SandboxHandle, args: &[&str], flags: &[&str]) -> Measured {
    let state = tempfile::tempdir().expect("a state dir");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_onboard"))
        .arg("apply")
        .args(args)
        .args(flags)
        .args(["--yes", "--discard-secrets", "--quiet", "--state-dir"])
        .arg(state.path())
        .env("NB_MANAGEMENT_URL", sb.url())
        .env("NB_PAT", PAT)
        .env_remove("RUST_LOG")
        .output()
        .expect("onboard runs");
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "apply failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = sb.log();
    let first = log.first().map_or(0, |e| e.started_ms);
    let first_write = log
        .iter()
        .find(|e| e.method != "GET")
        .map_or(first, |e| e.started_ms);
    Measured {
        wall,
        plan: Duration::from_millis(first_write - first),
        log,
    }
}

fn summary(log: &[LogEntry]) -> String {
    let gets = log.iter().filter(|e| e.method == "GET").count();
    let limited = log.iter().filter(|e| e.status == 429).count();
    format!(
        "{} requests ({gets} GET, {} writes, {limited} answered 429)",
        log.len(),
        log.len() - gets
    )
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn concurrency(rt: &tokio::runtime::Runtime, dir: &Path) {
    let groups = 200;
    let pb = generate::write(
        dir,
        "wide",
        &generate::groups_and_policies("wide", groups, 0),
    );
    println!(
        "(a) {groups} independent groups, sandbox latency 50 ms, no rate limit (client budget \
         --rate-limit/--burst 1000000, so only --concurrency bounds the calls)"
    );
    let mut times = Vec::new();
    for c in ["16", "1"] {
        let sb = start(
            rt,
            SandboxConfig {
                rate_limit: None,
                latency_ms: 50,
                ..SandboxConfig::default()
            },
        );
        let flags = [
            "--concurrency",
            c,
            "--rate-limit",
            "1000000",
            "--burst",
            "1000000",
        ];
        let m = apply(&sb, &pb, &flags);
        let world = sb.world();
        let made = world["accounts"][sb.msp_account_id()]["groups"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(made, groups + 1, "every group (and All) exists");
        println!(
            "    --concurrency {c:>2}: {} (live plan {}, execute {}); {}",
            secs(m.wall),
            secs(m.plan),
            secs(m.wall.saturating_sub(m.plan)),
            summary(&m.log)
        );
        times.push(m.wall);
        rt.block_on(sb.shutdown());
    }
    let speedup = times[1].as_secs_f64() / times[0].as_secs_f64();
    println!(
        "    speed-up {speedup:.1}× (target ≥ 10×): {}",
        if speedup >= 10.0 { "met" } else { "MISSED" }
    );
}

fn rate(rt: &tokio::runtime::Runtime, dir: &Path) {
    let (per_minute, burst) = (600u32, 10u32);
    let pb = generate::write(
        dir,
        "limited",
        &generate::groups_and_policies("limited", 60, 60),
    );
    println!(
        "(b) 120 steps (60 groups, 60 policies), sandbox limit {per_minute}/min burst {burst}, \
         --rate-limit {per_minute} --burst {burst}"
    );
    let sb = start(
        rt,
        SandboxConfig {
            rate_limit: Some(RateLimit { per_minute, burst }),
            ..SandboxConfig::default()
        },
    );
    let m = apply(
        &sb,
        &pb,
        &["--rate-limit", "600", "--burst", "10", "--concurrency", "8"],
    );
    let requests = m.log.len() as f64;
    let bound = (requests - f64::from(burst)) / (f64::from(per_minute) / 60.0);
    let wall = m.wall.as_secs_f64();
    let over = (wall / bound - 1.0) * 100.0;
    println!(
        "    {} (live plan {}); {}",
        secs(m.wall),
        secs(m.plan),
        summary(&m.log)
    );
    println!(
        "    bound (requests - burst) / rate = ({requests} - {burst}) / {} per s = {bound:.2} s; \
         run is {over:+.1} % off the bound (target within 10 %): {}",
        per_minute / 60,
        if over.abs() <= 10.0 { "met" } else { "MISSED" }
    );
    rt.block_on(sb.shutdown());
}

fn customers(rt: &tokio::runtime::Runtime, dir: &Path) {
    let (count, per_minute, burst) = (100usize, 6000u32, 600u32);
    let playbook = std::fs::canonicalize("playbooks/msp-customer.yaml").expect("the playbook");
    let mut inventory = format!("playbook: {}\ncustomers:\n", playbook.display());
    for i in 0..count {
        inventory.push_str(&format!(
            "  c{i:03}:\n    customer: Customer {i}\n    domain: c{i:03}.example\n    \
             admins: [ops@c{i:03}.example, it@c{i:03}.example]\n"
        ));
    }
    let inv = dir.join("customers.yaml");
    std::fs::write(&inv, inventory).expect("the inventory");
    println!(
        "(c) {count} customers of msp-customer.yaml (2 admins each), sandbox limit \
         {per_minute}/min burst {burst}, --rate-limit {per_minute} --burst {burst}"
    );
    let sb = start_msp(
        rt,
        SandboxConfig {
            rate_limit: Some(RateLimit { per_minute, burst }),
            ..SandboxConfig::default()
        },
    );
    let m = apply_args(
        &sb,
        &[
            playbook.to_str().expect("a UTF-8 path"),
            "--inventory",
            inv.to_str().expect("a UTF-8 path"),
        ],
        &["--rate-limit", "6000", "--burst", "600"],
    );
    let writes = m.log.iter().filter(|e| e.method != "GET").count();
    let proofs = m.log.iter().filter(|e| e.path == "/api/accounts").count();
    // No schedule makes these calls faster than the rate allows beyond the burst.
    let floor_calls = m.log.len();
    let rate = f64::from(per_minute) / 60.0;
    let floor = (floor_calls as f64 - f64::from(burst)).max(0.0) / rate;
    let wall = m.wall.as_secs_f64();
    let ratio = wall / floor;
    println!("    {}; {}", secs(m.wall), summary(&m.log));
    println!(
        "    {writes} writes, {proofs} scope proofs ({:.2} a customer), {} other reads",
        proofs as f64 / count as f64,
        floor_calls - writes - proofs
    );
    println!(
        "    ideal floor: ({floor_calls} calls - {burst}) / {rate} per s = {floor:.2} s; run is \
         {ratio:.2}× the floor (target ≤ 1.05×): {}",
        if ratio <= 1.05 { "met" } else { "MISSED" }
    );
    for customers in [100.0, 1000.0] {
        let per = m.log.len() as f64 / count as f64;
        let cloud = |calls: f64| (calls - 1200.0).max(0.0) / 2.0;
        println!(
            "    NetBird Cloud (120/min, burst 1200), {customers} customers: {:.0} calls, \
             least {:.0} s",
            per * customers,
            cloud(per * customers)
        );
    }
    rt.block_on(sb.shutdown());
}

fn main() {
    let only = std::env::var("ONBOARD_BENCH_APPLY").unwrap_or_default();
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    println!(
        "apply benchmark: {} against an in-process sandbox, {} cores",
        env!("CARGO_BIN_EXE_onboard"),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    if only.is_empty() || only == "concurrency" {
        concurrency(&rt, dir.path());
    }
    if only.is_empty() || only == "rate" {
        rate(&rt, dir.path());
    }
    if only.is_empty() || only == "customers" {
        customers(&rt, dir.path());
    }
}
