//! `plan --inventory`: the fleet's plan a reviewer can read (customers grouped by identical
//! change sets; Markdown one section per group; JSON the plans and the groups), and orphans,
//! steps recorded in the state but gone from the playbook, shown in every plan.

use crate::support::{self, generate};
use onboard_sandbox::SandboxHandle;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A copy of `playbooks/msp-customer.yaml` in `dir` and an inventory of `n` customers of it.
fn fleet(dir: &Path, n: usize) -> (PathBuf, PathBuf) {
    let text = std::fs::read_to_string("playbooks/msp-customer.yaml").expect("the example");
    let playbook = generate::write(dir, "msp-customer", &text);
    let playbook = std::fs::canonicalize(playbook).expect("absolute");
    let inventory = generate::write(dir, "customers", &generate::inventory(&playbook, n));
    (playbook, inventory)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// `onboard plan --inventory INV ARGS`: its exit code and stdout.
fn plan(sb: &SandboxHandle, state: &Path, inv: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = support::onboard(sb, state, &["plan", "--inventory", s(inv)]);
    let out = cmd.args(args).output().expect("plan runs");
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "plan {args:?}: {}",
        support::stderr(&out)
    );
    (out.status.code(), support::stdout(&out))
}

/// Edit the playbook in place.
fn edit(playbook: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(playbook).expect("the playbook");
    assert!(text.contains(from), "{from} is in the playbook");
    std::fs::write(playbook, text.replacen(from, to, 1)).expect("edited");
}

#[test]
fn one_rule_changed_in_40_customers_is_one_short_page() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = support::sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let (playbook, inv) = fleet(dir.path(), 40);
    support::apply(&sb, dir.path(), &["--inventory", s(&inv)]);
    edit(&playbook, "ports: [\"22\"]", "ports: [\"22\", \"2222\"]");
    let before = sb.log().len();

    let (code, md) = plan(&sb, dir.path(), &inv, &["--format", "markdown"]);
    assert_eq!(code, Some(0));
    let lines = md.lines().count();
    assert!(lines <= 60, "{lines} lines of Markdown:\n{md}");
    assert!(md.contains("(40 customers)"), "{md}");
    let change = "~ admin_ssh rules[0].ports [\"22\"] → [..., \"2222\"]";
    assert!(md.contains(&format!("| 40 | {change} |")), "{md}");
    assert_eq!(md.matches("<details>").count(), 1, "{md}");
    for i in 0..40 {
        assert!(
            md.contains(&format!("`c{i:04}`")),
            "c{i:04} is named:\n{md}"
        );
    }
    // The update row carries its field diff.
    let row =
        "| `~` | `admin_ssh` | policy | tenant | rules[0].ports: [\"22\"] → [\"22\", \"2222\"] |";
    assert!(md.contains(row), "{md}");
    assert!(
        !md.contains("WARNING"),
        "nothing replaced or deleted:\n{md}"
    );
    assert!(
        support::writes(&sb.log()[before..]).is_empty(),
        "plan wrote"
    );

    let (_, text) = plan(&sb, dir.path(), &inv, &["--detailed-exitcode"]);
    let tail = text
        .split("\nFleet: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no fleet summary:\n{text}"));
    assert!(tail.starts_with("40 customers, 1 change set\n"), "{tail}");
    assert!(
        tail.contains("  40 customers: ~ admin_ssh rules[0].ports [\"22\"] → [..., \"2222\"]\n"),
        "{tail}"
    );
    assert!(tail.contains("c0009, and 30 more"), "{tail}");

    let (_, json) = plan(&sb, dir.path(), &inv, &["--format", "json"]);
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["plans"].as_array().map(Vec::len), Some(40));
    let groups = doc["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 1, "{json}");
    assert_eq!(groups[0]["customers"].as_array().map(Vec::len), Some(40));
    assert_eq!(groups[0]["changes"][0]["address"], "admin_ssh");
    assert_eq!(groups[0]["changes"][0]["action"], "update");
    assert_eq!(
        groups[0]["changes"][0]["fields"][0]["field"],
        "rules[0].ports"
    );
    // Same input, same bytes.
    let (_, again) = plan(&sb, dir.path(), &inv, &["--format", "json"]);
    assert_eq!(json, again);
}

