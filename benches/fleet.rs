//! Fleet plan benchmark: `onboard plan --inventory` of many customers (docs/benchmarks.md,
//! "Fleet plan"). The release binary against an in-process MSP sandbox without a rate limit;
//! plain `std::time`, no framework.
//!
//! An inventory of N customers of `playbooks/msp-customer.yaml` (no admins) is applied, then
//! the policy's ports change in the playbook (one rule, every customer) and the fleet's plan
//! is made in Markdown, text and JSON. Each plan is timed from spawn to exit; its peak RSS is
//! the child's `VmHWM` (`/proc/PID/status`), sampled every 2 ms while it runs (a lower bound
//! within the last 2 ms); its calls are counted in the sandbox's log.
//!
//! `ONBOARD_BENCH_CUSTOMERS=N` (default 1000). `cargo bench --bench fleet`.

#[allow(dead_code)] // each bench uses some of the generators
#[path = "../tests/it/support/generate.rs"]
mod generate;

use onboard_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PAT: &str = "nbp_BenchmarkPat0000000000000000000000";

fn onboard(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onboard"));
    cmd.args(args)
        .arg("--state-dir")
        .arg(state)
        .env("NB_MANAGEMENT_URL", sb.url())
        .env("NB_PAT", PAT)
        .env_remove("RUST_LOG")
        .env_remove("ONBOARD_STATE_URL");
    cmd
}

/// The child's peak resident set so far, in KiB.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Run {
    wall: Duration,
    peak_kib: u64,
    stdout: String,
    code: Option<i32>,
}

/// Run `cmd` to its end, sampling its peak RSS; stdout goes through a file, not a pipe.
fn measured(mut cmd: Command, dir: &Path) -> Run {
    let out_path = dir.join("stdout");
    let out = std::fs::File::create(&out_path).expect("a stdout file");
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::from(out))
        .stderr(Stdio::null())
        .spawn()
        .expect("onboard runs");
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = vm_hwm(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    Run {
        wall: started.elapsed(),
        peak_kib: peak,
        stdout: std::fs::read_to_string(&out_path).expect("stdout"),
        code: status.code(),
    }
}

fn main() {
    let n: usize = std::env::var("ONBOARD_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let sb = rt
        .block_on(Sandbox::start(SandboxConfig {
            token: Some(PAT.into()),
            standalone: false,
            rate_limit: None,
            ..SandboxConfig::default()
        }))
        .expect("the sandbox starts");
    println!(
        "fleet plan benchmark: {} against an in-process sandbox, {} cores, {n} customers",
        env!("CARGO_BIN_EXE_onboard"),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let text = std::fs::read_to_string("playbooks/msp-customer.yaml").expect("the example");
    let playbook = generate::write(dir.path(), "msp-customer", &text);
    let playbook = std::fs::canonicalize(playbook).expect("absolute");
    let inv = generate::write(dir.path(), "customers", &generate::inventory(&playbook, n));
    let inv = inv.to_str().expect("a UTF-8 path");
    let state = dir.path().join("state");

    let started = Instant::now();
    let mut apply = onboard(&sb, &state, &["apply", "--inventory", inv]);
    apply.args([
        "--yes",
        "--discard-secrets",
        "--quiet",
        "--concurrency",
        "16",
        // The client's own budget would pace 10,000 calls at Cloud's 120/min (73 minutes):
        // the sandbox has no limit here, so neither has the client.
        "--rate-limit",
        "1000000",
        "--burst",
        "1000000",
    ]);
    let applied = measured(apply, dir.path());
    assert_eq!(applied.code, Some(0), "the first apply succeeds");
    println!(
        "  first apply: {:.1} s, {} calls",
        started.elapsed().as_secs_f64(),
        sb.log().len()
    );
    let edited = text.replacen("ports: [\"22\"]", "ports: [\"22\", \"2222\"]", 1);
    std::fs::write(&playbook, edited).expect("the edited playbook");

    println!("  | format | wall | peak RSS | calls | output lines |");
    for format in ["markdown", "text", "json"] {
        let before = sb.log().len();
        let plan = onboard(
            &sb,
            &state,
            &[
                "plan",
                "--inventory",
                inv,
                "--format",
                format,
                "--rate-limit",
                "1000000",
                "--burst",
                "1000000",
            ],
        );
        let run = measured(plan, dir.path());
        assert_eq!(run.code, Some(0), "plan --format {format} succeeds");
        let calls = sb.log().len() - before;
        println!(
            "  | {format} | {:.2} s | {:.1} MiB | {calls} ({:.2} a customer) | {} |",
            run.wall.as_secs_f64(),
            run.peak_kib as f64 / 1024.0,
            calls as f64 / n as f64,
            run.stdout.lines().count()
        );
        if format == "markdown" {
            let head: Vec<&str> = run.stdout.lines().take(6).collect();
            println!("    {}", head.join("\n    "));
        }
    }
    rt.block_on(sb.shutdown());
}
