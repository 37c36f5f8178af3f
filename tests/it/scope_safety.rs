//! Nothing is written outside its tenant: `?account=` scoping is proven before every delete
//! (a service user's PAT, which NetBird does not scope, deletes nothing and keeps the state)
//! and every write (a tenant unlinked mid-run stops the run before its next write, and the
//! report names the writes since the last good proof).

use crate::support::{self, apply, call, command, onboard, sandbox, state_file};
use onboard_sandbox::{Hold, SandboxHandle};
use serde_json::{Value, json};
use std::time::Duration;

const MSP_CUSTOMER: &[&str] = &[
    "playbooks/msp-customer.yaml",
    "--set",
    "customer=Acme Corp",
    "--set",
    "domain=acme.example",
];

/// The writes the sandbox saw since log entry `from`, as `METHOD path in account`.
fn writes_since(sb: &SandboxHandle, from: usize) -> Vec<String> {
    sb.log()[from..]
        .iter()
        .filter(|e| e.method != "GET")
        .map(|e| format!("{} {} in {:?}", e.method, e.path, e.effective_account))
        .collect()
}

/// Waits until `hold` holds onboard's request in a tenant, unlinks the tenant meanwhile (as
/// another admin might), lets the answer go and waits for onboard: the tenant's id, the log's
/// length right after the unlink, and onboard's output.
fn unlink_while_held(
    rt: &tokio::runtime::Runtime,
    sb: &SandboxHandle,
    mut hold: Hold,
    child: std::process::Child,
) -> (String, usize, std::process::Output) {
    let held = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), hold.reached()).await })
        .expect("onboard's request is held in time")
        .expect("held");
    let tid = held.account.expect("a request in a tenant");
    call(
        rt,
        sb,
        "POST",
        &format!("/api/integrations/msp/tenants/{tid}/unlink"),
        None,
        Some(&json!({"owner": "someone-else"})),
    );
    let unlinked = sb.log().len();
    hold.release();
    (
        tid,
        unlinked,
        child.wait_with_output().expect("onboard ends"),
    )
}

#[test]
fn destroy_with_a_service_users_pat_deletes_nothing_and_keeps_the_state() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), MSP_CUSTOMER);
    let before = state_file(dir.path());
    let pat = service_user_pat(&rt, &sb);
    let from = sb.log().len();
    let mut destroy = onboard(&sb, dir.path(), &["destroy", "--yes"]);
    let out = destroy
        .args(MSP_CUSTOMER)
        .env("NB_PAT", &pat)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", support::stdout(&out));
    let text = support::flat(&support::stdout(&out));
    assert!(text.contains("does not scope requests"), "{text}");
    assert!(
        text.contains("the PAT belongs to the service user `ci`"),
        "{text}"
    );
    let deletes = writes_since(&sb, from);
    assert!(deletes.is_empty(), "it wrote: {deletes:?}");
    assert_eq!(state_file(dir.path()), before, "the state was changed");
}

/// A service user of the MSP account and a PAT of its own.
fn service_user_pat(rt: &tokio::runtime::Runtime, sb: &onboard_sandbox::SandboxHandle) -> String {
    let user = call(
        rt,
        sb,
        "POST",
        "/api/users",
        None,
        Some(&json!({"name": "ci", "role": "admin", "auto_groups": [], "is_service_user": true})),
    );
    let uid = user["id"].as_str().expect("a user id");
    let token = call(
        rt,
        sb,
        "POST",
        &format!("/api/users/{uid}/tokens"),
        None,
        Some(&json!({"name": "ci", "expires_in": 30})),
    );
    token["plain_token"]
        .as_str()
        .expect("a plain token")
        .to_owned()
}