#[test]
fn groups_are_by_change_set_largest_first_then_by_first_customer() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = support::sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let (playbook, inv) = fleet(dir.path(), 5);
    // Three customers exist; c0003 and c0004 are new.
    support::apply(
        &sb,
        dir.path(),
        &["--inventory", s(&inv), "--only", "c0000,c0001,c0002"],
    );
    // One customer's LAN changes in the inventory: its change set is its own.
    edit(
        &inv,
        "domain: c0001.example",
        "domain: c0001.example\n    lan: 10.99.0.0/24",
    );
    edit(&playbook, "ports: [\"22\"]", "ports: [\"22\", \"2222\"]");

    let (code, text) = plan(&sb, dir.path(), &inv, &["--detailed-exitcode"]);
    assert_eq!(code, Some(2));
    let tail = text.split("\nFleet: ").nth(1).expect("a fleet summary");
    let lines: Vec<&str> = tail.lines().collect();
    assert_eq!(lines[0], "5 customers, 3 change sets", "{tail}");
    assert!(
        lines[1].starts_with("  2 customers: ~ admin_ssh rules[0].ports"),
        "{tail}"
    );
    assert_eq!(lines[2], "    c0000, c0002", "{tail}");
    assert!(
        lines[3].starts_with("  2 customers: + new tenant (6 to create)"),
        "{tail}"
    );
    assert_eq!(lines[4], "    c0003, c0004", "{tail}");
    let own = "  1 customer: ~ office_lan address \"10.10.0.0/24\" → \"10.99.0.0/24\"; ~ admin_ssh";
    assert!(lines[5].starts_with(own), "{tail}");
    assert_eq!(lines[6], "    c0001", "{tail}");
}

/// The playbook without its `office_lan` step (nothing depends on it).
fn drop_office_lan(playbook: &Path) {
    let text = std::fs::read_to_string(playbook).expect("the playbook");
    let (start, end) = (
        text.find("  - id: office_lan").expect("the step"),
        text.find("  - id: admin_ssh").expect("the next step"),
    );
    std::fs::write(playbook, format!("{}{}", &text[..start], &text[end..])).expect("edited");
}

const KEPT: &str = "kept: no longer in the playbook; `--prune` deletes it";

