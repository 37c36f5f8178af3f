//! Planner benchmark: how `load` + `inputs::resolve` + `plan::offline` scale with the number
//! of steps.
//!
//! The generated playbook has N steps: N/2 groups (`g0`, `g1`, ...; names templated from an
//! input) and N/2 policies, policy `pK` with one rule from `{{ steps.gK.id }}` to
//! `{{ steps.g<K+1>.id }}`, so the graph has N edges and every policy renders two references.
//! Each size runs in a fresh child process of this binary (re-executed with
//! `ONBOARD_BENCH_CHILD=N`), so the peak RSS it reports (`VmHWM` from `/proc/self/status`) is
//! that size's alone. Each size runs `ONBOARD_BENCH_RUNS` times (default 3); the table shows
//! the best wall-clock time (with its phases) and the best CPU time of this thread, which
//! other processes on a busy machine do not inflate.
//!
//! `cargo bench -p onboard-engine --bench plan`. `ONBOARD_BENCH_SIZES=1000,5000` changes the
//! sizes (default 10000,20000). Targets (docs/benchmarks.md): 10k steps well under 1 s and
//! under 200 MB peak RSS; 20k steps at most 2.5 × the 10k time.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use onboard_engine::diag::source::SourceFile;
use onboard_engine::plan;
use onboard_engine::playbook::inputs::{self, Source};

const CHILD: &str = "ONBOARD_BENCH_CHILD";

/// The benchmark playbook with `n` steps.
fn playbook(n: usize) -> String {
    let groups = (n / 2).max(1);
    let mut out = String::from(
        "version: 1\nname: bench\ninputs:\n  prefix: { type: string, default: bench }\nsteps:\n",
    );
    for k in 0..groups {
        let _ = write!(
            out,
            "  - id: g{k}\n    type: group\n    with: {{ name: \"{{{{ inputs.prefix }}}}-group-{k}\" }}\n"
        );
    }
    for k in 0..n - groups {
        let (a, b) = (k % groups, (k + 1) % groups);
        let _ = write!(
            out,
            "  - id: p{k}\n    type: policy\n    with:\n      name: policy-{k}\n      rules:\n        \
             - sources: [\"{{{{ steps.g{a}.id }}}}\"]\n          \
             destinations: [\"{{{{ steps.g{b}.id }}}}\"]\n"
        );
    }
    out
}

/// Per-phase times of one run, on the wall clock and on the CPU (this thread's time on a CPU,
/// which other processes on a busy machine do not inflate).
#[derive(Clone, Copy)]
struct Times {
    load: Duration,
    resolve: Duration,
    plan: Duration,
    cpu: Duration,
}

impl Times {
    fn total(self) -> Duration {
        self.load + self.resolve + self.plan
    }
}

/// Time this thread has spent on a CPU (`/proc/thread-self/schedstat`, nanoseconds).
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn run_once(text: &str) -> Times {
    let file = SourceFile::new("bench.yaml", text);
    let c0 = cpu_time();
    let t0 = Instant::now();
    let loaded = onboard_engine::playbook::load(&file).unwrap_or_else(|d| panic!("load: {d}"));
    let t1 = Instant::now();
    let inputs = inputs::resolve(&loaded.playbook, &[Source::set("prefix=acme")])
        .unwrap_or_else(|d| panic!("resolve: {d}"));
    let t2 = Instant::now();
    let plan = plan::offline(&loaded.playbook, &loaded.dag, &inputs, None)
        .unwrap_or_else(|d| panic!("plan: {d}"));
    let t3 = Instant::now();
    let cpu = cpu_time() - c0;
    assert_eq!(plan.steps.len(), loaded.playbook.steps.len());
    std::hint::black_box(&plan);
    Times {
        load: t1 - t0,
        resolve: t2 - t1,
        plan: t3 - t2,
        cpu,
    }
}

/// Peak resident set size of this process, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Child: time one size, print `n total_s cpu_s load_s resolve_s plan_s peak_kib`.
fn child(n: usize) {
    let text = playbook(n);
    let runs: usize = env_or("ONBOARD_BENCH_RUNS", 3);
    let all: Vec<Times> = (0..runs.max(1)).map(|_| run_once(&text)).collect();
    let best = all
        .iter()
        .copied()
        .min_by_key(|t| t.total())
        .unwrap_or_else(|| unreachable!("at least one run"));
    let best_cpu = all.iter().map(|t| t.cpu).min().unwrap_or_default();
    println!(
        "{n} {} {} {} {} {} {}",
        best.total().as_secs_f64(),
        best_cpu.as_secs_f64(),
        best.load.as_secs_f64(),
        best.resolve.as_secs_f64(),
        best.plan.as_secs_f64(),
        peak_rss_kib()
    );
}

struct Row {
    n: usize,
    total: f64,
    cpu: f64,
    load: f64,
    resolve: f64,
    plan: f64,
    peak_mib: f64,
}

fn measure(n: usize) -> Row {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current exe: {e}"));
    let out = Command::new(exe)
        .env(CHILD, n.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot re-run the benchmark: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "size {n} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Vec<f64> = stdout
        .split_whitespace()
        .map(|w| w.parse().unwrap_or(f64::NAN))
        .collect();
    assert_eq!(f.len(), 7, "unexpected child output: {stdout}");
    Row {
        n,
        total: f[1],
        cpu: f[2],
        load: f[3],
        resolve: f[4],
        plan: f[5],
        peak_mib: f[6] / 1024.0,
    }
}

fn main() {
    if let Some(n) = std::env::var(CHILD).ok().and_then(|v| v.parse().ok()) {
        return child(n);
    }
    let sizes: Vec<usize> = std::env::var("ONBOARD_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,20000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "planner: load + inputs::resolve + plan::offline, best of {} runs, one process per size",
        env_or("ONBOARD_BENCH_RUNS", 3usize)
    );
    println!(
        "{:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "steps", "wall", "CPU", "load", "resolve", "plan", "peak RSS"
    );
    let rows: Vec<Row> = sizes.iter().map(|&n| measure(n)).collect();
    for r in &rows {
        println!(
            "{:>7} {:>7.0}ms {:>7.0}ms {:>7.0}ms {:>7.1}ms {:>7.0}ms {:>7.1} MiB",
            r.n,
            r.total * 1e3,
            r.cpu * 1e3,
            r.load * 1e3,
            r.resolve * 1e3,
            r.plan * 1e3,
            r.peak_mib
        );
    }
    for pair in rows.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        println!(
            "{} → {} steps: wall × {:.2}, CPU × {:.2} (linear would be × {:.2})",
            a.n,
            b.n,
            b.total / a.total,
            b.cpu / a.cpu,
            b.n as f64 / a.n as f64
        );
    }
    if let (Some(a), Some(b)) = (
        rows.iter().find(|r| r.n == 10_000),
        rows.iter().find(|r| r.n == 20_000),
    ) {
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!(
            "targets (CPU time): 10k < 1 s: {}; 10k < 200 MB: {}; 20k ≤ 2.5 × 10k: {}",
            verdict(a.cpu < 1.0),
            verdict(a.peak_mib * 1.048_576 < 200.0),
            verdict(b.cpu <= 2.5 * a.cpu)
        );
    }
}
