//! Two runners, one PAT: with one `--state-url` they share the PAT's rate budget through
//! PostgreSQL and together stay under the server's limit (no 429); with two local state
//! folders each spends the whole budget and the server refuses some of their requests.
//!
//! The sandbox limits the PAT like NetBird (a token bucket per PAT, across every tenant), here
//! 600 a minute with a burst of 10; both runners are told the same (`--rate-limit 600 --burst
//! 10`). Each applies an inventory of 4 new customers of msp-customer.yaml (about 50 requests a
//! runner, so the burst is spent several times over while both run).

use crate::support::pg as support_pg;
use crate::support::{self, PAT, sandbox_with, stderr, stdout, tenant_id};
use onboard_sandbox::{LogEntry, RateLimit, SandboxConfig, SandboxHandle};
use std::path::Path;
use std::process::{Child, Output, Stdio};

const CUSTOMERS: usize = 4;

fn limited_sandbox(rt: &tokio::runtime::Runtime) -> SandboxHandle {
    sandbox_with(
        rt,
        SandboxConfig {
            rate_limit: Some(RateLimit {
                per_minute: 600,
                burst: 10,
            }),
            ..SandboxConfig::default()
        },
    )
}

/// An inventory of msp-customer.yaml with customers `<prefix>0..`.
fn inventory(dir: &Path, prefix: &str) -> String {
    let playbook = std::fs::canonicalize("playbooks/msp-customer.yaml").expect("playbook");
    let mut text = format!("playbook: {}\ncustomers:\n", playbook.display());
    for i in 0..CUSTOMERS {
        text.push_str(&format!(
            "  {prefix}{i}:\n    customer: Customer {prefix}{i}\n    domain: {prefix}{i}.example\n"
        ));
    }
    let path = dir.join(format!("{prefix}.yaml"));
    std::fs::write(&path, text).expect("inventory");
    path.display().to_string()
}

/// `onboard apply --inventory INV` with the sandbox's limit, real retry delays, and
/// `--state-url URL` when given; started, not waited for.
fn start(sb: &SandboxHandle, dir: &Path, inv: &str, url: Option<&str>) -> Child {
    let mut cmd = support::command(
        sb,
        dir,
        &["--inventory", inv, "--rate-limit", "600", "--burst", "10"],
    );
    if let Some(url) = url {
        cmd.arg("--state-url").arg(url);
    }
    cmd.env_remove("ONBOARD_RETRY_DELAY_MS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts")
}

fn finish(child: Child) -> Output {
    child.wait_with_output().expect("onboard runs")
}

fn limited(log: &[LogEntry]) -> Vec<String> {
    log.iter()
        .filter(|e| e.status == 429)
        .map(|e| format!("seq {} {} {} at {}", e.seq, e.method, e.path, e.started_ms))
        .collect()
}

/// Both runners at once, sharing a state database or not; returns the sandbox's log.
fn two_runners(shared: bool) -> (Vec<LogEntry>, Option<String>, [Output; 2]) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = limited_sandbox(&rt);
    let url = shared.then(support_pg::database);
    let (a, b) = (
        tempfile::tempdir().expect("a folder"),
        tempfile::tempdir().expect("a folder"),
    );
    let (inv_a, inv_b) = (inventory(a.path(), "a"), inventory(b.path(), "b"));
    let first = start(&sb, a.path(), &inv_a, url.as_deref());
    let second = start(&sb, b.path(), &inv_b, url.as_deref());
    let outs = [finish(first), finish(second)];
    let log = sb.log();
    if shared {
        let world = sb.world();
        for prefix in ["a", "b"] {
            for i in 0..CUSTOMERS {
                // Panics when the tenant is missing.
                let _ = tenant_id(&world, &format!("{prefix}{i}.example"));
            }
        }
    }
    rt.block_on(sb.shutdown());
    (log, url, outs)
}

#[test]
fn two_runners_sharing_a_state_url_share_the_pats_budget_and_meet_no_429() {
    let (log, url, outs) = two_runners(true);
    for out in &outs {
        assert!(
            out.status.success(),
            "apply failed:\n{}\n{}",
            stdout(out),
            stderr(out)
        );
    }
    assert!(
        log.len() >= 2 * CUSTOMERS * 10,
        "only {} requests: the budget was not exercised",
        log.len()
    );
    let refused = limited(&log);
    assert!(
        refused.is_empty(),
        "{} of {} requests got 429: {refused:?}",
        refused.len(),
        log.len()
    );
    // One bucket, keyed by a hash of the PAT and the URL; the PAT itself is nowhere in the
    // database.
    let url = url.expect("a database");
    let db = support_pg::db_name(&url);
    let keys = support_pg::psql(db, "SELECT budget_key FROM onboard_budget");
    assert_eq!(keys.lines().count(), 1, "{keys}");
    assert_eq!(keys.len(), 64, "a sha256 in hex: {keys}");
    assert!(
        !support_pg::dump(&url).contains(PAT),
        "the PAT is in the database"
    );
}

#[test]
fn two_runners_with_their_own_state_spend_the_budget_twice() {
    let (log, _, _) = two_runners(false);
    // Each runner keeps its own bucket of the server's size, so together they ask for up to
    // twice the server's budget: the server refuses some (and the runners retry them).
    assert!(
        !limited(&log).is_empty(),
        "no 429 in {} requests: the shared test above proves nothing",
        log.len()
    );
}

/// The reservation statement itself, on a real database: a new bucket is full, one token past
/// the burst waits one refill time, a second runner of the same PAT and URL sees the same
/// bucket, another management URL has a bucket of its own. The rate is one a minute, so the
/// waits (computed by the database) are a minute apart and the milliseconds between statements
/// cannot blur them.
#[test]
fn a_reservation_waits_for_its_slot_in_the_one_bucket_of_a_pat_and_url() {
    use onboard_engine::store::postgres::budget::PgBudget;
    use onboard_netbird::SharedBudget;
    const RATE: onboard_netbird::RateLimit = onboard_netbird::RateLimit {
        per_minute: 1,
        burst: 2,
    };
    let url = support_pg::database();
    let api = "https://api.netbird.example";
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let secs = |budget: &PgBudget, n: u32| {
        rt.block_on(budget.reserve(n, RATE))
            .expect("the budget answers")
            .as_secs_f64()
    };
    let first = PgBudget::new(&url, api, PAT).expect("a budget");
    let second = PgBudget::new(&url, api, PAT).expect("a budget");
    let elsewhere = PgBudget::new(&url, "https://netbird.example.com", PAT).expect("a budget");
    // The burst at once.
    assert_eq!(secs(&first, 2), 0.0);
    // One more: a minute; the other runner's next: two minutes.
    let one = secs(&first, 1);
    assert!((59.0..=60.0).contains(&one), "{one}");
    let two = secs(&second, 1);
    assert!((119.0..=120.0).contains(&two), "{two}");
    // Another server, another bucket: full.
    assert_eq!(secs(&elsewhere, 2), 0.0);
    let rows = support_pg::psql(
        support_pg::db_name(&url),
        "SELECT count(*) FROM onboard_budget",
    );
    assert_eq!(rows, "2");
}