#[test]
fn a_step_gone_from_the_playbook_is_shown_kept_and_only_prune_makes_it_a_change() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = support::sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let (playbook, inv) = fleet(dir.path(), 2);
    let solo = ["--set", "customer=Solo", "--set", "domain=solo.example"];
    support::apply(&sb, dir.path(), &["--inventory", s(&inv)]);
    let mut args = vec![s(&playbook)];
    args.extend(solo);
    support::apply(&sb, dir.path(), &args);
    drop_office_lan(&playbook);

    // Without --prune: shown in every format, no change (exit 0), nothing written.
    let before = sb.log().len();
    let (code, text) = plan(&sb, dir.path(), &inv, &["--detailed-exitcode"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  = office_lan (network_resource)\n"),
        "{text}"
    );
    assert!(text.contains(&format!("      # {KEPT} (")), "{text}");
    assert!(
        text.contains("1 kept (no longer in the playbook)"),
        "{text}"
    );
    let summary = format!("  2 customers: = office_lan {KEPT}\n");
    assert!(text.contains(&summary), "{text}");

    let (_, md) = plan(&sb, dir.path(), &inv, &["--format", "markdown"]);
    let row = format!("| `=` | `office_lan` | network_resource | tenant | {KEPT} |");
    assert!(md.contains(&row), "{md}");
    assert!(
        !md.contains("WARNING"),
        "a kept orphan is no deletion:\n{md}"
    );

    let (_, json) = plan(&sb, dir.path(), &inv, &["--format", "json"]);
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    let steps = doc["plans"][0]["steps"].as_array().expect("steps");
    let kept = steps
        .iter()
        .find(|s| s["address"] == "office_lan")
        .unwrap_or_else(|| panic!("no office_lan in {json}"));
    assert_eq!(kept["action"], "keep");
    assert!(
        kept["note"].as_str().is_some_and(|n| n.starts_with(KEPT)),
        "{kept}"
    );
    assert_eq!(doc["plans"][0]["summary"]["keep"], 1);
    assert_eq!(doc["groups"][0]["changes"][0]["action"], "keep");

    // A single playbook's plan shows it too, in Markdown with the note.
    let mut single = support::onboard(&sb, dir.path(), &["plan", "--format", "markdown"]);
    let out = single
        .arg(&playbook)
        .args(solo)
        .args(["--detailed-exitcode"]);
    let out = out.output().expect("plan runs");
    assert_eq!(out.status.code(), Some(0), "{}", support::stderr(&out));
    let md = support::stdout(&out);
    assert!(
        md.contains(&format!("network_resource | tenant | {KEPT} (")),
        "{md}"
    );
    assert!(
        support::writes(&sb.log()[before..]).is_empty(),
        "plan wrote"
    );

    // Apply without --prune keeps it.
    support::apply(&sb, dir.path(), &["--inventory", s(&inv)]);
    let world = sb.world();
    let tenant = support::tenant_id(&world, "c0000.example");
    let acct = support::account(&world, &tenant);
    assert_eq!(
        support::names(acct, "network_resources"),
        ["office-lan"],
        "kept"
    );

    // With --prune: a deletion, flagged at the top, exit 2; apply --prune deletes it.
    let (code, md) = plan(
        &sb,
        dir.path(),
        &inv,
        &["--prune", "--format", "markdown", "--detailed-exitcode"],
    );
    assert_eq!(code, Some(2), "{md}");
    assert!(
        md.contains("> deletes `office_lan` in 2 customers: `c0000`, `c0001`"),
        "{md}"
    );
    support::apply(&sb, dir.path(), &["--inventory", s(&inv), "--prune"]);
    let (code, text) = plan(&sb, dir.path(), &inv, &["--detailed-exitcode"]);
    assert_eq!(code, Some(0));
    assert!(!text.contains("office_lan"), "{text}");
    let world = sb.world();
    let acct = support::account(&world, &tenant);
    assert!(
        support::names(acct, "network_resources").is_empty(),
        "pruned"
    );
    assert!(text.contains("  2 customers: no changes\n"), "{text}");
}

#[test]
fn a_role_changed_for_every_tenant_is_one_change_set_with_its_diff() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = support::sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let (playbook, inv) = fleet(dir.path(), 3);
    support::apply(&sb, dir.path(), &["--inventory", s(&inv)]);
    edit(&playbook, "role: admin\n", "role: auditor\n");

    let (code, text) = plan(&sb, dir.path(), &inv, &["--detailed-exitcode"]);
    assert_eq!(code, Some(2), "{text}");
    let tail = text
        .split("\nFleet: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no fleet summary:\n{text}"));
    assert!(tail.starts_with("3 customers, 1 change set\n"), "{tail}");
    assert!(tail.contains("  3 customers: ~ tenant groups "), "{tail}");
    assert!(tail.contains("role: \"auditor\""), "{tail}");
    let (_, json) = plan(&sb, dir.path(), &inv, &["--format", "json"]);
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    let change = &doc["groups"][0]["changes"][0];
    assert_eq!(change["address"], "tenant");
    assert_eq!(change["action"], "update");
    assert_eq!(change["fields"][0]["field"], "groups");
    assert_eq!(change["fields"][0]["before"][0]["role"], "admin");
    assert_eq!(change["fields"][0]["after"][0]["role"], "auditor");
}
