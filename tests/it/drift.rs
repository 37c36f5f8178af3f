//! `onboard drift`: per customer, its audit log since the last apply or check, and a live plan
//! when the log shows a change to an object onboard manages (or cannot tell). An applied
//! customer is in sync (exit 0) at one call; an object changed by hand is reported with its
//! customer, step and fields (exit 2), one deleted by hand as gone; a customer never applied
//! is unknown (exit 1). Drift writes nothing to the API; `--full` reads what a plan reads, and
//! the log (the sandbox's request log).

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
    edit_policy_in(rt, sb, "zed.example")
}

/// [`edit_policy`] in the tenant of `domain`.
fn edit_policy_in(
    rt: &tokio::runtime::Runtime,
    sb: &onboard_sandbox::SandboxHandle,
    domain: &str,
) -> String {
    let world = sb.world();
    let tid = tenant_id(&world, domain);
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
    let out = drift(&sb, dir.path(), &["--full"]);
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
        plan_reads + 1,
        "drift --full reads what a plan reads, and the audit log"
    );
}

/// Every call after `after`, as `METHOD path`.
fn calls_after(sb: &onboard_sandbox::SandboxHandle, after: u64) -> Vec<String> {
    sb.log()
        .iter()
        .filter(|e| e.seq > after)
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

const AUDIT: &str = "GET /api/events/audit";
/// The PAT's own account, once a run: the state's API is checked before its ids are used.
const ACCOUNT: &str = "GET /api/accounts";

fn json_drift(
    sb: &onboard_sandbox::SandboxHandle,
    state: &std::path::Path,
    args: &[&str],
) -> (Option<i32>, Value) {
    let mut all = vec!["drift", "--format", "json"];
    all.extend(args);
    let out = onboard(sb, state, &all).output().expect("onboard runs");
    let doc = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    (out.status.code(), doc)
}

#[test]
fn an_unchanged_applied_customer_costs_one_call_its_audit_log() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), &ARGS);
    // Twice: after the apply's mark, then after the mark the first check recorded.
    for _ in 0..2 {
        let mark = last_seq(&sb);
        let out = drift(&sb, dir.path(), &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            "drift `zed.example` (playbook `zero-trust-office`): in sync\n"
        );
        // The run's first contact (the PAT's own account, which the state's API check needs),
        // then one call for the customer.
        assert_eq!(calls_after(&sb, mark), [ACCOUNT, AUDIT]);
    }
    let (code, doc) = json_drift(&sb, dir.path(), &ARGS);
    assert_eq!(code, Some(0));
    assert_eq!(doc["customers"][0]["checked"], "audit_log");
}

