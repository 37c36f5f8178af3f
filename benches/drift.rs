//! Drift benchmark: the release binary against an in-process MSP sandbox (docs/benchmarks.md,
//! "Drift"). Plain `std::time`, no framework; `cargo bench --bench drift` builds
//! `target/release/onboard` first.
//!
//! An inventory of N customers (default 1,000; `ONBOARD_BENCH_DRIFT_CUSTOMERS`) of
//! `playbooks/msp-customer.yaml` is applied, then `onboard drift --inventory` runs three times
//! with nothing changed: after the apply's mark, after the mark the first check recorded, and
//! with `--full` (a live plan per customer, what drift cost before the audit-log check). Calls
//! are counted in the sandbox's request log. Goal: at most 1.05 calls per customer. The time
//! at NetBird Cloud's budget (120 calls a minute, burst 1,200) is computed from the calls: no
//! schedule makes them faster than `(calls - 1200) / 2` seconds once the burst is there, or
//! `calls / 2` seconds with the burst spent.

use onboard_sandbox::{LogEntry, Sandbox, SandboxConfig, SandboxHandle};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PAT: &str = "nbp_BenchmarkPat0000000000000000000000";
const FLAGS: [&str; 6] = [
    "--rate-limit",
    "1000000",
    "--burst",
    "1000000",
    "--concurrency",
    "16",
];

fn start(rt: &tokio::runtime::Runtime) -> SandboxHandle {
    let cfg = SandboxConfig {
        token: Some(PAT.into()),
        standalone: false,
        rate_limit: None,
        ..SandboxConfig::default()
    };
    rt.block_on(Sandbox::start(cfg))
        .expect("the sandbox starts")
}

fn onboard(sb: &SandboxHandle, state: &Path, args: &[&str]) -> (std::process::Output, f64) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_onboard"))
        .args(args)
        .args(FLAGS)
        .arg("--state-dir")
        .arg(state)
        .env("NB_MANAGEMENT_URL", sb.url())
        .env("NB_PAT", PAT)
        .env_remove("RUST_LOG")
        .output()
        .expect("onboard runs");
    (out, started.elapsed().as_secs_f64())
}

fn since(log: &[LogEntry], after: usize) -> &[LogEntry] {
    &log[after.min(log.len())..]
}

fn main() {
    let count: usize = std::env::var("ONBOARD_BENCH_DRIFT_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let state = dir.path().join("state");
    println!(
        "drift benchmark: {} against an in-process sandbox, {} cores",
        env!("CARGO_BIN_EXE_onboard"),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let playbook = std::fs::canonicalize("playbooks/msp-customer.yaml").expect("the playbook");
    let mut inventory = format!("playbook: {}\ncustomers:\n", playbook.display());
    for i in 0..count {
        inventory.push_str(&format!(
            "  c{i:04}:\n    customer: Customer {i}\n    domain: c{i:04}.example\n"
        ));
    }
    let inv = dir.path().join("customers.yaml");
    std::fs::write(&inv, inventory).expect("the inventory");
    let (pb, inv) = (
        playbook.to_str().expect("UTF-8"),
        inv.to_str().expect("UTF-8"),
    );
    let sb = start(&rt);
    let (out, wall) = onboard(
        &sb,
        &state,
        &[
            "apply",
            pb,
            "--inventory",
            inv,
            "--yes",
            "--discard-secrets",
            "--quiet",
        ],
    );
    assert!(
        out.status.success(),
        "apply failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{count} customers of msp-customer.yaml applied in {wall:.1} s ({} calls)",
        sb.log().len()
    );
    for (what, extra) in [
        ("after the apply", None),
        ("after a check", None),
        ("--full", Some("--full")),
    ] {
        let before = sb.log().len();
        let mut args = vec!["drift", pb, "--inventory", inv, "--format", "json"];
        args.extend(extra);
        let (out, wall) = onboard(&sb, &state, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "drift found drift or failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let by_log = doc["customers"]
            .as_array()
            .expect("customers")
            .iter()
            .filter(|c| c["checked"] == "audit_log")
            .count();
        let log = sb.log();
        let calls = since(&log, before);
        let audit = calls
            .iter()
            .filter(|e| e.path == "/api/events/audit")
            .count();
        let writes = calls.iter().filter(|e| e.method != "GET").count();
        let n = calls.len() as f64;
        let per = n / count as f64;
        println!(
            "drift {what}: {:.2} s, {} calls ({audit} audit logs, {writes} writes), {per:.3} \
             per customer; {by_log} of {count} in sync by their log",
            wall,
            calls.len()
        );
        let goal = match (extra, per <= 1.05) {
            (Some(_), _) => "(a full plan: no goal)",
            (None, true) => "goal ≤ 1.05 calls per customer: met",
            (None, false) => "goal ≤ 1.05 calls per customer: MISSED",
        };
        println!(
            "    NetBird Cloud (120/min, burst 1200): at least {:.0} s with the burst, {:.0} s \
             with it spent; {goal}",
            (n - 1200.0).max(0.0) / 2.0,
            n / 2.0,
        );
    }
    rt.block_on(sb.shutdown());
}
