//! Faults: against an API that fails a fifth of all requests with 500 and drops the answer
//! to a tenth after doing them, apply still converges without duplicates, and its journal
//! shows why: retries of idempotent calls, and a lookup after every POST whose outcome was
//! unknown.

use crate::support::*;
use onboard_sandbox::SandboxConfig;
use serde_json::Value;

const ADMINS: [&str; 4] = [
    "ops@faulty.example",
    "sec@faulty.example",
    "net@faulty.example",
    "dev@faulty.example",
];

/// Seeds tried in order until one puts a fault on a POST (the first one does today; the
/// others keep the test meaningful if the request order changes).
const SEEDS: [u64; 4] = [11, 2, 4, 9];

/// The client event of a journal line (`api` events), whether its fields sit on the line
/// itself or in a nested object.
fn api(e: &Value) -> Option<&Value> {
    if e.get("method").is_some() {
        return Some(e);
    }
    e.as_object()?.values().find(|v| v.get("method").is_some())
}

/// A client event's kind: `request_sent`, `response`, `retry`, `transport_error`, ...
fn kind(e: &Value) -> &str {
    api(e)
        .and_then(|c| c["event"].as_str())
        .filter(|k| *k != "api")
        .unwrap_or_default()
}

/// Applies msp-customer.yaml against a faulty sandbox (at most 3 runs), checks convergence
/// and the journal, and returns how many POSTs the faults hit and how many retries the
/// journal shows.
fn faulty_apply(seed: u64) -> (usize, usize) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox_with(
        &rt,
        SandboxConfig {
            rate_limit: None,
            fail_rate: 0.2,
            drop_rate: 0.1,
            seed: Some(seed),
            ..SandboxConfig::default()
        },
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let admins = format!("admins=[{}]", ADMINS.join(","));
    // One call at a time: the faults fall the same way on every run of this test, and the
    // journal reads in order.
    let args = [
        "playbooks/msp-customer.yaml",
        "--set",
        "customer=Faulty",
        "--set",
        "domain=faulty.example",
        "--set",
        &admins,
        "--concurrency",
        "1",
    ];
    let mut runs = Vec::new();
    let mut converged = false;
    while !converged && runs.len() < 3 {
        let out = command(&sb, dir.path(), &args)
            .output()
            .expect("onboard runs");
        runs.push(String::from_utf8_lossy(&out.stderr).into_owned());
        converged = out.status.success();
    }
    assert!(
        converged,
        "seed {seed}: no success in 3 runs:\n{}",
        runs.join("\n---\n")
    );

    // Exactly one of everything.
    let world = sb.world();
    let tid = tenant_id(&world, "faulty.example");
    let acct = &world["accounts"][&tid];
    for (coll, name) in [
        ("groups", "Servers"),
        ("groups", "Admins"),
        ("setup_keys", "bootstrap"),
        ("networks", "office"),
        ("network_resources", "office-lan"),
        ("policies", "admins-to-servers"),
    ] {
        one(acct, coll, name);
    }
    assert_eq!(objects(acct, "groups").len(), 3, "Servers, Admins, All");
    assert_eq!(objects(acct, "policies").len(), 2, "and Default");
    for coll in ["setup_keys", "networks", "network_resources"] {
        assert_eq!(objects(acct, coll).len(), 1, "{coll}");
    }
    for email in ADMINS {
        let users: Vec<&Value> = objects(acct, "users")
            .iter()
            .filter(|u| u["email"] == email)
            .collect();
        assert_eq!(users.len(), 1, "{email}");
    }
    let state = state_file(dir.path());
    for email in ADMINS {
        let address = format!("admin_users[\"{email}\"]");
        let id = state["steps"][&address]["id"]
            .as_str()
            .expect("user in state");
        assert_eq!(find_by_id(&world, id).len(), 1, "{address}");
    }

    // Every POST the faults hit (500 before doing anything, or done and left unanswered) is,
    // in the journal, an unknown outcome followed by a listing of its collection before any
    // other call to it.
    let faulty_posts = sb
        .log()
        .iter()
        .filter(|e| e.method == "POST" && (e.status == 500 || e.dropped))
        .count();
    let journal = journal(dir.path());
    let mut lookups = 0;
    for run in &journal {
        let sent: Vec<(usize, &Value)> = run
            .iter()
            .enumerate()
            .filter(|(_, e)| kind(e) == "request_sent")
            .filter_map(|(i, e)| Some((i, api(e)?)))
            .collect();
        for (i, e) in run.iter().enumerate() {
            let Some(call) = api(e).filter(|c| c["method"] == "POST") else {
                continue;
            };
            let unknown = match kind(e) {
                "response" => call["status"]
                    .as_u64()
                    .is_some_and(|s| s >= 500 && s != 501),
                "transport_error" => call["sent"] == true,
                _ => false,
            };
            if !unknown {
                continue;
            }
            // Other instances' calls (a scope proof of another wave) may come between: the
            // next call to this collection lists it, never a blind second POST.
            let (_, next) = sent
                .iter()
                .find(|(j, c)| *j > i && c["path"] == call["path"])
                .unwrap_or_else(|| panic!("nothing sent to {} after {e}", call["path"]));
            assert_eq!(
                &next["method"],
                &Value::from("GET"),
                "after an unknown outcome of POST {}, the next call to it lists the collection",
                call["path"]
            );
            lookups += 1;
        }
    }
    assert_eq!(
        lookups, faulty_posts,
        "seed {seed}: faulty POSTs in the sandbox log versus looked-up unknown outcomes in the journal"
    );
    let retries = journal
        .iter()
        .flatten()
        .filter(|e| kind(e) == "retry")
        .count();
    rt.block_on(sb.shutdown());
    (faulty_posts, retries)
}

#[test]
fn failures_and_dropped_answers_converge_without_duplicates() {
    // Apply executes the plan, so a run makes few reads; over all seeds the faults must have
    // hit POSTs (settled by a lookup) and other calls (retried, in the journal).
    let (mut faulty_posts, mut retries) = (0, 0);
    for seed in SEEDS {
        let (p, r) = faulty_apply(seed);
        faulty_posts += p;
        retries += r;
    }
    assert!(
        faulty_posts > 0,
        "no seed of {SEEDS:?} put a fault on a POST"
    );
    assert!(
        retries > 0,
        "no seed of {SEEDS:?} left a retry in the journal"
    );
}