/// An inventory of `n` zero-trust offices, `c0.example`, `c1.example`, ...
fn inventory(dir: &std::path::Path, n: usize) -> String {
    let playbook = std::fs::canonicalize(ARGS[0]).expect("playbook");
    let mut text = format!("playbook: {}\ncustomers:\n", playbook.display());
    for i in 0..n {
        text.push_str(&format!(
            "  c{i}:\n    customer: Customer {i}\n    domain: c{i}.example\n"
        ));
    }
    let path = dir.join("customers.yaml");
    std::fs::write(&path, text).expect("inventory");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn in_a_fleet_only_the_customer_edited_by_hand_is_planned_and_reported() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = inventory(dir.path(), 3);
    apply(&sb, dir.path(), &[ARGS[0], "--inventory", &inv]);
    let (code, _) = json_drift(&sb, dir.path(), &[ARGS[0], "--inventory", &inv]);
    assert_eq!(code, Some(0));

    // A hand edit in c1's tenant, through the API as a user would.
    edit_policy_in(&rt, &sb, "c1.example");

    let mark = last_seq(&sb);
    let (code, doc) = json_drift(&sb, dir.path(), &[ARGS[0], "--inventory", &inv]);
    assert_eq!(code, Some(2), "{doc}");
    let customers = doc["customers"].as_array().expect("customers");
    let keys: Vec<&str> = customers
        .iter()
        .map(|c| c["run_key"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(keys, ["c0", "c1", "c2"]);
    for c in [&customers[0], &customers[2]] {
        assert_eq!(c["status"], "in_sync", "{c}");
        assert_eq!(c["checked"], "audit_log", "{c}");
    }
    let c1 = &customers[1];
    assert_eq!(c1["status"], "drifted", "{c1}");
    assert_eq!(c1["checked"], "plan");
    assert!(
        c1["why"]
            .as_str()
            .is_some_and(|w| w.contains("`policy.update`")),
        "{c1}"
    );
    let step = &c1["steps"][0];
    assert_eq!(step["address"], "employees_to_office");
    assert_eq!(step["fields"][0]["field"], "description");
    assert_eq!(step["fields"][0]["before"], "edited by hand");
    // One audit log per customer, a full plan of c1 only; nothing written.
    let calls = calls_after(&sb, mark);
    assert_eq!(calls.iter().filter(|c| *c == AUDIT).count(), 3, "{calls:?}");
    assert!(calls.len() > 5, "c1 was planned: {calls:?}");
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // In text: customer, step, field. Drift left no mark for c1: it is planned again.
    let mut args = vec!["drift", ARGS[0], "--inventory", &inv];
    args.extend(["--format", "text"]);
    let out = onboard(&sb, dir.path(), &args).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("drift `c1` (playbook `zero-trust-office`): drifted\n  employees_to_office (policy): changed; apply updates it\n      description: \"edited by hand\" (live)"), "{text}");
}

#[test]
fn onboard_s_own_apply_is_not_drift() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), &ARGS);
    // A check records the log's newest event id as the mark.
    assert_eq!(json_drift(&sb, dir.path(), &ARGS).0, Some(0));
    // A new value: onboard updates its posture check (events after that mark, by onboard).
    let mut changed = ARGS.to_vec();
    changed.extend(["--set", "country=FR"]);
    let before = last_seq(&sb);
    apply(&sb, dir.path(), &changed);
    assert!(!writes_after(&sb, before).is_empty(), "the apply wrote");
    let mark = last_seq(&sb);
    let (code, doc) = json_drift(&sb, dir.path(), &changed);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["customers"][0]["checked"], "audit_log", "{doc}");
    assert_eq!(calls_after(&sb, mark), [ACCOUNT, AUDIT]);
}

/// The state file of `zed.example`, without its audit mark (as an older onboard left it).
fn forget_mark(state_dir: &std::path::Path) {
    let mut found = 0;
    for entry in walk(&state_dir.join("state")) {
        let text = std::fs::read_to_string(&entry).expect("state");
        let mut doc: Value = serde_json::from_str(&text).expect("JSON");
        if doc.get("audit_mark").is_some() {
            doc.as_object_mut().expect("object").remove("audit_mark");
            std::fs::write(&entry, doc.to_string()).expect("write");
            found += 1;
        }
    }
    assert_eq!(found, 1, "one state with a mark");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_customer_without_a_mark_or_with_a_changed_playbook_gets_a_full_plan() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    apply(&sb, dir.path(), &ARGS);
    forget_mark(dir.path());
    let mark = last_seq(&sb);
    let (code, doc) = json_drift(&sb, dir.path(), &ARGS);
    assert_eq!(code, Some(0), "{doc}");
    let c = &doc["customers"][0];
    assert_eq!(c["checked"], "plan");
    assert_eq!(c["why"], "no audit mark recorded");
    assert!(calls_after(&sb, mark).len() > 2, "a full plan");
    // In sync: the check recorded a mark, so the next one costs one call.
    let mark = last_seq(&sb);
    assert_eq!(json_drift(&sb, dir.path(), &ARGS).0, Some(0));
    assert_eq!(calls_after(&sb, mark), [ACCOUNT, AUDIT]);

    // Other values (the playbook as rendered changed): a full plan, which shows the change.
    let mut changed = ARGS.to_vec();
    changed.extend(["--set", "country=FR"]);
    let (code, doc) = json_drift(&sb, dir.path(), &changed);
    assert_eq!(code, Some(2), "{doc}");
    assert_eq!(
        doc["customers"][0]["why"],
        "the playbook changed since the mark"
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
