//! Rollouts in waves (`apply --inventory FILE --waves ... --max-failures N`) and the fleet's
//! plan checked before the first write, counted from the sandbox's request log: a wave over
//! its failure budget leaves every later wave with 0 writes and names its customers "not
//! started"; the same command again continues, and customers already current write nothing;
//! one customer's replacement without `--allow-replace` refuses all of them before any write.

use onboard_sandbox::{Fault, LogEntry, SandboxHandle};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;

/// A small template: a tenant, a group, a setup key whose type is an input, an SSH policy.
const TEMPLATE: &str = r#"version: 1
name: waves-test
inputs:
  customer: { type: string }
  domain: { type: string }
  key_type: { type: string, default: reusable }
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
  - id: servers
    type: group
    with: { name: Servers }
  - id: bootstrap
    type: setup_key
    with:
      name: bootstrap
      type: "{{ inputs.key_type }}"
      expires_in: 604800
      auto_groups: ["{{ steps.servers.id }}"]
  - id: admin_ssh
    type: policy
    with:
      name: admins-to-servers
      rules:
        - name: ssh
          protocol: tcp
          ports: ["22"]
          bidirectional: false
          sources: ["{{ steps.servers.id }}"]
          destinations: ["{{ steps.servers.id }}"]
"#;

/// Writes per new customer: the tenant, a group, a setup key, a policy.
const NEW_CUSTOMER_WRITES: usize = 4;

struct Fleet {
    dir: tempfile::TempDir,
    playbook: PathBuf,
    inventory: PathBuf,
}

impl Fleet {
    /// `c0`..`c{n-1}`, each with `extra` lines (indented under the entry) when given.
    fn new(n: usize, extra: &[(usize, &str)]) -> Fleet {
        let dir = tempfile::tempdir().expect("tempdir");
        let playbook = dir.path().join("template.yaml");
        std::fs::write(&playbook, TEMPLATE).expect("playbook");
        let inventory = dir.path().join("customers.yaml");
        let fleet = Fleet {
            dir,
            playbook,
            inventory,
        };
        fleet.write_inventory(n, extra);
        fleet
    }

    fn write_inventory(&self, n: usize, extra: &[(usize, &str)]) {
        let mut text = "playbook: template.yaml\ncustomers:\n".to_owned();
        for i in 0..n {
            text.push_str(&format!(
                "  c{i}:\n    customer: Customer {i}\n    domain: c{i}.example\n"
            ));
            for (_, line) in extra.iter().filter(|(at, _)| *at == i) {
                text.push_str(&format!("    {line}\n"));
            }
        }
        std::fs::write(&self.inventory, text).expect("inventory");
    }

