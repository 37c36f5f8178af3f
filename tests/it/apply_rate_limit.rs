//! End-to-end: the client-side budget (`--rate-limit`, `--burst`) keeps apply under the
//! server's per-PAT limit, and when someone else spends the same PAT's budget, the 429s that
//! follow are retried, not fatal. The sandbox limits like NetBird: a token bucket per PAT,
//! here 600 a minute with a burst of 10; the playbook is 30 groups and 30 policies that
//! reference them (60 steps, about 120 requests, so the burst is spent many times over).

use crate::support::generate::{groups_and_policies, write};
use crate::support::{
    PAT, account, apply, command, exactly_once, sandbox_with, stderr, stdout, with_status,
};
use onboard_sandbox::{LogEntry, RateLimit, SandboxConfig, SandboxHandle};
use std::process::Stdio;

const GROUPS: usize = 30;
const POLICIES: usize = 30;

fn limited_sandbox(rt: &tokio::runtime::Runtime) -> SandboxHandle {
    sandbox_with(
        rt,
        SandboxConfig {
            standalone: true,
            rate_limit: Some(RateLimit {
                per_minute: 600,
                burst: 10,
            }),
            ..SandboxConfig::default()
        },
    )
}

fn args(playbook: &str) -> Vec<&str> {
    vec![playbook, "--rate-limit", "600", "--burst", "10"]
}

/// Every group and policy of the generated playbook exists exactly once.
fn assert_all_created(sb: &SandboxHandle) {
    let world = sb.world();
    let acct = account(&world, &sb.msp_account_id());
    let groups: Vec<String> = (0..GROUPS).map(|g| format!("group-{g:03}")).collect();
    let policies: Vec<String> = (0..POLICIES).map(|p| format!("policy-{p:03}")).collect();
    let mut objects: Vec<(&str, &str)> = groups.iter().map(|n| ("groups", n.as_str())).collect();
    objects.extend(policies.iter().map(|n| ("policies", n.as_str())));
    exactly_once(acct, &objects);
}

fn from_onboard(e: &LogEntry) -> bool {
    e.user_agent
        .as_deref()
        .is_some_and(|ua| ua.starts_with("onboard/"))
}

#[test]
fn the_client_budget_keeps_apply_under_the_server_limit() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = limited_sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let pb = write(
        dir.path(),
        "wide",
        &groups_and_policies("wide", GROUPS, POLICIES),
    );
    apply(&sb, dir.path(), &args(pb.to_str().unwrap()));
    assert_all_created(&sb);
    let log = sb.log();
    assert!(
        log.len() >= GROUPS + POLICIES,
        "only {} requests: the budget was not exercised",
        log.len()
    );
    let limited: Vec<String> = log
        .iter()
        .filter(|e| e.status == 429)
        .map(|e| format!("seq {} {} {} at {}", e.seq, e.method, e.path, e.started_ms))
        .collect();
    assert!(
        limited.is_empty(),
        "{} of {} requests got 429: {limited:?}",
        limited.len(),
        log.len()
    );
    rt.block_on(sb.shutdown());
}

/// `count` GETs with the same PAT, one every `every_ms` (0: back to back). Returns the statuses.
async fn compete(url: String, count: usize, every_ms: u64) -> Vec<u16> {
    let http = reqwest::Client::new();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(every_ms.max(1)));
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        if every_ms > 0 {
            tick.tick().await;
        }
        let status = http
            .get(format!("{url}/api/groups"))
            .header("Authorization", format!("Token {PAT}"))
            .header("User-Agent", "competitor/1")
            .send()
            .await
            .map_or(0, |r| r.status().as_u16());
        statuses.push(status);
    }
    statuses
}

#[test]
fn another_client_spending_the_same_pat_causes_429s_that_are_retried() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = limited_sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let pb = write(
        dir.path(),
        "wide",
        &groups_and_policies("wide", GROUPS, POLICIES),
    );
    // The other client empties the shared bucket, so apply starts with a full bucket of its
    // own and none on the server; then it keeps asking at twice the refill rate for 2 s
    // while apply runs, taking the tokens apply leaves while it backs off.
    let drained = rt.block_on(compete(sb.url(), 10, 0));
    assert_eq!(drained, [200; 10], "the burst is 10");
    // Real backoff: the competitor holds the budget for about 2 s, longer than the test kit's
    // shortened retry delays would wait.
    let child = command(&sb, dir.path(), &args(pb.to_str().unwrap()))
        .env_remove("ONBOARD_RETRY_DELAY_MS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let competitor = rt.spawn(compete(sb.url(), 40, 50));
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "apply failed:\n{stdout}\n{stderr}");
    let statuses = rt.block_on(competitor).unwrap();

    assert_all_created(&sb);
    let log = sb.log();
    let ours: Vec<LogEntry> = log.iter().filter(|e| from_onboard(e)).cloned().collect();
    assert_eq!(
        log.len() - ours.len(),
        drained.len() + statuses.len(),
        "the other client's requests are logged"
    );
    assert!(
        statuses.contains(&200),
        "the other client got nothing while apply ran: {statuses:?}"
    );
    let limited = with_status(&ours, 429);
    assert!(limited > 0, "apply never met a 429, so nothing was retried");
    // Every 429 was retried: each object was created by exactly one successful POST, and no
    // request failed otherwise (the 404s are group lookups by name that found nothing).
    let created = ours
        .iter()
        .filter(|e| e.method == "POST" && e.status == 200)
        .count();
    assert_eq!(created, GROUPS + POLICIES);
    let other: Vec<String> = ours
        .iter()
        .filter(|e| ![200, 404, 429].contains(&e.status))
        .map(|e| format!("{} {} {}", e.method, e.path, e.status))
        .collect();
    assert!(other.is_empty(), "{other:?}");
    assert!(!stderr.contains("failed"), "{stderr}");
    rt.block_on(sb.shutdown());
}
