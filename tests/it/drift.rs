//! `onboard drift`: a live plan per customer, read-only. An applied customer is in sync (exit
//! 0); an object changed by hand is reported with its customer, step and fields (exit 2), one
//! deleted by hand as gone; a customer never applied is unknown (exit 1). Drift writes
//! nothing and reads no more than a plan of the same customer (the sandbox's request log).

use crate::support::*;
use serde_json::{Value, json};

const ARGS: [&str; 5] = [
    "playbooks/zero-trust-office.yaml",
    "--set",
    "customer=Zed",
    "--set",
    "domain=zed.example",
];

fn drift(
    sb: &onboard_sandbox::SandboxHandle,
    state: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["drift"];
    args.extend(ARGS);
    args.extend(extra);
    onboard(sb, state, &args).output().expect("onboard runs")
}

fn reads_after(sb: &onboard_sandbox::SandboxHandle, after: u64) -> usize {
    sb.log()
        .iter()
        .filter(|e| e.seq > after && e.method == "GET")
        .count()
}

/// Edit the policy `employees-to-office` by hand: a new description, and other ports.
fn edit_policy(rt: &tokio::runtime::Runtime, sb: &onboard_sandbox::SandboxHandle) -> String {
    let world = sb.world();
    let tid = tenant_id(&world, "zed.example");
    let acct = world["accounts"][&tid].clone();
    let servers = id(&acct, "groups", "Servers");
    let employees = id(&acct, "groups", "Employees");
    let policy = one(&acct, "policies", "employees-to-office").clone();
    let policy_id = policy["id"].as_str().expect("an id").to_owned();
    let rule = &policy["rules"][0];
    let body = json!({
        "name": policy["name"],
        "description": "edited by hand",
        "enabled": policy["enabled"],
        "source_posture_checks": policy["source_posture_checks"],
        "rules": [{
            "name": rule["name"],
            "enabled": true,
            "action": "accept",
            "bidirectional": false,
            "protocol": "tcp",
            "ports": ["22", "443"],
            "sources": [employees],
            "destinations": [servers],
        }],
    });
    let path = format!("/api/policies/{policy_id}");
    call(rt, sb, "PUT", &path, Some(tid.as_str()), Some(&body));
    tid
}

#[test]
fn an_applied_customer_is_in_sync_and_drift_writes_nothing() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), &ARGS);

    // What a plan of the same customer reads.
    let mark = last_seq(&sb);
    let mut plan_args = vec!["plan"];
    plan_args.extend(ARGS);
    let plan = onboard(&sb, dir.path(), &plan_args)
        .output()
        .expect("plan runs");
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan_reads = reads_after(&sb, mark);

    let mark = last_seq(&sb);
    let out = drift(&sb, dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        stdout(&out),
        "drift `zed.example` (playbook `zero-trust-office`): in sync\n"
    );
    assert_eq!(
        writes_after(&sb, mark),
        Vec::<String>::new(),
        "drift is read-only"
    );
    assert_eq!(
        reads_after(&sb, mark),
        plan_reads,
        "drift reads what a plan reads"
    );
}

#[test]
fn a_hand_edit_is_reported_with_customer_step_and_field() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), &ARGS);
    edit_policy(&rt, &sb);

    let mark = last_seq(&sb);
    let out = drift(&sb, dir.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("drift `zed.example` (playbook `zero-trust-office`): drifted\n"),
        "{text}"
    );
    assert!(
        text.contains("  employees_to_office (policy): changed; apply updates it\n"),
        "{text}"
    );
    assert!(
        text.contains("      description: \"edited by hand\" (live) → "),
        "{text}"
    );
    assert_eq!(
        writes_after(&sb, mark),
        Vec::<String>::new(),
        "drift is read-only"
    );

    // Markdown: one row per field.
    let out = drift(&sb, dir.path(), &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains(
            "| `zed.example` | drifted | `employees_to_office` (policy) | `description` | `\"edited by hand\"` |"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_json_report_has_one_entry_per_customer() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), &ARGS);
    let tid = edit_policy(&rt, &sb);
    // And delete a network resource by hand: it is gone.
    let world = sb.world();
    let lan = one(&world["accounts"][&tid], "network_resources", "office-lan").clone();
    let network = lan["network_id"].as_str().expect("a network");
    let lan_id = lan["id"].as_str().expect("an id");
    let path = format!("/api/networks/{network}/resources/{lan_id}");
    call(&rt, &sb, "DELETE", &path, Some(tid.as_str()), None);

    let out = drift(&sb, dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["format_version"], 1);
    let customers = doc["customers"].as_array().expect("a list of customers");
    assert_eq!(customers.len(), 1);
    let c = &customers[0];
    assert_eq!(c["run_key"], "zed.example");
    assert_eq!(c["playbook"], "zero-trust-office");
    assert_eq!(c["status"], "drifted");
    assert!(c.get("error").is_none());
    let steps = c["steps"].as_array().expect("steps");
    let policy = steps
        .iter()
        .find(|s| s["address"] == "employees_to_office")
        .expect("the policy drifted");
    assert_eq!(policy["type"], "policy");
    assert_eq!(policy["action"], "update");
    assert_eq!(policy["gone"], false);
    let description = policy["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["field"] == "description")
        .expect("the description changed");
    assert_eq!(description["before"], "edited by hand");
    assert!(description.get("after").is_some());
    let lan = steps
        .iter()
        .find(|s| s["address"] == "office_lan")
        .expect("the network resource is gone");
    assert_eq!(lan["gone"], true);
    assert_eq!(lan["action"], "create");
}

#[test]
fn a_customer_never_applied_is_unknown() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = drift(&sb, dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    let c = &doc["customers"][0];
    assert_eq!(c["status"], "unknown");
    assert!(
        c["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("never applied")),
        "{c}"
    );
    assert_eq!(writes_after(&sb, 0), Vec::<String>::new());
}
