//! Sandbox throughput: a bounded loopback load generator against an in-process sandbox with
//! the rate limit off. 64 concurrent keep-alive clients send a fixed number of mixed
//! requests (a quarter each: `GET /api/groups?name=` lookups, `POST /api/groups` with unique
//! names, `GET /api/policies`, `GET /api/accounts`) and the run prints requests per second.
//!
//! `cargo bench -p onboard-sandbox --bench sandbox_throughput`; `SANDBOX_BENCH_REQUESTS`
//! changes the count (default 200000), `SANDBOX_BENCH_CONCURRENCY` the clients (default 64).
//! Diagnostics: `SANDBOX_BENCH_SERVE=host:port` (with `SANDBOX_BENCH_TOKEN`) only serves;
//! `SANDBOX_BENCH_URL` and `SANDBOX_BENCH_TOKEN` load that sandbox instead of an in-process
//! one, so server and client CPU can be measured apart. Needs only tokio, reqwest,
//! serde_json and onboard-sandbox.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use onboard_sandbox::{Sandbox, SandboxConfig, SandboxHandle};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Load {
    client: reqwest::Client,
    urls: Urls,
    auth: reqwest::header::HeaderValue,
    next: AtomicU64,
    total: u64,
    failures: AtomicU64,
}

/// The request URLs, parsed once (so the load generator measures the server, not URL parsing).
#[derive(Clone)]
struct Urls {
    lookup: reqwest::Url,
    groups: reqwest::Url,
    policies: reqwest::Url,
    accounts: reqwest::Url,
}

impl Urls {
    fn new(base: &str) -> Urls {
        let url = |path: &str| reqwest::Url::parse(&format!("{base}{path}")).expect("url");
        Urls {
            lookup: url("/api/groups?name=bench-seed"),
            groups: url("/api/groups"),
            policies: url("/api/policies"),
            accounts: url("/api/accounts"),
        }
    }
}

impl Load {
    async fn one(&self, ticket: u64) -> bool {
        let req = match ticket % 4 {
            0 => self.client.get(self.urls.lookup.clone()),
            1 => self
                .client
                .post(self.urls.groups.clone())
                .header("content-type", "application/json")
                .body(format!(r#"{{"name":"bench-{ticket}"}}"#)),
            2 => self.client.get(self.urls.policies.clone()),
            _ => self.client.get(self.urls.accounts.clone()),
        };
        match req.header("authorization", self.auth.clone()).send().await {
            Ok(resp) => resp.status().is_success() && resp.bytes().await.is_ok(),
            Err(_) => false,
        }
    }

    async fn worker(self: Arc<Self>) {
        loop {
            let ticket = self.next.fetch_add(1, Ordering::Relaxed);
            if ticket >= self.total {
                return;
            }
            if !self.one(ticket).await {
                self.failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// User + system CPU seconds of this process so far (Linux; `None` elsewhere). The machine
/// may be shared: requests per CPU-second tells what the sandbox and the client cost, apart
/// from how much of the machine they got.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

async fn run(load: &Arc<Load>, concurrency: u64) -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(load.clone().worker()))
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    start.elapsed()
}

/// The sandbox to load: in process, or (diagnostics) one at `SANDBOX_BENCH_URL`.
async fn target() -> (Option<SandboxHandle>, String, String) {
    if let Ok(url) = std::env::var("SANDBOX_BENCH_URL") {
        let token = std::env::var("SANDBOX_BENCH_TOKEN").expect("SANDBOX_BENCH_TOKEN");
        return (None, url, token);
    }
    let cfg = SandboxConfig {
        rate_limit: None,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(cfg).await.expect("sandbox starts");
    let (url, token) = (sandbox.url(), sandbox.token().to_owned());
    (Some(sandbox), url, token)
}

/// A load of `total` requests, numbered from `first`.
async fn load(base: &str, token: &str, first: u64, total: u64, concurrency: u64) -> Arc<Load> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .no_proxy()
        .retry(reqwest::retry::never())
        .build()
        .expect("client");
    let auth = reqwest::header::HeaderValue::from_str(&format!("Token {token}")).expect("header");
    let seed = client
        .post(format!("{base}/api/groups"))
        .header("authorization", auth.clone())
        .json(&serde_json::json!({"name": "bench-seed"}))
        .send()
        .await
        .expect("seed group");
    assert!(
        seed.status().is_success() || seed.status() == 409,
        "seed group"
    );
    Arc::new(Load {
        client,
        urls: Urls::new(base),
        auth,
        next: AtomicU64::new(first),
        total: first + total,
        failures: AtomicU64::new(0),
    })
}

#[tokio::main]
async fn main() {
    // Diagnostics: serve only (to measure the server's CPU apart from the load generator).
    if let Ok(listen) = std::env::var("SANDBOX_BENCH_SERVE") {
        let cfg = SandboxConfig {
            listen: listen.parse().expect("SANDBOX_BENCH_SERVE is host:port"),
            rate_limit: None,
            token: std::env::var("SANDBOX_BENCH_TOKEN").ok(),
            ..SandboxConfig::default()
        };
        onboard_sandbox::serve_until_ctrl_c(cfg)
            .await
            .expect("serves");
        return;
    }
    let total = env_u64("SANDBOX_BENCH_REQUESTS", 200_000);
    let concurrency = env_u64("SANDBOX_BENCH_CONCURRENCY", 64);
    let (sandbox, base, token) = target().await;
    run(
        &load(&base, &token, 1_000_000_000, 2_000, concurrency).await,
        concurrency,
    )
    .await;

    let load = load(&base, &token, 0, total, concurrency).await;
    let cpu_before = cpu_seconds();
    let elapsed = run(&load, concurrency).await;
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let failures = load.failures.load(Ordering::Relaxed);
    println!(
        "sandbox_throughput: {total} mixed requests, {concurrency} keep-alive clients, {:.2} s: {:.0} requests/s ({failures} failures)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    if let Some(cpu) = cpu {
        let whose = if sandbox.is_some() {
            "server and client"
        } else {
            "client only"
        };
        println!(
            "sandbox_throughput: {cpu:.2} CPU-seconds ({whose}): {:.0} requests per CPU-second",
            total as f64 / cpu
        );
    }
    println!(
        "sandbox_throughput: available parallelism {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if let Some(sandbox) = sandbox {
        assert!(
            sandbox.log().len() as u64 > total,
            "every request reached the sandbox"
        );
        sandbox.shutdown().await;
    }
    assert_eq!(failures, 0, "every request succeeds");
}