#[test]
fn a_service_users_pat_creates_no_tenant() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let pat = service_user_pat(&rt, &sb);
    let from = sb.log().len();
    let out = command(&sb, dir.path(), MSP_CUSTOMER)
        .env("NB_PAT", &pat)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", support::stdout(&out));
    let text = support::flat(&format!(
        "{}{}",
        support::stdout(&out),
        support::stderr(&out)
    ));
    assert!(
        text.contains("no tenant is created: the PAT belongs to the service user `ci`"),
        "{text}"
    );
    assert!(!text.contains(&pat), "the PAT leaked");
    let writes = writes_since(&sb, from);
    assert!(writes.is_empty(), "it wrote: {writes:?}");
    assert_eq!(sb.world()["tenants"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_tenant_unlinked_mid_run_stops_the_run_before_its_next_write() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let msp = sb.msp_account_id();
    let dir = tempfile::tempdir().expect("tempdir");
    // The fourth write in the tenant is done, then its answer waits while another admin
    // unlinks the tenant: NetBird now runs `?account=<tenant>` in the MSP account.
    let mut tenant_writes = 0;
    let hold = sb.hold_when(move |e| {
        tenant_writes += usize::from(e.method != "GET" && e.account.is_some());
        tenant_writes == 4
    });
    let args = [
        "playbooks/zero-trust-office.yaml",
        "--set",
        "customer=Zeta",
        "--set",
        "domain=zeta.example",
        "--concurrency",
        "1",
    ];
    let child = command(&sb, dir.path(), &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("onboard starts");
    let (tid, unlinked, out) = unlink_while_held(&rt, &sb, hold, child);
    assert_eq!(out.status.code(), Some(1), "the run must fail");
    // Nothing more was written: not in the MSP account, where NetBird now sends the tenant's
    // requests, nor anywhere else.
    let after = writes_since(&sb, unlinked);
    assert!(after.is_empty(), "written after the unlink: {after:?}");
    let proofs_in_msp = sb.log()[unlinked..]
        .iter()
        .filter(|e| e.path == "/api/accounts" && e.effective_account.as_deref() == Some(&msp))
        .count();
    assert_eq!(proofs_in_msp, 1, "one failed proof stops the run");
    let text = support::flat(&String::from_utf8_lossy(&out.stdout));
    assert!(
        text.contains(&format!(
            "does not scope requests to account {tid} (they ran in account {msp}); an earlier \
             proof in this run succeeded, so the tenant was unlinked from this MSP account"
        )) && text.contains("settle the scope below before a re-run")
            && text.contains("Look for them there and delete any you find"),
        "{text}"
    );
    // The report names the write that finished after the last good proof; the state keeps
    // every write that was made.
    let state = state_file(dir.path());
    let recorded: Vec<&String> = state["steps"].as_object().expect("steps").keys().collect();
    assert!(!recorded.is_empty());
    assert!(
        recorded.iter().any(|a| text.contains(a.as_str())),
        "{text}\n{recorded:?}"
    );
    assert_eq!(state["tenant"]["id"], Value::from(tid));
}

#[test]
fn one_at_a_time_every_write_in_a_tenant_follows_a_proof_of_its_own() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = MSP_CUSTOMER.to_vec();
    args.extend(["--concurrency", "1"]);
    apply(&sb, dir.path(), &args);
    // One at a time, each write falls due after the one before it ended: in the log's order,
    // a proof stands between any two writes in the tenant, and before the first.
    let mut proven_since = false;
    let mut writes = 0;
    for e in sb.log().iter().filter(|e| e.account.is_some()) {
        if e.method == "GET" && e.path == "/api/accounts" {
            proven_since = true;
        } else if e.method != "GET" {
            assert!(
                proven_since,
                "{} {} without a proof before it",
                e.method, e.path
            );
            proven_since = false;
            writes += 1;
        }
    }
    // 2 groups, a setup key, a network and its resource, a policy.
    assert_eq!(writes, 6);
}

#[test]
fn a_tenant_unlinked_during_destroy_does_not_make_its_objects_look_gone() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), MSP_CUSTOMER);
    let before = state_file(dir.path());
    // Destroy's first delete is done in the tenant; its answer waits while the tenant is
    // unlinked, so the next removal's read runs in the MSP account and finds nothing there.
    let hold = sb.hold_when(|e| e.method == "DELETE" && e.account.is_some());
    let child = onboard(&sb, dir.path(), &["destroy", "--yes"])
        .args(MSP_CUSTOMER)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("destroy starts");
    let (_, unlinked, out) = unlink_while_held(&rt, &sb, hold, child);
    assert_eq!(out.status.code(), Some(1), "{}", support::stdout(&out));
    let text = support::flat(&support::stdout(&out));
    assert!(text.contains("nothing more was deleted"), "{text}");
    let writes = writes_since(&sb, unlinked);
    assert!(writes.is_empty(), "it wrote: {writes:?}");
    // The state lost only the record of the one object deleted before the unlink.
    let deleted: Vec<String> = sb.log()[..unlinked]
        .iter()
        .filter(|e| e.method == "DELETE")
        .filter_map(|e| e.path.rsplit('/').next().map(str::to_owned))
        .collect();
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    let mut expected = before.clone();
    expected["steps"]
        .as_object_mut()
        .expect("steps")
        .retain(|_, r| r["id"].as_str() != Some(deleted[0].as_str()));
    assert_eq!(
        before["steps"].as_object().map(|s| s.len()),
        expected["steps"].as_object().map(|s| s.len() + 1)
    );
    assert_eq!(state_file(dir.path()), expected, "the state lost records");
}