    /// A change of the template every customer gets: the SSH rule's ports.
    fn change_template(&self) {
        let text = TEMPLATE.replace(r#"ports: ["22"]"#, r#"ports: ["22", "2222"]"#);
        std::fs::write(&self.playbook, text).expect("playbook");
    }

    fn state(&self) -> &Path {
        self.dir.path()
    }

    fn apply(&self, sb: &SandboxHandle, extra: &[&str]) -> std::process::Output {
        let inv = self.inventory.to_str().expect("utf-8 path");
        let mut args = vec!["--inventory", inv];
        args.extend(extra);
        run(sb, self.state(), &args)
    }
}

/// Writes since `from` (a log length) that went to customer `i`'s tenant: its creation (by
/// the domain in the body) and every write with `?account=` its id.
fn writes_of(sb: &SandboxHandle, log: &[LogEntry], i: usize) -> usize {
    let domain = format!("c{i}.example");
    let world = sb.world();
    let tenant = world["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["domain"] == domain.as_str())
        .and_then(|t| t["id"].as_str())
        .map(str::to_owned);
    writes(log)
        .into_iter()
        .filter(|e| {
            let creates = e.path == "/api/integrations/msp/tenants"
                && e.body
                    .as_ref()
                    .is_some_and(|b| b["domain"] == domain.as_str());
            creates || (tenant.is_some() && e.account == tenant)
        })
        .count()
}

fn tenants(sb: &SandboxHandle) -> Vec<String> {
    let mut out: Vec<String> = sb.world()["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .filter_map(|t| t["domain"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out
}

fn not_started(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.ends_with(')') && l.contains("`: not started (wave "))
        .filter_map(|l| l.split('`').nth(1).map(str::to_owned))
        .collect()
}

/// The next tenant creation is refused (422, as NetBird refuses a bad body): its customer fails.
fn refuse_next_tenant(sb: &SandboxHandle) {
    sb.fault_next(
        "POST",
        "/api/integrations/msp/tenants",
        Fault::Reject(422),
        1,
    );
}

#[test]
fn a_failed_canary_leaves_every_later_wave_unwritten_and_named() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let fleet = Fleet::new(5, &[]);
    refuse_next_tenant(&sb);
    let out = fleet.apply(&sb, &["--waves", "1,10%,rest"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = sb.log();
    // The canary's refused tenant creation is the one write of the whole rollout.
    assert_eq!(writes(&log).len(), 1, "{:?}", writes(&log));
    assert_eq!(writes_of(&sb, &log, 0), 1);
    for i in 1..5 {
        assert_eq!(writes_of(&sb, &log, i), 0, "c{i} was written");
    }
    assert!(tenants(&sb).is_empty());
    let stdout = stdout(&out);
    assert_eq!(not_started(&stdout), ["c1", "c2", "c3", "c4"], "{stdout}");
    assert!(
        flat(&stdout).contains("the rollout stopped after wave 1 of 3: 1 customer failed (c0)"),
        "{stdout}"
    );
    // JSON names them too, with their waves (5 customers: 1, ceil(10%) = 1, the rest 3).
    refuse_next_tenant(&sb);
    let out = fleet.apply(&sb, &["--waves", "1,10%,rest", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(doc["ok"], false);
    assert_eq!(
        doc["waves"],
        serde_json::json!([["c0"], ["c1"], ["c2", "c3", "c4"]])
    );
    assert_eq!(
        doc["not_started"],
        serde_json::json!([
            {"run_key": "c1", "wave": 2},
            {"run_key": "c2", "wave": 3},
            {"run_key": "c3", "wave": 3},
            {"run_key": "c4", "wave": 3},
        ])
    );
    assert_eq!(doc["runs"].as_array().map(Vec::len), Some(1));
    assert_eq!(writes(&sb.log()).len(), 2);
}

#[test]
fn a_failed_second_wave_stops_the_rest_and_the_same_command_continues() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let fleet = Fleet::new(5, &[]);
    // The first tenant creation goes through (a zero delay), the second is refused.
    sb.fault_next(
        "POST",
        "/api/integrations/msp/tenants",
        Fault::Delay(Duration::ZERO),
        1,
    );
    refuse_next_tenant(&sb);
    let waves = ["--waves", "1,1,rest"];
    let out = fleet.apply(&sb, &waves);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log = sb.log();
    assert_eq!(writes_of(&sb, &log, 0), NEW_CUSTOMER_WRITES);
    assert_eq!(writes_of(&sb, &log, 1), 1, "c1: its refused tenant");
    for i in 2..5 {
        assert_eq!(writes_of(&sb, &log, i), 0, "c{i} was written");
    }
    assert_eq!(writes(&log).len(), NEW_CUSTOMER_WRITES + 1);
    assert_eq!(not_started(&stdout(&out)), ["c2", "c3", "c4"]);
    // Waves run one after another: every write of wave 1 before the first of wave 2.
    let seqs = |pick: &dyn Fn(&LogEntry) -> bool| -> Vec<u64> {
        writes(&log)
            .into_iter()
            .filter(|e| pick(e))
            .map(|e| e.seq)
            .collect()
    };
    let c1_tenant =
        seqs(&|e: &LogEntry| e.body.as_ref().is_some_and(|b| b["domain"] == "c1.example"));
    let wave1_last =
        seqs(&|e: &LogEntry| !e.body.as_ref().is_some_and(|b| b["domain"] == "c1.example"))
            .into_iter()
            .max();
    assert!(wave1_last < c1_tenant.first().copied(), "{log:?}");

    // Fixed (the fault is used up): the same command continues; c0 is current and writes
    // nothing.
    let before = sb.log().len();
    let out = fleet.apply(&sb, &waves);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let log = sb.log()[before..].to_vec();
    assert_eq!(writes_of(&sb, &log, 0), 0, "c0 was current");
    for i in 1..5 {
        assert_eq!(writes_of(&sb, &log, i), NEW_CUSTOMER_WRITES, "c{i}");
    }
    assert_eq!(writes(&log).len(), 4 * NEW_CUSTOMER_WRITES);
    assert!(not_started(&stdout(&out)).is_empty());
    assert_eq!(tenants(&sb).len(), 5);

    // A template change in waves: one write per customer (the policy), wave by wave.
    fleet.change_template();
    let before = sb.log().len();
    let out = fleet.apply(&sb, &waves);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = sb.log()[before..].to_vec();
    let puts: Vec<&LogEntry> = writes(&log);
    assert_eq!(puts.len(), 5, "{puts:?}");
    assert!(
        puts.iter()
            .all(|e| e.method == "PUT" && e.path.starts_with("/api/policies/"))
    );
    // And again: every customer current, nothing written.
    let before = sb.log().len();
    let out = fleet.apply(&sb, &waves);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(writes(&sb.log()[before..]).is_empty());
}

#[test]
fn percentages_round_up() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let fleet = Fleet::new(5, &[]);
    // 30% of 5 is 1.5: the first wave takes 2 (c0 fails, c1 still runs), the rest 3.
    refuse_next_tenant(&sb);
    let out = fleet.apply(&sb, &["--waves", "30%,rest"]);
    assert_eq!(out.status.code(), Some(1));
    let log = sb.log();
    assert_eq!(writes_of(&sb, &log, 1), NEW_CUSTOMER_WRITES);
    assert_eq!(not_started(&stdout(&out)), ["c2", "c3", "c4"]);
    assert_eq!(tenants(&sb), ["c1.example"]);
}

#[test]
fn max_failures_lets_a_wave_fail_that_often() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let fleet = Fleet::new(4, &[]);
    refuse_next_tenant(&sb);
    let out = fleet.apply(&sb, &["--waves", "2,rest", "--max-failures", "1"]);
    // One failure is within the budget: every wave ran; the run still fails for c0 or c1.
    assert_eq!(out.status.code(), Some(1));
    assert!(not_started(&stdout(&out)).is_empty(), "{}", stdout(&out));
    assert_eq!(tenants(&sb).len(), 3);
}

#[test]
fn wave_numbers_order_the_customers() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    // c3 is the canary (wave 1), c4 next (wave 2), then the others in inventory order.
    let fleet = Fleet::new(5, &[(3, "wave: 1"), (4, "wave: 2")]);
    sb.fault_next(
        "POST",
        "/api/integrations/msp/tenants",
        Fault::Delay(Duration::ZERO),
        1,
    );
    refuse_next_tenant(&sb);
    let out = fleet.apply(&sb, &["--waves", "1,1,rest"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(tenants(&sb), ["c3.example"]);
    let log = sb.log();
    assert_eq!(writes_of(&sb, &log, 4), 1, "c4: its refused tenant");
    assert_eq!(not_started(&stdout(&out)), ["c0", "c1", "c2"]);
    // `wave:` is not an input: without `--waves` everyone runs, in one wave.
    let out = fleet.apply(&sb, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tenants(&sb).len(), 5);
}

#[test]
fn a_bad_wave_number_is_located() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let fleet = Fleet::new(2, &[(1, "wave: 0")]);
    let out = fleet.apply(&sb, &["--waves", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = flat(&stderr(&out));
    assert!(err.contains("`wave` must be a wave number"), "{err}");
    assert!(err.contains("customers.yaml:9:11"), "{err}");
    assert!(writes(&sb.log()).is_empty());
}

#[test]
fn bad_wave_sizes_are_refused_before_any_call() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let fleet = Fleet::new(2, &[]);
    for (waves, says) in [
        ("0", "wave 1 is 0 customers"),
        ("150%", "a percentage must be 1% to 100%"),
        ("rest,1", "only the last wave may take the rest"),
        ("", "no wave size given"),
        ("1,,rest", "wave 2 has no size"),
    ] {
        let out = fleet.apply(&sb, &["--waves", waves]);
        assert_eq!(out.status.code(), Some(1), "--waves {waves:?}");
        let err = flat(&stderr(&out));
        assert!(err.contains(says), "--waves {waves:?}: {err}");
        assert!(err.contains("--waves 1,10%,rest"), "{err}");
    }
    assert!(sb.log().is_empty(), "a call was made");
    // Without an inventory there is nothing to roll out in waves.
    let playbook = fleet.playbook.to_str().expect("utf-8 path");
    let out = run(
        &sb,
        fleet.state(),
        &[
            playbook,
            "--set",
            "customer=A",
            "--set",
            "domain=a.example",
            "--waves",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(flat(&stderr(&out)).contains("`--waves` rolls out the customers of an inventory"));
    assert!(sb.log().is_empty(), "a call was made");
}

#[test]
fn a_replacement_at_one_customer_refuses_all_before_any_write() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let fleet = Fleet::new(5, &[]);
    let out = fleet.apply(&sb, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A template change for all 5, and at c2 a setup key type that cannot change in place.
    fleet.change_template();
    fleet.write_inventory(5, &[(2, "key_type: one-off")]);
    let before = sb.log().len();
    let out = fleet.apply(&sb, &["--waves", "1,rest"]);
    assert_eq!(out.status.code(), Some(1));
    let log = sb.log()[before..].to_vec();
    assert!(writes(&log).is_empty(), "{:?}", writes(&log));
    let err = flat(&stderr(&out));
    assert!(
        err.contains("apply refused for all 5 customers, nothing was written"),
        "{err}"
    );
    assert!(
        err.contains(
            "`c2`: step `bootstrap` (setup_key) needs a replacement (type cannot change in place)"
        ),
        "{err}"
    );
    assert!(err.contains("--allow-replace"), "{err}");
    // Without waves the same.
    let before = sb.log().len();
    let out = fleet.apply(&sb, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(writes(&sb.log()[before..]).is_empty());
    // Allowed: every customer gets the policy change, c2 also its new key.
    let before = sb.log().len();
    let out = fleet.apply(&sb, &["--allow-replace"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = sb.log()[before..].to_vec();
    assert_eq!(writes(&log).len(), 5 + 2, "{:?}", writes(&log));
}
