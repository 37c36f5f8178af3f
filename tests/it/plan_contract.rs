//! The plan shows everything apply will do: `plan --prune` lists the deletions `apply --prune`
//! makes, `--detailed-exitcode` counts them, and apply deletes exactly those. Usage errors exit
//! 1 (not clap's 2, which `--detailed-exitcode` reserves for "changes present").

use crate::support::{self, apply, onboard, sandbox, stderr, stdout};
use serde_json::Value;
use std::path::Path;

/// quickstart.yaml without its policy step (same playbook name, so the same state).
fn without_policy(dir: &Path) -> String {
    let text = std::fs::read_to_string("playbooks/quickstart.yaml").expect("quickstart");
    let cut = text
        .find("  # One policy, one rule")
        .expect("the policy step");
    let end = text.find("outputs:").expect("outputs");
    let path = dir.join("quickstart-no-policy.yaml");
    std::fs::write(&path, format!("{}{}", &text[..cut], &text[end..])).expect("write");
    path.to_str().expect("utf-8").to_owned()
}

/// The addresses a JSON plan deletes.
fn deletions(plan: &Value) -> Vec<String> {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["action"] == "delete")
        .map(|s| s["address"].as_str().expect("address").to_owned())
        .collect()
}

#[test]
fn plan_prune_shows_each_deletion_and_apply_prune_makes_exactly_those() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path();
    apply(&sb, state, &["playbooks/quickstart.yaml"]);
    let smaller = without_policy(dir.path());

    // Without --prune nothing is deleted, so nothing changes; the orphan is shown as kept.
    let out = onboard(&sb, state, &["plan", &smaller, "--detailed-exitcode"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("  = admin_ssh (policy"),
        "{}",
        stdout(&out)
    );

    // With --prune the plan names the deletion, and it counts as a change.
    let out = onboard(
        &sb,
        state,
        &["plan", &smaller, "--prune", "--detailed-exitcode"],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("  - admin_ssh (policy"), "{text}");
    assert!(text.contains("1 to delete"), "{text}");

    let out = onboard(
        &sb,
        state,
        &["plan", &smaller, "--prune", "--format", "json"],
    )
    .output()
    .expect("runs");
    let plans: Value = serde_json::from_slice(&out.stdout).expect("a JSON list of plans");
    let plan = &plans[0];
    assert_eq!(deletions(plan), ["admin_ssh"]);
    let policy_id = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["address"] == "admin_ssh")
        .and_then(|s| s["note"].as_str())
        .expect("the deletion says what it deletes")
        .rsplit(' ')
        .next()
        .expect("an id")
        .to_owned();

    let before = sb.log().len();
    apply(&sb, state, &[&smaller, "--prune"]);
    let deleted: Vec<String> = sb.log()[before..]
        .iter()
        .filter(|e| e.method == "DELETE")
        .map(|e| e.path.clone())
        .collect();
    assert_eq!(deleted, [format!("/api/policies/{policy_id}")]);
    // Nothing left to prune.
    let out = onboard(
        &sb,
        state,
        &["plan", &smaller, "--prune", "--detailed-exitcode"],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let run = |args: &[&str]| support::binary().args(args).output().expect("runs");
    for args in [
        &["plan", "--no-such-flag"][..],
        &["frobnicate"],
        &["plan"],
        &["plan", "x.yaml", "--format", "yaml"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?} says nothing");
    }
    for args in [&["--help"][..], &["plan", "--help"], &["--version"]] {
        assert_eq!(run(args).status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn apply_refuses_markdown_and_says_what_to_use() {
    let out = support::binary()
        .args([
            "apply",
            "playbooks/quickstart.yaml",
            "--sandbox",
            "--yes",
            "--format",
            "markdown",
        ])
        .arg("--state-dir")
        .arg(tempfile::tempdir().expect("tempdir").path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let text = support::flat(&stderr(&out));
    assert!(text.contains("plan ... --format markdown"), "{text}");
}
