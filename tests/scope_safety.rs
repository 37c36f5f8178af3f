//! Nothing is written outside its tenant: `?account=` scoping is proven before the first
//! delete (a service user's PAT, which NetBird does not scope, deletes nothing and keeps the
//! state) and again at the end of a run (a tenant unlinked mid-run fails the run and the report
//! names the writes since the last good proof).

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{apply, call, command, onboard, sandbox, sandbox_with, state_file, tenant_id};

const MSP_CUSTOMER: &[&str] = &[
    "playbooks/msp-customer.yaml",
    "--set",
    "customer=Acme Corp",
    "--set",
    "domain=acme.example",
];

#[test]
fn destroy_with_a_service_users_pat_deletes_nothing_and_keeps_the_state() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), MSP_CUSTOMER);
    let before = state_file(dir.path());
    // A service user of the MSP account, with a PAT of its own.
    let user = call(
        &rt,
        &sb,
        "POST",
        "/api/users",
        None,
        Some(&json!({"name": "ci", "role": "admin", "auto_groups": [], "is_service_user": true})),
    );
    let uid = user["id"].as_str().expect("a user id");
    let token = call(
        &rt,
        &sb,
        "POST",
        &format!("/api/users/{uid}/tokens"),
        None,
        Some(&json!({"name": "ci", "expires_in": 30})),
    );
    let pat = token["plain_token"].as_str().expect("a plain token");
    let from = sb.log().len();
    let mut destroy = onboard(&sb, dir.path(), &["destroy", "--yes"]);
    let out = destroy
        .args(MSP_CUSTOMER)
        .env("NB_PAT", pat)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", support::stdout(&out));
    let text = support::flat(&support::stdout(&out));
    assert!(text.contains("does not scope requests"), "{text}");
    assert!(
        text.contains("the PAT belongs to the service user `ci`"),
        "{text}"
    );
    let deletes: Vec<_> = sb.log()[from..]
        .iter()
        .filter(|e| e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(deletes.is_empty(), "it wrote: {deletes:?}");
    assert_eq!(state_file(dir.path()), before, "the state was changed");
}

#[test]
fn a_tenant_unlinked_mid_run_fails_the_run_and_names_the_writes() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox_with(
        &rt,
        onboard_sandbox::SandboxConfig {
            rate_limit: None,
            latency_ms: 40,
            ..onboard_sandbox::SandboxConfig::default()
        },
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let args = [
        "playbooks/zero-trust-office.yaml",
        "--set",
        "customer=Zeta",
        "--set",
        "domain=zeta.example",
        "--concurrency",
        "1",
    ];
    let mut child = command(&sb, dir.path(), &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("onboard starts");
    // Once four writes reached the tenant, unlink it, as another admin might.
    let started = Instant::now();
    let tid = loop {
        let log = sb.log();
        let tenant_writes = log
            .iter()
            .filter(|e| e.method != "GET" && e.account.is_some())
            .count();
        if tenant_writes >= 4 {
            break tenant_id(&sb.world(), "zeta.example");
        }
        assert!(started.elapsed() < Duration::from_secs(60), "apply hung");
        assert!(
            child.try_wait().expect("status").is_none(),
            "apply ended first"
        );
        // A poll interval, not a synchronisation: the condition is the request log.
        std::thread::sleep(Duration::from_millis(5));
    };
    call(
        &rt,
        &sb,
        "POST",
        &format!("/api/integrations/msp/tenants/{tid}/unlink"),
        None,
        Some(&json!({"owner": "someone-else"})),
    );
    let out = child.wait_with_output().expect("apply ends");
    assert_eq!(out.status.code(), Some(1), "the run must fail");
    let text = support::flat(&String::from_utf8_lossy(&out.stdout));
    assert!(
        text.contains(&format!(
            "does not scope requests to account {tid} (they ran in account"
        )) && text.contains("at the end of the run"),
        "{text}"
    );
    // The report names writes made since the last good proof, and the state keeps them.
    let state = state_file(dir.path());
    let recorded: Vec<&String> = state["steps"].as_object().expect("steps").keys().collect();
    assert!(
        recorded.iter().any(|a| text.contains(a.as_str())),
        "{text}\n{recorded:?}"
    );
    assert_eq!(state["tenant"]["id"], Value::from(tid));
}
