//! Scope proofs at fleet scale: apply makes exactly the number of proofs (`GET /api/accounts`
//! with `?account=`) its plan states, whatever the timing. The writes of one level of the graph
//! in a tenant share one proof (a node's second write, a `for_each`'s next instance, joins the
//! level's second wave), split by the writes one proof may cover (`--concurrency`), plus one
//! at the end of the run. Counted from the sandbox's request log, at several `--concurrency`
//! values, with and without latency and jitter in the sandbox's answers, one customer at a
//! time and several at once.

use onboard_sandbox::{LogEntry, SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

use crate::support::*;

/// Writes in the tenant on three levels of the graph, a `for_each` of three writing in turn.
const LEVELS: &str = r#"version: 1
name: proof-levels
inputs:
  customer: { type: string }
  domain: { type: string }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
  groups:
    - id: "{{ steps.msp_admins.id }}"
      role: admin
steps:
  - id: msp_admins
    type: group
    scope: msp
    existing: true
    with: { name: MSP Admins }
  - id: web
    type: group
    with: { name: Web }
  - id: db
    type: group
    with: { name: Databases }
  - id: ops
    type: group
    with: { name: Ops }
  - id: office
    type: network
    with: { name: office }
  - id: keys
    type: setup_key
    for_each: ["a", "b", "c"]
    with:
      name: "key-{{ item }}"
      type: reusable
      expires_in: 604800
      auto_groups: ["{{ steps.web.id }}"]
  - id: ssh
    type: policy
    with:
      name: ops-ssh
      rules:
        - name: ssh
          protocol: tcp
          ports: ["22"]
          bidirectional: false
          sources: ["{{ steps.ops.id }}"]
          destinations: ["{{ steps.web.id }}", "{{ steps.db.id }}"]
  - id: lan
    type: network_resource
    with:
      network_id: "{{ steps.office.id }}"
      name: office-lan
      address: 10.10.0.0/24
      groups: ["{{ steps.db.id }}"]
  - id: web_https
    type: policy
    with:
      name: web-https
      description: "after {{ steps.ssh.id }}"
      rules:
        - name: https
          protocol: tcp
          ports: ["443"]
          bidirectional: false
          sources: ["{{ steps.ops.id }}"]
          destinations: ["{{ steps.web.id }}"]
"#;

/// A sandbox whose every answer is `latency_ms` late, plus up to `jitter_ms` at random.
fn slow_sandbox(rt: &tokio::runtime::Runtime, latency_ms: u64, jitter_ms: u64) -> SandboxHandle {
    sandbox_with(
        rt,
        SandboxConfig {
            rate_limit: None,
            latency_ms,
            jitter_ms,
            ..SandboxConfig::default()
        },
    )
}

/// The scope proofs in `log`, per account proven.
fn proofs(log: &[LogEntry]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in log {
        if let (true, Some(account)) = (e.method == "GET" && e.path == "/api/accounts", &e.account)
        {
            *out.entry(account.clone()).or_default() += 1;
        }
    }
    out
}

/// `plan --format json ARGS`: one plan per customer.
fn plans(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Vec<Value> {
    let mut plan = onboard(sb, state, &["plan", "--format", "json"]);
    let out = plan.args(args).output().expect("plan runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("a JSON plan");
    // One customer: a list; an inventory: `{"plans": [...], ...}`.
    let list = doc.get("plans").unwrap_or(&doc);
    list.as_array().expect("a list of plans").clone()
}

fn stated(plan: &Value) -> usize {
    plan["cost"]["proofs"]
        .as_u64()
        .expect("the plan states its proofs") as usize
}

/// Plans then applies one new customer (`args`) on a sandbox with this timing; returns the
/// proofs the plan stated and the proofs apply made in the tenant.
fn stated_and_made(args: &[&str], latency_ms: u64, jitter_ms: u64) -> (usize, usize) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = slow_sandbox(&rt, latency_ms, jitter_ms);
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = plans(&sb, dir.path(), args);
    let before = sb.log().len();
    apply(&sb, dir.path(), args);
    let log: Vec<LogEntry> = sb.log().into_iter().skip(before).collect();
    let made = proofs(&log);
    assert_eq!(made.len(), 1, "proofs in one account, the tenant: {made:?}");
    // Every write the plan counts is certain, or the plan says "at most" (only the built-ins
    // of a new zero-trust office are looked up at apply).
    let looked_up = plan[0]["cost"].get("writes_looked_up");
    let certain = !args.contains(&"playbooks/zero-trust-office.yaml");
    assert_eq!(looked_up.is_none(), certain, "{looked_up:?}");
    (stated(&plan[0]), made.into_values().sum())
}

/// `(--concurrency, latency ms, jitter ms)`: one at a time to wide waves, with answers at
/// once and late at random (so instances reach the gate in another order each time).
const TIMINGS: &[(usize, u64, u64)] = &[
    (1, 0, 0),
    (2, 0, 0),
    (2, 2, 25),
    (3, 2, 25),
    (4, 0, 0),
    (4, 5, 40),
    (8, 0, 0),
    (8, 2, 40),
];

#[test]
fn a_new_msp_customer_gets_the_proofs_its_plan_states_whatever_the_timing() {
    // Level 2: 2 groups and a network (3 writes); level 3: a setup key, the network's
    // resource, a policy and the first admin (4 writes), then the second admin (the
    // `for_each` writes in turn: 1); and one proof at the end.
    for &(concurrency, latency, jitter) in TIMINGS {
        let c = concurrency.to_string();
        let args = [
            "playbooks/msp-customer.yaml",
            "--set",
            "customer=Acme Corp",
            "--set",
            "domain=acme.example",
            "--set",
            "admins=[\"ops@acme.example\", \"it@acme.example\"]",
            "--concurrency",
            &c,
        ];
        let (stated, made) = stated_and_made(&args, latency, jitter);
        let per_level = |n: usize| n.div_ceil(concurrency);
        let expected = per_level(3) + per_level(4) + per_level(1) + 1;
        assert_eq!(
            (stated, made),
            (expected, expected),
            "--concurrency {concurrency}, latency {latency} ms, jitter {jitter} ms"
        );
    }
}

#[test]
fn writes_on_three_levels_get_the_proofs_the_plan_states_whatever_the_timing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = dir.path().join("levels.yaml");
    std::fs::write(&playbook, LEVELS).expect("playbook");
    let playbook = playbook.to_str().expect("utf-8 path");
    // Level 2: 3 groups and a network (4 writes); level 3: the first key, the policy and the
    // resource (3), the second key (1), the third (1); level 4: the second policy (1); the end.
    for &(concurrency, latency, jitter) in TIMINGS {
        let c = concurrency.to_string();
        let args = [
            playbook,
            "--set",
            "customer=Levels",
            "--set",
            "domain=levels.example",
            "--concurrency",
            &c,
        ];
        let (stated, made) = stated_and_made(&args, latency, jitter);
        let per_level = |n: usize| n.div_ceil(concurrency);
        let expected = per_level(4) + per_level(3) + 3 + 1;
        assert_eq!(
            (stated, made),
            (expected, expected),
            "--concurrency {concurrency}, latency {latency} ms, jitter {jitter} ms"
        );
    }
}

#[test]
fn customers_applied_at_once_each_get_the_proofs_their_plan_states() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = slow_sandbox(&rt, 2, 30);
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = dir.path().join("levels.yaml");
    std::fs::write(&playbook, LEVELS).expect("playbook");
    let mut inventory = "playbook: levels.yaml\ncustomers:\n".to_owned();
    for i in 0..6 {
        inventory.push_str(&format!(
            "  c{i}:\n    customer: Customer {i}\n    domain: c{i}.example\n"
        ));
    }
    let path = dir.path().join("customers.yaml");
    std::fs::write(&path, inventory).expect("inventory");
    // Two writes per proof, and the customers' calls share the two in-flight slots.
    let args = [
        "--inventory",
        path.to_str().expect("utf-8 path"),
        "--concurrency",
        "2",
    ];
    let plans = plans(&sb, dir.path(), &args);
    assert_eq!(plans.len(), 6);
    let before = sb.log().len();
    apply(&sb, dir.path(), &args);
    let log: Vec<LogEntry> = sb.log().into_iter().skip(before).collect();
    let made = proofs(&log);
    let world = sb.world();
    for plan in &plans {
        let domain = plan["tenant"]["domain"].as_str().expect("a domain");
        let tenant = tenant_id(&world, domain);
        // Level 2: 4 writes, 2 at a time; level 3: 3 writes, then the second key, then the
        // third; level 4: 1; the end.
        let expected = 2 + 2 + 1 + 1 + 1 + 1;
        assert_eq!(
            (stated(plan), made.get(&tenant).copied().unwrap_or(0)),
            (expected, expected),
            "{domain}"
        );
    }
    assert_eq!(made.len(), 6, "{made:?}");
}