/// A run at `--rate-limit 12 --burst 1` (a call every 5 s): the writes wait for the rate, not
/// after their proof.
const SLOW: &[&str] = &["--rate-limit", "12", "--burst", "1"];

#[test]
fn a_tenant_unlinked_while_writes_wait_for_the_rate_gets_no_write_in_the_msp_account() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let msp = sb.msp_account_id();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = MSP_CUSTOMER.to_vec();
    args.extend(SLOW);
    let child = command(&sb, dir.path(), &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("onboard starts");
    // The first proof in the tenant answers; 0.3 s later another admin unlinks the tenant,
    // while the run's other writes still wait for the rate limit.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let tid = loop {
        let proof = sb.log().into_iter().find(|e| {
            e.path == "/api/accounts" && e.account.is_some() && e.effective_account == e.account
        });
        if let Some(e) = proof {
            break e.account.expect("a tenant");
        }
        assert!(std::time::Instant::now() < deadline, "no proof in time");
        std::thread::sleep(Duration::from_millis(20));
    };
    std::thread::sleep(Duration::from_millis(300));
    call(
        &rt,
        &sb,
        "POST",
        &format!("/api/integrations/msp/tenants/{tid}/unlink"),
        None,
        Some(&json!({"owner": "someone-else"})),
    );
    let out = child.wait_with_output().expect("onboard ends");
    assert_eq!(out.status.code(), Some(1), "the run must fail");
    let stray: Vec<String> = sb
        .log()
        .iter()
        .filter(|e| e.method != "GET" && e.account.is_some())
        .filter(|e| e.effective_account.as_deref() == Some(msp.as_str()))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(stray.is_empty(), "written in the MSP account: {stray:?}");
    let text = support::flat(&String::from_utf8_lossy(&out.stdout));
    assert!(text.contains("does not scope requests"), "{text}");
}

#[test]
fn under_a_tight_rate_limit_each_write_follows_its_proof_with_no_wait_between() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = MSP_CUSTOMER.to_vec();
    args.extend(["--rate-limit", "30", "--burst", "1"]);
    apply(&sb, dir.path(), &args);
    // At 30 calls a minute the client sends a call every 2 s at most; a write that waited
    // for a token after its proof would follow it by 2 s or more. Each write in the tenant
    // comes right after its proof: nothing between them in the log, and sent while the
    // proof's answer was fresh (well under one rate interval).
    let log = sb.log();
    let mut proof: Option<&onboard_sandbox::LogEntry> = None;
    let mut writes = 0;
    for e in log.iter().filter(|e| e.account.is_some()) {
        if e.method == "GET" && e.path == "/api/accounts" {
            proof = Some(e);
        } else if e.method != "GET" {
            let p = proof
                .take()
                .unwrap_or_else(|| panic!("{} {} without its own proof", e.method, e.path));
            assert_eq!(
                e.seq,
                p.seq + 1,
                "{} {} does not follow its proof",
                e.method,
                e.path
            );
            let gap = e.started_ms.saturating_sub(p.finished_ms);
            assert!(
                gap < 1000,
                "{} {} sent {gap} ms after its proof",
                e.method,
                e.path
            );
            writes += 1;
        }
    }
    assert_eq!(
        writes, 6,
        "2 groups, a setup key, a network and its resource, a policy"
    );
}

/// A proof that answers later than the 5 s a write may follow it does not count: the wave
/// proves again on the slot it reserved (one call in flight at a time here, so taking another
/// slot would wait for ever), and only then writes.
#[test]
fn a_proof_slower_than_the_window_is_made_again_and_the_run_goes_on() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut hold = sb.hold_when(|e| e.path == "/api/accounts" && e.account.is_some());
    let mut args = MSP_CUSTOMER.to_vec();
    args.extend(["--concurrency", "1"]);
    let mut child = command(&sb, dir.path(), &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("onboard starts");
    let held = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), hold.reached()).await })
        .expect("the first proof is held in time")
        .expect("held");
    std::thread::sleep(Duration::from_millis(5500));
    hold.release();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("onboard runs") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("apply hung after a slow proof");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    // The slow proof is followed by another before the first write in the tenant.
    let log = sb.log();
    let after: Vec<String> = log
        .iter()
        .filter(|e| e.seq > held.seq && e.account.is_some())
        .take(2)
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert_eq!(
        after,
        ["GET /api/accounts", "POST /api/groups"],
        "{after:?}"
    );
}