#[test]
fn built_ins_looked_up_at_apply_make_the_count_at_most() {
    // A new tenant's built-ins (DNS settings, account settings, the `Default` policy) are
    // known only once it exists: the plan counts a write for each and says "at most"; apply
    // makes no more calls, writes or proofs than it says (here the DNS settings are as
    // wanted already: one write fewer, and a wave fewer when that write would have started
    // one). The account settings' read is the one `GET /api/accounts` with `?account=` that is
    // not a proof: it comes with a proof when one was made before it, else on its own, and
    // the plan counts it among the reads.
    for c in [1, 3, 4, 8] {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sb = slow_sandbox(&rt, 2, 30);
        let dir = tempfile::tempdir().expect("tempdir");
        let c = c.to_string();
        let args = [
            "playbooks/zero-trust-office.yaml",
            "--set",
            "customer=Zeta Clinic",
            "--set",
            "domain=zeta.example",
            "--concurrency",
            &c,
        ];
        let plan = plans(&sb, dir.path(), &args);
        let cost = &plan[0]["cost"];
        let count = |field: &str| cost[field].as_u64().expect("a count") as usize;
        assert_eq!(count("writes_looked_up"), 3, "{cost}");
        let before = sb.log().len();
        apply(&sb, dir.path(), &args);
        let log: Vec<LogEntry> = sb.log().into_iter().skip(before).collect();
        let tenant = tenant_id(&sb.world(), "zeta.example");
        // What the cost counts: the tenant's creation, and every call in the tenant.
        let in_tenant: Vec<&LogEntry> = log
            .iter()
            .filter(|e| e.account.as_deref() == Some(tenant.as_str()))
            .collect();
        let calls = 1 + in_tenant.len();
        let writes = 1 + in_tenant.iter().filter(|e| e.method != "GET").count();
        let accounts = proofs(&log).into_values().sum::<usize>();
        assert!(
            calls <= count("calls") && writes <= count("writes"),
            "--concurrency {c}: {calls} calls, {writes} writes for {cost}"
        );
        assert!(
            accounts <= count("proofs") + 1,
            "--concurrency {c}: {accounts} account reads for {cost}"
        );
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = onboard(&sb, dir.path(), &["plan"]);
    let out = cmd
        .args([
            "playbooks/zero-trust-office.yaml",
            "--set",
            "customer=Zeta Clinic",
            "--set",
            "domain=zeta.example",
        ])
        .output()
        .expect("plan runs");
    assert!(stdout(&out).contains("Apply: at most "), "{}", stdout(&out));
}

/// Ctrl-C while a write waits for its level's other write, whose step will now not start:
/// the wave closes without it, the write that waited goes after its proof, and the run ends
/// (130) instead of waiting for ever.
#[test]
fn ctrl_c_while_a_write_waits_for_its_level_ends_the_run() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::Duration;

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = dir.path().join("stop.yaml");
    // `servers` and `later` are both on level 2 in the tenant; `later` also waits for a group
    // of the MSP account, whose create is held.
    std::fs::write(
        &playbook,
        r#"version: 1
name: stop-parked
inputs:
  customer: { type: string }
  domain: { type: string }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
  groups:
    - id: "{{ steps.msp_admins.id }}"
      role: admin
steps:
  - id: msp_admins
    type: group
    scope: msp
    existing: true
    with: { name: MSP Admins }
  - id: msp_ops
    type: group
    scope: msp
    with: { name: "Ops {{ inputs.customer }}" }
  - id: servers
    type: group
    with: { name: Servers }
  - id: later
    type: group
    with: { name: "after-{{ steps.msp_ops.id }}" }
"#,
    )
    .expect("playbook");
    let args = [
        playbook.to_str().expect("utf-8 path"),
        "--set",
        "customer=Stop",
        "--set",
        "domain=stop.example",
    ];
    let mut hold =
        sb.hold_when(|e| e.method == "POST" && e.path == "/api/groups" && e.account.is_none());
    let mut child = command(&sb, dir.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts");
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), hold.reached()).await })
        .expect("the MSP group's create is held in time")
        .expect("held");
    // The tenant is created meanwhile; `servers` then waits at the gate for `later`.
    let created = |log: &[LogEntry]| {
        log.iter()
            .any(|e| e.method == "POST" && e.path == "/api/integrations/msp/tenants")
    };
    while !created(&sb.log()) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let err = child.stderr.take().expect("piped stderr");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("onboard says it was interrupted");
        if line.contains("interrupted") {
            break;
        }
    }
    hold.release();
    let pid = child.id().to_string();
    let (done, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let Ok(out) = ended.recv_timeout(Duration::from_secs(60)) else {
        // Not left behind when it hangs.
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        panic!("the run did not end: it waits for a step that will not start");
    };
    let out = out.expect("onboard ends");
    assert_eq!(out.status.code(), Some(130), "{}", stdout(&out));
    let world = sb.world();
    let tenant = account(&world, &tenant_id(&world, "stop.example"));
    assert_eq!(
        names(tenant, "groups")
            .iter()
            .filter(|n| n.starts_with("after-"))
            .count(),
        0
    );
    // `servers` went, after a proof of its own wave.
    assert!(
        names(tenant, "groups").contains(&"Servers".to_owned()),
        "{tenant}"
    );
}
